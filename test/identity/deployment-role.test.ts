import { type DeploymentRoleProps, DeploymentRole } from "../../lib/identity/deployment-role";
import { GitLabCiRole } from "../../lib/identity/gitlab-ci-role";
import { GitLabOidcProvider } from "../../lib/identity/gitlab-oidc-provider";
import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { resourcesOf, synth, testStack, violationOf, type SynthJson } from "../support/synth";

const STATE = { actions: ["s3:GetObject", "s3:PutObject"], resources: ["arn:aws:s3:::acme-tfstate/dev/*"] };

function build(props: Partial<DeploymentRoleProps> = {}, callers: { runnerHost?: boolean } = {}) {
  const stack = testStack();
  const provider = GitLabOidcProvider.fromExisting(stack, "oidc", { url: "https://gitlab.example.com", accountId: "111111111111" });
  const ci = new GitLabCiRole(stack, "ci", {
    provider,
    roleName: "acme-ci-dev-build",
    region: "eu-central-1",
    subjects: [{ projectPath: "acme/app", branch: "main" }],
  });
  const host = callers.runnerHost ? new RunnerHostRole(stack, "host", { roleName: "acme-ci-dev-runner-host" }) : undefined;
  new DeploymentRole(stack, "deploy", {
    roleName: "acme-ci-dev-deployment",
    assumedBy: host ? [ci, host] : [ci],
    statements: [STATE],
    ...props,
  });
  return synth(stack).json;
}

const roleNamed = (json: SynthJson, name: string) => Object.values(resourcesOf(json, "aws_iam_role")).find((r) => r.name === name)!;
const policyOf = (json: SynthJson, construct: string) =>
  JSON.parse(
    Object.entries(resourcesOf(json, "aws_iam_role_policy")).find(([id]) => id.startsWith(`${construct}_grants_policy`))![1].policy as string,
  ) as { Statement: unknown[] };
const roleArn = (construct: string) => expect.stringMatching(new RegExp(`^\\$\\{aws_iam_role\\.${construct}_role_[A-F0-9]+\\.arn\\}$`));

describe("DeploymentRole", () => {
  test("trusted by the CI role and the runner host role (sts:AssumeRole), which get sts:AssumeRole on it", () => {
    const json = build({}, { runnerHost: true });
    expect(JSON.parse(roleNamed(json, "acme-ci-dev-deployment").assume_role_policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: [roleArn("ci"), roleArn("host")] }, Action: ["sts:AssumeRole"] }],
    });
    const assume = { Effect: "Allow", Action: ["sts:AssumeRole"], Resource: [roleArn("deploy")] };
    expect(policyOf(json, "ci").Statement).toEqual([assume]);
    expect(policyOf(json, "host").Statement).toContainEqual(assume);
  });

  test("caller-supplied statements, managed policies and a permissions boundary", () => {
    const json = build({
      managedPolicyArns: ["arn:aws:iam::111111111111:policy/terraform-deploy"],
      permissionsBoundaryArn: "arn:aws:iam::111111111111:policy/deploy-boundary",
    });
    expect(policyOf(json, "deploy").Statement).toEqual([{ Effect: "Allow", Action: STATE.actions, Resource: STATE.resources }]);
    expect(Object.values(resourcesOf(json, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::111111111111:policy/terraform-deploy",
    ]);
    expect(roleNamed(json, "acme-ci-dev-deployment")).toEqual(
      expect.objectContaining({
        permissions_boundary: "arn:aws:iam::111111111111:policy/deploy-boundary",
        max_session_duration: 3600,
        description: "Deployments (Terraform) from CI",
      }),
    );
  });

  describe("bad input", () => {
    test("no permissions at all", () => {
      const error = violationOf(() => build({ statements: [], managedPolicyArns: [] }));
      expect(error.message).toMatch(
        /^test\/deploy: invalid permissions \{"managedPolicyArns":\[\],"statements":\[\]\}\. Rule: a deployment role needs permissions supplied by its caller: at least one managed policy ARN or statement\. Fix: pass managedPolicyArns/,
      );
    });

    test("a statement without actions", () => {
      const error = violationOf(() => build({ statements: [{ actions: [], resources: ["arn:aws:s3:::b"] }] }));
      expect(error.message).toMatch(/^test\/deploy\/statements\[0\]: invalid statement .*Rule: a statement grants at least one action on at least one resource/);
    });

    test("nobody may assume it", () => {
      const stack = testStack();
      const error = violationOf(() => new DeploymentRole(stack, "deploy", { roleName: "d", assumedBy: [], statements: [STATE] }));
      expect(error.message).toMatch(/^test\/deploy\/assumedBy: invalid assumedBy \[\]\. Rule: a deployment role is assumed from at least one role.*Fix: pass the CI role/);
    });

    test("a role name over 64 characters", () => {
      expect(violationOf(() => build({ roleName: "d".repeat(70) })).message).toMatch(
        /^test\/deploy: invalid role name "d{70}"\. Rule: an IAM role name is 1-64 characters.*Fix: shorten it by 6 characters/,
      );
    });

    test("an inline policy over IAM's quota fails synth", () => {
      const statements = Array.from({ length: 300 }, (_, i) => ({ actions: ["s3:GetObject"], resources: [`arn:aws:s3:::deployment-bucket-${i}/*`] }));
      const error = violationOf(() => build({ statements }));
      expect(error.path).toBe("test/deploy/grants");
      expect(error.message).toMatch(
        /test\/deploy\/grants: invalid inline policy size "\d+ characters"\. Rule: IAM limits a role's inline policies to 10240 characters/,
      );
    });
  });
});

describe("DeploymentRole with an administrator-level managed policy", () => {
  const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
  const protectedOnly = (scope: ReturnType<typeof testStack>) =>
    new GitLabCiRole(scope, "prot", {
      provider: GitLabOidcProvider.fromExisting(scope, "oidc-p", { url: "https://gitlab.example.com", accountId: "111111111111" }),
      roleName: "acme-ci-dev-app-protected",
      region: "eu-central-1",
      subjects: [
        { projectPath: "acme/app", branch: "main", protectedRefsOnly: true },
        { projectPath: "acme/app", tagPattern: "v*.*.*", protectedRefsOnly: true },
      ],
    });

  test("accepted when only roles of protected refs can assume it", () => {
    const stack = testStack();
    const role = protectedOnly(stack);
    expect(role.protectedRefsOnly).toBe(true);
    expect(() => new DeploymentRole(stack, "deploy", { roleName: "acme-ci-dev-deployment", assumedBy: [role], managedPolicyArns: [ADMIN] })).not.toThrow();
  });

  test.each<[string, { runnerHost?: boolean }]>([
    ["a runner host role", { runnerHost: true }],
    ["a role of unprotected refs", {}],
  ])("refused when %s can assume it", (_what, callers) => {
    const error = violationOf(() => build({ managedPolicyArns: [ADMIN, "arn:aws:iam::111111111111:policy/own"] }, callers));
    expect(error.message).toMatch(
      /^test\/deploy\/managedPolicyArns: invalid administrator-level managed policy \["arn:aws:iam::aws:policy\/AdministratorAccess"\]\. Rule: a role that administers the account may be assumed only from CI roles that protected refs alone can assume.*Fix: assume it only from the protected CI role/,
    );
  });

  test.each(["PowerUserAccess", "IAMFullAccess", "AdministratorAccess-Amplify"])("%s counts as administrator-level, in any partition", (name) => {
    const arn = `arn:aws-us-gov:iam::aws:policy/${name}`;
    expect(violationOf(() => build({ managedPolicyArns: [arn] }, { runnerHost: true })).subject).toBe("administrator-level managed policy");
  });
});
