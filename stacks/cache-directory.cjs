// How the platform's cache variables read, one rule for all four: PLATFORM_TS_CACHE (the
// TypeScript cache of stacks/register.cjs), PLATFORM_COMPILE_CACHE (the V8 code cache,
// stacks/compile-cache.cjs), PLATFORM_MODULE_BUNDLE (stacks/module-bundle.cjs; its default is in
// the code cache's directory) and PLATFORM_RULE_CACHE (the rule pack's findings cache, which main.ts
// and the jest set-up turn on). `0` turns the cache off; unset, empty or `1` is the default
// directory; anything else names the directory (relative to the working directory).
// Plain CommonJS: stacks/register.cjs reads it before any TypeScript can load.
"use strict";
const path = require("node:path");

/**
 * The directory of the cache named by `variable` in `env`, or undefined when it is off.
 * @param {string} variable the environment variable, e.g. "PLATFORM_TS_CACHE"
 * @param {string | (() => string)} fallback the default directory (a function is called only when it is used)
 * @param {NodeJS.ProcessEnv} [env] the environment (default process.env)
 * @returns {string | undefined}
 */
function cacheDirectory(variable, fallback, env = process.env) {
  const value = env[variable];
  if (value === "0") return undefined;
  if (value === undefined || value === "" || value === "1") return typeof fallback === "function" ? fallback() : fallback;
  return path.resolve(value);
}

module.exports = { cacheDirectory };
