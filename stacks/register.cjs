// Loads TypeScript for the app (`node -r ./stacks/register.cjs main.ts`): a require hook that
// strips types with SWC (@swc/core, the native transpiler jest uses here too) and caches the
// JavaScript on disk, so a synth after no change loads JavaScript only.
//
// Why not @swc-node/register: it loads the whole `typescript` package to read tsconfig.json
// before any code runs (~0.2 s on an idle 2-core machine, more under load), and its
// source-map support maps every frame of the stack trace cdktf records for every token.
// This hook needs neither: the options below are tsconfig.json's (target ES2022, CommonJS,
// esModuleInterop) written out. Like any transpile-only loader it does not type-check:
// `npm test` runs `tsc --noEmit`. Measured in bench/README.md.
//
// The cache lives in .gen/ts-cache (git-ignored; delete it freely); a file is compiled
// again when its size, modification time or this hook's options change. Set
// PLATFORM_TS_CACHE=0 to compile in memory only, or PLATFORM_TS_CACHE=<directory> to keep the
// cache elsewhere (an empty directory: a first synth, as on a fresh clone; bench/run.ts does so);
// unset, empty or 1 is the default (stacks/cache-directory.cjs, the rule of every cache variable).
//
// It also installs a V8 code cache for every module the app loads (stacks/compile-cache.cjs;
// PLATFORM_COMPILE_CACHE=0 turns it off, PLATFORM_COMPILE_CACHE=<directory> moves it), and turns
// off cdktf's token creation stacks (stacks/token-traces.cjs; PLATFORM_TOKEN_STACK_TRACES=1 keeps
// them). Last, the module bundle (stacks/module-bundle.cjs; in the code cache's directory,
// PLATFORM_MODULE_BUNDLE=0 turns it off) runs the modules a synth loaded from one script.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");

// "0" off; unset, empty or "1" the default; else the named directory (one rule for every cache variable).
const { cacheDirectory } = require("./cache-directory.cjs");

const gen = path.join(__dirname, "..", ".gen");
const compileCacheDir = cacheDirectory("PLATFORM_COMPILE_CACHE", path.join(gen, "compile-cache"));
if (compileCacheDir !== undefined) require("./compile-cache.cjs").installCompileCache(compileCacheDir);
require("./token-traces.cjs").skipTokenStackTraces();

const OPTIONS = {
  jsc: { parser: { syntax: "typescript" }, target: "es2022", keepClassNames: true },
  module: { type: "commonjs", strictMode: true, noInterop: false },
  sourceMaps: "inline",
  swcrc: false,
  configFile: false,
};
const VERSION = crypto.createHash("sha256").update(JSON.stringify(OPTIONS)).update(require("@swc/core/package.json").version).digest("hex").slice(0, 12);
const cacheDir = cacheDirectory("PLATFORM_TS_CACHE", path.join(gen, "ts-cache"));
let swc;

function compile(source, filename) {
  swc ??= require("@swc/core");
  return swc.transformSync(source, { ...OPTIONS, filename }).code;
}

function load(filename) {
  const stat = fs.statSync(filename);
  const key = crypto.createHash("sha256").update(`${VERSION}\0${filename}\0${stat.size}\0${stat.mtimeMs}`).digest("hex");
  const cached = cacheDir && path.join(cacheDir, `${key}.js`);
  if (cached) {
    try {
      return fs.readFileSync(cached, "utf8");
    } catch {
      // not cached yet
    }
  }
  const code = compile(fs.readFileSync(filename, "utf8"), filename);
  if (cached) {
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      // a read-only checkout compiles in memory
    }
  }
  return code;
}

require.extensions[".ts"] = function (module, filename) {
  module._compile(load(filename), filename);
};

// The module bundle (stacks/module-bundle.cjs) lives with the V8 code cache; off when that is off.
const bundleDir = compileCacheDir && cacheDirectory("PLATFORM_MODULE_BUNDLE", path.join(compileCacheDir, "bundle"));
if (bundleDir !== undefined) {
  const root = fs.realpathSync(path.join(__dirname, ".."));
  const nodeModules = path.join(root, "node_modules");
  require("./module-bundle.cjs").installModuleBundle(bundleDir, {
    roots: [root, ...(fs.existsSync(nodeModules) ? [fs.realpathSync(nodeModules)] : [])],
    version: VERSION,
    locks: [path.join(root, "package-lock.json"), path.join(nodeModules, ".package-lock.json")],
  });
}
