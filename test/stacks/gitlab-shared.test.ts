import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { sharedProtectedProjects } from "../../stacks/gitlab-shared-stack";
import { resourcesOf, type SynthJson, violationOf } from "../support/synth";

const withEnvironments = (change: (env: EnvironmentConfig, i: number) => EnvironmentConfig): PlatformConfig => ({
  ...exampleConfig,
  environments: exampleConfig.environments.map(change),
});
const sharedOf = (config: PlatformConfig): SynthJson => JSON.parse(Testing.synth([...buildPlatform(Testing.app(), config).gitlabShared.values()][0]!)) as SynthJson;
const tagsOf = (json: SynthJson) => Object.values(resourcesOf(json, "gitlab_tag_protection")).map((t) => `${String(t.project).replace(/^.*project-([a-z]+)_.*$/, "$1")} ${String(t.tag)}`);

describe("gitlab-shared: protected refs of every environment", () => {
  test("environments trusting different release patterns: each pattern is protected once per project, every resource with prevent_destroy", () => {
    // Different patterns on one instance only without published templates (they run one Git tag rule for every environment).
    const withoutTemplates = (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, gitlab: { ...env.gitlab, ciTemplates: undefined } });
    const config = withEnvironments((env) => withoutTemplates(env.name === "production" ? { ...env, identity: { ...env.identity, releaseTags: "v1.*.*" } } : env));
    expect(violationOf(() => sharedOf(withEnvironments((env) => (env.name === "production" ? { ...env, identity: { ...env.identity, releaseTags: "v1.*.*" } } : env)))).path).toBe(
      "config/environments[2]/identity/releaseTags",
    );
    const json = sharedOf(config);
    expect(tagsOf(json).sort()).toEqual(["app v*.*.*", "app v1.*.*", "toolbox v*.*.*", "toolbox v1.*.*", "web v*.*.*", "web v1.*.*"]);
    for (const type of ["gitlab_tag_protection", "gitlab_branch_protection", "gitlab_project_container_repository_protection"]) {
      for (const r of Object.values(resourcesOf(json, type))) expect(r.lifecycle).toEqual({ prevent_destroy: true });
    }
    // The stack checks no sub claim components: each environment's stack checks its own.
    expect(Object.values(json.data?.gitlab_project ?? {}).every((d) => d.lifecycle === undefined)).toBe(true);
  });

  test("a project whose refs are kept elsewhere (protectedRefs: check) gets no protection and no container rule; its environments still check it", () => {
    const checked = (env: EnvironmentConfig) => ({
      ...env,
      gitlab: { ...env.gitlab, projects: env.gitlab.projects.map((p) => (p === "acme/web" ? { path: "acme/web", protectedRefs: "check" as const } : p)) },
    });
    const stacks = buildPlatform(Testing.app(), withEnvironments(checked));
    const json = JSON.parse(Testing.synth([...stacks.gitlabShared.values()][0]!)) as SynthJson;
    expect(tagsOf(json).sort()).toEqual(["app v*.*.*", "toolbox v*.*.*"]);
    expect(Object.values(resourcesOf(json, "gitlab_project_container_repository_protection")).map((r) => r.repository_path_pattern)).not.toContain("acme/web/app");
    const staging = JSON.parse(Testing.synth(stacks.environments.get("staging")!)) as SynthJson;
    expect(Object.keys(staging.data?.gitlab_project_protected_tags ?? {}).some((id) => id.includes("protected-tags-web"))).toBe(true);
  });

  test("bad input: environments on one instance disagree on a project's protectedRefs mode", () => {
    const config = withEnvironments((env, i) =>
      i === 2 ? { ...env, gitlab: { ...env.gitlab, projects: env.gitlab.projects.map((p) => (p === "acme/web" ? { path: "acme/web", protectedRefs: "check" as const } : p)) } } : env,
    );
    const error = violationOf(() => sharedProtectedProjects(config, "https://gitlab.example.com"));
    expect(error.message).toMatch(/^config\/environments\[2\]\/gitlab\/projects\[1\]\/protectedRefs: invalid protectedRefs "check".*config\/environments\[0\]\/gitlab\/projects\[1\] says "manage" for acme\/web/);
  });

  test("bad input: two projects on one instance with one tenant name", () => {
    const config = withEnvironments((env, i) =>
      i === 1 ? { ...env, gitlab: { ...env.gitlab, projects: [...env.gitlab.projects, { path: "other/app", name: "app" }] } } : env,
    );
    const error = violationOf(() => sharedProtectedProjects(config, "https://gitlab.example.com"));
    expect(error.message).toMatch(/^config\/environments\[1\]\/gitlab\/projects\[3\]\/name: invalid tenant name "app".*acme\/app already uses it/);
  });
});

describe("gitlab-shared: the GitLab version check for fork merge-request sub claims", () => {
  const skip = (reason: string) => (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, gitlab: { ...env.gitlab, skipVersionCheck: { reason } } });

  test("the example's shared stack checks the instance's version at plan time (gitlab_metadata with a postcondition)", () => {
    const metadata = Object.values(sharedOf(exampleConfig).data?.gitlab_metadata ?? {});
    expect(metadata).toHaveLength(1);
    const postcondition = (metadata[0]!.lifecycle as { postcondition: { condition: string; error_message: string }[] }).postcondition[0]!;
    expect(postcondition.condition).toContain("18002002");
    expect(postcondition.error_message).toMatch(/^GitLab at https:\/\/gitlab\.example\.com runs \$\{self\.version\}/);
  });

  test("every environment on the instance skipping it, with reasons: no check, a warning", () => {
    const stack = [...buildPlatform(Testing.app(), withEnvironments(skip("no fork merge requests"))).gitlabShared.values()][0]!;
    expect((JSON.parse(Testing.synth(stack)) as SynthJson).data?.gitlab_metadata).toBeUndefined();
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
    expect(warnings).toContainEqual(expect.stringMatching(/^GitLab version check skipped \(no fork merge requests\)/));
  });

  test("bad input: one environment skipping while another on the instance checks; a skip without a reason", () => {
    const partly = withEnvironments((env, i) => (i === 1 ? skip("no forks")(env) : env));
    expect(violationOf(() => buildPlatform(Testing.app(), partly)).message).toMatch(
      /^config\/environments\[0\]\/gitlab\/skipVersionCheck: invalid skipVersionCheck undefined\. Rule: the environments on https:\/\/gitlab\.example\.com share one version check, and config\/environments\[1\]\/gitlab\/skipVersionCheck skips it/,
    );
    expect(violationOf(() => buildPlatform(Testing.app(), withEnvironments(skip(""))))).toMatchObject({ path: "config/environments[0]/gitlab/skipVersionCheck", subject: "reason", value: "" });
  });
});

describe("gitlab-shared: group variables every pipeline reads", () => {
  test("an instance with nothing shared but *-scoped group variables still gets the shared stack, which holds them with prevent_destroy", () => {
    // No templates, no toolbox project, no managed refs: only dev's unscoped variables are shared.
    const config = withEnvironments((env) => {
      const { ciTemplates: _t, toolboxProject: _p, ...gitlab } = env.gitlab;
      // Without a toolbox project the deploy jobs need an image of their own (nothing would fill the toolbox's).
      const deploy = env.deploy ? { deploy: { ...env.deploy, jobImage: "registry.example.com/deploy-tools:1" } } : {};
      return { ...env, ...deploy, gitlab: { ...gitlab, projects: gitlab.projects.map((p) => ({ path: typeof p === "string" ? p : p.path, protectedRefs: "check" as const })) } };
    });
    const stacks = buildPlatform(Testing.app(), config);
    expect([...stacks.gitlabShared.keys()]).toEqual(["https://gitlab.example.com"]);
    const json = JSON.parse(Testing.synth([...stacks.gitlabShared.values()][0]!)) as SynthJson;
    const variables = Object.entries(resourcesOf(json, "gitlab_group_variable"));
    expect(variables.map(([id]) => id.replace(/_.*$/, "")).filter((v, i, all) => all.indexOf(v) === i).sort()).toEqual(["group-variables-dev", "group-variables-production"]);
    for (const [, v] of variables) expect(v).toEqual(expect.objectContaining({ environment_scope: "*", lifecycle: { prevent_destroy: true } }));
    for (const env of ["dev", "staging", "production"]) {
      const own = JSON.parse(Testing.synth(stacks.environments.get(env)!)) as SynthJson;
      expect(Object.values(resourcesOf(own, "gitlab_group_variable")).filter((v) => v.environment_scope === "*")).toEqual([]);
    }
  });
});
