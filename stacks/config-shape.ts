import { describeValue, ValidationError, ValidationErrors, validationErrorOf, type Violation, violationsOf } from "../lib/core/errors";
import { CONFIG_SHAPE, type Field, type Kind, type Shape, shapeOfValue } from "./config-fields";
import { type PlatformConfig } from "./platform-config";

/*
 * The shape of a configuration, checked before any rule that reads it: required fields present,
 * lists are lists, sections are objects, scalars have their type, and no unknown key in the
 * top level or a section. TypeScript checks this for a typed `.ts` configuration, but not for a
 * `.js` or `.json` one (and the app runs `.ts` without type checking): without this pass such a
 * mistake ends in a TypeError deep in a check instead of a message naming the config path.
 * Every object field has its keys (config-fields.ts), so no rule reads a field of unchecked kind.
 */

export { CONFIG_SHAPE } from "./config-fields";

function kindOf(value: unknown): Kind | "null" | "undefined" | "function" | "bigint" | "symbol" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as Kind;
}

/** The edit distance of two short strings (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}

/** The known key an unknown one is most likely a misspelling of: same letters in another case, or at most two edits away. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const scored = known.map((k) => ({ k, d: distance(lower, k.toLowerCase()) })).filter(({ d }) => d <= Math.min(2, Math.floor(key.length / 3)));
  scored.sort((a, b) => a.d - b.d);
  return scored[0]?.k;
}

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

/** What the walk found: every problem in walk order (shape problems and loose fields of another kind), and the loose ones. */
interface Findings {
  readonly found: Violation[];
  readonly mistyped: MistypedField[];
}

/** The shape problems of a walk, without the loose fields of another kind (left to their rules). */
function shapeProblemsOf({ found, mistyped }: Findings): Violation[] {
  const loose = new Set(mistyped.map((m) => m.violation));
  return found.filter((v) => !loose.has(v));
}

function checkObject(found: Findings, path: string, value: Record<string, unknown>, shape: Shape, variant: string | undefined): void {
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(shape, key)) continue;
    const known = Object.keys(shape);
    const close = closestKey(key, known);
    found.found.push({
      path,
      subject: "key",
      value: key,
      rule: `a known setting of ${path}${variant === undefined ? "" : ` for ${variant}`} (${known.join(", ")})`,
      fix: close ? `did you mean ${JSON.stringify(close)}? Rename the key` : variant === undefined ? "remove the key or fix its spelling" : `remove the key: it does not apply to ${variant}`,
    });
  }
  for (const [key, field] of fieldsOf(shape)) {
    const entry = value[key];
    // An absent optional field has nothing to check (most fields of a section are absent).
    if (entry !== undefined || field.required) checkField(found, `${path}/${key}`, entry, field, key);
  }
}

/** Where a field's problems are reported: at its section's path, with the field as subject; an element of a list at its own path. */
function reportedAt(path: string): string {
  const slash = path.lastIndexOf("/");
  // The configuration itself (`config`) has no section above it: it is reported at its own path.
  return path.endsWith("]") || slash < 0 ? path : path.slice(0, slash);
}

function checkField(found: Findings, path: string, value: unknown, field: Field, key: string): void {
  if (value === undefined) {
    if (!field.required) return;
    found.found.push({
      path: reportedAt(path),
      subject: key,
      value,
      rule: `${key} is required (${example(field.kinds)})`,
      fix: `add ${key}; see docs/configuration.md`,
    });
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
    if (field.loose) found.mistyped.push({ fieldPath: path, violation });
    found.found.push(violation);
    return;
  }
  if (kind === "boolean" && field.falseOnly && value === true) {
    found.found.push({
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
  const findings: Findings = { found: [], mistyped: [] };
  checkField(findings, "config", config, CONFIG_SHAPE, "configuration");
  return findings;
}

/**
 * The fields whose kind {@link validateConfigShape} leaves to their rule (an account id given as
 * a number, an enum or a bounded number given as something else, null for an optional one) that
 * hold a value of another kind. The rules that read such a field run on a value of the wrong type
 * (a cascade of follow-on problems, or the value taken as absent), so `validateConfig` reports
 * each of these once (see {@link mistypedError}) and, of the rules' other problems, only those
 * that cannot follow from it.
 */
export function mistypedLooseFields(config: PlatformConfig): readonly MistypedField[] {
  return walk(config).mistyped;
}

/**
 * Like {@link validateConfigShape}, for the configuration pass: when the shape is broken, the
 * error lists the loose fields of another kind too (in the shape's wording, as no rule runs), so
 * an account whose id is a number and whose region is a number is two problems, not one.
 *
 * @returns the loose fields of another kind when the shape is otherwise sound
 * @throws ValidationError (or ValidationErrors for several) as validateConfigShape
 */
export function checkedShapeOf(config: unknown): readonly MistypedField[] {
  const findings = walk(config);
  if (shapeProblemsOf(findings).length === 0) return findings.mistyped;
  const { found } = findings;
  if (found.length === 1) throw new ValidationError(found[0]!);
  throw new ValidationErrors(found);
}

/** Whether config path `ancestor` is `path` or a section or list above it. */
function isAtOrAbove(ancestor: string, path: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`) || path.startsWith(`${ancestor}[`);
}

/**
 * The error for fields whose type the shape leaves to their rule and that hold a value of another
 * kind: each once, as its own rule words it (the rule that explains the type best, e.g. an account
 * id "given as a string"), found by running the rules and keeping the violation that names the
 * field and its value; the shape's wording where no rule names it. With them, every other
 * violation of that run that cannot follow from a mistyped field: one at or under the section
 * holding it, or about that section from above, is dropped (the rules read the wrong type there),
 * any other (another environment's expiry, the project name) is reported, whatever its value.
 *
 * @param mistyped what {@link mistypedLooseFields} found (at least one)
 * @param runRules runs the configuration's rules, throwing what they found
 */
export function mistypedError(mistyped: readonly MistypedField[], runRules: () => void): ValidationError {
  let reported: readonly Violation[] = [];
  try {
    runRules();
  } catch (error) {
    // Anything else thrown by rules reading a value of the wrong type leaves the shape's wording.
    if (error instanceof ValidationError) reported = violationsOf(error);
  }
  const own = problemsOfMistyped(mistyped, reported);
  const claimed = new Set(own);
  // The rules' other problems, but those a mistyped value may cause: at or under its section, or about it from above.
  const independent = reported.filter((v) => !claimed.has(v) && !mistyped.some((m) => mayFollowFrom(v, m)));
  return validationErrorOf([...own, ...independent]);
}

/**
 * Whether a rule's violation may be a follow-on of a mistyped field, judged by its path only: it is
 * at or under the section (or list) holding the field, or is about that section from above it (its
 * subject starts with the section's key: `capacity minSize > maxSize` at `.../runners`,
 * `scanning.frequency` at `.../registry`, a rule comparing the field with its siblings). Such a
 * violation is dropped; every other one is reported, whatever its value (another environment's
 * cache expiry of 0 beside a repository description given as 0 is its own problem).
 */
function mayFollowFrom(v: Violation, m: MistypedField): boolean {
  const section = m.fieldPath.endsWith("]") ? m.fieldPath.replace(/\[\d+\]$/, "") : reportedAt(m.fieldPath);
  const about = `${v.path}/${v.subject.split(/[.\s]/)[0]!}`;
  return isAtOrAbove(section, v.path) || isAtOrAbove(section, about);
}

/** The last key of a config path (`minSize` of `config/environments[0]/runners/capacity/minSize`). */
function lastKeyOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Whether a rule's violation names the field at `fieldPath`: reported at the field itself, or at
 * a section above it with the field as subject (`capacity.minSize` at `.../runners`, `accountId`
 * at `config/environments[0]`), or at the section holding the field with a subject ending in the
 * field's key (`group size minSize` at `.../capacity`). A subject ending in the key at a section
 * further up names a field of that section, not this one: `capacity.minSize` at `.../runners`
 * is not `.../runners/unprotected/capacity/minSize`.
 */
function namesField(v: Violation, fieldPath: string): boolean {
  if (v.path === fieldPath) return true;
  if (!isAtOrAbove(v.path, fieldPath)) return false;
  if (`${v.path}/${v.subject.replace(/\./g, "/")}` === fieldPath) return true;
  const words = v.subject.split(/[.\s/]/);
  return v.path === reportedAt(fieldPath) && words[words.length - 1] === lastKeyOf(fieldPath);
}

/**
 * Each mistyped field's problem, once per field: the rule's violation that names the field and its
 * value; else one at or above the field with its value that names no other mistyped field (a rule
 * worded by its section, e.g. a group size); else the shape's wording. A violation is claimed by
 * one field only, as soon as it is matched: two mistyped fields of one section, or of two
 * sections one above the other, are two problems, even with one value.
 */
function problemsOfMistyped(mistyped: readonly MistypedField[], reported: readonly Violation[]): Violation[] {
  const sameValue = (v: Violation, m: MistypedField): boolean => describeValue(v.value) === describeValue(m.violation.value);
  const used = new Set<Violation>();
  const claim = (v: Violation | undefined): Violation | undefined => {
    if (v) used.add(v);
    return v;
  };
  // Every field's own violation first, so that a rule worded by its section cannot take another field's.
  const exact = mistyped.map((m) => claim(reported.find((v) => !used.has(v) && sameValue(v, m) && namesField(v, m.fieldPath))));
  return mistyped.map((m, i) => {
    const own = exact[i];
    if (own) return own;
    const worded = reported.find(
      (v) => !used.has(v) && sameValue(v, m) && isAtOrAbove(v.path, m.fieldPath) && !mistyped.some((other) => other !== m && namesField(v, other.fieldPath)),
    );
    return claim(worded) ?? m.violation;
  });
}
