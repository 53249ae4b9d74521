/**
 * The app command's V8 code cache (stacks/compile-cache.cjs), run in child processes: modules run
 * the same with and without it, a cache is written once and reused, a stale or corrupt entry is
 * replaced, and PLATFORM_COMPILE_CACHE=0 turns it off.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const hook = path.resolve(__dirname, "../../stacks/compile-cache.cjs");
let work: string;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "compile-cache-"));
  writeFileSync(path.join(work, "dep.js"), "#!/usr/bin/env node\nexports.twice = (n) => 2 * n;\n");
  writeFileSync(
    path.join(work, "main.js"),
    [
      'const { twice } = require("./dep");',
      'const resolved = path => require.resolve(path).endsWith("dep.js");',
      "module.exports = { value: twice(21), dirname: __dirname, filename: __filename, resolves: resolved(\"./dep\"), isMain: require.main === module };",
      'import("node:path").then((p) => console.log(JSON.stringify({ ...module.exports, dynamicImport: typeof p.join })));',
    ].join("\n"),
  );
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Runs main.js with the hook installed on `cache`; returns its output. */
function run(cache: string, env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  const script = `require(${JSON.stringify(hook)}).installCompileCache(${JSON.stringify(cache)}); require("./main.js");`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: work, encoding: "utf8", env: { ...process.env, ...env } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const entries = (cache: string): string[] => {
  try {
    return readdirSync(cache).sort();
  } catch {
    return [];
  }
};

test("modules run the same as without the hook: require, require.resolve, __dirname, __filename, dynamic import(), a #! line", () => {
  const cache = path.join(work, "cache");
  const expected = { value: 42, dirname: work, filename: path.join(work, "main.js"), resolves: true, isMain: false, dynamicImport: "function" };
  expect(run(cache)).toEqual(expected);
  expect(run(cache)).toEqual(expected);
});

test("the first run writes one entry per module (main.js calls import() and is left to Node), the next reuses them without writing", () => {
  const cache = path.join(work, "cache");
  run(cache);
  const written = entries(cache);
  expect(written).toHaveLength(1);
  const mtimes = written.map((f) => statSync(path.join(cache, f)).mtimeMs);
  run(cache);
  expect(entries(cache)).toEqual(written);
  expect(written.map((f) => statSync(path.join(cache, f)).mtimeMs)).toEqual(mtimes);
});

test("a changed module gets a new entry and runs its new code; a corrupt entry is replaced", () => {
  const cache = path.join(work, "cache");
  run(cache);
  writeFileSync(path.join(work, "dep.js"), "exports.twice = (n) => 3 * n;\n");
  expect(run(cache).value).toBe(63);
  expect(entries(cache)).toHaveLength(2);
  for (const f of entries(cache)) writeFileSync(path.join(cache, f), "not a V8 code cache");
  expect(run(cache).value).toBe(63);
  const sizes = entries(cache).map((f) => statSync(path.join(cache, f)).size);
  expect(sizes.filter((s) => s === "not a V8 code cache".length)).toHaveLength(1); // the old dep.js entry, unused
});

test("PLATFORM_COMPILE_CACHE=0 writes nothing", () => {
  const cache = path.join(work, "cache");
  expect(run(cache, { PLATFORM_COMPILE_CACHE: "0" }).value).toBe(42);
  expect(entries(cache)).toEqual([]);
});
