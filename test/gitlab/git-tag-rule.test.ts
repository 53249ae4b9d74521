import fc from "fast-check";
// The RE2 port gitlab-ci-local (a pinned dev dependency) evaluates `=~` with, as GitLab evaluates it with RE2.
import { RE2JS } from "re2js";
import { pipelineKinds } from "../../lib/gitlab/image-reuse-plan";
import { globIncludes } from "../../lib/identity/ref-patterns";
import { gitTagImageTagRegex } from "../../lib/registry/release-tags";
import { TagScheme, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { violationOf } from "../support/synth";

/*
 * The templates' Git tag rule admitted Git tags whose image tag the registry refuses: a Git tag
 * starting with "-" or "." (pushed as the image tag itself by the built-in release kind), or one so
 * long that the image tag passes 128 characters. A Docker tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 * (distribution/reference, reference.go). The rule is evaluated here as GitLab evaluates it: RE2 for
 * each `=~`, `&&` as conjunction.
 */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Kinds of the tests' schemes: a Git tag of *.*.* could be sha-1.2.3, so fewer retained kinds than the built-in scheme's to stay within maxKindsPerImage. */
const USED = ["commit", "inputs", "mergeRequest", "latest", "release"] as const;
const CONJUNCT = /^\$CI_COMMIT_TAG =~ \/(.*)\/$/;

/** Evaluates a Git tag rule as GitLab does: every `$CI_COMMIT_TAG =~ /re/` of the `&&` chain with RE2 (compile refuses what RE2 cannot run: lookarounds, backreferences). */
function runsWithRe2(rule: string, gitTag: string): boolean {
  return rule.split(" && ").every((part) => {
    const m = CONJUNCT.exec(part);
    if (!m) throw new Error(`not a Git tag conjunct: ${part}`);
    return RE2JS.compile(m[1]!).matcher(gitTag).find();
  });
}

const ruleOf = (kinds: Record<string, TagKindOptions>, releaseTags?: string) =>
  pipelineKinds("test", new TagScheme("test/tagScheme", { kinds, use: USED }), {}, releaseTags).find((k) => k.name === "gitTag")!.if;

describe("the templates' Git tag rule: only Git tags whose image tags are Docker tags", () => {
  const semverAnywhere = { release: { pattern: "*.*.*" } };

  test("fault: release pattern *.*.* (image tag = the Git tag) admitted Git tags -1.2.3 and .1.2, whose image tags the registry refuses; now only tags starting with a letter, digit or _ run", () => {
    const rule = ruleOf(semverAnywhere, "*.*.*");
    for (const tag of ["-1.2.3", ".1.2", "-.1.2"]) expect({ tag, runs: runsWithRe2(rule, tag) }).toEqual({ tag, runs: false });
    for (const tag of ["1.2.3", "_1.2.3", "v1.2.3-rc.1"]) expect({ tag, runs: runsWithRe2(rule, tag) }).toEqual({ tag, runs: true });
  });

  test("fault: a Git tag of 129 characters under v*.*.* pushed a 129-character image tag; now at most 128 (the built-in kind) or 120 (release-${CI_COMMIT_TAG}, 8 characters around it) run", () => {
    const tagOf = (length: number) => `v1.2.${"3".repeat(length - 5)}`;
    const builtIn = ruleOf({});
    expect(runsWithRe2(builtIn, tagOf(128))).toBe(true);
    expect(runsWithRe2(builtIn, tagOf(129))).toBe(false);
    const prefixed = ruleOf({ release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } });
    expect(runsWithRe2(prefixed, tagOf(120))).toBe(true);
    expect(runsWithRe2(prefixed, tagOf(121))).toBe(false);
    // With text before the Git tag the image tag starts with it: the Git tag's first character may be "-" or ".".
    expect(gitTagImageTagRegex([{ before: "release-", after: "" }])).toBe("[A-Za-z0-9_.-][A-Za-z0-9_.-]{0,119}");
  });

  test("a release pattern whose shortest Git tag leaves no room under 128 characters is refused at releaseTags", () => {
    const long = `v${"1".repeat(125)}*`;
    const error = violationOf(() => ruleOf({ release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } }, long));
    expect(error).toMatchObject({ path: "test/releaseTags", subject: "release tag pattern", value: long, rule: expect.stringMatching(/at most 128 characters .* with up to 8 characters around it/) });
  });

  test("property: with RE2, a Git tag runs exactly when the release pattern admits it and every image tag built from it is a Docker tag; every rule compiles in RE2", () => {
    const chars = fc.constantFrom("v", "1", "2", ".", "-", "_", "+", "a");
    const tag = fc.oneof(
      fc.array(chars, { minLength: 1, maxLength: 8 }).map((a) => a.join("")),
      fc.tuple(fc.constantFrom("v1.", "1.", "-1.", "_"), fc.integer({ min: 100, max: 140 })).map(([head, n]) => `${head}${"9".repeat(n - head.length - 2)}.0`),
    );
    const kinds = fc.constantFrom<[Record<string, TagKindOptions>, string, string]>(
      [{}, "v*.*.*", ""],
      [semverAnywhere, "*.*.*", ""],
      [{ release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } }, "v*", "release-"],
      [{ release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } }, "1*", "release-"],
    );
    fc.assert(
      fc.property(kinds, fc.array(tag, { minLength: 1, maxLength: 10 }), ([scheme, releaseTags, before], tags) => {
        const rule = ruleOf(scheme, releaseTags);
        for (const t of tags) {
          const expected = globIncludes(releaseTags, t) && DOCKER_TAG.test(`${before}${t}`);
          expect({ t, runs: runsWithRe2(rule, t) }).toEqual({ t, runs: expected });
        }
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});
