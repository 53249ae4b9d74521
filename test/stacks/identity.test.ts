import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { resourcesOf, violationOf, type SynthJson } from "../support/synth";

const synthAll = (config: PlatformConfig) => {
  const stacks = buildPlatform(Testing.app(), config);
  const json = new Map<string, SynthJson>(
    [...stacks.accounts.values(), ...stacks.environments.values()].map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as SynthJson]),
  );
  return { stacks, json };
};
const example = synthAll(exampleConfig);
const json = (name: string) => example.json.get(name)!;
const providers = (j: SynthJson) => Object.values(resourcesOf(j, "aws_iam_openid_connect_provider"));
const role = (j: SynthJson, name: string) => Object.values(resourcesOf(j, "aws_iam_role")).find((r) => r.name === name)!;
const trust = (j: SynthJson, name: string) => JSON.parse(role(j, name).assume_role_policy as string) as { Statement: Array<Record<string, unknown>> };
const policyOfRole = (j: SynthJson, construct: string) =>
  JSON.parse(
    Object.entries(resourcesOf(j, "aws_iam_role_policy")).find(([id]) => id.startsWith(`platform_identity_${construct}_grants_policy`))![1].policy as string,
  ) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
const repoRef = (id: string) => expect.stringMatching(new RegExp(`^\\$\\{aws_ecr_repository\\.platform_repository-${id}_repository_[A-F0-9]+\\.arn\\}$`));
const PUSH = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:CompleteLayerUpload",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
];
const PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

describe("OIDC provider placement", () => {
  test("one provider per (account, GitLab URL): in the account stacks, never in environments", () => {
    expect(providers(json("account-nonprod"))).toEqual([{ url: "https://gitlab.example.com", client_id_list: ["https://gitlab.example.com"] }]);
    expect(providers(json("account-prod"))).toHaveLength(1);
    for (const env of ["dev", "staging", "production"]) expect(providers(json(env))).toEqual([]);
  });

  test("environments trust it by its deterministic ARN", () => {
    const principals = (env: string, name: string) => trust(json(env), name).Statement.map((s) => s.Principal);
    expect(principals("dev", "acme-ci-dev-pull")).toEqual([{ Federated: "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com" }]);
    expect(principals("production", "acme-ci-production-pull")).toEqual([{ Federated: "arn:aws:iam::222222222222:oidc-provider/gitlab.example.com" }]);
  });

  test("an account with two regions creates it once, a second GitLab URL adds one, an existing one is not created", () => {
    const nonprod = exampleConfig.accounts[0]!;
    const config: PlatformConfig = {
      ...exampleConfig,
      accounts: [nonprod, { ...nonprod, name: "nonprod-us", region: "us-east-1", identity: { existingOidcProviders: ["https://gitlab.com"] } }, exampleConfig.accounts[1]!],
      environments: [
        ...exampleConfig.environments,
        { ...exampleConfig.environments[0]!, name: "us", region: "us-east-1", gitlab: { ...exampleConfig.environments[0]!.gitlab, url: "https://gitlab.com" }, identity: {} },
        { ...exampleConfig.environments[0]!, name: "other", gitlab: { ...exampleConfig.environments[0]!.gitlab, url: "https://git.example.org" }, identity: {} },
      ],
    };
    const { json: all } = synthAll(config);
    expect(providers(all.get("account-nonprod")!).map((p) => p.url).sort()).toEqual(["https://git.example.org", "https://gitlab.example.com"]);
    expect(providers(all.get("account-nonprod-us")!)).toEqual([]);
    expect(trust(all.get("us")!, "acme-ci-us-pull").Statement[0]!.Principal).toEqual({ Federated: "arn:aws:iam::111111111111:oidc-provider/gitlab.com" });
  });
});

describe("environment identities", () => {
  test("the build role trusts the default branch and release tags of each project", () => {
    const host = "gitlab.example.com";
    expect(trust(json("dev"), "acme-ci-dev-build").Statement.map((s) => s.Condition)).toEqual([
      {
        StringEquals: {
          [`${host}:aud`]: "https://gitlab.example.com",
          [`${host}:sub`]: ["project_path:acme/app:ref_type:branch:ref:main", "project_path:acme/web:ref_type:branch:ref:main", "project_path:acme/toolbox:ref_type:branch:ref:main"],
        },
      },
      {
        StringEquals: { [`${host}:aud`]: "https://gitlab.example.com" },
        StringLike: { [`${host}:sub`]: ["project_path:acme/app:ref_type:tag:ref:v*", "project_path:acme/web:ref_type:tag:ref:v*", "project_path:acme/toolbox:ref_type:tag:ref:v*"] },
      },
    ]);
    expect(example.stacks.environments.get("dev")!.identity.build.requiredProtectedRefs).toEqual([
      { project: "acme/app", refType: "branch", ref: "main" },
      { project: "acme/app", refType: "tag", ref: "v*" },
      { project: "acme/web", refType: "branch", ref: "main" },
      { project: "acme/web", refType: "tag", ref: "v*" },
      { project: "acme/toolbox", refType: "branch", ref: "main" },
      { project: "acme/toolbox", refType: "tag", ref: "v*" },
    ]);
  });

  test("the merge-request role trusts any branch of the projects; the pull role any ref of the group", () => {
    expect(trust(json("dev"), "acme-ci-dev-build-mr").Statement[0]!.Condition).toEqual({
      StringEquals: { "gitlab.example.com:aud": "https://gitlab.example.com" },
      StringLike: { "gitlab.example.com:sub": ["project_path:acme/app:ref_type:branch:ref:*", "project_path:acme/web:ref_type:branch:ref:*", "project_path:acme/toolbox:ref_type:branch:ref:*"] },
    });
    expect(trust(json("dev"), "acme-ci-dev-pull").Statement[0]!.Condition).toEqual({
      StringEquals: { "gitlab.example.com:aud": "https://gitlab.example.com" },
      StringLike: { "gitlab.example.com:sub": "project_path:acme/*:ref_type:*:ref:*" },
    });
  });

  test("push and pull permissions per role; production merge requests push CI images only", () => {
    const ecr = (j: SynthJson, construct: string) => policyOfRole(j, construct).Statement.filter((s) => s.Action.some((a) => a.startsWith("ecr:")));
    const all = [repoRef("app-ci"), repoRef("toolbox"), repoRef("app")];
    // dev pulls through the ECR pull-through cache: its CI roles may import through the prefixes (builds pull FROM images with them).
    expect(ecr(json("dev"), "build")).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PUSH, Resource: expect.arrayContaining(all) },
      {
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:GetDownloadUrlForLayer"],
        Resource: ["arn:aws:ecr:eu-central-1:111111111111:repository/ecr-public/*", "arn:aws:ecr:eu-central-1:111111111111:repository/k8s/*", "arn:aws:ecr:eu-central-1:111111111111:repository/quay/*"],
      },
    ]);
    expect(ecr(json("production"), "build-mr")).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PUSH, Resource: [repoRef("app-ci")] },
    ]);
    expect(ecr(json("dev"), "pull")).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PULL, Resource: expect.arrayContaining(all) },
    ]);
    expect(ecr(json("dev"), "runner-host")[1]).toEqual({ Effect: "Allow", Action: PULL, Resource: expect.arrayContaining(all) });
  });

  test("the deployment role: from the build role everywhere, from the runner hosts in dev only, boundary in production", () => {
    const callers = (env: string) => (trust(json(env), `acme-ci-${env}-deployment`).Statement[0]!.Principal as { AWS: string[] }).AWS;
    const roleRef = (construct: string) => expect.stringMatching(new RegExp(`^\\$\\{aws_iam_role\\.platform_identity_${construct}_role_[A-F0-9]+\\.arn\\}$`));
    expect(callers("dev")).toEqual([roleRef("build"), roleRef("runner-host")]);
    expect(callers("staging")).toEqual([roleRef("build")]);
    expect(role(json("production"), "acme-ci-production-deployment").permissions_boundary).toBe("arn:aws:iam::222222222222:policy/acme-ci-deployment-boundary");
    expect(policyOfRole(json("staging"), "deployment").Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: ["arn:aws:s3:::acme-ci-terraform-state-111111111111"],
        Condition: { StringLike: { "s3:prefix": ["staging/", "staging/*"] } },
      },
      { Effect: "Allow", Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::acme-ci-terraform-state-111111111111/staging/*"] },
    ]);
  });

  test("opt-in static credentials only where configured: dev's pull-only user for the app repository", () => {
    expect(Object.values(resourcesOf(json("dev"), "aws_iam_user")).map((u) => u.name)).toEqual(["acme-ci-dev-legacy-pull"]);
    const staticSecrets = Object.values(resourcesOf(json("dev"), "aws_ssm_parameter")).filter((p) => !String(p.name).includes("/runner/"));
    expect(staticSecrets.map((p) => [p.name, p.type])).toEqual([
      ["/acme-ci/dev/legacy-pull/secret-access-key", "SecureString"],
    ]);
    const policy = JSON.parse(Object.values(resourcesOf(json("dev"), "aws_iam_user_policy"))[0]!.policy as string);
    expect(policy.Statement).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PULL, Resource: [repoRef("app")] },
    ]);
    for (const env of ["staging", "production"]) expect(resourcesOf(json(env), "aws_iam_user")).toEqual({});
  });

  test("what CI needs, per identity, as plain strings, and the snippets", () => {
    const identity = example.stacks.environments.get("staging")!.identity;
    expect([identity.build, identity.buildMergeRequest, identity.pull].map((r) => r.ciAccess)).toEqual(
      ["build", "build-mr", "pull"].map((suffix) => ({
        roleArn: `arn:aws:iam::111111111111:role/acme-ci-staging-${suffix}`,
        audience: "https://gitlab.example.com",
        region: "eu-central-1",
      })),
    );
    const snippets = identity.ciSnippets();
    expect(snippets.map((s) => s.jobName)).toEqual([".aws-build", ".aws-deploy", ".aws-build-mr", ".aws-pull"]);
    expect(snippets[1]!.job.before_script.join("\n")).toContain('aws sts assume-role --role-arn "arn:aws:iam::111111111111:role/acme-ci-staging-deployment"');
  });

  test("a deployment section without permissions fails at the deployment role's path", () => {
    const config: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map((e, i) => (i === 1 ? { ...e, identity: { deployment: {} } } : e)),
    };
    const error = violationOf(() => buildPlatform(Testing.app(), config));
    expect(error.message).toMatch(/^staging\/platform\/identity\/deployment: invalid permissions .*Rule: a deployment role needs permissions supplied by its caller/);
  });
});
