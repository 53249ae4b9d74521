// A V8 code cache for the app command (loaded by stacks/register.cjs): every CommonJS module the
// app loads (cdktf, the provider classes, this library's transpiled TypeScript) is compiled by V8
// once and its code cache kept in .gen/compile-cache, so later synths deserialize code instead of
// parsing and compiling ~11 MB of JavaScript again. Measured in bench/README.md.
//
// Where Node.js has module.enableCompileCache(dir) (22.8 and later; the JavaScript API of the
// NODE_COMPILE_CACHE feature of 22.1) this is Node's own cache. Node.js 20 has neither: there the
// hook below compiles each module with
// vm.Script and its cachedData (the technique of the v8-compile-cache package), and writes the
// cache of modules that had none (or a rejected one) when the process exits, after the app ran,
// so that the functions it compiled lazily are in the cache too. V8 rejects a cache made by
// another V8 version or other flags (script.cachedDataRejected); the module is then compiled
// as usual and its cache written anew. Entries are keyed by file name, content length and the
// content's CRC-32 (zlib.crc32, native; Node's own compile cache checks a CRC-32 of the source
// too: GetHash in src/compile_cache.cc). A SHA-1 of every module's text cost ~40 ms per synth.
//
// Modules whose text contains `import(` are left to Node (vm.Script would need an experimental
// loader option for them). Costs: ~15 MB of disk; a module's first line is compiled inside Node's module wrapper, so a
// stack frame on that line reports its column shifted by the wrapper's length.
// PLATFORM_COMPILE_CACHE=0 turns it off and PLATFORM_COMPILE_CACHE=<directory> moves it (read by
// stacks/register.cjs, which passes the directory); delete .gen/compile-cache freely.
"use strict";
const Module = require("node:module");
const vm = require("node:vm");
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");

const hex = (n) => n.toString(16).padStart(8, "0");
/** The entry name of a module: CRC-32s where zlib has crc32 (added in Node.js 22.2, in 20.20 here; tested at run time), a SHA-1 otherwise. */
const entryName =
  typeof zlib.crc32 === "function"
    ? (filename, content) => `${hex(zlib.crc32(filename))}-${hex(zlib.crc32(content))}-${content.length}`
    : (filename, content) => require("node:crypto").createHash("sha1").update(filename).update("\0").update(content).digest("hex");

/** Installs the cache in `dir`; returns how ("node" or "hook"), or undefined when turned off. */
function installCompileCache(dir) {
  if (process.env.PLATFORM_COMPILE_CACHE === "0") return undefined;
  if (typeof Module.enableCompileCache === "function") {
    Module.enableCompileCache(dir);
    return "node";
  }
  const pending = [];
  const nodeCompile = Module.prototype._compile;
  Module.prototype._compile = function compile(content, filename) {
    // vm.Script has no stable way to give a module Node's import() (the loader constant is
    // experimental in Node.js 20): modules that may call import() are compiled by Node as usual.
    if (content.includes("import(")) return nodeCompile.call(this, content, filename);
    const file = path.join(dir, entryName(filename, content));
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      // not cached yet
    }
    // Node compiles a module as a function body, where a leading "#!" line is allowed; inside the
    // wrapper it is a syntax error: turn it into a comment of the same length.
    const source = content.startsWith("#!") ? `//${content.slice(2)}` : content;
    const script = new vm.Script(Module.wrap(source), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) pending.push({ script, file });
    return script.runInThisContext({ displayErrors: true }).call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    if (pending.length === 0) return;
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const { script, file } of pending) {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
      }
    } catch {
      // a read-only checkout runs without the cache
    }
  });
  return "hook";
}

/** The require function Node gives a module (makeRequireFunction in lib/internal/modules/helpers.js); the module bundle uses it too. */
function requireFor(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

module.exports = { installCompileCache, requireFor };
