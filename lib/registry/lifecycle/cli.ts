#!/usr/bin/env node
/**
 * `ecr-lifecycle-preview <policy.json> <images.json> [options]` (installed as a `bin` of the
 * package; in this repository also `npm run lifecycle:preview -- ...`).
 *
 * Previews offline which images an ECR lifecycle policy would expire. The policy is the raw
 * document or the output of `aws ecr get-lifecycle-policy`; the images are an array of
 * `{ digest, tags, pushedAt, lastPulledAt? }` (ISO dates) or the output of
 * `aws ecr describe-images` (`imageDetails`, with `imagePushedAt` and `lastRecordedPullTime`
 * as the AWS CLI prints them, ISO strings, or as the API sends them, epoch seconds).
 *
 * Options: `--now <ISO date>` (preview at that time), `--json`, `--fail-on-protected` (exit 1
 * when an image carrying a protected tag would expire), `--protected <pattern>` (repeatable: the
 * protected tags as ECR wildcard patterns, replacing the default), `--tag-scheme <file.json>`
 * (the protected kinds of a `TagSchemeProps` document, replacing the default; the document is
 * checked in full first, see `parseTagSchemeInput`). `--now` and `--tag-scheme` are given at most once.
 * An option's value is the next argument: `--tag-scheme=file.json` is refused, its fix names
 * `--tag-scheme file.json`.
 * The default protected tags are the protected kinds of the default tag scheme.
 *
 * Exit codes: 0 success; 1 `--fail-on-protected` and a protected image would expire; 2 bad input.
 */
import { check, ValidationError } from "../../core/errors";
import { matchesPattern, selectorPattern } from "../glob";
import { TagScheme, validateSelector } from "../tag-scheme";
import { parseImagesInput, parsePolicyInput, parseTime, readJson } from "./cli-inputs";
import { simulateLifecycle, type ImageDecision, type LifecycleImage, type SimulationResult } from "./simulator";
import { parseTagSchemeInput } from "./tag-scheme-input";

export { PAGINATION_TOKENS, parseImagesInput, parsePolicyInput } from "./cli-inputs";

/** Where {@link main} writes. */
export interface CliIo {
  /** Writes to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
}

/** The command line synopsis. */
export const USAGE =
  "usage: ecr-lifecycle-preview <policy.json> <images.json> [--now <ISO date>] [--json] [--fail-on-protected] [--protected <pattern>]... [--tag-scheme <tag-scheme.json>]";

/** Exit code when `--fail-on-protected` is given and an image carrying a protected tag would expire. */
export const EXIT_PROTECTED_EXPIRES = 1;
/** Exit code on bad input (arguments, files, policy, images). */
export const EXIT_BAD_INPUT = 2;

const processIo: CliIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

interface Args {
  readonly policyPath: string;
  readonly imagesPath: string;
  readonly now: Date;
  readonly json: boolean;
  readonly failOnProtected: boolean;
  readonly protectedPatterns?: readonly string[];
  readonly tagSchemePath?: string;
}

const OPTIONS = "--now <ISO date>, --json, --fail-on-protected, --protected <pattern>, --tag-scheme <file> and --help";
/** The options that take a value, given as the next argument (`--tag-scheme file.json`), with the value's placeholder. */
const VALUE_OPTIONS: Readonly<Record<string, string>> = { "--now": "<ISO date>", "--protected": "<pattern>", "--tag-scheme": "<file>" };
/** The options that take no value. */
const FLAGS = new Set(["--json", "--fail-on-protected", "--help"]);

/**
 * The fix for an argument starting with "-" that is no option: a known option written with "="
 * (`--tag-scheme=file.json`) is given as two arguments (`--tag-scheme file.json`); a flag with "="
 * without its value; anything else is removed or replaced by one of the options.
 */
function unknownOptionFix(arg: string): string {
  const eq = arg.indexOf("=");
  const name = eq > 0 ? arg.slice(0, eq) : arg;
  const value = eq > 0 ? arg.slice(eq + 1) : "";
  const placeholder = VALUE_OPTIONS[name];
  if (eq > 0 && placeholder !== undefined) return `give the value as the next argument: ${name} ${value === "" ? placeholder : value}`;
  if (eq > 0 && FLAGS.has(name)) return `give ${name} without a value`;
  return "remove it or use one of the options";
}

function parseArgs(argv: readonly string[]): Args | "help" {
  const positional: string[] = [];
  let now: Date | undefined;
  let json = false;
  let failOnProtected = false;
  let protectedPatterns: string[] | undefined;
  let tagSchemePath: string | undefined;
  const valueOf = (option: string, value: string | undefined): string => {
    check(value !== undefined && !value.startsWith("--"), {
      path: "command line",
      subject: option,
      value,
      rule: `${option} takes a value`,
      fix: `give the value after ${option}`,
    });
    return value;
  };
  // A second --now or --tag-scheme would silently replace the first.
  const once = (option: string, earlier: unknown): void =>
    check(earlier === undefined, {
      path: "command line",
      subject: option,
      value: earlier instanceof Date ? earlier.toISOString() : earlier,
      rule: `${option} is given at most once`,
      fix: `keep one ${option}`,
    });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--json") json = true;
    else if (arg === "--fail-on-protected") failOnProtected = true;
    else if (arg === "--now") {
      once(arg, now);
      now = parseTime("command line", "--now", argv[++i], false);
    }
    else if (arg === "--protected") {
      const pattern = valueOf(arg, argv[++i]);
      validateSelector("command line --protected", { pattern });
      (protectedPatterns ??= []).push(pattern);
    } else if (arg === "--tag-scheme") {
      once(arg, tagSchemePath);
      tagSchemePath = valueOf(arg, argv[++i]);
    }
    else {
      check(!arg.startsWith("-"), { path: "command line", subject: "option", value: arg, rule: `the options are ${OPTIONS}`, fix: unknownOptionFix(arg) });
      positional.push(arg);
    }
  }
  check(positional.length === 2, {
    path: "command line",
    subject: "arguments",
    value: positional,
    rule: "give exactly two files: the policy and the images",
    fix: USAGE.replace("usage: ", "run "),
  });
  check(protectedPatterns === undefined || tagSchemePath === undefined, {
    path: "command line",
    subject: "options",
    value: "--protected and --tag-scheme",
    rule: "the protected tags come from --protected patterns or from a tag scheme, not both",
    fix: "give one of them",
  });
  return {
    policyPath: positional[0]!,
    imagesPath: positional[1]!,
    now: now ?? new Date(),
    json,
    failOnProtected,
    ...(protectedPatterns ? { protectedPatterns } : {}),
    ...(tagSchemePath ? { tagSchemePath } : {}),
  };
}

/** The protected tag patterns: given, from a tag scheme file, or the default scheme's protected kinds. */
function protectedPatternsOf(args: Args): readonly string[] {
  if (args.protectedPatterns) return args.protectedPatterns;
  const props = args.tagSchemePath === undefined ? undefined : parseTagSchemeInput(args.tagSchemePath, readJson(args.tagSchemePath)).props;
  const scheme = new TagScheme(args.tagSchemePath ?? "ecr-lifecycle-preview/default tag scheme", props);
  return scheme.irreplaceableKinds.map((kind) => selectorPattern(kind.selector));
}

/** An image the policy would expire although it carries a protected tag. */
export interface ProtectedExpiry {
  /** The image's digest. */
  readonly digest: string;
  /** Its tags that match a protected pattern. */
  readonly protectedTags: readonly string[];
  /** The priority of the rule that expires it. */
  readonly rulePriority: number;
}

/** The expired images that carry a tag matching one of `patterns` (ECR wildcards: `*` is any run of characters). */
export function protectedExpiries(result: SimulationResult, patterns: readonly string[]): ProtectedExpiry[] {
  return result.expired.flatMap((d) => {
    const protectedTags = d.tags.filter((tag) => patterns.some((p) => matchesPattern(tag, p)));
    return protectedTags.length > 0 ? [{ digest: d.digest, protectedTags, rulePriority: d.rule!.rulePriority }] : [];
  });
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ")).join("\n");
}

function shortDigest(digest: string): string {
  return /^sha256:[0-9a-f]{64}$/.test(digest) ? digest.slice(0, 19) : digest;
}

/** Kept images by the rule that selects (and so shields) them, in rule order; no rule = `undefined`, last. */
function keptByRule(result: SimulationResult): Array<{ rule: ImageDecision["rule"]; count: number }> {
  const byPriority = new Map<number | undefined, { rule: ImageDecision["rule"]; count: number }>();
  for (const d of result.kept) {
    const key = d.rule?.rulePriority;
    const entry = byPriority.get(key) ?? { rule: d.rule, count: 0 };
    entry.count++;
    byPriority.set(key, entry);
  }
  return [...byPriority.entries()].sort(([a], [b]) => (a ?? Infinity) - (b ?? Infinity)).map(([, entry]) => entry);
}

function formatText(result: SimulationResult, images: readonly LifecycleImage[], now: Date, protectedHits: readonly ProtectedExpiry[], patterns: readonly string[]): string {
  const summary = `${result.expired.length} of ${result.decisions.length} images would be expired, ${result.kept.length} kept (as of ${now.toISOString()}).`;
  const sections: string[] = [];
  if (result.expired.length > 0) {
    const pushed = new Map(images.map((image) => [image.digest, image.pushedAt.toISOString()]));
    const rows = result.expired.map((d: ImageDecision) => [
      shortDigest(d.digest),
      d.tags.length > 0 ? d.tags.join(",") : "<untagged>",
      pushed.get(d.digest)!,
      String(d.rule!.rulePriority),
      d.rule!.description ?? "",
      d.reason,
    ]);
    sections.push(table([["DIGEST", "TAGS", "PUSHED", "RULE", "DESCRIPTION", "WHY"], ...rows]));
  }
  if (result.kept.length > 0) {
    const rows = keptByRule(result).map(({ rule, count }) => [rule ? String(rule.rulePriority) : "-", String(count), rule ? (rule.description ?? "") : "(no rule selects them)"]);
    sections.push(`Kept images per rule:\n${table([["RULE", "KEPT", "DESCRIPTION"], ...rows])}`);
  }
  if (protectedHits.length > 0) {
    const lines = protectedHits.map((h) => `  ${shortDigest(h.digest)} carries ${h.protectedTags.join(",")} and would be expired by rule ${h.rulePriority}`);
    sections.push(`PROTECTED IMAGES WOULD BE EXPIRED (protected tags: ${patterns.join(", ")}):\n${lines.join("\n")}`);
  }
  sections.push(summary);
  return `${sections.join("\n\n")}\n`;
}

/**
 * Runs the preview with command line arguments `argv` (without `node` and the script) and
 * returns the exit code: 0 on success, {@link EXIT_PROTECTED_EXPIRES} when `--fail-on-protected`
 * is given and an image carrying a protected tag would expire, {@link EXIT_BAD_INPUT} on bad input
 * (the message goes to stderr).
 */
export function main(argv: readonly string[], io: CliIo = processIo): number {
  try {
    const args = parseArgs(argv);
    if (args === "help") {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const policy = parsePolicyInput(args.policyPath, readJson(args.policyPath));
    const images = parseImagesInput(args.imagesPath, readJson(args.imagesPath));
    images.forEach((image, i) =>
      check(image.pushedAt <= args.now, {
        path: args.imagesPath,
        subject: `image ${i} push time`,
        value: image.pushedAt.toISOString(),
        rule: `the preview time (--now ${args.now.toISOString()}) must not be before an image's push`,
        fix: "give a later --now, or leave it out to preview at the current time",
      }),
    );
    const patterns = protectedPatternsOf(args);
    // A gate with nothing to guard passes every policy: say so rather than exit 0.
    check(!args.failOnProtected || patterns.length > 0, {
      path: args.tagSchemePath === undefined ? "command line" : `${args.tagSchemePath}:/`,
      subject: "protected tags",
      value: patterns,
      rule: "--fail-on-protected needs at least one protected tag, and the tag scheme has no protected kind (the build cache, which a build writes again, is not guarded)",
      fix: "mark the kinds the gate must guard protected: true (or keep latest, release or deployed in use), or give --protected <pattern>",
    });
    const result = simulateLifecycle(policy, images, args.now);
    const protectedHits = protectedExpiries(result, patterns);
    io.stdout(
      args.json
        ? `${JSON.stringify(
            {
              now: args.now.toISOString(),
              summary: { images: result.decisions.length, expired: result.expired.length, kept: result.kept.length, protectedExpired: protectedHits.length },
              expired: result.expired,
              kept: result.kept,
              protectedTags: patterns,
              protectedExpired: protectedHits,
            },
            null,
            2,
          )}\n`
        : formatText(result, images, args.now, protectedHits, patterns),
    );
    if (args.failOnProtected && protectedHits.length > 0) {
      io.stderr(`ecr-lifecycle-preview: ${protectedHits.length} image(s) carrying a protected tag would be expired (--fail-on-protected)\n`);
      return EXIT_PROTECTED_EXPIRES;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    io.stderr(`ecr-lifecycle-preview: ${error.message}\n${USAGE}\n`);
    return EXIT_BAD_INPUT;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
