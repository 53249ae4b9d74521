import fc from "fast-check";
import { ValidationError } from "../../lib/core/errors";
import { ciTagTokens, selectorTokens, tagLanguagesOverlap } from "../../lib/registry/tag-rules";
import { TagScheme, type TagSchemeProps } from "../../lib/registry/tag-scheme";

/*
 * A protected tag kind is never expired, so it may cover no tag the templates push for an
 * unprotected kind, and a fixed protected tag (latest) selects that tag only.
 */
const PATH = "test/tagScheme";
const refused = (kinds: TagSchemeProps) => {
  try {
    new TagScheme(PATH, kinds);
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  return undefined;
};

describe("protected tag kinds no wider than what they protect", () => {
  test("refused: a protected * pattern, a prefix covering sha-<commit>, a wider latest", () => {
    expect(refused({ kinds: { everything: { pattern: "*", protected: true } } })).toMatch(/^test\/tagScheme\/kinds\/everything: invalid selector "\*"\. Rule: a protected kind is never expired/);
    expect(refused({ kinds: { s: { prefix: "s", protected: true } } })).toMatch(/kinds\/s: invalid selector "s\*".*unprotected kind "commit" \(the templates push sha-\$\{CI_COMMIT_SHA\}\)/);
    expect(refused({ kinds: { latest: { pattern: "l*" } } })).toMatch(/kinds\/latest: invalid selector "l\*".*the one tag latest.*Fix: use pattern: "latest"/);
  });

  test("accepted: the built-in kinds, protected semver next to a protected release, unprotected bare SHAs, a protected prefix no template tag starts with", () => {
    expect(refused({})).toBeUndefined();
    expect(refused({ kinds: { semver: { pattern: "*.*.*", protected: true } } })).toBeUndefined();
    // A bare commit SHA is hex: it never contains the dots of a semver tag nor spells "latest".
    expect(refused({ kinds: { semver: { pattern: "*.*.*", protected: true }, bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } }, pipeline: { retention: { maxCount: 500 } }, mergeRequest: { retention: { maxCount: 300 } }, branch: { retention: { maxCount: 50 } } } })).toBeUndefined();
    expect(refused({ kinds: { golden: { prefix: "golden-", protected: true } } })).toBeUndefined();
  });

  test("the shapes of GitLab's predefined variables decide: a slug has no dots, a merge request iid no letters", () => {
    expect(tagLanguagesOverlap(selectorTokens({ pattern: "*.*" }), ciTagTokens("branch-${CI_COMMIT_REF_SLUG}"))).toBe(false);
    expect(tagLanguagesOverlap(selectorTokens({ pattern: "*.*" }), ciTagTokens("branch-${CI_COMMIT_REF_NAME}"))).toBe(true);
    expect(tagLanguagesOverlap(selectorTokens({ prefix: "MR-1" }), ciTagTokens("MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}"))).toBe(true);
    expect(tagLanguagesOverlap(selectorTokens({ prefix: "MR-a" }), ciTagTokens("MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}"))).toBe(false);
  });

  test("property: the overlap search agrees with brute force (alphabet a and ., three patterns of up to 3 characters: a common tag, if any, has at most 9)", () => {
    const pattern = fc.array(fc.constantFrom("a", ".", "*"), { minLength: 1, maxLength: 3 }).map((c) => c.join(""));
    const glob = (p: string) => new RegExp(`^${p.replace(/\./g, "\\.").replace(/\*/g, "[a.]*")}$`);
    const words = (n: number): string[] => (n === 0 ? [""] : words(n - 1).flatMap((w) => (w.length === n - 1 ? [w, ...["a", "."].map((c) => w + c)] : [w])));
    const all = [...new Set(words(9))];
    let overlapping = 0;
    fc.assert(
      fc.property(pattern, pattern, pattern, (a, b, c) => {
        const brute = all.some((w) => glob(a).test(w) && glob(b).test(w) && glob(c).test(w));
        if (brute) overlapping++;
        const tokens = (p: string) => selectorTokens({ pattern: p }).map((t) => (t.repeat ? { chars: "a.", repeat: true } : t));
        expect(tagLanguagesOverlap(tokens(a), tokens(b), tokens(c))).toBe(brute);
      }),
      { numRuns: 400, seed: 12 },
    );
    expect(overlapping).toBeGreaterThan(20);
  });
});
