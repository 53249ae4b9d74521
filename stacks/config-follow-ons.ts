import { describeValue, ValidationError, validationErrorOf, type ValidationSection, type Violation, violationsOf } from "../lib/core/errors";
import { trackBrokenReads } from "./config-broken-reads";
import { type BrokenField, type ConfigShape, isAtOrAbove, type MistypedField, reportedAt } from "./config-shape";
import { type PlatformConfig } from "./platform-config";

/*
 * The configuration pass reports the shape's problems and the rules' problems of one run together:
 * the rules run whatever the shape pass found, and of their problems only those that cannot follow
 * from a shape problem are reported beside it. An unknown key is reported and otherwise ignored
 * (no rule reads it). A field the shape leaves to its rule (`loose`) holding another kind is one
 * problem, worded by its rule where the rule names it. A broken field (missing, or of another kind)
 * makes its section's rules read what is not there: that section is judged by the shape's line.
 */

/**
 * The top-level lists every rule iterates (environments refer to accounts) and the project every
 * resource name derives from: broken, they leave no rule a sound input.
 */
const SKELETON = new Set(["config/project", "config/accounts", "config/environments"]);

/**
 * The part of the configuration whose rules' problems a broken field may cause (undefined: the
 * whole configuration). Its section (the object holding it: `url` missing from
 * `config/environments[0]/gitlab` is that section's); an element of a list of another kind (an
 * account given as a string) is its own; a top-level field (`backend`) is its own, but a broken
 * `project`, `accounts` or `environments` list, or a configuration that is not an object, is the
 * whole configuration's.
 */
function scopeOfBroken(b: BrokenField): string | undefined {
  if (b.fieldPath === "config" || SKELETON.has(b.fieldPath)) return undefined;
  if (b.fieldPath.endsWith("]")) return b.fieldPath;
  const section = reportedAt(b.fieldPath);
  return section === "config" ? b.fieldPath : section;
}

/** The section (or list) holding a loose field of another kind: its rules read the wrong type. */
function scopeOfMistyped(m: MistypedField): string {
  return m.fieldPath.endsWith("]") ? m.fieldPath.replace(/\[\d+\]$/, "") : reportedAt(m.fieldPath);
}

/**
 * Whether a rule's violation lies in `scope` (undefined: everywhere), judged by its path only: it
 * is at or under the scope, or is about it from above (its subject starts with the scope's key:
 * `capacity minSize > maxSize` at `.../runners`, `scanning.frequency` at `.../registry`, a rule
 * comparing the field with its siblings). Never by value: another environment's cache expiry of 0
 * beside a repository description given as 0 is its own problem.
 */
function liesIn(v: Violation, scope: string | undefined): boolean {
  if (scope === undefined) return true;
  const about = `${v.path}/${v.subject.split(/[.\s]/)[0]!}`;
  return isAtOrAbove(scope, v.path) || isAtOrAbove(scope, about);
}

/**
 * Runs the configuration's rules: `run` takes the configuration to check and a wrapper for the
 * sections of its collecting run, and throws what they found.
 */
export type RuleRun = (config: PlatformConfig, wrap: (section: ValidationSection) => ValidationSection) => void;

/**
 * The configuration pass's error for a configuration the shape pass found problems in (at least
 * one): every shape problem in walk order, each loose field of another kind worded by its own rule
 * where one names the field and its value (an account id "given as a string"), then every problem
 * of the rules that cannot follow from a shape problem. Left out: a problem in the section of a
 * broken field (see `scopeOfBroken`), at or under the section holding a loose field of another
 * kind, or about either from above; and, with broken fields, what a rule section found after it
 * read one (config-broken-reads.ts: a deploy check of one environment looking for the toolbox
 * project of another environment's instance, whose `url` is missing). An unknown key hides nothing.
 *
 * @param shape what `configShapeOf` found in `config` (at least one problem)
 * @param runRules runs the rules; with broken fields on a view of `config` that watches their
 *   reads, each section wrapped (an error other than a ValidationError, a rule reading what is
 *   missing, is dropped). An error it throws outside a section leaves the shape's problems alone.
 * @throws RangeError when the shape pass found nothing
 */
export function configErrorOf(shape: ConfigShape, config: PlatformConfig, runRules: RuleRun): ValidationError {
  const tracking = shape.broken.length > 0 ? trackBrokenReads(config, shape.broken.map((b) => b.fieldPath)) : undefined;
  let reported: readonly Violation[] = [];
  try {
    runRules(tracking?.input ?? config, tracking?.wrap ?? ((section) => section));
  } catch (error) {
    if (error instanceof ValidationError) reported = violationsOf(error);
  }
  if (tracking) reported = tracking.keep(reported);
  const own = problemsOfMistyped(shape.mistyped, reported);
  const ownBy = new Map(shape.mistyped.map((m, i) => [m.violation, own[i]!]));
  const claimed = new Set(own);
  const scopes = [...shape.broken.map(scopeOfBroken), ...shape.mistyped.map(scopeOfMistyped)];
  const independent = reported.filter((v) => !claimed.has(v) && !scopes.some((scope) => liesIn(v, scope)));
  return validationErrorOf([...shape.found.map((v) => ownBy.get(v) ?? v), ...independent]);
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
