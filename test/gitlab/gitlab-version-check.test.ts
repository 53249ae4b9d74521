import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { FORK_MERGE_REQUEST_SUB_MINIMUMS, GitLabVersionCheck, versionAtLeastExpression } from "../../lib/gitlab/gitlab-version-check";
import { exampleConfig } from "../../stacks/example-config";
import { versionMinimumsOf } from "../../stacks/gitlab-version-config";
import { describeWithTool, runTool } from "../support/conformance";
import { synth, testStack, violationOf } from "../support/synth";
import { evaluateConditions } from "./terraform-console";

type Postcondition = { condition: string; error_message: string };
function build(props: Partial<ConstructorParameters<typeof GitLabVersionCheck>[2]> = {}) {
  const stack = testStack();
  const check = new GitLabVersionCheck(stack, "gitlab-version", { gitlabUrl: "https://gitlab.example.com", ...props });
  const json = synth(stack).json;
  const data = Object.values(json.data?.gitlab_metadata ?? {});
  return { check, json, data, postconditions: data.map((d) => (d.lifecycle as { postcondition: Postcondition[] }).postcondition[0]!) };
}

/** The rule, written independently: at least the newest minimum, or a listed backport's line at or above its patch. */
function reference(version: string, minimums: readonly string[]): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const parsed = minimums.map((v) => v.split(".").map(Number) as [number, number, number]);
  const cmp = (a: readonly number[], b: readonly number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const newest = [...parsed].sort(cmp).pop()!;
  return cmp([major, minor, patch], newest) >= 0 || parsed.some(([M, N, P]) => major === M && minor === N && patch >= P);
}

/** Evaluates the expression for every version in one `terraform console` session: a list of booleans. */
function evaluateVersions(versions: readonly string[], minimums: readonly string[]): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), "tf-version-"));
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals: { versions } }));
    const expression = `jsonencode([for c in local.versions : ${versionAtLeastExpression("c", minimums)}])`;
    const run = runTool("terraform", ["console"], { cwd: dir, input: `${expression}\n`, env: { ...process.env, TF_IN_AUTOMATION: "1" } });
    const out = run.stdout.trim().split("\n").pop()!.trim();
    return JSON.parse(JSON.parse(out) as string) as boolean[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("GitLabVersionCheck", () => {
  test("a gitlab_metadata data source whose postcondition names the version found, the minimum and the fix", () => {
    const { data, postconditions } = build();
    expect(data).toHaveLength(1);
    expect(postconditions[0]!.condition).toBe(`\${${versionAtLeastExpression("self.version", FORK_MERGE_REQUEST_SUB_MINIMUMS)}}`);
    expect(postconditions[0]!.error_message).toMatch(/^GitLab at https:\/\/gitlab\.example\.com runs \$\{self\.version\}: .* only from GitLab 18\.2\.2; .*Fix: upgrade GitLab, or, .*gitlab\.skipVersionCheck/);
  });

  test("backports listed as minimums are named in the message", () => {
    const { postconditions } = build({ minimumVersions: ["18.2.2", "18.1.4", "18.0.6"] });
    expect(postconditions[0]!.error_message).toMatch(/only from GitLab 18\.2\.2 \(or the patch releases 18\.1\.4, 18\.0\.6 of older lines\)/);
  });

  test("skipped with a reason: no data source, a warning with the reason", () => {
    const { data, check } = build({ skip: { reason: "no fork merge requests" } });
    expect(data).toHaveLength(0);
    expect(check.metadata).toBeUndefined();
    const warnings = check.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/^GitLab version check skipped \(no fork merge requests\)/)]);
  });

  test("bad input: a skip without a reason, a malformed minimum", () => {
    expect(violationOf(() => build({ skip: { reason: " " } })).message).toMatch(/^test\/gitlab-version: invalid skip reason " "\. Rule: skipping the GitLab version check needs a written reason/);
    expect(violationOf(() => build({ skip: {} as never })).message).toMatch(/invalid skip reason undefined/);
    expect(violationOf(() => build({ minimumVersions: ["18.2"] })).message).toMatch(/invalid minimumVersions \["18\.2"\]\. Rule: minimum GitLab versions are one or more <major>\.<minor>\.<patch>/);
    expect(violationOf(() => build({ minimumVersions: [] })).message).toMatch(/invalid minimumVersions \[\]/);
  });

  test("minimums that let vulnerable releases pass are refused by the construct itself, as by the configuration layer", () => {
    // Before, the construct checked only the format: each of these synthesized a postcondition accepting 18.2.1 or older.
    const newestTooOld = /invalid minimumVersions .*Rule: the newest listed version is the minimum for every later line, and no release before 18\.2\.2/;
    expect(violationOf(() => build({ minimumVersions: ["18.2.1"] })).message).toMatch(/^test\/gitlab-version: /);
    expect(violationOf(() => build({ minimumVersions: ["18.2.1"] })).message).toMatch(newestTooOld);
    expect(violationOf(() => build({ minimumVersions: ["18.0.0"] })).message).toMatch(newestTooOld);
    expect(violationOf(() => build({ minimumVersions: ["17.11.0", "18.2.0"] })).message).toMatch(newestTooOld);
    expect(violationOf(() => build({ minimumVersions: ["18.3.0", "18.2.1"] })).message).toMatch(
      /Rule: 18\.2\.1 is on the 18\.2 line below 18\.2\.2, the first release of that line with the fork merge-request ID token fix.*Fix: raise 18\.2\.1 to 18\.2\.2/,
    );
    // Backports of older lines beside 18.2.2 or later stay accepted.
    expect(build({ minimumVersions: ["18.3.0", "18.2.2", "18.1.4"] }).data).toHaveLength(1);
  });

  test("the construct and the configuration layer refuse the same lists (property: one rule, two callers)", () => {
    const minimum = fc.tuple(fc.integer({ min: 17, max: 19 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })).map(([a, b, c]) => `${a}.${b}.${c}`);
    const refused = (run: () => unknown) => {
      try {
        run();
        return false;
      } catch {
        return true;
      }
    };
    fc.assert(
      fc.property(fc.uniqueArray(minimum, { minLength: 1, maxLength: 3 }), (minimumVersions) => {
        const config = { ...exampleConfig, environments: exampleConfig.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, minimumVersions } })) };
        const byConstruct = refused(() => build({ minimumVersions }));
        expect(refused(() => versionMinimumsOf(config, exampleConfig.environments[0]!.gitlab.url))).toBe(byConstruct);
        // Independent reading: refused exactly when the newest is below 18.2.2 or an 18.2 entry is below 18.2.2.
        const parsed = minimumVersions.map((v) => v.split(".").map(Number));
        const below = (n: number[]) => n[0]! < 18 || (n[0] === 18 && (n[1]! < 2 || (n[1] === 2 && n[2]! < 2)));
        expect(byConstruct).toBe(parsed.every(below) || parsed.some((n) => n[0] === 18 && n[1] === 2 && n[2]! < 2));
      }),
      { numRuns: 60 },
    );
  });
});

describeWithTool(
  "terraform",
  "the version comparison, evaluated by terraform console",
  () => {
    test("default minimum 18.2.2: 18.2.1 and older lines refused, 18.2.2, -ee, later minors and 19.0.0 accepted, junk refused", () => {
      const cases: [string, boolean][] = [
        ["18.2.1", false],
        ["18.2.1-ee", false],
        ["18.2.2", true],
        ["18.2.2-ee", true],
        ["18.2.10", true],
        ["18.3.0-pre", true],
        ["18.10.1-ee", true],
        ["18.1.4", false],
        ["18.1.4-ee", false],
        ["18.0.6", false],
        ["17.11.7", false],
        ["17.99.99-ee", false],
        ["19.0.0", true],
        ["19.0.0-ee", true],
        ["", false],
        ["18.2", false],
        ["unknown", false],
      ];
      const results = evaluateVersions(cases.map(([v]) => v), FORK_MERGE_REQUEST_SUB_MINIMUMS);
      expect(Object.fromEntries(cases.map(([v], i) => [v, results[i]]))).toEqual(Object.fromEntries(cases));
    });

    test("with backports 18.1.4 and 18.0.6 listed: their lines from that patch on, nothing below", () => {
      const minimums = ["18.2.2", "18.1.4", "18.0.6"];
      const cases: [string, boolean][] = [
        ["18.1.3", false],
        ["18.1.4", true],
        ["18.1.4-ee", true],
        ["18.1.10", true],
        ["18.0.5-ee", false],
        ["18.0.6-ee", true],
        ["18.2.1", false],
        ["18.2.2", true],
        ["17.11.9", false],
        ["19.0.0", true],
      ];
      const results = evaluateVersions(cases.map(([v]) => v), minimums);
      expect(Object.fromEntries(cases.map(([v], i) => [v, results[i]]))).toEqual(Object.fromEntries(cases));
    });

    test("agrees with an independent reading of the rule over generated versions and minimums (property)", () => {
      const version = fc
        .tuple(fc.integer({ min: 16, max: 20 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.constantFrom("", "-ee", "-ce", "-pre"))
        .map(([a, b, c, s]) => `${a}.${b}.${c}${s}`);
      const minimum = fc.tuple(fc.integer({ min: 17, max: 19 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 11 })).map(([a, b, c]) => `${a}.${b}.${c}`);
      // One terraform session per generated case list (each holds many versions).
      fc.assert(
        fc.property(fc.array(version, { minLength: 20, maxLength: 40 }), fc.uniqueArray(minimum, { minLength: 1, maxLength: 3 }), (versions, minimums) => {
          expect(evaluateVersions(versions, minimums)).toEqual(versions.map((v) => reference(v, minimums)));
        }),
        { numRuns: 8 },
      );
    });

    test("the synthesized postcondition evaluates the same with self.version", () => {
      const { postconditions } = build();
      const results = evaluateConditions(["18.2.1-ee", "18.2.2-ee"].map((version) => ({ condition: postconditions[0]!.condition, self: { version } })));
      expect(results).toEqual(["false", "true"]);
    });
  },
  ["version"],
);
