import { spawnSync } from "node:child_process";
import { conformanceRequired } from "../support/conformance";
import { exampleSynthJson } from "../support/example-synth";

/*
 * Every string in Terraform's JSON configuration is a string template: `${…}` is an interpolation
 * and `%{…}` a directive, and a literal `${` must be written `$${` (Terraform language, "JSON
 * Configuration Syntax": "strings … are interpreted as string templates"; "Strings and Templates",
 * escape sequences). Shell scripts, CI files and JSON documents the platform puts into resource
 * arguments carry `${VAR}` of their own: unescaped, plan fails with "A reference to a resource type
 * must be followed by at least one attribute access" (or worse, reads a resource). This test reads
 * every string of every synthesized stack of the example and accepts an interpolation only when it
 * starts the way a Terraform expression the stacks emit starts: a resource of the same stack, a
 * named value (data., var., local., module., each., count., path., terraform., self.) or a call of
 * a Terraform function (the list from `terraform metadata functions -json` where terraform is
 * installed). It accepts no directive.
 */
const NAMED_VALUES = new Set(["data", "var", "local", "module", "each", "count", "path", "terraform", "self"]);

/** Terraform's function names, from the terraform binary; undefined when it is not installed. */
function terraformFunctions(): Set<string> | undefined {
  const run = spawnSync("terraform", ["metadata", "functions", "-json"], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (run.status !== 0) {
    if (conformanceRequired) throw new Error(`terraform metadata functions failed: ${run.error?.message ?? run.stderr}`);
    console.warn("terraform is not installed: function names in interpolations are checked by form only");
    return undefined;
  }
  return new Set(Object.keys((JSON.parse(run.stdout) as { function_signatures: Record<string, unknown> }).function_signatures));
}

/** Every string in `value` with its JSON path. */
function* stringsOf(value: unknown, at: string): Generator<[string, string]> {
  if (typeof value === "string") yield [at, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsOf(v, `${at}[${i}]`);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* stringsOf(v, `${at}.${k}`);
}

/** The template sequences of a Terraform string (escaped `$${` and `%%{` removed first), each with what follows it. */
function templateSequences(text: string): { kind: "${" | "%{"; rest: string }[] {
  const unescaped = text.replace(/\$\$\{/g, "").replace(/%%\{/g, "");
  return [...unescaped.matchAll(/([$%])\{/g)].map((m) => ({ kind: `${m[1]}{` as "${" | "%{", rest: unescaped.slice(m.index! + 2, m.index! + 42) }));
}

/** Why a template sequence is not one the stacks mean, or undefined when it is. */
function unintended(sequence: { kind: string; rest: string }, resourceTypes: ReadonlySet<string>, functions: ReadonlySet<string> | undefined): string | undefined {
  if (sequence.kind === "%{") return "a template directive";
  const m = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*([.(]?)/.exec(sequence.rest);
  if (!m) return "not an expression";
  const [, root, next] = m as unknown as [string, string, string];
  if (next === "." && (NAMED_VALUES.has(root) || resourceTypes.has(root))) return undefined;
  if (next === "(" && (functions ? functions.has(root) : /^[a-z][a-z0-9_]*$/.test(root))) return undefined;
  return `\${${root}${next} is neither a reference to this stack's resources or named values nor a Terraform function call`;
}

describe("Terraform string templates in the synthesized stacks", () => {
  const functions = terraformFunctions();
  const all = [...exampleSynthJson()].map(([id, json]) => [id, json as Record<string, unknown>] as const);

  test("every ${…} in every string of every stack is a Terraform expression the stack means; no %{…}", () => {
    const found: string[] = [];
    for (const [stack, json] of all) {
      const resourceTypes = new Set(Object.keys((json.resource as Record<string, unknown> | undefined) ?? {}));
      for (const [at, text] of stringsOf(json, stack)) {
        for (const sequence of templateSequences(text)) {
          const why = unintended(sequence, resourceTypes, functions);
          if (why) found.push(`${at}: ${sequence.kind}${sequence.rest.slice(0, 30)}… (${why})`);
        }
      }
    }
    expect(found.slice(0, 20)).toEqual([]);
  });

  test("the check can fail: a shell variable, a CI variable and a directive are caught; references, functions and escapes pass", () => {
    const types = new Set(["aws_iam_role"]);
    const judge = (text: string) => templateSequences(text).map((s) => unintended(s, types, functions));
    expect(judge('echo "${CI_COMMIT_SHA}"')).toStrictEqual([expect.stringContaining("${CI_COMMIT_SHA")]);
    expect(judge("tag: inputs-${PLATFORM_INPUTS_HASH}")).toStrictEqual([expect.stringContaining("PLATFORM_INPUTS_HASH")]);
    expect(judge("%{ if true }x%{ endif }")).toStrictEqual(["a template directive", "a template directive"]);
    expect(judge("${aws_iam_role.ci.arn} ${data.aws_caller_identity.current.account_id} ${jsonencode(var.x)} $${CI_JOB_ID} %%{x}")).toStrictEqual([undefined, undefined, undefined]);
    // Limit: "$$${var.x}" (an escaped dollar, then an interpolation) is read as an escape and not judged; the stacks emit no such text.
    expect(judge("$$${var.x}")).toStrictEqual([]);
  });
});
