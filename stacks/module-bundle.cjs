// The module bundle of the app command (loaded by stacks/register.cjs): every CommonJS module a
// synth loaded from the project or its node_modules (this library's transpiled TypeScript, cdktf,
// the provider classes, yaml, smol-toml) kept as one script, `bundle-<key>.js`, with one V8 code
// cache, `bundle-<key>.cache`, and the module resolutions that synth made, `manifest.json`. The next
// synth resolves those requests from the manifest and runs each module from the bundle, instead of
// resolving every request on disk (Module._resolveFilename: package.json reads, stat calls and
// realpath per request) and reading, checking and deserializing ~740 files one by one (the
// JavaScript, the TypeScript cache entry, the code cache entry). Measured in bench/README.md.
//
// Modules keep their identity: each runs with its own module object, require, __filename and
// __dirname (reads relative to __dirname, e.g. lib/runner/host-files.ts and
// lib/mirror/nexus-user-data.ts, find their files), in require.cache under its own file name. What
// differs: a stack frame of a bundled module names the bundle file and the bundle's line.
// PLATFORM_MODULE_BUNDLE=0 turns the bundle off (e.g. to read a stack trace), and
// PLATFORM_MODULE_BUNDLE=<directory> moves it; unset, empty or 1 is `bundle/` in the V8 code
// cache's directory (stacks/cache-directory.cjs), so PLATFORM_COMPILE_CACHE moves it too and a
// fresh clone starts without one.
//
// When it is used: the manifest names the same Node.js version and loader version (the TypeScript
// options of stacks/register.cjs); every bundled file still has the size and modification time it
// had; so do package-lock.json, node_modules/.package-lock.json (npm rewrites it on every install)
// and the package.json of every package a name was resolved into; and every directory a resolution
// depends on has the same modification time (a file added or removed there changes it): the one
// holding a relative request's target, the one the file was found in, and each node_modules
// directory Node.js looked in for a package name (one that did not exist must still not exist).
// Anything else: the synth runs the usual way and records a new bundle at exit. A module the
// bundle does not hold (another PLATFORM_CONFIG, a module only an error path loads)
// loads the usual way and is added to the bundle at exit. Modules whose text contains `import(`
// are left to Node (as in stacks/compile-cache.cjs). Files outside the given roots (a
// PLATFORM_CONFIG in a temporary directory) are never bundled.
//
// The bundle is written at the exit of the synth that recorded it; its code cache at the exit of the
// first synth that ran it (so the functions that synth compiled lazily are in it). V8 rejects a
// cache made by another V8 version or other flags (script.cachedDataRejected); the script is then
// compiled from its text and the cache written anew. Files are written to a temporary name and
// renamed, and the manifest last, so a concurrent synth reads either the old or the new bundle.
// Costs: ~12 MB (bundle) + ~8 MB (code cache) of disk; a synth that records writes the bundle.
"use strict";
const Module = require("node:module");
const vm = require("node:vm");
const v8 = require("node:v8");
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");
const { installBundleStackTraces } = require("./bundle-stack-traces.cjs");
const { requireFor } = require("./compile-cache.cjs");

const FORMAT = 3;
/** Modules or resolutions a synth may take from outside the bundle before it is recorded again (or 5 % of its modules). */
const MAX_OUTSIDE = 16;
/** Bytecode a synth may compile outside the bundle's code cache before the cache is written again. */
const GROWTH_BYTES = 64 * 1024;
const EXTENSIONS = [".js", ".cjs", ".ts"];
const WRAPPER = "(function (exports, require, module, __filename, __dirname) {";
/** A checksum of the bundle's text for its file name: CRC-32 where zlib has it (Node.js 20.15 and later), else SHA-1. */
const checksum =
  typeof zlib.crc32 === "function"
    ? (text) => zlib.crc32(text).toString(16).padStart(8, "0")
    : (text) => require("node:crypto").createHash("sha1").update(text).digest("hex");


const statOf = (file) => {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s === undefined ? null : [s.size, s.mtimeMs];
};
const sameStat = (a, b) => (a === null ? b === null : b !== null && a[0] === b[0] && a[1] === b[1]);

/**
 * What the resolutions depend on, besides the bundled files themselves: for a relative or absolute
 * request, the directory that holds (or would hold) its target (`./x` is x, x.js, x.ts or x/index.js
 * there) and the one the file was found in; for a package name, every node_modules directory Node.js
 * looks in from the requesting directory (Module._nodeModulePaths: one per parent that is not itself
 * named node_modules; a missing one must stay missing) and the package's package.json ("main",
 * "exports"). A file added or removed in a directory changes its modification time.
 * @param {Map<string, string>} resolutions "<directory>\0<request>" -> filename
 * @returns {{ directories: Set<string>, files: Set<string> }}
 */
function dependenciesOf(resolutions) {
  const directories = new Set();
  const files = new Set();
  for (const [key, filename] of resolutions) dependOn(key, filename, directories, files);
  return { directories, files };
}

/** Adds what the resolution of `key` ("<directory>\0<request>") to `filename` depends on to `directories` and `files`. */
function dependOn(key, filename, directories, files) {
  const from = key.slice(0, key.indexOf("\0"));
  const request = key.slice(from.length + 1);
  directories.add(path.dirname(filename));
  if (request.startsWith(".") || path.isAbsolute(request)) {
    directories.add(path.dirname(path.resolve(from, request)));
    return;
  }
  for (let d = from; ; d = path.dirname(d)) {
    if (path.basename(d) !== "node_modules") directories.add(path.join(d, "node_modules"));
    if (path.dirname(d) === d) break;
  }
  const inPackage = filename.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (inPackage >= 0) {
    const segments = filename.slice(inPackage + 14).split(path.sep);
    const name = segments[0].startsWith("@") ? segments.slice(0, 2) : segments.slice(0, 1);
    files.add(path.join(filename.slice(0, inPackage + 13), ...name, "package.json"));
  }
}

/**
 * Reads the manifest and its bundle from `dir`; undefined when there is none, or it was made by
 * another Node.js or loader version, after another install (lock files, a package.json), or its
 * bundle file is gone. Modules whose file changed are `stale` (loaded the usual way), and
 * resolutions depending on a directory that changed are left out (resolved the usual way).
 * @returns {{ manifest: object, source: string, cachedData: Buffer | undefined, bundleFile: string, cacheFile: string, stale: Set<number>, resolutions: Map<string, string>, dropped: number } | undefined}
 */
function readBundle(dir, version, locks) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT || manifest.node !== process.version || manifest.version !== version) return undefined;
  if (locks.some((file, i) => !sameStat(statOf(file), manifest.locks[i] ?? null))) return undefined;
  for (const [file, stat] of manifest.files) if (!sameStat(statOf(file), stat)) return undefined;
  const stale = new Set();
  manifest.modules.forEach(([file, size, mtimeMs], i) => sameStat(statOf(file), [size, mtimeMs]) || stale.add(i));
  const changed = new Set(manifest.directories.filter(([directory, mtimeMs]) => (statOf(directory)?.[1] ?? null) !== mtimeMs).map(([directory]) => directory));
  const resolutions = new Map();
  for (const [key, filename] of Object.entries(manifest.resolutions)) {
    if (changed.size > 0) {
      const directories = new Set();
      dependOn(key, filename, directories, new Set());
      if ([...directories].some((d) => changed.has(d))) continue;
    }
    resolutions.set(key, filename);
  }
  const bundleFile = path.join(dir, `bundle-${manifest.key}.js`);
  const cacheFile = path.join(dir, `bundle-${manifest.key}.cache`);
  let source;
  try {
    source = fs.readFileSync(bundleFile, "utf8");
  } catch {
    return undefined;
  }
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // written at the exit of this synth
  }
  return { manifest, source, cachedData, bundleFile, cacheFile, stale, resolutions, dropped: Object.keys(manifest.resolutions).length - resolutions.size };
}

/**
 * A module's text as the bundle holds it: a leading "#!" line turned into a comment of the same
 * length (allowed in a module, a syntax error inside a function), and the inline source map that
 * stacks/register.cjs's SWC options append to transpiled TypeScript dropped (11 of the bundle's 17 MB;
 * a bundled module's stack frames name the bundle anyway).
 */
function bundledText(content) {
  const text = content.startsWith("#!") ? `//${content.slice(2)}` : content;
  const map = text.lastIndexOf("\n//# sourceMappingURL=data:");
  return map >= 0 && !text.includes("\n", map + 1) ? text.slice(0, map + 1) : text;
}

/** The number of "\n" in `text`. */
function lineBreaks(text) {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * A module's bundled text kept for the exit as UTF-8 bytes (so the process does not keep the text it
 * was compiled from, with its source map), with its length in UTF-16 code units (the bundle's
 * offsets are positions in the text V8 reads) and its line breaks.
 */
function encoded(text) {
  return { bytes: Buffer.from(text, "utf8"), length: text.length, lines: lineBreaks(text) };
}

/**
 * Writes the bundle's code cache when it has none (or V8 rejected it), or when this synth compiled
 * more than GROWTH_BYTES of bytecode after the bundle was compiled (v8.getHeapCodeStatistics): V8
 * caches the functions compiled so far, and lazily compiled ones run on some synths only (the rule
 * pack's with an empty findings cache: ~120 kB). A synth whose functions are all in the cache grows
 * by less than nothing (old bytecode is flushed). The new cache holds what the old one held and what
 * this synth compiled. Creating it costs ~45 ms; modules loaded from their files (edited ones) count
 * too, so a large edit makes every synth write it until the bundle is recorded again.
 */
function writeCodeCache(existing, script, bytecodeAtStart) {
  const grown = v8.getHeapCodeStatistics().bytecode_and_metadata_size - bytecodeAtStart;
  if (existing.cachedData !== undefined && !script.cachedDataRejected && grown <= GROWTH_BYTES) return;
  writeAtomic(existing.cacheFile, script.createCachedData());
}

/** Writes `file` atomically (a temporary name, then rename). */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Installs the bundle kept in `dir`.
 * @param {string} dir the bundle's directory
 * @param {{ roots: string[], version: string, locks: string[] }} options `roots`: real paths of the
 *   directories whose modules may be bundled; `version`: the loader's version (a different one
 *   discards the bundle); `locks`: files whose size and modification time the bundle depends on
 * @returns {"bundle" | "record"} whether this process runs from the bundle or records one
 */
function installModuleBundle(dir, { roots, version, locks }) {
  const eligible = (filename) => roots.some((root) => filename === root || filename.startsWith(root + path.sep));
  let existing = readBundle(dir, version, locks);
  /** Modules to bundle at exit: filename -> text (compiled the usual way in this process). */
  const added = new Map();
  /** Resolutions to keep: "<directory>\0<request>" -> filename. */
  const resolutions = existing ? existing.resolutions : new Map();

  const nodeResolve = Module._resolveFilename;
  Module._resolveFilename = function resolveFilename(request, parent, isMain, options) {
    const from = !isMain && options === undefined && parent && typeof parent.filename === "string" ? path.dirname(parent.filename) : undefined;
    const key = from === undefined ? undefined : `${from}\0${request}`;
    const hit = key === undefined ? undefined : resolutions.get(key);
    if (hit !== undefined) return hit;
    const filename = nodeResolve.call(this, request, parent, isMain, options);
    if (key !== undefined && path.isAbsolute(filename) && eligible(from) && eligible(filename)) resolutions.set(key, filename);
    return filename;
  };

  const nodeCompile = Module.prototype._compile;
  Module.prototype._compile = function compile(content, filename) {
    if (eligible(filename) && !content.includes("import(")) added.set(filename, encoded(bundledText(content)));
    return nodeCompile.call(this, content, filename);
  };

  let script;
  let bytecodeAtStart;
  let index;
  let functions;
  if (existing) {
    try {
      script = new vm.Script(existing.source, { filename: existing.bundleFile, cachedData: existing.cachedData });
      functions = script.runInThisContext();
    } catch {
      functions = undefined;
    }
    // A bundle file that does not compile to one function per module (damaged on disk) is recorded again.
    if (!Array.isArray(functions) || functions.length !== existing.manifest.modules.length || !functions.every((f) => typeof f === "function")) {
      existing = undefined;
      resolutions.clear();
    }
  }
  if (existing) {
    index = new Map(existing.manifest.modules.flatMap(([filename], i) => (existing.stale.has(i) ? [] : [[filename, i]])));
    bytecodeAtStart = v8.getHeapCodeStatistics().bytecode_and_metadata_size;
    installBundleStackTraces(
      existing.bundleFile,
      existing.manifest.modules.map(([filename, , , , , line]) => [filename, line]),
      WRAPPER.length,
    );
    for (const ext of EXTENSIONS) {
      const load = Module._extensions[ext];
      if (typeof load !== "function") continue;
      Module._extensions[ext] = function loadFromBundle(module, filename) {
        const i = index.get(filename);
        if (i === undefined) return load(module, filename);
        return functions[i].call(module.exports, module.exports, requireFor(module), module, filename, path.dirname(filename));
      };
    }
  }

  const resolutionsBefore = resolutions.size;
  process.once("exit", () => {
    try {
      if (!existing && added.size === 0) return;
      fs.mkdirSync(dir, { recursive: true });
      // A bundle in use is recorded again only when many of its modules or resolutions were not
      // used (edited files, changed directories, new modules): recording discards its code cache.
      const outside = existing ? added.size + existing.dropped + (resolutions.size - resolutionsBefore) : Infinity;
      if (existing && outside <= Math.max(MAX_OUTSIDE, existing.manifest.modules.length / 20)) {
        writeCodeCache(existing, script, bytecodeAtStart);
        return;
      }
      // Record: the modules of the bundle read (their text is the bundle's slice) and those added.
      const texts = new Map();
      if (existing) {
        existing.manifest.modules.forEach(([filename, , , start, end], i) => existing.stale.has(i) || texts.set(filename, encoded(existing.source.slice(start, end))));
      }
      for (const [filename, text] of added) texts.set(filename, text);
      const parts = [Buffer.from("[\n")];
      const wrapper = Buffer.from(WRAPPER);
      const close = Buffer.from("\n}),\n");
      let position = 2;
      let line = 2;
      const modules = [];
      for (const [filename, text] of texts) {
        const stat = statOf(filename);
        if (stat === null) continue;
        parts.push(wrapper, text.bytes, close);
        const start = position + WRAPPER.length;
        modules.push([filename, stat[0], stat[1], start, start + text.length, line]);
        position = start + text.length + 5;
        line += text.lines + 2;
      }
      parts.push(Buffer.from("]\n"));
      const source = Buffer.concat(parts);
      const { directories, files } = dependenciesOf(resolutions);
      const key = `${checksum(source)}-${source.length}`;
      const manifest = {
        format: FORMAT,
        node: process.version,
        version,
        key,
        locks: locks.map(statOf),
        modules,
        files: [...files].map((f) => [f, statOf(f)]),
        directories: [...directories].map((d) => [d, statOf(d)?.[1] ?? null]),
        resolutions: Object.fromEntries(resolutions),
      };
      writeAtomic(path.join(dir, `bundle-${key}.js`), source);
      writeAtomic(path.join(dir, "manifest.json"), JSON.stringify(manifest));
      for (const f of fs.readdirSync(dir)) if (f.startsWith("bundle-") && !f.startsWith(`bundle-${key}.`)) fs.rmSync(path.join(dir, f), { force: true });
    } catch {
      // a read-only checkout runs without the bundle
    }
  });
  return existing ? "bundle" : "record";
}

module.exports = { installModuleBundle, requireFor };
