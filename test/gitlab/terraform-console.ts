import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "../support/conformance";

/** One expression over `self` (a postcondition's condition) and the data source attributes it sees. */
export interface ConsoleCase {
  readonly condition: string;
  readonly self: unknown;
}

/**
 * Evaluates postcondition expressions with the terraform binary (`terraform
 * console`, no provider needed): each case's `self` becomes `local.case<n>`,
 * and every expression is one line of one console session. Returns what the
 * console printed for each (`true`, `false`), or the error text.
 */
export function evaluateConditions(cases: readonly ConsoleCase[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "tf-console-"));
  try {
    const locals = Object.fromEntries(cases.map((c, i) => [`case${i}`, c.self]));
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals }));
    const unwrap = (condition: string) => (condition.startsWith("${") && condition.endsWith("}") ? condition.slice(2, -1) : condition);
    return cases.map((c, i) => {
      const expression = unwrap(c.condition).replace(/\bself\./g, `local.case${i}.`);
      const run = runTool("terraform", ["console"], { cwd: dir, input: `${expression}\n`, env: { ...process.env, TF_IN_AUTOMATION: "1" } });
      const out = run.stdout.trim().split("\n").pop()?.trim() ?? "";
      return out === "true" || out === "false" ? out : `error: ${run.stderr.trim() || out}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
