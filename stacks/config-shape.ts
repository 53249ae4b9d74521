import { closestKey } from "../lib/core/closest-key";
import { ValidationError, ValidationErrors, type Violation } from "../lib/core/errors";
import { CONFIG_SHAPE, type Field, type Kind, type Shape, shapeOfValue } from "./config-fields";
import { type PlatformConfig } from "./platform-config";

/*
 * The shape of a configuration, checked before any rule that reads it: required fields present,
 * lists are lists, sections are objects, scalars have their type, and no unknown key in the
 * top level or a section. TypeScript checks this for a typed `.ts` configuration, but not for a
 * `.js` or `.json` one (and the app runs `.ts` without type checking): without this pass such a
 * mistake ends in a TypeError deep in a check instead of a message naming the config path.
 * Every object field has its keys (config-fields.ts). The rules run beside what this pass finds:
 * config-follow-ons.ts decides which of their problems are reported with it.
 */

export { CONFIG_SHAPE } from "./config-fields";

function kindOf(value: unknown): Kind | "null" | "undefined" | "function" | "bigint" | "symbol" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as Kind;
}

/** The known key an unknown one is most likely a misspelling of (moved to lib/core, re-exported here). */
export { closestKey };

function example(kinds: readonly Kind[]): string {
  const samples: Record<Kind, string> = { string: '"..."', number: "a number such as 14", boolean: "true or false", array: "a list [...]", object: "an object { ... }" };
  return kinds.map((k) => samples[k]).join(" or ");
}

/** Each shape's fields as a list, made once (a configuration has hundreds of sections of a few dozen shapes). */
const fieldLists = new WeakMap<Shape, readonly (readonly [string, Field])[]>();
function fieldsOf(shape: Shape): readonly (readonly [string, Field])[] {
  let fields = fieldLists.get(shape);
  if (!fields) fieldLists.set(shape, (fields = Object.entries(shape)));
  return fields;
}

/** A field whose kind the shape leaves to its rule (`loose`), holding a value of another kind. */
export interface MistypedField {
  /** The field's own config path, e.g. `config/accounts[0]/accountId`. */
  readonly fieldPath: string;
  /** The shape's report of it, at the section's path with the field as subject (used when no rule names it). */
  readonly violation: Violation;
}

/**
 * A field the rules cannot read: a required field that is missing, or a field of another kind than
 * its shape's (a list given as an object, `true` for an option that is false or its settings),
 * whose kind is not left to its rule.
 */
export interface BrokenField {
  /** The field's own config path, e.g. `config/environments[0]/gitlab/url`. */
  readonly fieldPath: string;
  /** The shape's report of it. */
  readonly violation: Violation;
}

/**
 * What the shape pass found in a configuration: every problem in walk order (unknown keys, broken
 * fields, loose fields of another kind), and the broken and the loose fields among them.
 */
export interface ConfigShape {
  readonly found: readonly Violation[];
  readonly mistyped: readonly MistypedField[];
  readonly broken: readonly BrokenField[];
}

/** What the walk found, while it walks. */
interface Findings {
  readonly found: Violation[];
  readonly mistyped: MistypedField[];
  readonly broken: BrokenField[];
}

/** The shape problems of a walk, without the loose fields of another kind (left to their rules). */
function shapeProblemsOf({ found, mistyped }: Findings): Violation[] {
  const loose = new Set(mistyped.map((m) => m.violation));
  return found.filter((v) => !loose.has(v));
}

/**
 * Checks a section's keys and fields. An unknown key whose closest known key is a required field
 * the section lacks (`urll` without `url`) is one mistake, reported once: its line says the
 * required key is missing and names the misspelling; the missing field is still broken (its
 * section's rules are judged by that line) but gets no line of its own.
 */
function checkObject(found: Findings, path: string, value: Record<string, unknown>, shape: Shape, variant: string | undefined): void {
  /** Required keys the section lacks that an unknown key is the misspelling of (reported by that key's line). */
  const misspelt = new Set<string>();
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(shape, key)) continue;
    const known = Object.keys(shape);
    const close = closestKey(key, known);
    const setting = `a known setting of ${path}${variant === undefined ? "" : ` for ${variant}`} (${known.join(", ")})`;
    const required = close !== undefined && !misspelt.has(close) && shape[close]!.required === true && value[close] === undefined ? shape[close]! : undefined;
    if (required) misspelt.add(close!);
    found.found.push({
      path,
      subject: "key",
      value: key,
      rule: required ? `${close} is required (${example(required.kinds)}) and missing, and ${JSON.stringify(key)} is not ${setting}` : setting,
      fix: close ? `did you mean ${JSON.stringify(close)}? Rename the key` : variant === undefined ? "remove the key or fix its spelling" : `remove the key: it does not apply to ${variant}`,
    });
  }
  for (const [key, field] of fieldsOf(shape)) {
    const entry = value[key];
    // An absent optional field has nothing to check (most fields of a section are absent).
    if (entry !== undefined || field.required) checkField(found, `${path}/${key}`, entry, field, key, misspelt.has(key));
  }
}

/** Where a field's problems are reported: at its section's path, with the field as subject; an element of a list at its own path. */
export function reportedAt(path: string): string {
  const slash = path.lastIndexOf("/");
  // The configuration itself (`config`) has no section above it: it is reported at its own path.
  return path.endsWith("]") || slash < 0 ? path : path.slice(0, slash);
}

/** Records a broken field's shape problem (`reported`: false when another line already says it). */
function brokenAt(found: Findings, fieldPath: string, violation: Violation, reported = true): void {
  found.broken.push({ fieldPath, violation });
  if (reported) found.found.push(violation);
}

/** Checks one field; `misspelt`: a missing required field an unknown key's line already reports. */
function checkField(found: Findings, path: string, value: unknown, field: Field, key: string, misspelt = false): void {
  if (value === undefined) {
    if (!field.required) return;
    brokenAt(found, path, {
      path: reportedAt(path),
      subject: key,
      value,
      rule: `${key} is required (${example(field.kinds)})`,
      fix: `add ${key}; see docs/configuration.md`,
    }, !misspelt);
    return;
  }
  const kind = kindOf(value);
  if (!(field.kinds as readonly string[]).includes(kind)) {
    const violation: Violation = {
      path: reportedAt(path),
      subject: key,
      value,
      rule: `${key} is ${example(field.kinds)}, not ${kind === "object" ? "an object" : kind === "array" ? "a list" : kind === "null" || kind === "undefined" ? kind : `a ${kind}`}`,
      fix: `give ${key} as ${example(field.kinds)}`,
    };
    if (field.loose) {
      found.mistyped.push({ fieldPath: path, violation });
      found.found.push(violation);
    } else {
      brokenAt(found, path, violation);
    }
    return;
  }
  if (kind === "boolean" && field.falseOnly && value === true) {
    brokenAt(found, path, {
      path: reportedAt(path),
      subject: key,
      value,
      rule: `${key} is false (off) or its settings ${example(["object"])}, not true`,
      fix: `remove ${key} for the default, give its settings, or write false to turn it off`,
    });
    return;
  }
  if (kind === "object") {
    const { shape, variant } = shapeOfValue(field, value as Record<string, unknown>);
    if (shape) checkObject(found, path, value as Record<string, unknown>, shape, variant);
  }
  if (kind === "object" && field.values) {
    const values: Field = { ...field.values, required: true };
    for (const [name, entry] of Object.entries(value as Record<string, unknown>)) checkField(found, `${path}/${name}`, entry, values, name);
  }
  if (kind === "array" && field.items) {
    const items = field.items;
    (value as unknown[]).forEach((item, i) => checkField(found, `${path}[${i}]`, item, items, `${key}[${i}]`));
  }
}

/**
 * Checks the shape of a whole configuration: the configuration is an object; `project`,
 * `accounts`, `environments`, each account's and each environment's required fields are
 * present; lists are lists, sections objects and scalars of their type; no key of any section,
 * at any depth, is unknown (with the closest known key as "did you mean"), and a section of a
 * union type (the mirror and backend by `kind`, the runner network existing or new) has only its
 * variant's keys. Every problem is reported, each with its config path.
 *
 * @throws ValidationError (or ValidationErrors for several) naming each config path, the value,
 *   the rule and the fix
 */
export function validateConfigShape(config: unknown): asserts config is PlatformConfig {
  const found = shapeProblemsOf(walk(config));
  // Every shape problem is its own (no de-duplication: the same missing key in two environments is two fixes).
  if (found.length === 1) throw new ValidationError(found[0]!);
  if (found.length > 1) throw new ValidationErrors(found);
}

function walk(config: unknown): Findings {
  const findings: Findings = { found: [], mistyped: [], broken: [] };
  checkField(findings, "config", config, CONFIG_SHAPE, "configuration");
  return findings;
}

/**
 * What the shape pass finds in a configuration, for the configuration pass (`validateConfig`),
 * which reports it with the rules' problems (see `configErrorOf` in config-follow-ons.ts).
 */
export function configShapeOf(config: unknown): ConfigShape {
  return walk(config);
}

/** Whether config path `ancestor` is `path` or a section or list above it. */
export function isAtOrAbove(ancestor: string, path: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`) || path.startsWith(`${ancestor}[`);
}

