/**
 * The app command's set-up turns off cdktf's token creation stacks (stacks/token-traces.cjs),
 * run in child processes: tokens then record no stack, synthesis is unchanged, and
 * PLATFORM_TOKEN_STACK_TRACES=1 keeps cdktf's traces.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

const hook = path.resolve(__dirname, "../../stacks/token-traces.cjs");
const root = path.resolve(__dirname, "../..");

/** Creates a Lazy and a reference token in a child process, with or without the hook; returns what they recorded. */
function run(env: NodeJS.ProcessEnv, install: boolean): { lazy: number; unresolved: string; resolved: string } {
  const script = [
    install ? `require(${JSON.stringify(hook)}).skipTokenStackTraces();` : "",
    'const { App, Lazy, TerraformStack, Token } = require("cdktf");',
    'const { resolve } = require("cdktf/lib/_tokens");',
    "const app = new App({ outdir: require('node:os').tmpdir() });",
    'const stack = new TerraformStack(app, "s");',
    'const lazy = Lazy.anyValue({ produce: () => "v" });',
    "const token = Token.asString(lazy);",
    "let unresolved = '';",
    "try { resolve(stack, Token.asString(Lazy.anyValue({ produce: () => { throw new Error('boom'); } }))); } catch (e) { unresolved = e.message; }",
    "console.log(JSON.stringify({ lazy: lazy.creationStack.length, unresolved, resolved: resolve(stack, token) }));",
  ].join("\n");
  const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { lazy: number; unresolved: string; resolved: string };
}

describe("token creation stacks in the app command", () => {
  test("cdktf records a stack per token without the hook (what the hook saves)", () => {
    const plain = run({}, false);
    expect(plain.lazy).toBeGreaterThan(0);
    expect(plain.unresolved).toContain("Object creation stack");
  });

  test("with the hook tokens record none; values and errors otherwise unchanged", () => {
    const off = run({}, true);
    expect(off.lazy).toBe(0);
    expect(off.resolved).toBe("v");
    expect(off.unresolved).toContain("boom");
    expect(off.unresolved).not.toContain("Object creation stack");
  });

  test("PLATFORM_TOKEN_STACK_TRACES=1 keeps cdktf's traces", () => {
    const kept = run({ PLATFORM_TOKEN_STACK_TRACES: "1" }, true);
    expect(kept.lazy).toBeGreaterThan(0);
    expect(kept.unresolved).toContain("Object creation stack");
  });

  test("the app command loads the hook", () => {
    const r = spawnSync(process.execPath, ["-r", "./stacks/register.cjs", "-e", 'console.log(require("cdktf/lib/tokens/private/stack-trace").captureStackTrace().length)'], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PLATFORM_TOKEN_STACK_TRACES: "" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("0");
  });
});
