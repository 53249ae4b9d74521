import fc from "fast-check";
import { iamPatternMatches, iamPatternsIntersect } from "../../lib/core/iam-patterns";
import { allStrings } from "../support/strings";

describe("IAM resource patterns", () => {
  test("matching: * any run (also / and :), ? one character, case-sensitive, regex characters literal", () => {
    expect(iamPatternMatches("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y:z")).toBe(true);
    expect(iamPatternMatches("a?c", "abc")).toBe(true);
    expect(iamPatternMatches("a?c", "ac")).toBe(false);
    expect(iamPatternMatches("A*", "abc")).toBe(false);
    expect(iamPatternMatches("a.c", "abc")).toBe(false);
    expect(iamPatternMatches("a(b)+", "a(b)+")).toBe(true);
  });

  test("intersection: examples", () => {
    expect(iamPatternsIntersect("state/production/*/terraform.tfstate", "state/production/web/*")).toBe(true);
    expect(iamPatternsIntersect("state/production/app/*", "state/production/web/*")).toBe(false);
    expect(iamPatternsIntersect("*", "")).toBe(true);
    expect(iamPatternsIntersect("?", "")).toBe(false);
    expect(iamPatternsIntersect("a*b", "*c")).toBe(false);
    expect(iamPatternsIntersect("a*b", "*b")).toBe(true);
    expect(iamPatternsIntersect("ab?", "a*c")).toBe(true);
  });

  test("property: two patterns intersect exactly when some string matches both (brute force over short strings)", () => {
    // Over the alphabet {a, b} a witness of length |a| + |b| exists when the patterns intersect at all.
    const pattern = fc.array(fc.constantFrom("a", "b", "*", "?"), { maxLength: 4 }).map((p) => p.join(""));
    const strings = allStrings(["a", "b"], 8);
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const witness = strings.some((s) => iamPatternMatches(a, s) && iamPatternMatches(b, s));
        expect(iamPatternsIntersect(a, b)).toBe(witness);
        expect(iamPatternsIntersect(b, a)).toBe(witness);
      }),
      { numRuns: 300 },
    );
  });
});
