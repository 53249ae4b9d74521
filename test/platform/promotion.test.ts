import { Testing } from "cdktf";
import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { deployTemplateOf } from "../../stacks/promotion";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";
import fc from "fast-check";
import { tenantDeploymentRoleName, tenantsOf } from "../../lib/platform/tenancy";
import { validateTenancy } from "../../lib/platform/tenancy-validation";
import { resourcesOf, type SynthJson } from "../support/synth";

/*
 * Promotion and deploy wiring of the platform, from the synthesized example stacks: the project
 * variables the deploy template reads, and the branch-per-environment option (the environment
 * branches become refs every protected role trusts and the platform protects).
 */
const synthAll = (config: PlatformConfig) => {
  const stacks = buildPlatform(Testing.app(), config);
  return new Map([...stacks.environments, ...[...stacks.gitlabShared.values()].map((stack) => ["gitlab-shared", stack] as const)].map(([name, stack]) => [name, JSON.parse(Testing.synth(stack)) as SynthJson]));
};
type Variable = { project: string; key: string; value: string; protected: boolean; environment_scope: string };
const variablesOf = (json: SynthJson, project: string) =>
  Object.fromEntries((Object.values(resourcesOf(json, "gitlab_project_variable")) as Variable[]).filter((v) => v.project === project).map((v) => [v.key, [v.value, v.protected, v.environment_scope]]));

const plain = synthAll(exampleConfig);

describe("promotion and deploy variables of the example", () => {
  const json = plain;

  test("staging's app variables: the dev repository it promotes from (the deployed app image only), the deployment role and the last-good-digest parameter, scoped to staging", () => {
    const app = variablesOf(json.get("staging")!, "acme/app");
    expect(app.PLATFORM_APP_PROMOTE_FROM).toEqual(["111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app/app", false, "staging"]);
    // The CI image is not promoted: staging's protected role may not pull dev's app-ci, so no variable names it.
    expect(app.PLATFORM_CI_PROMOTE_FROM).toBeUndefined();
    expect(app.PLATFORM_DEPLOY_ROLE_ARN).toEqual(["arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment", true, "staging"]);
    expect(app.PLATFORM_LAST_GOOD_DIGEST_PARAMETER).toEqual(["/acme-ci/staging/deploy/app/last-good-digest", true, "staging"]);
  });

  test("production promotes from staging's repositories in the other account; dev (the build environment) has no deploy variables", () => {
    expect(variablesOf(json.get("production")!, "acme/web").PLATFORM_APP_PROMOTE_FROM).toEqual(["111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/web/app", false, "production"]);
    const dev = variablesOf(json.get("dev")!, "acme/app");
    expect(Object.keys(dev).filter((k) => /PROMOTE_FROM|DEPLOY_ROLE|LAST_GOOD/.test(k))).toEqual([]);
  });
});

describe("branch-per-environment deploys", () => {
  const withBranches: PlatformConfig = {
    ...exampleConfig,
    environments: exampleConfig.environments.map((e) => (e.name === "dev" ? e : ({ ...e, deploy: { ...e.deploy, branch: e.name } } as EnvironmentConfig))),
  };
  const json = synthAll(withBranches);
  const trustOf = (env: string, role: string) =>
    JSON.stringify(Object.values(resourcesOf(json.get(env)!, "aws_iam_role")).find((r) => r.name === role)!.assume_role_policy);

  // An environment branch builds in the environments before its own and promotes through them, so an
  // environment's role trusts its own branch and those downstream of it, never an earlier one's.
  test.each([
    ["dev", ["main", "staging", "production"], []],
    ["staging", ["main", "staging", "production"], []],
    ["production", ["main", "production"], ["staging"]],
  ])("%s: the app's protected role trusts %j and not %j", (env, trusted, untrusted) => {
    const trust = trustOf(env, `acme-ci-${env}-app-protected`);
    for (const branch of trusted) expect(trust).toContain(`project_path:acme/app:ref_type:branch:ref:${branch}`);
    for (const branch of untrusted) expect(trust).not.toContain(`project_path:acme/app:ref_type:branch:ref:${branch}`);
  });

  test("fault: a pipeline of the staging branch assumed production's protected role (and from it the deployment role)", () => {
    for (const tenant of ["app", "web", "toolbox"]) {
      expect(trustOf("production", `acme-ci-production-${tenant}-protected`)).not.toMatch(/ref_type:branch:ref:staging\b/);
    }
  });

  test("the unprotected role's trust is unchanged (dev, the only environment with an unprotected pool)", () => {
    const unprotected = (stack: SynthJson) => JSON.stringify(Object.values(resourcesOf(stack, "aws_iam_role")).find((r) => r.name === "acme-ci-dev-app-unprotected")!.assume_role_policy);
    expect(trustOf("dev", "acme-ci-dev-app-unprotected")).toBe(unprotected(plain.get("dev")!));
  });

  test("the environment branches are protected in GitLab by the shared GitLab stack, like the default branch", () => {
    // One protection per tenant project (app, web, toolbox) and branch (the CI templates project's own main aside).
    const branches = Object.values(resourcesOf(json.get("gitlab-shared")!, "gitlab_branch_protection"))
      .filter((p) => !String(p.project).includes("ci-templates"))
      .map((p) => `${String(p.project)} ${String(p.branch)}`);
    expect(branches.filter((b) => b.endsWith(" main"))).toHaveLength(3);
    expect(branches.filter((b) => b.endsWith(" staging"))).toHaveLength(3);
    expect(branches.filter((b) => b.endsWith(" production"))).toHaveLength(3);
  });

  test("without the option no role trusts an environment branch", () => {
    for (const [, stack] of plain) {
      for (const role of Object.values(resourcesOf(stack, "aws_iam_role"))) expect(String(role.assume_role_policy)).not.toMatch(/ref:(staging|production)"/);
    }
  });
});

describe("protected environments for the deploy jobs (GitLab Premium and Ultimate)", () => {
  type Protection = { project: string; environment: string; deploy_access_levels_attribute: { access_level: string }[] };
  const protectionsOf = (json: SynthJson) => (Object.values(resourcesOf(json, "gitlab_project_protected_environment")) as Protection[]).map((p) => [p.project, p.environment, p.deploy_access_levels_attribute]);
  const withTier = (tier: "premium" | "ultimate", deploy: Record<string, unknown> = {}): PlatformConfig => ({
    ...exampleConfig,
    environments: exampleConfig.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, tier }, ...(e.deploy ? { deploy: { ...e.deploy, ...deploy } } : {}) }) as EnvironmentConfig),
  });
  // On Free, environments of one group cannot all scope their group variables: one environment that builds and deploys
  // (on a deploy pool: its protected pool's hosts run the socket-binding build runner of three projects).
  const dev = exampleConfig.environments[0]!;
  const freeConfig: PlatformConfig = {
    ...exampleConfig,
    environments: [{ ...dev, gitlab: { ...dev.gitlab, tier: "free" }, deploy: {}, runners: { ...dev.runners!, deploy: { capacity: { minSize: 1, maxSize: 1 } } } } as EnvironmentConfig],
  };

  test("premium (the example): every deploying project's staging and production environments (not the toolbox project's, which deploys nothing), deploy access Maintainer; nothing where nothing deploys", () => {
    for (const env of ["staging", "production"]) {
      expect(protectionsOf(plain.get(env)!).sort()).toEqual(["acme/app", "acme/web"].map((project) => [project, env, [{ access_level: "maintainer" }]]));
    }
    expect(protectionsOf(plain.get("dev")!)).toEqual([]);
    expect(protectionsOf(plain.get("gitlab-shared")!)).toEqual([]);
  });

  test("ultimate with deployAccess: developer: the configured level", () => {
    const json = synthAll(withTier("ultimate", { deployAccess: "developer" }));
    expect(protectionsOf(json.get("production")!).map(([, , access]) => access)).toEqual([[{ access_level: "developer" }], [{ access_level: "developer" }]]);
  });

  test("free: no protected environment (a Premium feature), though the environment deploys; the same environment on premium gets them", () => {
    const json = synthAll(freeConfig);
    for (const stack of json.values()) expect(protectionsOf(stack)).toEqual([]);
    expect(variablesOf(json.get("dev")!, "acme/app").PLATFORM_DEPLOY_ROLE_ARN).toEqual(["arn:aws:iam::111111111111:role/acme-ci-dev-app-deployment", true, "*"]);
    const premium = synthAll({ ...freeConfig, environments: freeConfig.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, tier: "premium" } }) as EnvironmentConfig) });
    expect(protectionsOf(premium.get("dev")!)).toHaveLength(2);
  });

  test('fault: a protectedRefs: "check" project (protected by its operator) gets a platform-managed protected environment', () => {
    const checked: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map(
        (e) => ({ ...e, gitlab: { ...e.gitlab, projects: e.gitlab.projects.map((p) => (p === "acme/app" ? { path: "acme/app", protectedRefs: "check" } : p)) } }) as EnvironmentConfig,
      ),
    };
    const json = synthAll(checked);
    for (const env of ["staging", "production"]) expect(protectionsOf(json.get(env)!).map(([project]) => project)).toEqual(["acme/web"]);
  });
});

describe("deployment role names fit IAM's 64 characters whenever the tenancy check accepts the names", () => {
  const name = (max: number) => fc.stringMatching(new RegExp(`^[a-z][a-z0-9-]{0,${max - 1}}$`));
  test("property: validateTenancy accepts => <project>-<env>-<tenant>-deployment has at most 64 characters", () => {
    let accepted = 0;
    fc.assert(
      fc.property(name(20), name(30), name(20), (project, envName, tenantName) => {
        const env = { name: envName, gitlab: { group: "acme", projects: [{ path: "acme/app", name: tenantName }] }, registry: { repositories: [] } };
        try {
          validateTenancy("config/environments[0]", { project }, env);
        } catch {
          return;
        }
        accepted++;
        expect(tenantDeploymentRoleName({ project }, env, tenantsOf(env)[0]!).length).toBeLessThanOrEqual(64);
      }),
      { numRuns: 500 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe("the image deploy jobs run", () => {
  const withoutToolbox: PlatformConfig = {
    ...exampleConfig,
    environments: exampleConfig.environments.map((e) => (e.name === "production" ? ({ ...e, gitlab: { ...e.gitlab, projects: e.gitlab.projects.filter((p) => typeof p === "string") } } as EnvironmentConfig) : e)),
  };
  const withJobImage = (config: PlatformConfig): PlatformConfig => ({
    ...config,
    environments: config.environments.map((e) => (e.deploy ? ({ ...e, deploy: { ...e.deploy, jobImage: "registry.example.com/deploy-tools:1" } } as EnvironmentConfig) : e)),
  });

  test("fault: production without the toolbox project synthesized deploy jobs whose image nothing fills; now the configuration is refused", () => {
    expect(() => validateConfig(withoutToolbox)).toThrow(/config\/environments\[2\]\/deploy\/jobImage: invalid deploy job image .*would fail at image pull/);
  });

  test("the check can fail: with deploy.jobImage in every deploying environment the same configuration is accepted and deploy.yml runs that image", () => {
    const config = withJobImage(withoutToolbox);
    expect(() => validateConfig(config)).not.toThrow();
    const template = deployTemplateOf(config, "https://gitlab.example.com")!;
    expect(template.jobImage).toBe("registry.example.com/deploy-tools:1");
    const [deploy] = platformCiTemplates("t", new TagScheme("t", config.environments[0]!.registry.tagScheme), template).filter((t) => t.fileName === "deploy.yml");
    expect(deploy!.content).toContain("image: registry.example.com/deploy-tools:1");
    expect(deploy!.content).not.toContain("$PLATFORM_TOOLBOX_URL:latest");
  });

  // No environment declares a toolbox project: nothing builds or promotes the toolbox image at all.
  const noToolboxProject: PlatformConfig = {
    ...exampleConfig,
    environments: exampleConfig.environments.map((e) => {
      const { toolboxProject: _toolbox, ...gitlab } = e.gitlab;
      return { ...e, gitlab } as EnvironmentConfig;
    }),
  };

  test("fault: without any gitlab.toolboxProject the check returned early and the deploy jobs ran $PLATFORM_TOOLBOX_URL:latest that nothing fills; now every deploying environment is refused", () => {
    const messageOf = (config: PlatformConfig): string => {
      try {
        validateConfig(config);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    const refused = (i: number) => new RegExp(`config/environments\\[${i}\\]/deploy/jobImage: invalid deploy job image .*"toolboxProject":null.*no environment of this GitLab instance declares gitlab\\.toolboxProject`);
    expect(messageOf(noToolboxProject)).toMatch(refused(1));
    // Production alone deploying (staging without deploy jobs) is refused the same way.
    const productionOnly = { ...noToolboxProject, environments: noToolboxProject.environments.map((e) => (e.name === "staging" ? ({ ...e, deploy: undefined } as EnvironmentConfig) : e)) };
    expect(messageOf(productionOnly)).toMatch(refused(2));
  });

  test("the opt-in is explicit: without a toolbox project, deploy.jobImage (an image the operator maintains) is accepted and is what deploy.yml runs", () => {
    const config = withJobImage(noToolboxProject);
    expect(() => validateConfig(config)).not.toThrow();
    const [deploy] = platformCiTemplates("t", new TagScheme("t"), deployTemplateOf(config, "https://gitlab.example.com")!).filter((t) => t.fileName === "deploy.yml");
    expect(deploy!.content).toContain("image: registry.example.com/deploy-tools:1");
  });
});
