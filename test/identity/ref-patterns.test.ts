import fc from "fast-check";
import { globIncludes, validateReleaseTagPattern } from "../../lib/identity/ref-patterns";
import { violationOf } from "../support/synth";

/** A reference matcher written independently of the automaton: IAM StringLike as a regular expression. */
const likeRegex = (pattern: string) => new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&"))).join("")}$`, "s");

const glob = fc.array(fc.constantFrom("a", "b", ".", "*", "?"), { maxLength: 6 }).map((cs) => cs.join(""));
const text = fc.array(fc.constantFrom("a", "b", ".", "c"), { maxLength: 8 }).map((cs) => cs.join(""));

describe("globIncludes", () => {
  test("sound: when outer includes inner, every string inner matches is matched by outer", () => {
    fc.assert(
      fc.property(glob, glob, text, (outer, inner, s) => {
        if (globIncludes(outer, inner) && likeRegex(inner).test(s)) expect(likeRegex(outer).test(s)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test("complete: when outer does not include inner, some short string shows it", () => {
    // Every counter-example of these small patterns is at most |inner| + 2 characters over {a, b, ., c}.
    const strings = (n: number): string[] => (n === 0 ? [""] : strings(n - 1).flatMap((s) => [s, ...["a", "b", ".", "c"].map((c) => s + c)]));
    const universe = [...new Set(strings(5))];
    fc.assert(
      fc.property(glob.filter((g) => g.length <= 3), glob.filter((g) => g.length <= 3), (outer, inner) => {
        const witness = universe.some((s) => likeRegex(inner).test(s) && !likeRegex(outer).test(s));
        expect(globIncludes(outer, inner)).toBe(!witness);
      }),
      { numRuns: 400 },
    );
  });

  test("reflexive, and '*' includes everything", () => {
    fc.assert(fc.property(glob, (g) => globIncludes(g, g) && globIncludes("*", g)));
  });

  test("the release selector v*.*.* includes v1.*.* and v1.2.3 but not v*, v0-x or *", () => {
    expect(["v1.*.*", "v1.2.3", "v*.*.*", "v*.*.*-rc*"].map((p) => globIncludes("v*.*.*", p))).toEqual([true, true, true, true]);
    expect(["v*", "v0-x", "*", "?*", "v?.*"].map((p) => globIncludes("v*.*.*", p))).toEqual([false, false, false, false, false]);
  });
});

describe("validateReleaseTagPattern", () => {
  const error = (pattern: string) => violationOf(() => validateReleaseTagPattern("config/identity/releaseTags", pattern, "v*.*.*")).message;

  test("accepts the release selector and narrower patterns", () => {
    for (const pattern of ["v*.*.*", "v1.*.*", "v2.0.0"]) expect(() => validateReleaseTagPattern("p", pattern, "v*.*.*")).not.toThrow();
  });

  test.each(["*", "?*", "**", "?"])("refuses the bare wildcard %s", (pattern) => {
    expect(error(pattern)).toMatch(/^config\/identity\/releaseTags: invalid release tag pattern .*Rule: a pattern of wildcards only trusts every tag.*Fix: use the release selector of the CI templates, "v\*\.\*\.\*"/);
  });

  test("refuses '?' (one character for IAM, a literal for GitLab's protected tags)", () => {
    expect(error("v?.*.*")).toMatch(/Rule: '\?' is one character for IAM \(StringLike\) but a literal '\?' for GitLab's protected tags/);
  });

  test.each([
    ["rel/*", "/"],
    ["*/*", "/"],
    ["v+*", "+"],
    ["v*.*.* build", " "],
  ])("refuses %s: a literal outside the Docker tag alphabet makes every matching release push an invalid image tag", (pattern, char) => {
    const message = violationOf(() => validateReleaseTagPattern("config/identity/releaseTags", pattern, "*")).message;
    expect(message).toContain(`invalid release tag pattern ${JSON.stringify(pattern)}`);
    expect(message).toContain(`the pattern holds ${JSON.stringify(char)}, outside the Docker tag alphabet`);
    expect(message).toMatch(/Fix: use only letters, digits, '_', '\.', '-' and '\*'/);
  });

  test("property: a pattern of Docker tag characters and '*' passes the alphabet rule; one with any other character does not", () => {
    const docker = fc.constantFrom("v", "1", ".", "-", "_", "A");
    const other = fc.constantFrom("/", "+", "~", ":", "@", "#", " ");
    fc.assert(
      fc.property(fc.array(docker, { minLength: 1, maxLength: 5 }), fc.option(other), fc.nat(5), (chars, bad, at) => {
        const parts = ["*", ...chars];
        if (bad !== null) parts.splice(at % (parts.length + 1), 0, bad);
        const pattern = parts.join("");
        let message = "";
        try {
          validateReleaseTagPattern("p", pattern, "*");
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message.includes("outside the Docker tag alphabet")).toBe(bad !== null);
      }),
      { seed: 12 },
    );
  });

  test("release tag v0-x: refuses v*, which a Developer's tag v0-x matches", () => {
    expect(error("v*")).toMatch(/invalid release tag pattern "v\*"\. Rule: the pattern may trust only tags the CI templates release \("v\*\.\*\.\*"\); a wider one trusts tags such as v0-x/);
  });
});
