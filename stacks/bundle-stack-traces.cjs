// Stack traces of modules run from the module bundle (stacks/module-bundle.cjs): V8 names the
// bundle file and its line for each frame of a bundled module; this maps them back to the module's
// own file, line and column, so error stacks and the stack traces cdktf records in manifest.json
// (annotations) name lib/…/x.ts:107:45 as without the bundle. Installed as Error.prepareStackTrace
// (V8's stack trace API; Node.js calls it instead of its own formatting when it is a function:
// prepareStackTraceCallback in lib/internal/errors.js) only while the bundle is in use and no other
// formatter is installed. Each frame is written as V8 writes it (CallSite#toString) with the bundle's
// positions replaced; the first line is Node.js's (defaultPrepareStackTrace in Node.js 20:
// "<name> [<code>]: <message>" for Node.js's own errors, else Error.prototype.toString).
"use strict";

/**
 * Installs the formatter for the bundle `bundleFile`.
 * @param {string} bundleFile the bundle's file name, as V8 reports it
 * @param {Array<[string, number]>} modules each bundled module's file name and the bundle's line (1-based) its text starts on, in bundle order
 * @param {number} firstColumnShift the characters before a module's text on its first line (the function wrapper)
 * @returns {boolean} whether it was installed (false when another formatter is there)
 */
function installBundleStackTraces(bundleFile, modules, firstColumnShift) {
  if (Error.prepareStackTrace !== undefined && Error.prepareStackTrace.name !== "ErrorPrepareStackTrace") return false;
  const starts = modules.map(([, line]) => line);
  /** The module holding bundle line `line`: the last start at or before it. */
  const moduleAt = (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || line < starts[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= line) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const escaped = bundleFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const position = new RegExp(`${escaped}:(\\d+):(\\d+)`, "g");
  const mapPositions = (text) =>
    text.replace(position, (whole, l, c) => {
      const i = moduleAt(Number(l));
      if (i < 0) return whole;
      const line = Number(l) - starts[i] + 1;
      const column = line === 1 ? Number(c) - firstColumnShift : Number(c);
      return `${modules[i][0]}:${line}:${column}`;
    });
  const callSiteMethods = (frame) => {
    const names = new Set();
    for (let p = Object.getPrototypeOf(frame); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const name of Object.getOwnPropertyNames(p)) if (name !== "constructor" && typeof p[name] === "function") names.add(name);
    }
    return names;
  };
  /** The frame as the module's own file would give it: a stand-in with every CallSite method, the positions mapped. */
  const mapFrame = (frame) => {
    const text = String(frame);
    if (!text.includes(bundleFile)) return frame;
    const mapped = {};
    for (const name of callSiteMethods(frame)) mapped[name] = (...args) => frame[name](...args);
    const file = frame.getFileName();
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    const i = file === bundleFile && line !== null ? moduleAt(line) : -1;
    if (i >= 0) {
      const own = line - starts[i] + 1;
      mapped.getFileName = () => modules[i][0];
      mapped.getScriptNameOrSourceURL = () => modules[i][0];
      mapped.getLineNumber = () => own;
      mapped.getColumnNumber = () => (own === 1 && column !== null ? column - firstColumnShift : column);
    }
    mapped.toString = () => mapPositions(text);
    return mapped;
  };
  const nodeFormat = Error.prepareStackTrace;
  const isNodeError = (error) => {
    for (let p = error; p !== null && (typeof p === "object" || typeof p === "function"); p = Object.getPrototypeOf(p)) {
      if (Object.getOwnPropertySymbols(p).some((s) => s.description === "kIsNodeError")) return true;
    }
    return false;
  };
  // Node.js 20 installs its own formatter as Error.prepareStackTrace: it is given the mapped frames.
  // Where there is none, frames are written as Node.js's defaultPrepareStackTrace writes them.
  const format =
    typeof nodeFormat === "function"
      ? nodeFormat
      : (error, trace) => {
          const head = isNodeError(error) ? `${error.name} [${error.code}]: ${error.message}` : Error.prototype.toString.call(error);
          return trace.length === 0 ? head : `${head}\n    at ${trace.join("\n    at ")}`;
        };
  Error.prepareStackTrace = function prepareStackTrace(error, trace) {
    return format.call(this, error, trace.map(mapFrame));
  };
  return true;
}

module.exports = { installBundleStackTraces };
