import { Testing } from "cdktf";
import { parse } from "yaml";
import { matchesSelector } from "../../lib/registry/glob";
import { type TagKindOptions } from "../../lib/registry/tag-scheme";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { gitlabRefMatches, subMatches } from "../attack-path/iam-model";
import { evaluateIf } from "../flow/support/flow-harness";
import { resourcesOf, type SynthJson, violationOf } from "../support/synth";
import { validationMessageOf } from "../support/violations";

/*
 * One source of truth for the Git tags that release (registry/release-tags.ts): the tenants' protected
 * roles trust them, GitLab protects them, and the published templates run their Git tag pipelines for
 * them. With the documented custom release kind (`prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}"`)
 * the configuration used to be refused (the roles' default v*.*.* is not inside the image selector
 * release-*), and with releaseTags "release-*" the templates ran a pipeline for every Git tag while the
 * roles trusted release-* only: Git tag v1.2.3 (which pushes release-v1.2.3) failed closed.
 */
const RELEASE_PREFIX = { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" };
const withEnvironments = (change: (env: EnvironmentConfig) => EnvironmentConfig): PlatformConfig => ({ ...exampleConfig, environments: exampleConfig.environments.map(change) });
const customRelease = (releaseTags?: string): PlatformConfig =>
  withEnvironments((env) => ({
    ...env,
    registry: { ...env.registry, tagScheme: { ...env.registry.tagScheme, kinds: { ...env.registry.tagScheme?.kinds, release: RELEASE_PREFIX } } },
    ...(releaseTags !== undefined ? { identity: { ...env.identity, releaseTags } } : {}),
  }));

/** What each consumer makes of the configuration: the roles' trusted tag refs, GitLab's tag protections, the templates' Git tag rule and tags. */
function consumersOf(config: PlatformConfig) {
  validateConfig(config);
  const stacks = buildPlatform(Testing.app(), config);
  const dev = JSON.parse(Testing.synth(stacks.environments.get("dev")!)) as SynthJson;
  const shared = JSON.parse(Testing.synth([...stacks.gitlabShared.values()][0]!)) as SynthJson;
  const role = Object.values(resourcesOf(dev, "aws_iam_role")).find((r) => r.name === "acme-ci-dev-app-protected")!;
  const subs = (JSON.parse(role.assume_role_policy as string) as { Statement: Array<{ Condition: { StringLike?: Record<string, string | string[]> } }> }).Statement.flatMap((s) =>
    Object.entries(s.Condition.StringLike ?? {})
      .filter(([key]) => key.endsWith(":sub"))
      .flatMap(([, v]) => (Array.isArray(v) ? v : [v])),
  );
  const protections = Object.values(resourcesOf(shared, "gitlab_tag_protection")).map((t) => String(t.tag));
  const file = Object.values(resourcesOf(shared, "gitlab_repository_file")).find((f) => f.file_path === "image-reuse.yml")!;
  const yaml = parse(String(file.content).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")) as { workflow: { rules: Array<{ if: string; variables: Record<string, string> }> } };
  const gitTag = yaml.workflow.rules.find((r) => r.if.includes("CI_COMMIT_TAG"))!;
  return { subs, protections, gitTag, scheme: stacks.environments.get("dev")!.tagScheme };
}

describe("the Git tags that release: one pattern for roles, tag protection and templates", () => {
  const GIT_TAGS = ["v1.2.3", "v10.0.0-rc1", "v1", "nightly", "release-1", "1.2.3", "2.0.1"];

  test.each([
    ["the documented custom release kind, releaseTags unset: the roles trust, GitLab protects and the templates release exactly v*.*.*", undefined, "v*.*.*"],
    ["the documented custom release kind, releaseTags 2.*: the roles trust, GitLab protects and the templates release exactly 2.*", "2.*", "2.*"],
  ])("%s", (_, releaseTags, pattern) => {
    const { subs, protections, gitTag, scheme } = consumersOf(customRelease(releaseTags));
    expect(subs).toContain(`project_path:acme/app:ref_type:tag:ref:${pattern}`);
    expect(new Set(protections)).toEqual(new Set([pattern]));
    for (const tag of GIT_TAGS) {
      const sub = `project_path:acme/app:ref_type:tag:ref:${tag}`;
      const runs = evaluateIf(gitTag.if, { CI_COMMIT_TAG: tag });
      const trusted = subs.some((s) => subMatches(s, sub));
      const protectedTag = protections.some((p) => gitlabRefMatches(p, tag));
      expect({ tag, runs, trusted, protectedTag }).toEqual({ tag, runs: trusted, trusted: protectedTag, protectedTag });
      // A release pushes release-<Git tag>, which the release kind selects (its keep rule holds it).
      if (runs) expect(matchesSelector(gitTag.variables.PLATFORM_FIXED_TAGS!.replace("${CI_COMMIT_TAG}", tag), scheme.kind("release").selector)).toBe(true);
    }
    expect(GIT_TAGS.filter((tag) => evaluateIf(gitTag.if, { CI_COMMIT_TAG: tag }))).toEqual(GIT_TAGS.filter((tag) => gitlabRefMatches(pattern, tag)));
    expect(gitTag.variables.PLATFORM_FIXED_TAGS).toBe("release-${CI_COMMIT_TAG}");
  });

  test("the built-in release kind is unchanged: v*.*.* everywhere", () => {
    const { subs, protections, gitTag } = consumersOf(exampleConfig);
    expect(subs).toContain("project_path:acme/app:ref_type:tag:ref:v*.*.*");
    expect(new Set(protections)).toEqual(new Set(["v*.*.*"]));
    expect(gitTag.if).toBe("$CI_COMMIT_TAG =~ /^v[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/");
  });

  test("release tag v1.2.3+build.7 (SemVer build metadata): GitLab protects it and the roles trust it (v*.*.*), but no release pipeline runs, since its image tag is no valid Docker tag", () => {
    const { subs, protections, gitTag } = consumersOf(exampleConfig);
    const tag = "v1.2.3+build.7";
    expect(subs.some((s) => subMatches(s, `project_path:acme/app:ref_type:tag:ref:${tag}`))).toBe(true);
    expect(protections.some((p) => gitlabRefMatches(p, tag))).toBe(true);
    expect(evaluateIf(gitTag.if, { CI_COMMIT_TAG: tag })).toBe(false);
    expect(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)).toBe(false);
    // Whatever the rule admits is protected and trusted (protection may be wider than the rule, never narrower).
    for (const admitted of ["v1.2.3", "v1.2.3-rc.1", "v1_2.3.4"]) {
      expect(evaluateIf(gitTag.if, { CI_COMMIT_TAG: admitted })).toBe(true);
      expect(protections.some((p) => gitlabRefMatches(p, admitted))).toBe(true);
      expect(subs.some((s) => subMatches(s, `project_path:acme/app:ref_type:tag:ref:${admitted}`))).toBe(true);
    }
  });

  test("one GitLab instance, one release pattern: production with releaseTags v1.*.* next to the shared templates' v*.*.* is refused at its path; the same pattern everywhere is what roles, protection and the shared template use", () => {
    const onProduction = withEnvironments((env) => (env.name === "production" ? { ...env, identity: { ...env.identity, releaseTags: "v1.*.*" } } : env));
    const error = violationOf(() => validateConfig(onProduction));
    expect(error).toMatchObject({ path: "config/environments[2]/identity/releaseTags", subject: "release tag pattern", value: "v1.*.*" });
    expect(error.rule).toMatch(/share its published CI templates, whose Git tag pipelines run for one release pattern, but environments\[0\] \(dev\) releases "v\*\.\*\.\*"/);
    const everywhere = withEnvironments((env) => ({ ...env, identity: { ...env.identity, releaseTags: "v1.*.*" } }));
    const { subs, protections, gitTag } = consumersOf(everywhere);
    expect(subs).toContain("project_path:acme/app:ref_type:tag:ref:v1.*.*");
    expect(new Set(protections)).toEqual(new Set(["v1.*.*"]));
    expect(evaluateIf(gitTag.if, { CI_COMMIT_TAG: "v2.0.0" })).toBe(false);
    expect(evaluateIf(gitTag.if, { CI_COMMIT_TAG: "v1.4.0" })).toBe(true);
  });

  test("the reference is the environment the templates are built from (dev declares gitlab.ciTemplates): with dev changed, every other environment is named as differing from it", () => {
    const onDev = withEnvironments((env) => (env.name === "dev" ? { ...env, identity: { ...env.identity, releaseTags: "v1.*.*" } } : env));
    const paths = validationMessageOf(() => validateConfig(onDev)).split("\n").filter((l) => l.includes("/identity/releaseTags")).map((l) => l.slice(0, l.indexOf(":")));
    expect(paths).toEqual(["config/environments[1]/identity/releaseTags", "config/environments[2]/identity/releaseTags"]);
  });

  describe("bad input", () => {
    const PATH = "config/environments\\[0\\]/identity/releaseTags";
    const onDev = (kinds: Record<string, TagKindOptions>, releaseTags: string) =>
      withEnvironments((env) => (env.name === "dev" ? { ...env, registry: { ...env.registry, tagScheme: { kinds } }, identity: { ...env.identity, releaseTags } } : env));

    test.each([
      ["a pattern wider than the Git tags the release kind releases (release-v${CI_COMMIT_TAG} selects only Git tags v*)", { release: { prefix: "release-v", ciTag: "release-${CI_COMMIT_TAG}" } }, "1.*", /may trust only tags the CI templates release \("v\*"\)/],
      ["a pattern wider than the built-in release selector", {}, "v*", /may trust only tags the CI templates release \("v\*\.\*\.\*"\)/],
      ["?* (wildcards only)", { release: RELEASE_PREFIX }, "?*", /a pattern of wildcards only trusts every tag/],
      ["* with the custom prefix (every Git tag could release, but no role may trust every tag)", { release: RELEASE_PREFIX }, "*", /a pattern of wildcards only trusts every tag/],
      // Each Git tag of these pushes release-rel/1.0, release-a/b or release-v+1: no valid Docker tag ([\w][\w.-]{0,127}), so every release job failed.
      ["rel/* with the custom prefix (a Docker tag has no '/')", { release: RELEASE_PREFIX }, "rel/*", /holds "\/", outside the Docker tag alphabet/],
      ["*/* with the custom prefix", { release: RELEASE_PREFIX }, "*/*", /holds "\/", outside the Docker tag alphabet/],
      ["v+* with the custom prefix (a Docker tag has no '+')", { release: RELEASE_PREFIX }, "v+*", /holds "\+", outside the Docker tag alphabet/],
    ])("%s is refused at the config path", (_, kinds, releaseTags, rule) => {
      const error = violationOf(() => validateConfig(onDev(kinds, releaseTags)));
      expect(error.message).toMatch(new RegExp(`^${PATH}: invalid release tag pattern `));
      expect(error.message).toMatch(rule);
    });
  });
});
