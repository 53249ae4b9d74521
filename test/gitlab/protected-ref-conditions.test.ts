import fc from "fast-check";
import { hclString, overlapsExpr, refPatternRegex } from "../../lib/gitlab/protected-ref-conditions";
import { describeWithTool, runTool } from "../support/conformance";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allStrings } from "../support/strings";

/** GitLab's ref matching (`Gitlab::RefMatcher`): `*` any run, everything else literal. Written apart from the code under test. */
const matches = (pattern: string, ref: string): boolean => {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === ref;
  if (!ref.startsWith(parts[0]!) || !ref.endsWith(parts[parts.length - 1]!) || ref.length < parts[0]!.length + parts[parts.length - 1]!.length) return false;
  let at = parts[0]!.length;
  const end = ref.length - parts[parts.length - 1]!.length;
  for (const middle of parts.slice(1, -1)) {
    const found = ref.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
};

const ALPHABET = ["a", ".", "+", "("];
const WITNESSES = allStrings(ALPHABET, 6);
/** Whether some ref matches both (witnesses up to 6 characters suffice for patterns of 3 literal characters each). */
const share = (rule: string, trusted: string) => WITNESSES.some((s) => matches(rule, s) && matches(trusted, s));

const pattern = fc.array(fc.constantFrom(...ALPHABET, "*"), { minLength: 1, maxLength: 4 }).map((chars) => chars.join("")).filter((p) => p.replace(/\*/g, "").length <= 3);

describe("refPatternRegex", () => {
  test("anchored, '*' any run, regex metacharacters literal (agrees with GitLab's matching)", () => {
    fc.assert(
      fc.property(pattern, fc.constantFrom(...allStrings(ALPHABET, 4)), (p, ref) => {
        expect(new RegExp(refPatternRegex(p), "s").test(ref)).toBe(matches(p, ref));
      }),
      { seed: 11, numRuns: 400 },
    );
  });
});

describeWithTool(
  "terraform",
  "overlapsExpr evaluated by terraform agrees with GitLab's matching",
  () => {
    test("a protection rule overlaps a trusted ref exactly when some ref matches both (generated patterns, one console session)", () => {
      const pairs = fc.sample(fc.tuple(pattern, pattern), { seed: 7, numRuns: 150 });
      // Non-vacuity: both outcomes occur, and literal as well as wildcard trusted refs.
      const expected = pairs.map(([rule, trusted]) => share(rule, trusted));
      expect(expected.filter(Boolean).length).toBeGreaterThan(20);
      expect(expected.filter((e) => !e).length).toBeGreaterThan(20);
      expect(pairs.filter(([, t]) => !t.includes("*")).length).toBeGreaterThan(10);
      const dir = mkdtempSync(join(tmpdir(), "overlaps-"));
      try {
        const expression = `jsonencode([${pairs.map(([rule, trusted]) => overlapsExpr(hclString(rule), trusted)).join(", ")}])`;
        const run = runTool("terraform", ["console"], { cwd: dir, input: `${expression}\n`, env: { ...process.env, TF_IN_AUTOMATION: "1" } });
        const printed = run.stdout.trim().split("\n").pop()!;
        const actual = JSON.parse(JSON.parse(printed) as string) as boolean[];
        const disagreements = pairs.map(([rule, trusted], i) => ({ rule, trusted, terraform: actual[i], gitlab: expected[i] })).filter((d) => d.terraform !== d.gitlab);
        expect(disagreements).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
  ["version"],
);
