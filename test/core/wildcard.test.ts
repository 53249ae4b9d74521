import fc from "fast-check";
import { actionCovers } from "../../lib/core/iam-data";
import { iamPatternMatches } from "../../lib/core/iam-patterns";
import { matchesPattern } from "../../lib/registry/glob";
import { ECR_TAG_WILDCARDS, IAM_ACTION_WILDCARDS, IAM_RESOURCE_WILDCARDS, wildcardClosure, wildcardMatches, wildcardStep, wildcardsIntersect } from "../../lib/core/wildcard";
import { allStrings } from "../support/strings";

describe("wildcard patterns: one implementation for IAM and ECR", () => {
  test("the dialects differ in '?' (one character for IAM, literal for ECR) and in case (IAM actions only)", () => {
    expect(wildcardMatches("a?c", "abc", IAM_RESOURCE_WILDCARDS)).toBe(true);
    expect(wildcardMatches("a?c", "abc", ECR_TAG_WILDCARDS)).toBe(false);
    expect(wildcardMatches("a?c", "a?c", ECR_TAG_WILDCARDS)).toBe(true);
    expect(wildcardMatches("Ecr:Get*", "ecr:GetAuthorizationToken", IAM_ACTION_WILDCARDS)).toBe(true);
    expect(wildcardMatches("Ecr:Get*", "ecr:GetAuthorizationToken", IAM_RESOURCE_WILDCARDS)).toBe(false);
    expect(wildcardsIntersect("A*", "a?", IAM_ACTION_WILDCARDS)).toBe(true);
    expect(wildcardsIntersect("A*", "a?", IAM_RESOURCE_WILDCARDS)).toBe(false);
    expect(wildcardsIntersect("a?", "ab", ECR_TAG_WILDCARDS)).toBe(false);
  });

  // The action matcher of iam-data.ts compiled `*` to `.` without the dotAll flag, unlike the
  // resource and tag matchers: a `*` did not span a line break there.
  test("a '*' spans a line break in every dialect, the IAM action matcher too", () => {
    expect(actionCovers("a*", "a\nb")).toBe(true);
    expect(iamPatternMatches("a*", "a\nb")).toBe(true);
    expect(matchesPattern("a\nb", "a*")).toBe(true);
  });

  test("property: in each dialect, patterns intersect exactly when a short string matches both", () => {
    const pattern = fc.array(fc.constantFrom("a", "B", "*", "?"), { maxLength: 4 }).map((p) => p.join(""));
    const dialect = fc.constantFrom(IAM_RESOURCE_WILDCARDS, IAM_ACTION_WILDCARDS, ECR_TAG_WILDCARDS);
    const strings = allStrings(["a", "b", "B", "?"], 6);
    fc.assert(
      fc.property(pattern, pattern, dialect, (a, b, d) => {
        const witness = strings.some((s) => wildcardMatches(a, s, d) && wildcardMatches(b, s, d));
        expect(wildcardsIntersect(a, b, d)).toBe(witness);
      }),
      { numRuns: 300 },
    );
  });

  test("property: running the positions over a string accepts exactly what the regex matches", () => {
    const pattern = fc.array(fc.constantFrom("a", "b", "*", "?"), { maxLength: 5 }).map((p) => p.join(""));
    const text = fc.array(fc.constantFrom("a", "b", "?", "A"), { maxLength: 6 }).map((p) => p.join(""));
    const dialect = fc.constantFrom(IAM_RESOURCE_WILDCARDS, IAM_ACTION_WILDCARDS, ECR_TAG_WILDCARDS);
    fc.assert(
      fc.property(pattern, text, dialect, (p, t, d) => {
        let states = wildcardClosure(p, [0]);
        for (const c of t) states = wildcardStep(p, states, c, d);
        expect(states.has(p.length)).toBe(wildcardMatches(p, t, d));
      }),
      { numRuns: 500 },
    );
  });
});
