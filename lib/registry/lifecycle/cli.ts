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
 * (the protected kinds of a `TagSchemeProps` document, replacing the default).
 * The default protected tags are the protected kinds of the default tag scheme.
 *
 * Exit codes: 0 success; 1 `--fail-on-protected` and a protected image would expire; 2 bad input.
 */
import { readFileSync } from "node:fs";
import { check, ValidationError } from "../../core/errors";
import { matchesPattern, selectorPattern } from "../glob";
import { TagScheme, type TagSchemeProps, validateSelector } from "../tag-scheme";
import { validateLifecyclePolicy, type LifecyclePolicyDocument } from "./policy";
import { simulateLifecycle, type ImageDecision, type LifecycleImage, type SimulationResult } from "./simulator";

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
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(path: string, what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError({ path, subject: what, value: (error as Error).message, rule: "must be valid JSON", fix: "fix the JSON syntax" });
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ValidationError({ path, subject: "file", value: (error as Error).message, rule: "the file must exist and be readable", fix: "check the path" });
  }
  return parseJson(path, "file content", text);
}

/** Parses a time: an ISO 8601 string, or (`aws ecr describe-images` wire format) epoch seconds. */
function parseTime(path: string, subject: string, value: unknown, epochSeconds: boolean): Date {
  const date =
    typeof value === "string" && ISO_DATE.test(value) ? new Date(value) : epochSeconds && typeof value === "number" ? new Date(value * 1000) : undefined;
  check(date !== undefined && Number.isFinite(date.getTime()), {
    path,
    subject,
    value,
    rule: `a time is an ISO 8601 date such as "2024-06-01T12:00:00Z"${epochSeconds ? " or epoch seconds" : ""}`,
    fix: "correct the date",
  });
  return date;
}

function parseTags(path: string, subject: string, value: unknown): readonly string[] {
  check(Array.isArray(value) && value.every((tag) => typeof tag === "string"), {
    path,
    subject,
    value,
    rule: "tags are an array of strings (empty for an untagged image)",
    fix: "list the image's tags",
  });
  return value;
}

/** Reads a policy: the document itself or `aws ecr get-lifecycle-policy` output; validated without protected selectors. */
export function parsePolicyInput(path: string, json: unknown): LifecyclePolicyDocument {
  let doc = json;
  if (isRecord(json) && "lifecyclePolicyText" in json) {
    const text = json.lifecyclePolicyText;
    check(typeof text === "string", {
      path,
      subject: "lifecyclePolicyText",
      value: text,
      rule: "get-lifecycle-policy output holds the policy as a JSON string",
      fix: "pass the unmodified output of `aws ecr get-lifecycle-policy`",
    });
    doc = parseJson(path, "lifecyclePolicyText", text);
  }
  validateLifecyclePolicy(path, doc);
  return doc;
}

/**
 * The pagination tokens an incomplete `aws ecr describe-images` output carries: `NextToken` is what
 * the AWS CLI prints when `--max-items` cut the list, `nextToken` the API's own token, printed as is
 * with `--no-paginate` (AWS CLI User Guide, "Using the pagination options in the AWS CLI"; Amazon ECR
 * API Reference, DescribeImages, response element `nextToken`).
 */
export const PAGINATION_TOKENS = ["NextToken", "nextToken"] as const;

/**
 * Refuses a describe-images output holding a pagination token: its `imageDetails` is one page, and
 * the rules count images (`imageCountMoreThan`) and pick the oldest among all of them, so a preview of
 * one page answers wrongly without saying so.
 */
function checkComplete(path: string, json: Record<string, unknown>): void {
  const token = PAGINATION_TOKENS.find((key) => json[key] !== undefined && json[key] !== null);
  check(token === undefined, {
    path,
    subject: token ?? "NextToken",
    value: token === undefined ? undefined : json[token],
    rule: "the images must be the repository's complete list: describe-images output with a pagination token is one page of it, and count rules and the oldest-first order need every image",
    fix: "rerun `aws ecr describe-images --repository-name <name>` without --max-items and without --no-paginate (the AWS CLI then follows every page), or merge all pages' imageDetails into one file",
  });
}

/**
 * Reads images: an array of `{ digest, tags, pushedAt, lastPulledAt? }` or `aws ecr describe-images` output.
 *
 * @throws ValidationError when the input is malformed, or when describe-images output carries a
 *   pagination token ({@link PAGINATION_TOKENS}: an incomplete list).
 */
export function parseImagesInput(path: string, json: unknown): readonly LifecycleImage[] {
  const describe = isRecord(json) && Array.isArray(json.imageDetails);
  const list: unknown = describe ? json.imageDetails : json;
  check(Array.isArray(list), {
    path,
    subject: "images",
    value: json,
    rule: 'images are an array of { digest, tags, pushedAt, lastPulledAt? } or describe-images output { "imageDetails": [...] }',
    fix: "pass a JSON array of images or the output of `aws ecr describe-images`",
  });
  if (describe) checkComplete(path, json);
  const digests = new Set<string>();
  return list.map((item: unknown, i: number): LifecycleImage => {
    const at = describe ? `imageDetails[${i}]` : `[${i}]`;
    check(isRecord(item), { path, subject: at, value: item, rule: "each image is a JSON object", fix: "remove or fix the entry" });
    const [digestKey, tagsKey, pushedKey, pulledKey] = describe
      ? ["imageDigest", "imageTags", "imagePushedAt", "lastRecordedPullTime"]
      : ["digest", "tags", "pushedAt", "lastPulledAt"];
    const digest = item[digestKey];
    check(typeof digest === "string" && digest.length > 0 && !digests.has(digest), {
      path,
      subject: `${at}.${digestKey}`,
      value: digest,
      rule: "every image has a digest, unique in the list",
      fix: "give each image its own digest",
    });
    digests.add(digest);
    // describe-images omits imageTags for untagged images.
    const tags = describe && item[tagsKey] === undefined ? [] : parseTags(path, `${at}.${tagsKey}`, item[tagsKey]);
    const pulled = item[pulledKey];
    return {
      digest,
      tags,
      pushedAt: parseTime(path, `${at}.${pushedKey}`, item[pushedKey], describe),
      ...(pulled === undefined ? {} : { lastPulledAt: parseTime(path, `${at}.${pulledKey}`, pulled, describe) }),
    };
  });
}

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
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--json") json = true;
    else if (arg === "--fail-on-protected") failOnProtected = true;
    else if (arg === "--now") now = parseTime("command line", "--now", argv[++i], false);
    else if (arg === "--protected") {
      const pattern = valueOf(arg, argv[++i]);
      validateSelector("command line --protected", { pattern });
      (protectedPatterns ??= []).push(pattern);
    } else if (arg === "--tag-scheme") tagSchemePath = valueOf(arg, argv[++i]);
    else {
      check(!arg.startsWith("-"), { path: "command line", subject: "option", value: arg, rule: `the options are ${OPTIONS}`, fix: "remove the option" });
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
  const props = args.tagSchemePath === undefined ? undefined : (readJson(args.tagSchemePath) as TagSchemeProps);
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
