import { existsSync } from "node:fs";
import path from "node:path";
import { App } from "cdktf";
import { ValidationError, violationsOf } from "./lib/core/errors";
import { buildPlatform } from "./stacks/app";
import { type PlatformConfig } from "./stacks/config";

// The cdktf app: every stack of one configuration.
//
// The configuration is the example (stacks/example-config.ts) unless PLATFORM_CONFIG names a
// module (.ts, .js or .json, relative to the working directory) whose `config` export, default
// export or only export is the PlatformConfig (a .json file is the PlatformConfig itself). A
// PLATFORM_CONFIG naming no file, or a file that does not load, is one line on stderr, exit code 1.
//
// Bad input ends the process with exit code 1 and every problem on stderr, one per line with its
// config path (or construct path), value, rule and fix: no stack trace, nothing synthesized.

// The rule pack's findings cache (lib/checks/findings-cache.ts): a synth of stacks, options and
// library code already evaluated reads their findings instead of running the rules again. Set
// PLATFORM_RULE_CACHE=0 to evaluate every rule on every synth; unset, empty or 1 is .gen/rule-cache
// (stacks/cache-directory.cjs: the rule of PLATFORM_TS_CACHE and PLATFORM_COMPILE_CACHE too).
const { cacheDirectory } = require("./stacks/cache-directory.cjs") as { cacheDirectory: (variable: string, fallback: string) => string | undefined };
process.env.PLATFORM_RULE_CACHE = cacheDirectory("PLATFORM_RULE_CACHE", path.join(__dirname, ".gen", "rule-cache")) ?? "0";

/** Exit code of a configuration or construct validation failure. */
const INVALID_INPUT = 1;

/** Thrown when PLATFORM_CONFIG names no loadable module: printed as one line, without a stack trace. */
class ConfigFileError extends Error {}

function loadConfig(): PlatformConfig {
  const file = process.env.PLATFORM_CONFIG;
  if (!file) return (require("./stacks/example-config") as { exampleConfig: PlatformConfig }).exampleConfig;
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) {
    throw new ConfigFileError(`PLATFORM_CONFIG=${file}: no such file (${resolved}); name a .ts, .js or .json configuration relative to ${process.cwd()}, or unset PLATFORM_CONFIG for the example`);
  }
  let loaded: unknown;
  try {
    loaded = require(resolved);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigFileError(`PLATFORM_CONFIG=${file}: the file could not be loaded: ${reason}`);
  }
  // A JSON file is the configuration itself; anything else that is not a module object is checked as the configuration.
  if (resolved.endsWith(".json") || typeof loaded !== "object" || loaded === null) return loaded as PlatformConfig;
  const exports = loaded as Record<string, unknown>;
  const exported = Object.values(exports);
  // `config`, a default export, or the module's only export (a copy of example-config.ts exports `exampleConfig`).
  return (exports.config ?? exports.default ?? (exported.length === 1 ? exported[0] : exports)) as PlatformConfig;
}

try {
  const app = new App();
  buildPlatform(app, loadConfig());
  app.synth();
} catch (error) {
  if (error instanceof ConfigFileError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(INVALID_INPUT);
  }
  // cdktf's own validations (e.g. no terraform binary for the terraform_data version check) and
  // the rule pack's error findings (annotations) name their construct paths in the message: print
  // it without the stack trace.
  const cdktfFailures = ["Validation failed with the following errors", 'Encountered Annotations with level "ERROR"'];
  if (error instanceof Error && !(error instanceof ValidationError) && cdktfFailures.some((start) => error.message.startsWith(start))) {
    process.stderr.write(`${error.message.trim()}\n`);
    process.exit(INVALID_INPUT);
  }
  if (!(error instanceof ValidationError)) throw error;
  const violations = violationsOf(error);
  process.stderr.write(
    `${violations.length === 1 ? "1 problem" : `${violations.length} problems`} found; nothing was synthesized:\n` +
      `${error.message
        .split("\n")
        .map((line) => `  - ${line}`)
        .join("\n")}\n`,
  );
  process.exitCode = INVALID_INPUT;
}
