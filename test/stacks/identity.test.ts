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
  test("one provider per (account, GitLab URL) in the account stacks, listing the audience of every environment of the account", () => {
    expect(providers(json("account-nonprod"))).toEqual([{ url: "https://gitlab.example.com", client_id_list: ["acme-ci-dev", "acme-ci-staging"] }]);
    expect(providers(json("account-prod"))).toEqual([{ url: "https://gitlab.example.com", client_id_list: ["acme-ci-production"] }]);
    for (const env of ["dev", "staging", "production"]) expect(providers(json(env))).toEqual([]);
  });

  test("environments trust it by its deterministic ARN", () => {
    const principals = (env: string, name: string) => trust(json(env), name).Statement.map((s) => s.Principal);
    expect(principals("dev", "acme-ci-dev-app-unprotected")).toEqual([{ Federated: "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com" }]);
    // The protected role has one statement per trusted ref (default branch, release tags), each with the provider.
    expect(principals("production", "acme-ci-production-app-protected")).toEqual([
      { Federated: "arn:aws:iam::222222222222:oidc-provider/gitlab.example.com" },
      { Federated: "arn:aws:iam::222222222222:oidc-provider/gitlab.example.com" },
    ]);
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
    expect(providers(all.get("account-nonprod")!).map((p) => [p.url, p.client_id_list]).sort()).toEqual([
      ["https://git.example.org", ["acme-ci-other"]],
      ["https://gitlab.example.com", ["acme-ci-dev", "acme-ci-staging"]],
    ]);
    expect(providers(all.get("account-nonprod-us")!)).toEqual([]);
    expect(trust(all.get("us")!, "acme-ci-us-app-unprotected").Statement[0]!.Principal).toEqual({ Federated: "arn:aws:iam::111111111111:oidc-provider/gitlab.com" });
  });

  test("two environments sharing an audience are refused at the second one's path", () => {
    const config: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map((e, i) => (i === 1 ? { ...e, identity: { ...e.identity, audience: "acme-ci-dev" } } : e)),
    };
    expect(violationOf(() => buildPlatform(Testing.app(), config)).message).toMatch(
      /^config\/environments\[1\]\/identity\/audience: invalid OIDC audience "acme-ci-dev"\. Rule: every environment has an audience of its own/,
    );
  });
});

describe("environment identities", () => {
  const host = "gitlab.example.com";
  test("each tenant's protected role trusts its default branch and release tags (v*.*.*) with the environment's audience", () => {
    expect(trust(json("dev"), "acme-ci-dev-app-protected").Statement.map((s) => s.Condition)).toEqual([
      { StringEquals: { [`${host}:aud`]: "acme-ci-dev", [`${host}:sub`]: "project_path:acme/app:ref_type:branch:ref:main" } },
      { StringEquals: { [`${host}:aud`]: "acme-ci-dev" }, StringLike: { [`${host}:sub`]: "project_path:acme/app:ref_type:tag:ref:v*.*.*" } },
    ]);
    expect(example.stacks.environments.get("dev")!.identity.tenantRoles.get("toolbox")!.protected.requiredProtectedRefs).toEqual([
      { project: "acme/toolbox", refType: "branch", ref: "main" },
      { project: "acme/toolbox", refType: "tag", ref: "v*.*.*" },
    ]);
  });

  test("each tenant's unprotected role trusts every ref of its own project only; no role is trusted group-wide", () => {
    expect(trust(json("dev"), "acme-ci-dev-app-unprotected").Statement[0]!.Condition).toEqual({
      StringEquals: { [`${host}:aud`]: "acme-ci-dev" },
      StringLike: { [`${host}:sub`]: "project_path:acme/app:ref_type:*:ref:*" },
    });
    const subs = Object.values(resourcesOf(json("dev"), "aws_iam_role")).flatMap((r) => JSON.stringify(JSON.parse(r.assume_role_policy as string)).match(/project_path:[^"]*/g) ?? []);
    expect(subs.filter((s) => s.startsWith("project_path:acme/*"))).toEqual([]);
  });

  test("push and pull per tenant and trust level: protected pushes its own protected repositories, unprotected pushes its own unprotected ones", () => {
    const ecr = (j: SynthJson, construct: string) => policyOfRole(j, construct).Statement.filter((s) => s.Action.some((a) => a.startsWith("ecr:")));
    // dev pulls through the ECR pull-through cache: its CI roles may import through the prefixes (builds pull FROM images with them).
    const pullThrough = {
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:GetDownloadUrlForLayer"],
      Resource: ["arn:aws:ecr:eu-central-1:111111111111:repository/ecr-public/*", "arn:aws:ecr:eu-central-1:111111111111:repository/k8s/*", "arn:aws:ecr:eu-central-1:111111111111:repository/quay/*"],
    };
    expect(ecr(json("dev"), "ci-app-protected")).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PUSH, Resource: expect.arrayContaining(["app", "app-ci", "toolbox"].map((id) => repoRef(`app-${id}`))) },
      pullThrough,
      // Build jobs run the toolbox the toolbox project builds: pull only.
      { Effect: "Allow", Action: PULL, Resource: [repoRef("toolbox-toolbox")] },
    ]);
    expect(ecr(json("dev"), "ci-app-protected")[1]!.Resource).toHaveLength(3);
    expect(ecr(json("dev"), "ci-app-unprotected")).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PUSH, Resource: expect.arrayContaining(["app", "app-ci", "toolbox"].map((id) => repoRef(`app-unprotected-${id}`))) },
      { Effect: "Allow", Action: PULL, Resource: expect.arrayContaining([...["app", "app-ci", "toolbox"].map((id) => repoRef(`app-${id}`)), repoRef("toolbox-toolbox")]) },
      // Unprotected roles import into existing cache repositories but never create one (it would escape the creation template).
      { ...pullThrough, Action: pullThrough.Action.filter((a) => a !== "ecr:CreateRepository") },
    ]);
    // Production has no unprotected pool: no unprotected role, no unprotected repository.
    expect(Object.values(resourcesOf(json("production"), "aws_iam_role")).filter((r) => String(r.name).endsWith("-unprotected"))).toEqual([]);
    expect(Object.values(resourcesOf(json("production"), "aws_ecr_repository")).filter((r) => String(r.name).includes("/unprotected/"))).toEqual([]);
  });

  test("a deployment role per tenant: each assumed from its own tenant's protected role only, boundary in production", () => {
    const callers = (env: string, tenant: string) => (trust(json(env), `acme-ci-${env}-${tenant}-deployment`).Statement[0]!.Principal as { AWS: string[] }).AWS;
    const roleRef = (construct: string) => expect.stringMatching(new RegExp(`^\\$\\{aws_iam_role\\.platform_identity_${construct}_role_[A-F0-9]+\\.arn\\}$`));
    for (const env of ["dev", "staging", "production"]) {
      for (const tenant of ["app", "web"]) expect(callers(env, tenant)).toEqual([roleRef(`ci-${tenant}-protected`)]);
      // The toolbox project deploys nothing: no deployment role.
      expect(role(json(env), `acme-ci-${env}-toolbox-deployment`)).toBeUndefined();
      // The environment-wide deployment role every tenant could assume is gone.
      expect(role(json(env), `acme-ci-${env}-deployment`)).toBeUndefined();
    }
    expect(role(json("production"), "acme-ci-production-app-deployment").permissions_boundary).toBe("arn:aws:iam::222222222222:policy/acme-ci-deployment-boundary");
    for (const tenant of ["app", "web"]) {
      expect(policyOfRole(json("staging"), `deployment-${tenant}`).Statement).toEqual([
        {
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: ["arn:aws:s3:::acme-ci-terraform-state-111111111111"],
          Condition: { StringLike: { "s3:prefix": [`staging/${tenant}/`, `staging/${tenant}/*`] } },
        },
        { Effect: "Allow", Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], Resource: [`arn:aws:s3:::acme-ci-terraform-state-111111111111/staging/${tenant}/*`] },
        // The deploy jobs record and read the tenant's last good digest: exactly its own parameter.
        {
          Effect: "Allow",
          Action: ["ssm:GetParameter", "ssm:PutParameter"],
          Resource: [`arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/staging/deploy/${tenant}/last-good-digest`],
        },
      ]);
    }
  });

  test("opt-in static credentials only where configured: dev's pull-only user for the app repositories", () => {
    expect(Object.values(resourcesOf(json("dev"), "aws_iam_user")).map((u) => u.name)).toEqual(["acme-ci-dev-legacy-pull"]);
    const staticSecrets = Object.values(resourcesOf(json("dev"), "aws_ssm_parameter")).filter((p) => !String(p.name).includes("/runner/") && !String(p.name).startsWith("/runner-fleet/"));
    expect(staticSecrets.map((p) => [p.name, p.type])).toEqual([["/acme-ci/dev/legacy-pull/secret-access-key", "SecureString"]]);
    const policy = JSON.parse(Object.values(resourcesOf(json("dev"), "aws_iam_user_policy"))[0]!.policy as string);
    expect(policy.Statement).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: PULL, Resource: [repoRef("app-app")] },
    ]);
    for (const env of ["staging", "production"]) expect(resourcesOf(json(env), "aws_iam_user")).toEqual({});
  });

  test("what CI needs, per tenant role, as plain strings, and the snippets request the environment's audience", () => {
    // dev has an unprotected pool, so its tenants have both roles; staging has none, so only the protected one.
    const dev = example.stacks.environments.get("dev")!.identity;
    const app = dev.tenantRoles.get("app")!;
    expect([app.protected, app.unprotected!].map((r) => r.ciAccess)).toEqual(
      ["protected", "unprotected"].map((trust) => ({
        roleArn: `arn:aws:iam::111111111111:role/acme-ci-dev-app-${trust}`,
        audience: "acme-ci-dev",
        region: "eu-central-1",
      })),
    );
    expect(dev.ciSnippets().map((s) => s.jobName)).toEqual([
      ".aws-app-protected",
      ".aws-app-deploy",
      ".aws-app-unprotected",
      ".aws-web-protected",
      ".aws-web-deploy",
      ".aws-web-unprotected",
      ".aws-toolbox-protected",
      ".aws-toolbox-unprotected",
    ]);
    const identity = example.stacks.environments.get("staging")!.identity;
    expect(identity.tenantRoles.get("app")!.unprotected).toBeUndefined();
    expect(identity.tenantRoles.get("app")!.protected.ciAccess.roleArn).toBe("arn:aws:iam::111111111111:role/acme-ci-staging-app-protected");
    const snippets = identity.ciSnippets();
    expect(snippets.map((s) => s.jobName)).toEqual([".aws-app-protected", ".aws-app-deploy", ".aws-web-protected", ".aws-web-deploy", ".aws-toolbox-protected"]);
    expect(snippets.every((s) => s.job.id_tokens.GITLAB_OIDC_TOKEN!.aud === "acme-ci-staging")).toBe(true);
    expect(snippets[1]!.job.before_script.join("\n")).toContain('aws sts assume-role --role-arn "arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment"');
    expect(snippets[3]!.job.before_script.join("\n")).toContain('aws sts assume-role --role-arn "arn:aws:iam::111111111111:role/acme-ci-staging-web-deployment"');
  });

  test("a deployment section without permissions fails at its config path (the deployment role's rule, run by the configuration check)", () => {
    const config: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map((e, i) => (i === 1 ? { ...e, identity: { deployment: {} } } : e)),
    };
    const error = violationOf(() => buildPlatform(Testing.app(), config));
    expect(error.message).toMatch(/^config\/environments\[1\]\/identity\/deployment: invalid permissions .*Rule: a deployment role needs permissions supplied by its caller/);
  });

  test("protected refs as code: the gitlab-shared stack protects what every environment's roles trust (each ref once); every environment checks them at plan time", () => {
    const protections = (j: SynthJson) => [
      ...Object.values(resourcesOf(j, "gitlab_branch_protection")).map((p) => `branch ${String(p.branch)}`),
      ...Object.values(resourcesOf(j, "gitlab_tag_protection")).map((p) => `tag ${String(p.tag)}`),
    ];
    const shared = JSON.parse(Testing.synth(example.stacks.gitlabShared.get("https://gitlab.example.com")!)) as SynthJson;
    // Three tenants (app, web, toolbox), each with its default branch and the release pattern, whatever the number of environments,
    // and the CI templates project's default branch (every protected pipeline includes its files).
    expect(protections(shared).sort()).toEqual(["branch main", "branch main", "branch main", "branch main", "tag v*.*.*", "tag v*.*.*", "tag v*.*.*"]);
    for (const env of ["dev", "staging", "production"]) {
      expect(protections(json(env))).toEqual([]);
      const checks = Object.values(json(env).data?.gitlab_project_protected_tags ?? {}).map((d) => JSON.stringify(d.lifecycle));
      expect(checks).toHaveLength(3);
      expect(checks.every((c) => c.includes('contains([for t in self.protected_tags : t.tag], \\"v*.*.*\\")'))).toBe(true);
    }
  });

  test("an administrator-level deployment policy is accepted only because nothing but the protected roles can assume the role", () => {
    const config: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map((e, i) => (i === 0 ? { ...e, identity: { deployment: { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] } } } : e)),
    };
    const stacks = buildPlatform(Testing.app(), config);
    expect([...stacks.environments.get("dev")!.identity.deployments.keys()]).toEqual(["app", "web"]);
    expect([...stacks.environments.get("dev")!.identity.tenantRoles.values()].every((r) => r.protected.protectedRefsOnly)).toBe(true);
  });
});
