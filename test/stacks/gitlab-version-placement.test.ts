/*
 * The GitLab version check (fork merge-request sub claims) exists whenever roles trust refs: in
 * the instance's gitlab-shared stack, or, on an instance without one, in each environment stack.
 * Its minimum versions come from gitlab.minimumVersions.
 */
import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { type SynthJson, violationOf } from "../support/synth";

const withEnvironments = (change: (env: EnvironmentConfig, i: number) => EnvironmentConfig): PlatformConfig => ({ ...exampleConfig, environments: exampleConfig.environments.map(change) });
/**
 * No templates, no toolbox project, every project's protections checked rather than managed, and no
 * group-wide (`*`-scoped) variables (those live in gitlab-shared too): no gitlab-shared stack.
 */
const unshared = (env: EnvironmentConfig): EnvironmentConfig => {
  const { ciTemplates: _templates, toolboxProject: _toolbox, buildpackVariables: _buildpack, autoDevOps: _autoDevOps, ...gitlab } = env.gitlab;
  return {
    ...env,
    // Without a toolbox project the deploy jobs need an image of their own (nothing would fill the toolbox's).
    ...(env.deploy ? { deploy: { ...env.deploy, jobImage: "registry.example.com/deploy-tools:1" } } : {}),
    gitlab: {
      ...gitlab,
      variables: { ...gitlab.variables, environmentScope: env.name },
      projects: gitlab.projects.map((p) => ({ ...(typeof p === "string" ? { path: p } : p), protectedRefs: "check" as const })),
    },
  };
};
type Metadata = { lifecycle: { postcondition: { condition: string; error_message: string }[] } };
const metadataOf = (json: SynthJson) => Object.values((json.data?.gitlab_metadata ?? {}) as Record<string, Metadata>);

describe("the GitLab version check wherever roles trust refs", () => {
  test("without a gitlab-shared stack every environment stack checks the version (the old app had no check at all)", () => {
    const stacks = buildPlatform(Testing.app(), withEnvironments(unshared));
    expect(stacks.gitlabShared.size).toBe(0);
    for (const [name, stack] of stacks.environments) {
      const metadata = metadataOf(JSON.parse(Testing.synth(stack)) as SynthJson);
      expect({ name, checks: metadata.length }).toEqual({ name, checks: 1 });
      expect(metadata[0]!.lifecycle.postcondition[0]!.error_message).toMatch(/^GitLab at https:\/\/gitlab\.example\.com runs \$\{self\.version\}: .* only from GitLab 18\.2\.2/);
    }
  });

  test("with a gitlab-shared stack the check lives there only, not in the environment stacks", () => {
    const stacks = buildPlatform(Testing.app(), exampleConfig);
    expect(metadataOf(JSON.parse(Testing.synth([...stacks.gitlabShared.values()][0]!)) as SynthJson)).toHaveLength(1);
    for (const stack of stacks.environments.values()) expect(metadataOf(JSON.parse(Testing.synth(stack)) as SynthJson)).toEqual([]);
  });

  test("skipVersionCheck with a reason drops it from the environment stacks too", () => {
    const stacks = buildPlatform(Testing.app(), withEnvironments((e) => ({ ...unshared(e), gitlab: { ...unshared(e).gitlab, skipVersionCheck: { reason: "no fork merge requests" } } })));
    for (const stack of stacks.environments.values()) expect(metadataOf(JSON.parse(Testing.synth(stack)) as SynthJson)).toEqual([]);
  });

  test("gitlab.minimumVersions reaches the check (shared stack and environment stacks): a checked backport admits its line", () => {
    const backport = (e: EnvironmentConfig): EnvironmentConfig => ({ ...e, gitlab: { ...e.gitlab, minimumVersions: ["18.2.2", "18.1.5"] } });
    const shared = buildPlatform(Testing.app(), withEnvironments(backport));
    const sharedCheck = metadataOf(JSON.parse(Testing.synth([...shared.gitlabShared.values()][0]!)) as SynthJson)[0]!.lifecycle.postcondition[0]!;
    expect(sharedCheck.condition).toContain("tonumber(v[0]) == 18 && tonumber(v[1]) == 1 && tonumber(v[2]) >= 5");
    expect(sharedCheck.error_message).toContain("(or the patch releases 18.1.5 of older lines)");
    const own = buildPlatform(Testing.app(), withEnvironments((e) => backport(unshared(e))));
    for (const stack of own.environments.values()) {
      expect(metadataOf(JSON.parse(Testing.synth(stack)) as SynthJson)[0]!.lifecycle.postcondition[0]!.condition).toContain("tonumber(v[1]) == 1 && tonumber(v[2]) >= 5");
    }
  });

  test("bad input: malformed minimumVersions, a newest version below 18.2.2, environments on one instance disagreeing", () => {
    const set = (list: unknown, only?: number) => withEnvironments((e, i) => (only === undefined || i === only ? { ...e, gitlab: { ...e.gitlab, minimumVersions: list as string[] } } : e));
    expect(violationOf(() => buildPlatform(Testing.app(), set(["18.2"]))).message).toMatch(
      /^config\/environments\[0\]\/gitlab\/minimumVersions: invalid minimumVersions \["18\.2"\]\. Rule: minimum GitLab versions are one or more <major>\.<minor>\.<patch> versions\. Fix: use e\.g\./,
    );
    expect(violationOf(() => buildPlatform(Testing.app(), set([]))).message).toMatch(/invalid minimumVersions \[\]/);
    expect(violationOf(() => buildPlatform(Testing.app(), set(["18.1.5"]))).message).toMatch(/invalid minimumVersions \["18\.1\.5"\]\. Rule: the newest listed version is the minimum for every later line.*Fix: list "18\.2\.2" \(or later\) too/);
    expect(violationOf(() => buildPlatform(Testing.app(), set(["18.2.2", "18.1.5"], 1))).message).toMatch(
      /^config\/environments\[0\]\/gitlab\/minimumVersions: invalid minimumVersions undefined\. Rule: the environments on https:\/\/gitlab\.example\.com share one version check, and config\/environments\[1\]\/gitlab\/minimumVersions sets \["18\.2\.2","18\.1\.5"\]/,
    );
  });

  test("an entry on the 18.2 line below 18.2.2 is refused even when a newer entry is listed (not only the newest is checked)", () => {
    const set = (list: string[]) => withEnvironments((e) => ({ ...e, gitlab: { ...e.gitlab, minimumVersions: list } }));
    for (const list of [["18.2.2", "18.2.0"], ["19.0.0", "18.2.1"], ["18.1.5", "18.3.0", "18.2.0"]]) {
      expect(violationOf(() => buildPlatform(Testing.app(), set(list))).message).toMatch(
        /^config\/environments\[0\]\/gitlab\/minimumVersions: invalid minimumVersions .*Rule: 18\.2\.[01] is on the 18\.2 line below 18\.2\.2, the first release of that line.*Fix: raise 18\.2\.[01] to 18\.2\.2 or later on its line, or drop it/,
      );
    }
    // Backports of older lines and later lines stay admitted.
    expect(() => buildPlatform(Testing.app(), set(["19.0.0", "18.2.3", "18.1.5"]))).not.toThrow();
  });
});
