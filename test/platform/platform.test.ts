import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { Aspects, TerraformStack, Testing } from "cdktf";
import { RunnerCacheBucket } from "../../lib/cache/cache-bucket";
import { SecurityRulePack } from "../../lib/checks/pack";
import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { EcrPullThroughMirror } from "../../lib/mirror/ecr-pull-through-mirror";
import { type EnvironmentConfig } from "../../lib/platform/config";
import { GitLabCiPlatform, type GitLabCiPlatformProps } from "../../lib/platform/platform";
import { RegistrySettings } from "../../lib/registry/registry-settings";
import { ContainerRepository } from "../../lib/registry/repository";
import { RunnerFleet } from "../../lib/runner/fleet";
import { annotationsOf } from "../support/annotations";
import { resourcesOf, type SynthJson } from "../support/synth";
import { expectViolation } from "../support/violations";

// The platform construct on its own: a plain TerraformStack (not the app's EnvironmentStack),
// the providers supplied by the caller, and a minimal environment configuration.

const minimal: EnvironmentConfig = {
  name: "sandbox",
  accountId: "111111111111",
  region: "eu-central-1",
  gitlab: { url: "https://gitlab.example.com", group: "acme", projects: ["acme/app"] },
  registry: { repositories: [{ id: "app", description: "The application image" }] },
};

/** A plain stack with the providers a platform needs (the platform creates none). */
function stackWithProviders(id = "plain"): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: ["111111111111"] });
  new GitlabProvider(stack, "gitlab", { baseUrl: "https://gitlab.example.com/api/v4/" });
  return stack;
}

function build(environment: EnvironmentConfig, extra: Partial<GitLabCiPlatformProps> = {}) {
  const stack = stackWithProviders();
  const platform = new GitLabCiPlatform(stack, "ci", { platform: { project: "acme" }, environment, ...extra });
  return { stack, platform };
}

const synthJson = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)) as SynthJson;

describe("GitLabCiPlatform on its own", () => {
  const { stack, platform } = build(minimal);
  const json = synthJson(stack);

  test("creates the pieces of a minimal environment: repository, cache bucket, CI roles, group variables", () => {
    // No unprotected pool: no unprotected repository or role (unprotected jobs have no runner here).
    expect(Object.values(resourcesOf(json, "aws_ecr_repository")).map((r) => r.name)).toEqual(["acme/sandbox/app/app"]);
    expect(Object.values(resourcesOf(json, "aws_s3_bucket")).map((b) => b.bucket).sort()).toEqual(["acme-sandbox-cache-111111111111", "acme-sandbox-cache-111111111111-logs"]);
    expect(Object.values(resourcesOf(json, "aws_iam_role")).map((r) => r.name).sort()).toEqual([
      "acme-sandbox-app-protected",
      "acme-sandbox-runner-host",
    ]);
    expect(Object.values(resourcesOf(json, "gitlab_group_variable")).map((v) => v.key).sort()).toEqual([...platform.gitlab.variableNames].sort());
    // No runners, no mirror: no network, no hosts, no registrations.
    for (const type of ["aws_vpc", "aws_autoscaling_group", "aws_instance", "gitlab_user_runner"]) expect(resourcesOf(json, type)).toEqual({});
  });

  test("creates no provider: the stack's are the only ones", () => {
    expect(Object.keys(json.provider ?? {}).sort()).toEqual(["aws", "gitlab"]);
    expect((json.provider as { aws: unknown[]; gitlab: unknown[] }).aws).toHaveLength(1);
    expect((json.provider as { aws: unknown[]; gitlab: unknown[] }).gitlab).toHaveLength(1);
  });

  test("exposes every piece", () => {
    expect(platform.tenantRepositories.get("app")!.protected.get("app")).toBeInstanceOf(ContainerRepository);
    expect(platform.tenantRepositories.get("app")!.unprotected.size).toBe(0);
    expect(platform.identity.tenantRoles.get("app")!.unprotected).toBeUndefined();
    expect(platform.repositories.get("app")).toBe(platform.tenantRepositories.get("app")!.protected.get("app"));
    expect(platform.cache).toBeInstanceOf(RunnerCacheBucket);
    expect(platform.tagScheme.kind("commit").selector).toEqual({ prefix: "sha-" });
    expect(platform.identity.tenantRoles.get("app")!.protected.ciAccess.roleArn).toBe("arn:aws:iam::111111111111:role/acme-sandbox-app-protected");
    expect(platform.gitlab.protectedRefs!.protections).toHaveLength(2);
    expect(platform.identity.deployments.size).toBe(0);
    expect(platform.gitlab.variableNames).toContain("DOCKER_AUTH_CONFIG");
    expect(platform.gitlab.runnerTokens.size).toBe(0);
    expect([platform.network, platform.mirror, platform.mirrorEndpoint, platform.runnerFleet, platform.deployFleet]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("logical ids derive from the platform's construct id", () => {
    expect(Object.keys(resourcesOf(json, "aws_ecr_repository"))).toEqual([
      expect.stringMatching(/^ci_repository-app-app_repository_[A-F0-9]+$/),
    ]);
    expect(Object.keys(resourcesOf(json, "gitlab_group_variable")).every((id) => id.startsWith("ci_gitlab_group-variables_"))).toBe(true);
  });

  test("outputs with static ids: repository URL, role ARNs, cache bucket, CI variable names", () => {
    const outputs = json.output!;
    expect(Object.keys(outputs)).toEqual([
      "ci-variable-names",
      "repository-url-app-app",
      "role-arn-app-protected",
      "role-arn-runner-host",
      "runner-cache-bucket",
    ]);
    expect(outputs["ci-variable-names"]!.value).toEqual(platform.gitlab.variableNames);
    expect(outputs["role-arn-app-protected"]!.value).toMatch(/^\$\{aws_iam_role\.ci_identity_ci-app-protected_role_[A-F0-9]+\.arn\}$/);
  });

  test("callers extend the pieces through their grants", () => {
    const { stack: s, platform: p } = build(minimal);
    const extra = new RunnerHostRole(s, "extra-host", { roleName: "acme-sandbox-extra" });
    p.repositories.get("app")!.grantPull(extra);
    p.cache.grantReadWrite(extra);
    const policy = Object.entries(resourcesOf(synthJson(s), "aws_iam_role_policy")).find(([id]) => id.startsWith("extra-host_"))![1];
    const actions = (JSON.parse(policy.policy as string) as { Statement: Array<{ Action: string[] }> }).Statement.flatMap((st) => st.Action);
    expect(actions).toEqual(expect.arrayContaining(["ecr:BatchGetImage", "s3:PutObject"]));
  });

  test("a tag scheme without release images: the protected role still trusts only the default release pattern", () => {
    const { platform: p } = build({ ...minimal, registry: { ...minimal.registry, tagScheme: { use: ["commit", "latest"] } } });
    expect(p.identity.tenantRoles.get("app")!.protected.requiredProtectedRefs.map((r) => r.ref)).toEqual(["main", "v*.*.*"]);
  });

  test("passes the security rule pack", () => {
    const { stack: s } = build(minimal);
    Aspects.of(s).add(new SecurityRulePack({ production: false }));
    expect(() => Testing.synth(s)).not.toThrow();
  });
});

describe("GitLabCiPlatform with runners and an ECR pull-through mirror", () => {
  const withRunners: EnvironmentConfig = {
    ...minimal,
    mirror: { kind: "ecr-pull-through" },
    runners: { runners: [{ name: "build", limit: 2, dockerAccess: "socket-binding", image: "docker:27" }] },
  };

  test("a network, a fleet with its registration, the mirror from the given registry settings, and their outputs", () => {
    const stack = stackWithProviders();
    const registry = new RegistrySettings(stack, "registry", { accountId: "111111111111", region: "eu-central-1", pullThroughCache: [{ upstream: "ecr-public" }] });
    const platform = new GitLabCiPlatform(stack, "ci", { platform: { project: "acme" }, environment: withRunners, registrySettings: registry });
    expect(platform.runnerFleet).toBeInstanceOf(RunnerFleet);
    expect(platform.runnerFleet!.autoScalingGroupName).toBe("acme-sandbox-runners");
    expect(platform.network).toBeDefined();
    expect(platform.mirror).toBeInstanceOf(EcrPullThroughMirror);
    expect([...platform.gitlab.runnerTokens.keys()]).toEqual(["build"]);
    const json = synthJson(stack);
    expect(Object.keys(resourcesOf(json, "aws_vpc"))).toHaveLength(1);
    expect(Object.values(resourcesOf(json, "gitlab_user_runner")).map((r) => r.tag_list)).toEqual([["acme-sandbox-protected-build"]]);
    expect(Object.keys(json.output!)).toEqual(expect.arrayContaining(["runner-group-name", "mirror-image-prefixes", "mirror-registry-mirrors"]));
    expect(json.output!["runner-group-name"]!.value).toBe("acme-sandbox-runners");
  });

  test("an ECR pull-through mirror without registry settings fails at construction, at the mirror's path", () => {
    expectViolation(() => build(withRunners), {
      path: "plain/ci/mirror",
      subject: "registry settings",
      value: undefined,
      rule: /reuses the pull-through cache rules/,
      fix: /pass registrySettings/,
    });
  });
});

describe("GitLabCiPlatform validates its environment at construction", () => {
  test("a bad environment name names the construct path", () => {
    expectViolation(() => build({ ...minimal, name: "Sandbox" }), {
      path: "plain/ci",
      subject: "environment name",
      value: "Sandbox",
      rule: /1-20 lower-case letters/,
      fix: /dev, staging or production/,
    });
  });

  test("a registration without a fleet runner", () => {
    const environment: EnvironmentConfig = {
      ...minimal,
      gitlab: { ...minimal.gitlab, runners: [{ name: "deploy", protectedRefsOnly: true }] },
      runners: { runners: [{ name: "build", limit: 2, dockerAccess: "none", image: "alpine:3.20" }] },
    };
    expectViolation(() => build(environment), {
      path: "plain/ci/gitlab/runners[0]",
      subject: "runner registration",
      value: "deploy",
      rule: /every registered runner needs hosts/,
      fix: /add the runner to runners\.runners/,
    });
  });
});

describe("GitLabCiPlatform: pools of one tenant, and opt-ins", () => {
  const socket: EnvironmentConfig = {
    ...minimal,
    runners: { runners: [{ name: "build", limit: 2, dockerAccess: "socket-binding", image: "docker:27" }] },
  };

  test("a socket-binding runner of a single tenant is a project runner locked to it", () => {
    const { stack } = build(socket);
    const [runner] = Object.values(resourcesOf(synthJson(stack), "gitlab_user_runner"));
    expect(runner).toEqual(expect.objectContaining({ runner_type: "project_type", locked: true, access_level: "ref_protected" }));
  });

  test("opt-ins synthesize, with a warning naming what they expose", () => {
    const reason = "a sandbox group whose projects are all trusted";
    const { platform } = build({
      ...socket,
      gitlab: { ...socket.gitlab, runners: [{ name: "build", tags: ["acme-sandbox-build"], allowUnprotectedJobs: { reason }, groupRunner: { reason } }] },
    });
    const warnings = annotationsOf(platform).filter((a) => a.level === "warning").map((a) => a.message);
    expect(warnings).toEqual([
      expect.stringMatching(/^runner build: allowUnprotectedJobs \(a sandbox group whose projects are all trusted\): jobs of unprotected refs run on hosts that bind the docker socket/),
      expect.stringMatching(/^runner build: groupRunner \(.*\): every project of acme can use it/),
    ]);
  });
});
