/**
 * The shape of `TagSchemeProps` given as data (a JSON file, or props from plain JavaScript):
 * known keys only, each of its JavaScript type. TypeScript checks this for typed callers; without
 * it, `{ "Kinds": ... }`, `{ "kinds": 5 }` or `{ "kinds": { "latest": null } }` read as "no
 * options" and the default scheme applies in silence. The values' own rules (selectors,
 * retentions, flags, overlaps) are `resolveTagScheme`'s. `TagScheme` checks its props with it.
 */
import { closestKey } from "../core/closest-key";
import { type Violation } from "../core/errors";
import { type TagKindOptions } from "./tag-kinds";

/** The JSON types a tag scheme's values have. */
export type JsonKind = "string" | "number" | "boolean" | "array" | "object";

/**
 * The settings of a tag scheme (the keys of `TagSchemeProps`, which `tag-scheme.ts` defines and
 * which imports this module; a type test keeps the two key sets equal) and their types.
 */
export const TAG_SCHEME_KEYS = {
  kinds: "object",
  use: "array",
  untaggedExpiryDays: "number",
  maxKindsPerImage: "number",
} as const satisfies Readonly<Record<string, JsonKind>>;

/** The options of one tag kind and their types. */
const KIND_KEYS: Readonly<Record<keyof TagKindOptions, JsonKind>> = {
  prefix: "string",
  pattern: "string",
  ciTag: "string",
  retention: "object",
  protected: "boolean",
  mutable: "boolean",
  secondary: "boolean",
};

/** The fields of a retention and their types. */
const RETENTION_KEYS: Readonly<Record<"maxCount" | "maxAgeDays", JsonKind>> = { maxCount: "number", maxAgeDays: "number" };

const EXAMPLES: Readonly<Record<JsonKind, string>> = {
  string: 'a string such as "golden-"',
  number: "a number such as 14",
  boolean: "true or false",
  array: 'a list such as ["commit", "latest"]',
  object: "an object { ... }",
};

function kindOf(value: unknown): JsonKind | "null" | "undefined" | "other" {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "array";
  const type = typeof value;
  return type === "string" || type === "number" || type === "boolean" || type === "object" ? type : "other";
}

function article(kind: string): string {
  if (kind === "null" || kind === "undefined") return kind;
  if (kind === "array") return "a list";
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

/** Checks one value's type; true when it has it. */
function typed(found: Violation[], path: string, subject: string, value: unknown, expected: JsonKind): boolean {
  const kind = kindOf(value);
  if (kind === expected) return true;
  found.push({ path, subject, value, rule: `${subject} is ${EXAMPLES[expected]}, not ${article(kind)}`, fix: `give ${subject} as ${EXAMPLES[expected]}` });
  return false;
}

/**
 * The fields whose type the tag scheme's own rules check, with their wording (`secondary is true
 * or false`, `must be a whole number greater than 0`): here only `null` is refused, which those
 * rules would read as absent (`maxKindsPerImage: null` as the default 3).
 */
const RULE_TYPED = new Set(["protected", "mutable", "secondary", "untaggedExpiryDays", "maxKindsPerImage", "maxCount", "maxAgeDays"]);

/** Checks an object's keys against `known`, and the type of each known key present. */
function keysOf(found: Violation[], path: string, what: string, value: Record<string, unknown>, known: Readonly<Record<string, JsonKind>>): void {
  const names = Object.keys(known);
  for (const [key, entry] of Object.entries(value)) {
    if (!Object.hasOwn(known, key)) {
      const close = closestKey(key, names);
      found.push({
        path: `${path}/${key}`,
        subject: "key",
        value: key,
        rule: `the settings of ${what} are ${names.join(", ")}`,
        fix: close ? `did you mean ${JSON.stringify(close)}? Rename the key` : "remove the key or fix its spelling",
      });
    } else if (!RULE_TYPED.has(key) || entry === null) typed(found, `${path}/${key}`, key, entry, known[key]!);
  }
}

/**
 * The shape problems of tag scheme props given as data: the props are an object whose keys are
 * those of `TagSchemeProps` (an unknown key is reported with the closest known one), `kinds`
 * maps names to objects with the keys of {@link TagKindOptions}, a `retention` has `maxCount` or
 * `maxAgeDays`, `use` lists strings, and every value present (`null` included) has its type.
 * Each problem names its own path: `<path>/<key>`, `<path>/kinds/<name>/<option>`,
 * `<path>/use/<index>`. An absent key is fine (its default applies). The flags and numbers are
 * typed by the tag scheme's rules ({@link RULE_TYPED}); here only `null` is refused for them.
 * @param path where the props are given (a construct path, config path or `<file>:`)
 * @returns every problem found, in document order; empty when the shape is sound
 */
export function tagSchemeShapeViolations(path: string, props: unknown): Violation[] {
  const found: Violation[] = [];
  if (!typed(found, path, "tag scheme", props, "object")) return found;
  const scheme = props as Record<string, unknown>;
  keysOf(found, path, "a tag scheme", scheme, TAG_SCHEME_KEYS);
  if (kindOf(scheme.use) === "array") {
    (scheme.use as unknown[]).forEach((name, i) => typed(found, `${path}/use/${i}`, `use[${i}]`, name, "string"));
  }
  if (kindOf(scheme.kinds) === "object") {
    for (const [name, options] of Object.entries(scheme.kinds as Record<string, unknown>)) {
      const at = `${path}/kinds/${name}`;
      if (!typed(found, at, `tag kind ${name}`, options, "object")) continue;
      keysOf(found, at, "a tag kind", options as Record<string, unknown>, KIND_KEYS);
      const retention = (options as Record<string, unknown>).retention;
      if (kindOf(retention) === "object") keysOf(found, `${at}/retention`, "a retention", retention as Record<string, unknown>, RETENTION_KEYS);
    }
  }
  return found;
}
