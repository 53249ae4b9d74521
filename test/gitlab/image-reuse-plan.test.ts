import { pipelineKinds } from "../../lib/gitlab/image-reuse-plan";
import fc from "fast-check";
import { matchesSelector } from "../../lib/registry/glob";
import { globIncludes } from "../../lib/identity/ref-patterns";
import { gitTagsOf, releaseTagPatternOf } from "../../lib/registry/release-tags";
import { TagScheme, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { evaluateIf } from "../flow/support/flow-harness";
import { ValidationError } from "../../lib/core/errors";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../lib/registry/lifecycle";
import { violationOf } from "../support/synth";

/** A Docker tag (distribution/reference, reference.go: `[\w][\w.-]{0,127}`). */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/*
 * A tag plan may put an extra kind on a pipeline's commit image only when the second pipeline with
 * the same tag value can still write it: the kind moves (mutable), or its value is per commit
 * (${CI_COMMIT_SHA}; in Git tag pipelines also ${CI_COMMIT_TAG}).
 */
describe("pipeline tag plans: immutable kinds that are not per commit", () => {
  const scheme = (kinds = {}) => new TagScheme("test/tagScheme", { kinds });

  test("the default plans pass: latest moves, the release tag is per Git tag", () => {
    const kinds = pipelineKinds("test", scheme({ release: { prefix: "v", ciTag: "${CI_COMMIT_TAG}", retention: { maxCount: 50 }, protected: false } }), {});
    expect(kinds.map((k) => [k.name, k.commitKind.name, k.extraKinds.map((e) => e.name)])).toEqual([
      ["mergeRequest", "mergeRequest", []],
      ["defaultBranch", "commit", ["latest"]],
      ["gitTag", "commit", ["release"]],
    ]);
  });

  test("a branch kind made mutable may go on the default branch's pipelines", () => {
    const kinds = pipelineKinds("test", scheme({ branch: { prefix: "branch-", ciTag: "branch-${CI_COMMIT_REF_SLUG}", retention: { maxAgeDays: 30 }, protected: false, mutable: true } }), { defaultBranch: ["commit", "latest", "branch"] });
    expect(kinds.find((k) => k.name === "defaultBranch")!.extraKinds.map((k) => k.name)).toEqual(["latest", "branch"]);
  });

  test("the immutable branch kind on the default branch is refused at its plan entry", () => {
    expect(() => pipelineKinds("test", scheme(), { defaultBranch: ["commit", "latest", "branch"] })).toThrow(ValidationError);
    expect(() => pipelineKinds("test", scheme(), { defaultBranch: ["commit", "latest", "branch"] })).toThrow(/test\/tags\/defaultBranch\[2\].*branch-\$\{CI_COMMIT_REF_SLUG\} takes the same value in many defaultBranch pipelines/s);
  });

  test("a Git tag value is per commit only in Git tag pipelines", () => {
    const withRelease = scheme({ release: { prefix: "v", ciTag: "${CI_COMMIT_TAG}", retention: { maxCount: 50 }, protected: false } });
    expect(() => pipelineKinds("test", withRelease, { gitTag: ["commit", "release"] })).not.toThrow();
    expect(() => pipelineKinds("test", withRelease, { defaultBranch: ["commit", "release"] })).toThrow(/test\/tags\/defaultBranch\[1\]/);
  });
});

/*
 * Every tag of a pipeline's list sits on the commit image. A count kind next to an age kind on one
 * image is kept by the lifecycle policy (no ECR rule expires an image only when both would), so a
 * plan that does this on every image makes the images permanent.
 */
describe("pipeline tag plans: a count kind and an age kind on one image", () => {
  const DAY = 86_400_000;
  const now = new Date("2026-06-15T12:00:00Z");
  const nightly = { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", retention: { maxAgeDays: 7 } };
  const images = [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }];
  /** 300 default-branch images, one a day, each tagged as the plan says; how many the scheme's policy expires. */
  const expiredOf = (scheme: TagScheme, tags: (i: number, sha: string) => string[]) => {
    const daily: LifecycleImage[] = Array.from({ length: 300 }, (_, i) => {
      const sha = i.toString(16).padStart(40, "0");
      return { digest: `sha256:${i}`, tags: tags(i, sha), pushedAt: new Date(now.getTime() - i * DAY) };
    });
    return simulateLifecycle(lifecyclePolicyFromTagScheme(scheme), daily, now).expired.length;
  };

  test("defaultBranch [commit, latest, nightly] with nightly by age (commit by count) is refused at nightly's entry: its images were never expired", () => {
    const scheme = new TagScheme("test/tagScheme", { kinds: { nightly } });
    // The old plan check let it through, and the policy kept all 300 daily images (once latest moved on).
    expect(expiredOf(scheme, (_, sha) => [`sha-${sha}`, `nightly-${sha}`])).toBe(0);
    const error = violationOf(() => imageReuseTemplate("test/templates", { tagScheme: scheme, tags: { defaultBranch: ["commit", "latest", "nightly"] }, images }));
    expect(error).toMatchObject({ path: "test/templates/tags/defaultBranch[2]", subject: "tag kind", value: "nightly" });
    expect(error.rule).toMatch(/defaultBranch pipelines put this kind \(age: 7 days\) and "commit" \(count: the newest 100\) on one image; .*kept forever/);
    expect(error.fix).toMatch(/same retention type .*protected or `secondary: true`.*leave it out of the plan/);
  });

  test("gitTag [commit, release] with release unprotected by age is refused at release's entry", () => {
    const scheme = new TagScheme("test/tagScheme", { kinds: { release: { protected: false, retention: { maxAgeDays: 365 } } } });
    expect(violationOf(() => pipelineKinds("test", scheme, {}))).toMatchObject({ path: "test/tags/gitTag[1]", value: "release" });
  });

  test("accepted: one retention type, a protected or a secondary extra kind; then the images do expire", () => {
    const byCount = new TagScheme("test/tagScheme", { kinds: { nightly: { ...nightly, retention: { maxCount: 30 } } } });
    expect(() => pipelineKinds("test", byCount, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
    // Both kinds count: beyond the larger count (100) every kind would expire the image, and it is expired.
    expect(expiredOf(byCount, (_, sha) => [`sha-${sha}`, `nightly-${sha}`])).toBe(200);
    const secondary = new TagScheme("test/tagScheme", { kinds: { nightly: { ...nightly, secondary: true } } });
    expect(() => pipelineKinds("test", secondary, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
    expect(expiredOf(secondary, (_, sha) => [`sha-${sha}`, `nightly-${sha}`])).toBe(200);
    const kept = new TagScheme("test/tagScheme", { kinds: { nightly: { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", protected: true } } });
    expect(() => pipelineKinds("test", kept, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
  });
});

/*
 * The Git tag pipelines' rule says which Git tags release, and it is the one pattern the protected
 * roles trust and GitLab protects (releaseTagPatternOf). It used to be derived from the release kind
 * alone: with prefix release- and ciTag release-${CI_COMMIT_TAG} every Git tag got a pipeline while the
 * roles trusted v*.*.* (or the configuration was refused: v*.*.* is not inside release-*), so the
 * documented example could not release, and a Git tag outside the roles' pattern failed closed.
 */
describe("pipeline tag plans: the Git tag pipelines' rule", () => {
  const gitTagIf = (kinds: Record<string, TagKindOptions>, gitTag?: string[], releaseTags?: string) =>
    pipelineKinds("test", new TagScheme("test/tagScheme", { kinds }), gitTag ? { gitTag } : {}, releaseTags).find((k) => k.name === "gitTag")!.if;
  const runs = (rule: string, tag: string) => evaluateIf(rule, { CI_COMMIT_TAG: tag });
  const releasePrefix = { release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } };

  test("release kind prefix release- with ciTag release-${CI_COMMIT_TAG}: Git tags v*.*.* release (v1.2.3 pushes release-v1.2.3), other Git tags start no pipeline the roles would refuse", () => {
    const rule = gitTagIf(releasePrefix);
    expect(rule).toBe("$CI_COMMIT_TAG =~ /^v[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_.-][A-Za-z0-9_.-]{0,119}$/");
    expect(runs(rule, "v1.2.3")).toBe(true);
    expect(runs(rule, "nightly")).toBe(false);
    expect(matchesSelector("release-v1.2.3", { prefix: "release-" })).toBe(true);
    // The configured release pattern is the rule: the same pattern the roles trust.
    expect(gitTagIf(releasePrefix, undefined, "2*")).toBe("$CI_COMMIT_TAG =~ /^2[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_.-][A-Za-z0-9_.-]{0,119}$/");
  });

  test("the Git tag is not matched against the pushed tag's selector: release-1 is not required to start with release-", () => {
    const kinds = { release: { prefix: "release-v", ciTag: "release-${CI_COMMIT_TAG}" } };
    const rule = gitTagIf(kinds);
    expect(rule).toBe("$CI_COMMIT_TAG =~ /^v[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_.-][A-Za-z0-9_.-]{0,119}$/");
    expect(runs(rule, "v1")).toBe(true);
    expect(runs(rule, "release-1")).toBe(false);
  });

  test("release tag v1.2.3+build.7: the rule's wildcards match only the Docker tag alphabet, so no pipeline runs for a Git tag whose image tag the registry refuses", () => {
    const rule = gitTagIf({});
    for (const tag of ["v1.2.3+build.7", "v1.2/3.4", "v1.2.3~1", "v1.2. 3"]) expect({ tag, runs: runs(rule, tag) }).toEqual({ tag, runs: false });
    for (const tag of ["v1.2.3", "v1.2.3-rc.1", "v1.2.3_x", "v1.2.3.4"]) expect({ tag, runs: runs(rule, tag) }).toEqual({ tag, runs: true });
    // The custom prefix: release-<Git tag> is pushed, so the same holds for any pattern.
    expect(runs(gitTagIf(releasePrefix, undefined, "2*"), "2.0+meta")).toBe(false);
    expect(runs(gitTagIf(releasePrefix, undefined, "2*"), "2.0-rc1")).toBe(true);
  });

  test("the built-in release kind keeps its rule (v*.*.*)", () => {
    expect(gitTagIf({})).toBe("$CI_COMMIT_TAG =~ /^v[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/");
  });

  test("bad input: a release pattern wider than the Git tags the release kind releases, of wildcards only, or with '?'", () => {
    const refusedWith = (releaseTags: string, kinds: Record<string, TagKindOptions> = {}) => {
      try {
        gitTagIf(kinds, undefined, releaseTags);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error(`${releaseTags} not refused`);
    };
    const wide = refusedWith("v*");
    expect(wide).toMatchObject({ path: "test/tags/gitTag[1]", subject: "tag kind", value: "release" });
    expect(wide.rule).toMatch(/Git tag pipelines run for the Git tags that release, "v\*" .*but only Git tags "v\*\.\*\.\*" make \$\{CI_COMMIT_TAG\} a tag/);
    expect(refusedWith("?*")).toMatchObject({ path: "test/releaseTags", subject: "release tag pattern", rule: expect.stringMatching(/wildcards only/) });
    expect(refusedWith("v?.*.*")).toMatchObject({ path: "test/releaseTags", rule: expect.stringMatching(/'\?' is one character for IAM/) });
    // prefix release-v admits the Git tags v*: v*.*.* inside it passes, 1.* does not.
    expect(() => gitTagIf({ release: { prefix: "release-v", ciTag: "release-${CI_COMMIT_TAG}" } }, undefined, "v*.*.*")).not.toThrow();
    expect(refusedWith("1.*", { release: { prefix: "release-v", ciTag: "release-${CI_COMMIT_TAG}" } }).rule).toMatch(/only Git tags "v\*"/);
  });

  test("property: a Git tag gets a pipeline exactly when the release pattern (the roles' trust) admits it and its image tag is a Docker tag, and then every tag the plan builds from it is selected by its kind", () => {
    const chars = fc.constantFrom("v", "1", ".", "-", "r", "c", "a");
    const literal = fc.array(chars, { maxLength: 3 }).map((a) => a.join(""));
    const selector = fc.oneof(
      fc.array(fc.oneof(chars, fc.constant("*")), { minLength: 1, maxLength: 6 }).map((a) => ({ pattern: a.join("").replace(/^[.-]/, "v") })),
      fc.array(chars, { minLength: 1, maxLength: 4 }).map((a) => ({ prefix: a.join("").replace(/^[.-]/, "v") })),
    );
    let checked = 0;
    let refused = 0;
    fc.assert(
      fc.property(selector, literal, literal, fc.array(fc.array(chars, { minLength: 1, maxLength: 6 }).map((a) => a.join("")), { minLength: 1, maxLength: 8 }), (sel, before, after, tags) => {
        const ciTag = `${before.replace(/^[.-]/, "v")}\${CI_COMMIT_TAG}${after}`;
        let scheme: TagScheme;
        try {
          scheme = new TagScheme("test/tagScheme", { kinds: { release: { ...sel, ciTag } }, use: ["commit", "inputs", "mergeRequest", "latest", "release"] });
        } catch {
          return; // a selector no value of the tag can meet, or one overlapping another kind: refused by the scheme
        }
        const release = scheme.kind("release");
        const pattern = releaseTagPatternOf(release);
        let rule: string;
        try {
          rule = pipelineKinds("test", scheme, { mergeRequest: ["mergeRequest"], defaultBranch: ["commit"], gitTag: ["commit", "release"] }).find((k) => k.name === "gitTag")!.if;
        } catch (e) {
          // Refused only when the release pattern is not inside the Git tags the kind releases.
          refused++;
          expect(e).toBeInstanceOf(ValidationError);
          expect((gitTagsOf(release) ?? []).some((v) => globIncludes(v, pattern))).toBe(false);
          return;
        }
        for (const tag of tags) {
          checked++;
          const pushed = ciTag.replace("${CI_COMMIT_TAG}", tag);
          // And the image tag built from it is a Docker tag (a Git tag .v with ciTag ${CI_COMMIT_TAG} would push .v, which the registry refuses).
          expect({ ciTag, sel, tag, runs: runs(rule, tag) }).toEqual({ ciTag, sel, tag, runs: globIncludes(pattern, tag) && DOCKER_TAG.test(pushed) });
          if (runs(rule, tag)) expect({ ciTag, sel, tag, selected: matchesSelector(pushed, release.selector) }).toEqual({ ciTag, sel, tag, selected: true });
        }
      }),
      { numRuns: 300, seed: 12 },
    );
    expect(checked).toBeGreaterThan(300);
    // Both outcomes occur: schemes whose release pattern lies within the kind's Git tags, and schemes refused.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(300);
  });

  test("kinds per image in Git tag pipelines: release kind *.*.* with releaseTags 1.*.* is accepted (its tags 1.x.y meet no other kind's selector); without releaseTags it is refused, and the fix names releaseTags", () => {
    const plan = (releaseTags?: string) => pipelineKinds("t", new TagScheme("t/tagScheme", { kinds: { release: { pattern: "*.*.*" } } }), {}, releaseTags);
    expect(plan("1.*.*").find((k) => k.name === "gitTag")!.if).toBe("$CI_COMMIT_TAG =~ /^1\\.[A-Za-z0-9_.-]*\\.[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/");
    // Any Git tag of *.*.* could be sha-1.2.3 or MR-1.2.3, which the retained kinds select.
    const error = violationOf(() => plan());
    expect(error).toMatchObject({ path: "t/tags/gitTag", subject: "tag kinds" });
    expect(error.rule).toMatch(/gitTag pipelines put \d+ retained primary kinds on the commit image/);
    expect(error.fix).toContain('narrow identity.releaseTags (now "*.*.*"');
    // A narrower pattern that still reaches the other kinds' tags keeps the refusal: *-*.*.* admits sha-1.2.3, MR-1.2.3, pipeline-1.2.3 ...
    expect(violationOf(() => plan("*-*.*.*")).path).toBe("t/tags/gitTag");
    expect(() => plan("MR-*.*.*")).not.toThrow(); // MR-… and the commit kind: 2 of 3
  });

  test("a release tag with another variable next to the Git tag is refused (the rule cannot be derived)", () => {
    const error = violationOf(() => gitTagIf({ release: { prefix: "v", ciTag: "v${CI_COMMIT_TAG}-${CI_COMMIT_SHORT_SHA}" } }));
    expect(error).toMatchObject({ path: "test/tags/gitTag[1]", subject: "tag kind", value: "release" });
    expect(error.rule).toMatch(/uses \$\{CI_COMMIT_TAG\} with another variable or more than once/);
  });
});
