import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { resourcesOf, type SynthJson, violationOf } from "../support/synth";

const app = Testing.app();
const stacks = buildPlatform(app, exampleConfig);
const text = new Map([...stacks.environments, ...[...stacks.gitlabShared.values()].map((s) => [s.node.id, s] as const)].map(([name, stack]) => [name, Testing.synth(stack)]));
const json = (name: string) => JSON.parse(text.get(name)!) as SynthJson;
const values = (name: string, type: string) => Object.values(resourcesOf(json(name), type));
/** An environment's group variables: its own stack's, and its group-wide (`*`) ones, which the gitlab-shared stack creates. */
const groupVariables = (name: string) => [
  ...values(name, "gitlab_group_variable"),
  ...Object.entries(resourcesOf(json("gitlab-shared"), "gitlab_group_variable")).filter(([id]) => id.startsWith(`group-variables-${name}_`)).map(([, v]) => v),
];

describe("example stacks: GitLab side", () => {
  test("the GitLab provider points at the instance API and holds no token (GITLAB_TOKEN is read by the provider)", () => {
    for (const name of text.keys()) {
      const provider = (json(name).provider as { gitlab: Array<Record<string, unknown>> }).gitlab;
      expect(provider).toEqual([{ base_url: "https://gitlab.example.com/api/v4/" }]);
    }
  });

  test("one registration per pool runner, tagged with environment, pool and runner, none untagged; protected pools ref_protected; tokens go to SecureString parameters", () => {
    const runners = (name: string) =>
      values(name, "gitlab_user_runner")
        .map((r) => [r.description, r.runner_type, r.access_level, r.tag_list, r.untagged, r.maximum_timeout])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    // Every runner is a project runner of the tenants it serves (all three here); dev's unprotected pool takes unprotected jobs.
    expect(runners("dev")).toEqual([
      ["acme-ci dev build", "project_type", "ref_protected", ["acme-ci-dev-protected-build"], false, 3600],
      ["acme-ci dev mr", "project_type", "not_protected", ["acme-ci-dev-unprotected-mr"], false, 3600],
      ["acme-ci dev test", "project_type", "ref_protected", ["acme-ci-dev-protected-test"], false, 3600],
    ]);
    // Production's fleet drains for 2 h, so its registrations allow 2 h jobs.
    expect(runners("production")).toEqual([
      ["acme-ci production build", "project_type", "ref_protected", ["acme-ci-production-protected-build"], false, 7200],
      ["acme-ci production deploy", "project_type", "ref_protected", ["acme-ci-production-deploy"], false, 7200],
      ["acme-ci production test", "project_type", "ref_protected", ["acme-ci-production-protected-test"], false, 7200],
    ]);
    // Each project runner is registered for the first tenant and enabled for the others.
    expect(values("production", "gitlab_project_runner_enablement").map((e) => e.project)).toEqual(["acme/web", "acme/toolbox", "acme/web", "acme/toolbox", "acme/web", "acme/toolbox"]);
    // (Besides the runner hosts' script parameters, String, which the runner tests cover.)
    const notHostScript = (p: Record<string, unknown>) => !String(p.name).startsWith("/runner-fleet/");
    expect(values("production", "aws_ssm_parameter").filter(notHostScript).map((p) => [p.name, p.type]).sort()).toEqual([
      // The deploy jobs' last good digests: not secrets (String), one per tenant.
      ["/acme-ci/production/deploy/app/last-good-digest", "String"],
      ["/acme-ci/production/deploy/web/last-good-digest", "String"],
      ["/acme-ci/production/runner/build/token", "SecureString"],
      ["/acme-ci/production/runner/deploy/token", "SecureString"],
      ["/acme-ci/production/runner/test/token", "SecureString"],
    ]);
    const sources = stacks.environments.get("production")!.gitlab.runnerTokens;
    expect([...sources.keys()]).toEqual(["build", "test", "deploy"]);
  });

  test("group variables: dev unscoped for builds, staging and production scoped and protected in production", () => {
    const scopes = (name: string) => [...new Set(groupVariables(name).map((v) => `${v.environment_scope} protected=${v.protected}`))];
    expect(scopes("dev")).toEqual(["* protected=false"]);
    expect(scopes("staging")).toEqual(["staging protected=false"]);
    // Production also publishes the buildpack variables, scoped * and unprotected (Auto DevOps' build job has no environment).
    expect(scopes("production").sort()).toEqual(["* protected=false", "production protected=true"]);
    const keys = groupVariables("dev").map((v) => v.key);
    expect(keys.sort()).toEqual([
      // Image URLs, role ARNs and the audience are project variables of each tenant.
      "DOCKER_AUTH_CONFIG",
      "PLATFORM_AWS_REGION",
      // The unprotected pool's runner tags (the protected pool's are protected project variables).
      "PLATFORM_BUILD_RUNNER_TAG",
      // dev's mirror is ECR pull-through: one image prefix per upstream of the account's rules
      "PLATFORM_MIRROR_PREFIX_PUBLIC_ECR_AWS",
      "PLATFORM_MIRROR_PREFIX_QUAY_IO",
      "PLATFORM_MIRROR_PREFIX_REGISTRY_K8S_IO",
      "PLATFORM_REGISTRY_HOST",
      "PLATFORM_RUNNER_TAG",
    ]);
  });

  test("production publishes the Nexus mirror: Docker Hub mirror, and the buildpack variables under the names buildpacks read, where Auto DevOps' build job gets them", () => {
    const all = groupVariables("production");
    const vars = Object.fromEntries(all.map((v) => [v.key, v.value]));
    expect(vars.PLATFORM_REGISTRY_MIRROR).toMatch(/^http:\/\/mirror\.[a-z.]+:8082$/);
    expect(vars.JVM_COMMON_BUILDPACK).toMatch(/^http:\/\/mirror\.[a-z.]+:8090\/repository\/buildpack-registry\/buildpacks\/heroku\/jvm\.tgz$/);
    expect(vars.AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES).toBe("JVM_COMMON_BUILDPACK");
    // The build job has no environment and runs on unprotected branches too: scope *, unprotected (a URL, no secret).
    for (const key of ["JVM_COMMON_BUILDPACK", "AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES"]) {
      expect(all.find((v) => v.key === key)).toEqual(expect.objectContaining({ environment_scope: "*", protected: false, masked: false }));
    }
  });

  test("DOCKER_AUTH_CONFIG: credHelpers only in dev (not masked), with the external registry from a sensitive variable in production (masked, hidden)", () => {
    const auth = (name: string) => groupVariables(name).find((v) => v.key === "DOCKER_AUTH_CONFIG")!;
    expect(auth("dev")).toEqual(expect.objectContaining({ masked: false, raw: true }));
    // The registry host as a literal: no group variable refers to one tenant's repository.
    expect(JSON.parse(String(auth("dev").value))).toEqual({ credHelpers: { "111111111111.dkr.ecr.eu-central-1.amazonaws.com": "ecr-login" } });
    expect(auth("production")).toEqual(expect.objectContaining({ masked: true, hidden: true, raw: true }));
    expect(auth("production").value).toContain('base64encode(join(":", ["acme-ci@acme", var.acr_password]))');
    expect((json("production") as { variable?: unknown }).variable).toEqual({ acr_password: expect.objectContaining({ sensitive: true, type: "string" }) });
  });

  test("no environment stack creates a group variable with environment scope * (destroying dev would remove what every pipeline reads)", () => {
    for (const env of ["dev", "staging", "production"]) {
      expect({ env, unscoped: values(env, "gitlab_group_variable").filter((v) => v.environment_scope === "*").map((v) => v.key) }).toEqual({ env, unscoped: [] });
    }
    // They live in the gitlab-shared stack, with prevent_destroy like its other resources.
    const shared = values("gitlab-shared", "gitlab_group_variable");
    expect(shared.map((v) => v.key).sort()).toEqual(
      [...groupVariables("dev"), ...groupVariables("staging"), ...groupVariables("production")].filter((v) => v.environment_scope === "*").map((v) => v.key).sort(),
    );
    expect(shared.length).toBeGreaterThanOrEqual(10);
    for (const v of shared) expect(v).toEqual(expect.objectContaining({ environment_scope: "*", lifecycle: expect.objectContaining({ prevent_destroy: true }) }));
    // dev's GitLab side hands them over (and its keys output no longer names them).
    expect(stacks.environments.get("dev")!.gitlab.groupWideVariables.map((v) => v.key)).toEqual(expect.arrayContaining(["PLATFORM_REGISTRY_HOST", "PLATFORM_RUNNER_TAG", "DOCKER_AUTH_CONFIG"]));
    expect(stacks.environments.get("dev")!.gitlab.variableNames).toEqual([]);
  });

  test("scoped group variables stay in their environment's stack", () => {
    expect(values("staging", "gitlab_group_variable").length).toBeGreaterThan(0);
    expect(values("production", "gitlab_group_variable").every((v) => v.environment_scope === "production")).toBe(true);
  });

  test("the templates project (acme/ci-templates) and the toolbox project dev declares live in the gitlab-shared stack, protected from destroy; no environment owns them", () => {
    expect([...stacks.gitlabShared.keys()]).toEqual(["https://gitlab.example.com"]);
    expect(values("gitlab-shared", "gitlab_project").map((p) => p.path).sort()).toEqual(["ci-templates", "toolbox"]);
    expect(values("gitlab-shared", "gitlab_repository_file").map((f) => f.file_path).sort()).toEqual([".gitlab-ci.yml", "Dockerfile", "deploy.yml", "image-reuse-gitlab-registry.yml", "image-reuse.yml"]);
    for (const type of ["gitlab_project", "gitlab_repository_file"]) {
      for (const resource of values("gitlab-shared", type)) expect(resource.lifecycle).toEqual(expect.objectContaining({ prevent_destroy: true }));
    }
    // Destroying an environment (dev declared them) no longer deletes what production pipelines include.
    for (const env of ["dev", "staging", "production"]) {
      expect(values(env, "gitlab_project")).toEqual([]);
      expect(values(env, "gitlab_repository_file")).toEqual([]);
    }
    // The shared stack needs no AWS credentials.
    expect(json("gitlab-shared").provider).not.toHaveProperty("aws");
  });

  test("no runner token, deploy token or registry password is a literal", () => {
    for (const [name, t] of text) expect({ name, leaks: t.match(/glrt-|gldt-|"auth"\s*:\s*"/g) }).toEqual({ name, leaks: null });
  });
});

describe("configuration: GitLab side", () => {
  const withGitLab = (index: number, patch: Partial<EnvironmentConfig["gitlab"]>): PlatformConfig => ({
    ...exampleConfig,
    environments: exampleConfig.environments.map((e, i) => (i === index ? { ...e, gitlab: { ...e.gitlab, ...patch } } : e)),
  });

  test("two environments owning the unscoped group variables", () => {
    const error = violationOf(() => validateConfig(withGitLab(1, { variables: { environmentScope: "*" } })));
    expect(error.message).toMatch(
      /^config\/environments\[1\]\/gitlab\/variables: invalid group variables "acme \(environment scope \*\)"\. Rule: only one environment may own the group variables on https:\/\/gitlab\.example\.com, but environment dev already does .*Fix: give the environments sharing the group distinct variables\.environmentScope values/,
    );
  });

  test("on GitLab Free, two environments of one group owning its group variables are told to use a group each, not environment scopes (a Premium feature)", () => {
    const free: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, tier: "free" as const, variables: undefined } })),
    };
    const message = violationOf(() => validateConfig(free)).message;
    const line = message.split("\n").find((l) => l.includes("invalid group variables"));
    expect(line).toMatch(/^config\/environments\[1\]\/gitlab\/variables: invalid group variables "acme \(environment scope \*\)"\. Rule: only one environment may own the group variables/);
    expect(line).toMatch(/Fix: give each environment a GitLab group of its own \(gitlab\.group\): GitLab Free has no environment scopes on group variables/);
    expect(line).not.toMatch(/environmentScope/);
  });

  test("a group-wide DOCKER_AUTH_CONFIG referring to the environment's stack (a deploy token) is refused by the construct: the shared stack cannot refer to it", () => {
    const error = violationOf(() => buildPlatform(Testing.app(), withGitLab(0, { containerRegistryHost: "registry.gitlab.example.com" })));
    expect(error.message).toMatch(/^dev\/platform\/gitlab\/group-variables: invalid DOCKER_AUTH_CONFIG .*Rule: group variables with environment scope \* live in the stack that outlives every environment.*Fix: give the environment's variables a scope \(gitlab\.variables\.environmentScope\)/s);
    // Scoped, the variable stays in the environment's stack.
    const scoped = buildPlatform(Testing.app(), withGitLab(0, { containerRegistryHost: "registry.gitlab.example.com", variables: { environmentScope: "dev" } }));
    expect(scoped.environments.get("dev")!.gitlab.groupWideVariables).toEqual([]);
  });

  test("two environments publishing the templates", () => {
    expect(violationOf(() => validateConfig(withGitLab(1, { ciTemplates: { project: "acme/ci-templates" } }))).message).toMatch(
      /^config\/environments\[1\]\/gitlab\/ciTemplates: invalid CI templates project "acme\/ci-templates"\. Rule: only one environment may own/,
    );
  });

  test("a toolbox project that is not in gitlab.projects", () => {
    expect(violationOf(() => validateConfig(withGitLab(0, { toolboxProject: { path: "acme/tools" } }))).message).toMatch(
      /^config\/environments\[0\]\/gitlab\/toolboxProject: invalid path "acme\/tools"\. Rule: the toolbox project is a direct child of the group and listed in gitlab\.projects/,
    );
  });

  test("duplicate runner names", () => {
    expect(violationOf(() => validateConfig(withGitLab(0, { runners: [{ name: "build", untagged: true }, { name: "build", tags: ["x"] }] }))).message).toMatch(
      /^config\/environments\[0\]\/gitlab\/runners\[1\]: invalid runner name "build"\. Rule: runner names are unique/,
    );
  });

  test("an image role naming a missing repository", () => {
    expect(violationOf(() => validateConfig(withGitLab(0, { imageRoles: { app: "web" } }))).message).toMatch(/^config\/environments\[0\]\/gitlab\/imageRoles\/app: invalid repository id "web"/);
  });

  test("a password variable that is not a Terraform identifier", () => {
    expect(
      violationOf(() => validateConfig(withGitLab(2, { externalRegistries: [{ registry: "r.example.com", username: "u", passwordVariable: "acr password" }] }))).message,
    ).toMatch(/^config\/environments\[2\]\/gitlab\/externalRegistries\[0\]: invalid passwordVariable "acr password"/);
  });

  test("a templates project outside the group", () => {
    expect(violationOf(() => validateConfig(withGitLab(0, { ciTemplates: { project: "other/ci-templates" } }))).message).toMatch(/invalid project "other\/ci-templates"/);
  });

  test("a runner registered from an existing token parameter creates no gitlab_user_runner", () => {
    const config = withGitLab(1, {
      runners: [
        { name: "build", tags: ["acme-ci-staging-build"], protectedRefsOnly: true, existingTokenParameter: "/acme-ci/staging/runner/manual-token" },
        { name: "test", tags: ["acme-ci-staging-test"], protectedRefsOnly: true, existingTokenParameter: "/acme-ci/staging/runner/manual-test-token" },
        { name: "deploy", tags: ["acme-ci-staging-deploy"], protectedRefsOnly: true, existingTokenParameter: "/acme-ci/staging/runner/manual-deploy-token" },
      ],
    });
    const built = buildPlatform(Testing.app(), config);
    const staging = JSON.parse(Testing.synth(built.environments.get("staging")!)) as SynthJson;
    expect(resourcesOf(staging, "gitlab_user_runner")).toEqual({});
    // No token parameter (the deploy jobs' last-good-digest parameters are not runner tokens).
    expect(Object.values(resourcesOf(staging, "aws_ssm_parameter")).filter((p) => String(p.name).includes("/runner/"))).toEqual([]);
    expect(built.environments.get("staging")!.gitlab.runnerTokens.get("build")!.parameterArn).toBe(
      "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/staging/runner/manual-token",
    );
  });
});
