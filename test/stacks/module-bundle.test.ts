/**
 * The app command's module bundle (stacks/module-bundle.cjs), run in child processes on a small
 * project in a temporary directory: modules run the same from the bundle (require, resolution,
 * __dirname reads, module identity), it is recorded, then used; an edited module runs from its file
 * (many edited modules: the bundle is recorded again), a file added where a request was resolved is
 * found, so is a package added ahead of the bundled one in Node.js's lookup paths; a lock file or
 * package.json change or another loader version make it stale; stack frames name the module's own
 * file and line; PLATFORM_MODULE_BUNDLE=0 turns it off (read by stacks/register.cjs).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const hook = path.resolve(__dirname, "../../stacks/module-bundle.cjs");
let work: string;
let bundle: string;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "module-bundle-"));
  bundle = path.join(work, ".bundle");
  mkdirSync(path.join(work, "lib", "assets"), { recursive: true });
  mkdirSync(path.join(work, "node_modules", "dep"), { recursive: true });
  writeFileSync(path.join(work, "node_modules", "dep", "package.json"), JSON.stringify({ name: "dep", main: "main.js" }));
  writeFileSync(path.join(work, "node_modules", "dep", "main.js"), "#!/usr/bin/env node\nexports.twice = (n) => 2 * n;\n");
  writeFileSync(path.join(work, "lib", "assets", "note.txt"), "read relative to __dirname");
  writeFileSync(
    path.join(work, "lib", "util.js"),
    [
      '"use strict";',
      'const { readFileSync } = require("node:fs");',
      'const path = require("node:path");',
      'exports.note = readFileSync(path.join(__dirname, "assets", "note.txt"), "utf8");',
      "exports.where = () => new Error(\"here\").stack.split(\"\\n\")[1].trim();",
      "//# sourceMappingURL=data:application/json;base64,e30=",
    ].join("\n"),
  );
  writeFileSync(
    path.join(work, "main.js"),
    [
      'const path = require("node:path");',
      'const { twice } = require("dep");',
      'const util = require("./lib/util");',
      "console.log(JSON.stringify({",
      "  value: twice(21),",
      "  note: util.note,",
      '  same: require("./lib/util.js") === util && require.cache[require.resolve("./lib/util")].exports === util,',
      '  resolved: path.relative(__dirname, require.resolve("./lib/util")),',
      "  where: util.where(),",
      "  dirname: __dirname,",
      "}));",
    ].join("\n"),
  );
  writeFileSync(path.join(work, "lock.json"), "{}");
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Runs main.js with the bundle installed; returns its output and whether it ran from the bundle. */
function run(env: NodeJS.ProcessEnv = {}, version = "v1", main = "./main.js"): { out: Record<string, unknown>; mode: string } {
  const options = { roots: [work], version, locks: [path.join(work, "lock.json")] };
  const script = [
    `const dir = process.env.PLATFORM_MODULE_BUNDLE === "0" ? undefined : ${JSON.stringify(bundle)};`,
    `const mode = dir && require(${JSON.stringify(hook)}).installModuleBundle(dir, ${JSON.stringify(options)});`,
    `require(${JSON.stringify(main)});`,
    "process.stderr.write(String(mode));",
  ].join("\n");
  const r = spawnSync(process.execPath, ["-e", script], { cwd: work, encoding: "utf8", env: { ...process.env, ...env } });
  expect(r.status).toBe(0);
  return { out: JSON.parse(r.stdout) as Record<string, unknown>, mode: r.stderr };
}

const files = (): string[] => (existsSync(bundle) ? readdirSync(bundle).sort() : []);

const expected = (where: RegExp) => ({
  value: 42,
  note: "read relative to __dirname",
  same: true,
  resolved: path.join("lib", "util.js"),
  where: expect.stringMatching(where),
  dirname: work,
});
/** The frame of lib/util.js's `where`, line 5, as Node.js writes it without the bundle. */
const ownFrame = () => new RegExp(`^at (Object|exports)\\.where \\(${path.join(work, "lib", "util.js").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:\\d+\\)$`);

test("modules run the same from the bundle: resolution of a package and a relative path, __dirname reads, module identity, a #! line, stack frames with the module's own file and line", () => {
  const first = run();
  expect(first.mode).toBe("record");
  expect(first.out).toEqual(expected(ownFrame()));
  expect(files().filter((f) => f.endsWith(".js"))).toHaveLength(1);
  const second = run(); // runs from the bundle and writes its code cache
  expect(second.mode).toBe("bundle");
  expect(second.out).toEqual(expected(ownFrame()));
  expect(files().filter((f) => f.endsWith(".cache"))).toHaveLength(1);
  const third = run();
  expect(third.mode).toBe("bundle");
  expect(third.out).toEqual(expected(ownFrame()));
});

test("the bundle holds each module's text without its inline source map, and the manifest the resolutions made", () => {
  run();
  const source = readFileSync(path.join(bundle, files().find((f) => f.endsWith(".js"))!), "utf8");
  expect(source).toContain('exports.note = readFileSync(path.join(__dirname, "assets", "note.txt"), "utf8");');
  expect(source).not.toContain("sourceMappingURL");
  expect(source).toContain("//usr/bin/env node"); // the #! line as a comment of the same length
  const manifest = JSON.parse(readFileSync(path.join(bundle, "manifest.json"), "utf8")) as { resolutions: Record<string, string> };
  expect(manifest.resolutions).toMatchObject({
    [`${work}\0dep`]: path.join(work, "node_modules", "dep", "main.js"),
    [`${work}\0./lib/util`]: path.join(work, "lib", "util.js"),
  });
});

const bundleFiles = () => files().filter((f) => f.endsWith(".js"));

test("an edited module runs its new code from its file while the others still run from the bundle, which is kept with its code cache", () => {
  run();
  run();
  const kept = files();
  const dep = path.join(work, "node_modules", "dep", "main.js");
  writeFileSync(dep, "exports.twice = (n) => 3 * n;\n");
  expect(run()).toEqual({ mode: "bundle", out: { ...expected(ownFrame()), value: 63 } });
  expect(run().out.value).toBe(63);
  // Same size, new modification time: the file is read again too.
  writeFileSync(dep, "exports.twice = (n) => 4 * n;\n");
  utimesSync(dep, new Date(), new Date(Date.now() + 5000));
  expect(run().out.value).toBe(84);
  expect(files()).toEqual(kept);
});

test("many edited modules make the bundle be recorded again, with their new texts", () => {
  const count = 20;
  for (let i = 0; i < count; i++) writeFileSync(path.join(work, "lib", `m${i}.js`), `module.exports = ${i};\n`);
  writeFileSync(path.join(work, "many.js"), `console.log(JSON.stringify({ sum: [${Array.from({ length: count }, (_, i) => `require("./lib/m${i}")`).join(", ")}].reduce((a, b) => a + b, 0) }));\n`);
  const sum = () => run({}, "v1", "./many.js").out.sum;
  expect(sum()).toBe(190);
  expect(run({}, "v1", "./many.js").mode).toBe("bundle");
  const before = bundleFiles();
  for (let i = 0; i < count; i++) writeFileSync(path.join(work, "lib", `m${i}.js`), `module.exports = ${2 * i};\n`);
  expect(sum()).toBe(380); // 20 modules from their files (more than 16): recorded again at exit
  expect(bundleFiles()).not.toEqual(before);
  const again = run({}, "v1", "./many.js");
  expect(again).toEqual({ mode: "bundle", out: { sum: 380 } });
});

test("a file added where a request was resolved: that request is resolved again and finds it; a new package main too", () => {
  run();
  run();
  writeFileSync(path.join(work, "node_modules", "dep", "other.js"), "exports.twice = (n) => 5 * n;\n");
  writeFileSync(path.join(work, "node_modules", "dep", "package.json"), JSON.stringify({ name: "dep", main: "other.js" }));
  const r = run();
  expect(r.mode).toBe("record"); // a package.json changed: as after an install
  expect(r.out.value).toBe(105);
  expect(run().mode).toBe("bundle");
  // "./lib/util" resolved to lib/util.js; a file named exactly lib/util comes first for Node.js.
  writeFileSync(path.join(work, "lib", "util"), 'exports.note = "the new file"; exports.where = () => "";\n');
  const added = run();
  expect(added.mode).toBe("bundle");
  expect(added.out).toMatchObject({ value: 105, note: "the new file", resolved: path.join("lib", "util") });
});

test("a package directory added ahead of the bundled one in Node.js's lookup paths is found: a new node_modules, or a package added to an existing one", () => {
  // lib/twice.js asks for "dep" from lib/: Node.js looks in lib/node_modules before node_modules.
  writeFileSync(path.join(work, "lib", "twice.js"), 'module.exports = require("dep").twice(21);\n');
  writeFileSync(path.join(work, "twice-main.js"), 'console.log(JSON.stringify({ value: require("./lib/twice") }));\n');
  const twice = () => run({}, "v1", "./twice-main.js");
  const addPackage = (factor: number) => {
    const dir = path.join(work, "lib", "node_modules", "dep");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "dep", main: "main.js" }));
    writeFileSync(path.join(dir, "main.js"), `exports.twice = (n) => ${factor} * n;\n`);
  };
  expect(twice()).toEqual({ mode: "record", out: { value: 42 } });
  expect(twice()).toEqual({ mode: "bundle", out: { value: 42 } });
  // lib/node_modules did not exist when the bundle was recorded: it must still not exist.
  addPackage(7);
  expect(twice()).toEqual({ mode: "bundle", out: { value: 147 } });
  // lib/node_modules exists (empty of "dep") when the bundle is recorded: a package added there is found.
  rmSync(path.join(work, "lib", "node_modules", "dep"), { recursive: true });
  rmSync(bundle, { recursive: true, force: true });
  expect(twice()).toEqual({ mode: "record", out: { value: 42 } });
  expect(twice()).toEqual({ mode: "bundle", out: { value: 42 } });
  addPackage(9);
  expect(twice()).toEqual({ mode: "bundle", out: { value: 189 } });
});

test("a damaged bundle file is recorded again; a damaged code cache is rejected by V8 and written again", () => {
  run();
  run();
  const script = path.join(bundle, bundleFiles()[0]!);
  writeFileSync(script, "[ not JavaScript");
  expect(run()).toEqual({ mode: "record", out: expected(ownFrame()) });
  run();
  const cache = path.join(bundle, files().find((f) => f.endsWith(".cache"))!);
  writeFileSync(cache, "not a V8 code cache");
  expect(run()).toEqual({ mode: "bundle", out: expected(ownFrame()) });
  expect(readFileSync(cache, "utf8")).not.toBe("not a V8 code cache");
});

test("a changed lock file or loader version makes the bundle stale; PLATFORM_MODULE_BUNDLE=0 writes nothing", () => {
  run();
  expect(run().mode).toBe("bundle");
  writeFileSync(path.join(work, "lock.json"), '{"changed":true}');
  expect(run().mode).toBe("record");
  expect(run().mode).toBe("bundle");
  expect(run({}, "v2").mode).toBe("record");
  rmSync(bundle, { recursive: true, force: true });
  expect(run({ PLATFORM_MODULE_BUNDLE: "0" }).out).toEqual(expected(ownFrame()));
  expect(files()).toEqual([]);
});

test("stacks/register.cjs puts the bundle in the V8 code cache's directory unless PLATFORM_MODULE_BUNDLE names one; 0 turns it off", () => {
  const root = path.resolve(__dirname, "../..");
  const code = path.join(work, "code");
  const answer = path.join(root, "bench", "usage-report.cjs"); // a module of the project (without BENCH_USAGE_FILE it does nothing): bundled
  const script = `require(${JSON.stringify(answer)}); console.log("ok");`;
  const node = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ["-r", "./stacks/register.cjs", "-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, PLATFORM_TS_CACHE: "0", ...env } });
  expect(node({ PLATFORM_COMPILE_CACHE: code }).stdout).toBe("ok\n");
  expect(readdirSync(path.join(code, "bundle"))).toContain("manifest.json");
  const moved = path.join(work, "moved");
  expect(node({ PLATFORM_COMPILE_CACHE: code, PLATFORM_MODULE_BUNDLE: moved }).stdout).toBe("ok\n");
  expect(readdirSync(moved)).toContain("manifest.json");
  const off = path.join(work, "off");
  expect(node({ PLATFORM_COMPILE_CACHE: off, PLATFORM_MODULE_BUNDLE: "0" }).stdout).toBe("ok\n");
  expect(existsSync(path.join(off, "bundle"))).toBe(false);
  expect(statSync(code).isDirectory()).toBe(true);
});

test("the code cache is written again when a synth compiles much more of the bundle than the synth that wrote it, and only then", () => {
  // A function only some runs call (as the rule pack's with an empty findings cache): ~100 kB of bytecode.
  const body = Array.from({ length: 4000 }, (_, i) => `  total += values[${i % 7}] * ${i};`).join("\n");
  writeFileSync(path.join(work, "lib", "rare.js"), `exports.rare = (values) => {\n  let total = 0;\n${body}\n  return total;\n};\n`);
  writeFileSync(path.join(work, "rare-main.js"), 'const { rare } = require("./lib/rare");\nconsole.log(JSON.stringify({ value: process.env.RARE ? rare([1, 2, 3, 4, 5, 6, 7]) : 0 }));\n');
  const rare = (env: NodeJS.ProcessEnv = {}) => run(env, "v1", "./rare-main.js");
  const cache = () => {
    const file = path.join(bundle, files().find((f) => f.endsWith(".cache"))!);
    return { size: statSync(file).size, mtimeMs: statSync(file).mtimeMs };
  };
  rare();
  rare(); // writes the code cache without the rare function
  const first = cache();
  expect(rare().mode).toBe("bundle");
  expect(cache()).toEqual(first);
  expect(rare({ RARE: "1" }).out.value).toBeGreaterThan(0);
  const second = cache();
  expect(second.size).toBeGreaterThan(first.size);
  rare({ RARE: "1" });
  rare();
  expect(cache()).toEqual(second);
});
