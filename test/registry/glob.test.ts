import fc from "fast-check";
import { matchesPattern, matchesSelector, patternsOverlap, quotientPatterns, selectorsOverlap, wildcardCount } from "../../lib/registry/glob";
import { allStrings } from "../support/strings";

describe("ECR tag globs", () => {
  test.each([
    ["latest", "latest", true],
    ["latest", "latest-1", false],
    ["v1.2.3", "v*.*.*", true],
    ["v1.2", "v*.*.*", false],
    ["prod-1", "prod*", true],
    ["xprod", "prod*", false],
    ["a.b", "a?b", false], // '?' is literal, only '*' is a wildcard
    ["MR-12", "*-12", true],
  ])("tag %s against pattern %s -> %s", (tag, pattern, expected) => {
    expect(matchesPattern(tag, pattern)).toBe(expected);
  });

  test("a prefix selector matches tags that start with it", () => {
    expect(matchesSelector("MR-7", { prefix: "MR-" })).toBe(true);
    expect(matchesSelector("mr-7", { prefix: "MR-" })).toBe(false);
  });

  test.each([
    ["latest", "l*", true],
    ["latest", "branch-*", false],
    ["v*.*.*", "sha-*", false],
    ["v*.*.*", "*3", true],
    ["pipeline-*", "pipe*", true],
    ["a*b", "*c", false],
    ["*", "anything", true],
  ])("overlap(%s, %s) -> %s", (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });

  test("selector overlap treats a prefix as prefix*", () => {
    expect(selectorsOverlap({ prefix: "MR-" }, { pattern: "MR-1*" })).toBe(true);
    expect(selectorsOverlap({ prefix: "MR-" }, { prefix: "branch-" })).toBe(false);
  });

  test("wildcardCount counts stars", () => {
    expect(wildcardCount("v*.*.*")).toBe(3);
    expect(wildcardCount("latest")).toBe(0);
  });

  // Overlap must agree with matching: any tag matching both patterns implies overlap.
  test("property: a tag matching both patterns implies they overlap", () => {
    const alphabet = fc.constantFrom("a", "b", "-", "*");
    const pattern = fc.array(alphabet, { maxLength: 6 }).map((cs) => cs.join(""));
    const tag = fc.array(fc.constantFrom("a", "b", "-"), { maxLength: 6 }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(pattern, pattern, tag, (a, b, t) => {
        if (matchesPattern(t, a) && matchesPattern(t, b)) expect(patternsOverlap(a, b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("property: overlap is witnessed by some short tag", () => {
    const pattern = fc.array(fc.constantFrom("a", "b", "*"), { maxLength: 4 }).map((cs) => cs.join(""));
    // Two patterns of at most 4 characters overlap, if at all, on a tag of at most 8 letters
    // (both patterns' literals, e.g. "aaa*" and "*baa" only on "aaabaa"): words up to length 8.
    const words = allStrings(["a", "b"], 8);
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const witnessed = words.some((w) => matchesPattern(w, a) && matchesPattern(w, b));
        expect(patternsOverlap(a, b)).toBe(witnessed);
      }),
      { numRuns: 300 },
    );
  });
});

describe("quotientPatterns: the values x with before + x + after matching a pattern", () => {
  test("examples: release-* by release- takes anything; v*.*.* by nothing is itself; by release- nothing", () => {
    expect(quotientPatterns("release-*", "release-", "")).toEqual(["*"]);
    expect(quotientPatterns("v*.*.*", "", "")).toEqual(["v*.*.*"]);
    expect(quotientPatterns("v*.*.*", "release-", "")).toEqual([]);
    expect(quotientPatterns("v*", "", "v")).toEqual(["v*"]);
  });

  test("property: x (non-empty) is in the union exactly when before + x + after matches the pattern", () => {
    const chars = fc.constantFrom("a", "b", "-", ".");
    const text = (max: number) => fc.array(chars, { maxLength: max }).map((a) => a.join(""));
    const pattern = fc.array(fc.oneof(chars, fc.constant("*")), { minLength: 1, maxLength: 7 }).map((a) => a.join(""));
    let inside = 0;
    fc.assert(
      fc.property(pattern, text(3), text(3), fc.array(fc.array(chars, { minLength: 1, maxLength: 6 }).map((a) => a.join("")), { minLength: 1, maxLength: 10 }), (p, before, after, values) => {
        const union = quotientPatterns(p, before, after);
        for (const x of values) {
          const expected = matchesPattern(before + x + after, p);
          if (expected) inside++;
          expect({ p, before, after, x, selected: union.some((g) => matchesPattern(x, g)) }).toEqual({ p, before, after, x, selected: expected });
        }
      }),
      { numRuns: 1000, seed: 5 },
    );
    expect(inside).toBeGreaterThan(200);
  });
});
