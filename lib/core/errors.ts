/**
 * Validation errors raised at construction (synth) time.
 *
 * Every message names four things, in this order, so that a platform engineer
 * can fix the input without reading our source:
 *   1. where: the construct path (or config path) of the bad input,
 *   2. what: the offending value,
 *   3. the rule it breaks,
 *   4. how to fix it.
 */

/** The parts of a validation failure. */
export interface Violation {
  /** Construct path (`node.path`) or configuration path of the bad input, e.g. `dev/registry/app`. */
  readonly path: string;
  /** What is being checked, e.g. `repository name` or `lifecycle rule 3 countNumber`. */
  readonly subject: string;
  /** The offending value, as given. */
  readonly value: unknown;
  /** The rule that the value breaks, stated as a requirement. */
  readonly rule: string;
  /** How to fix the input. */
  readonly fix: string;
}

/** Thrown when construct props or configuration break a documented rule. */
export class ValidationError extends Error implements Violation {
  public readonly path: string;
  public readonly subject: string;
  public readonly value: unknown;
  public readonly rule: string;
  public readonly fix: string;

  public constructor(violation: Violation) {
    super(formatViolation(violation));
    this.name = "ValidationError";
    this.path = violation.path;
    this.subject = violation.subject;
    this.value = violation.value;
    this.rule = violation.rule;
    this.fix = violation.fix;
  }
}

/** Renders a value for an error message: strings quoted, objects as compact JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? `${json.slice(0, 197)}...` : json;
  } catch {
    return String(value);
  }
}

/** Formats a violation as `<path>: invalid <subject> <value>. Rule: <rule>. Fix: <fix>`. */
export function formatViolation(v: Violation): string {
  return `${v.path}: invalid ${v.subject} ${describeValue(v.value)}. Rule: ${v.rule}. Fix: ${v.fix}`;
}

/**
 * Several violations found in one pass (see {@link collectViolations}). It is a
 * {@link ValidationError} too: `path`, `subject`, `value`, `rule` and `fix` are
 * those of the first violation, and the message is every violation's
 * {@link formatViolation} line, one per line, first one first. So code that
 * catches a `ValidationError` keeps working, and a message that used to start
 * with the first violation still does.
 */
export class ValidationErrors extends ValidationError {
  /** Every violation, in the order found, without duplicates. */
  public readonly violations: readonly Violation[];

  /** @param violations at least one violation */
  public constructor(violations: readonly Violation[]) {
    if (violations.length === 0) throw new RangeError("ValidationErrors needs at least one violation");
    super(violations[0]!);
    this.name = "ValidationErrors";
    this.violations = violations;
    this.message = violations.map(formatViolation).join("\n");
  }
}

/** The violations of a whole error: its list for {@link ValidationErrors}, else itself. */
export function violationsOf(error: ValidationError): readonly Violation[] {
  return error instanceof ValidationErrors ? error.violations : [error];
}

/** Errors a section let through as defects, so that no enclosing collection drops them. */
const defects = new WeakSet<object>();

/** The collector {@link check} records into while {@link collectViolations} runs; undefined otherwise. */
let collector: Violation[] | undefined;

/**
 * Throws a {@link ValidationError} unless `condition` holds. Inside
 * {@link collectViolations} it records the violation instead and returns.
 */
export function check(condition: boolean, violation: Violation): asserts condition {
  if (condition) return;
  if (collector) {
    collector.push(violation);
    return;
  }
  throw new ValidationError(violation);
}

/**
 * Runs one independent part of a validation inside {@link collectViolations}.
 * A {@link ValidationError} thrown in it (by code that throws rather than calls
 * {@link check}) is recorded. Any other error thrown after the section recorded
 * a violation is taken as a follow-on of that violation (code after a failed
 * `check` assumed it held, e.g. read a field of a value that is not an object)
 * and dropped: the recorded violation explains it. An error in a section that
 * recorded nothing is a defect and propagates.
 */
export type ValidationSection = (body: () => void) => void;

/**
 * Runs `fn` in collecting mode: every failed {@link check} inside it (however
 * deeply nested) is recorded instead of thrown, and `fn` continues. When `fn`
 * returns, throws the violations found: a plain {@link ValidationError} for
 * one, a {@link ValidationErrors} for several (a violation repeating the subject
 * and value of one found before at the same path is dropped; see `errorOf`),
 * nothing for none. Split `fn` into independent parts with the `section` it is given, so a
 * follow-on error of one part does not hide the violations of the others.
 * Nested calls join the outer collection. Synchronous code only.
 *
 * @returns what `fn` returns, when nothing was violated
 * @throws ValidationError or ValidationErrors with every violation found
 */
export function collectViolations<T>(fn: (section: ValidationSection) => T): T {
  const outer = collector;
  const found: Violation[] = outer ?? [];
  const record = (error: ValidationError): void => {
    found.push(...violationsOf(error));
  };
  const section: ValidationSection = (body) => {
    const before = found.length;
    try {
      body();
    } catch (error) {
      if (error instanceof ValidationError) record(error);
      else if (found.length === before) {
        if (typeof error === "object" && error !== null) defects.add(error);
        throw error;
      }
    }
  };
  collector = found;
  let result: T;
  try {
    result = fn(section);
  } catch (error) {
    collector = outer;
    if (error instanceof ValidationError) record(error);
    else if (found.length === 0 || (typeof error === "object" && error !== null && defects.has(error))) throw error;
    if (outer) throw error;
    throw errorOf(found);
  }
  collector = outer;
  if (outer || found.length === 0) return result;
  throw errorOf(found);
}

/**
 * Runs `fn` apart from any {@link collectViolations} in progress and returns the violations it
 * found: its failed {@link check}s (recorded, so `fn` continues) and the violations of a
 * {@link ValidationError} it throws. Nothing is added to the outer collection. For a check that
 * runs another check on other input and reports what it finds in its own words, at its own path
 * (the agreement of the environments sharing one GitLab instance runs the templates' checks with
 * each environment's tag scheme). Another error thrown after a violation was recorded is taken
 * as a follow-on of it and dropped; thrown before, it propagates. Synchronous code only.
 *
 * @returns the violations, in the order found (empty when `fn` found none)
 */
export function violationsIn(fn: () => void): readonly Violation[] {
  const outer = collector;
  const found: Violation[] = [];
  collector = found;
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) found.push(...violationsOf(error));
    else if (found.length === 0) throw error;
  } finally {
    collector = outer;
  }
  return found;
}

/**
 * One error for the violations found (see {@link validationErrorOf}). A violation is dropped only when it repeats one already
 * found at the same path: the same subject and value there, whatever the rule (one value at one
 * path is reported once, with the first rule it breaks: checks run the most specific rule first,
 * e.g. a GitLab URL's port before its general form). The same mistake at two paths (two
 * environments with the same bad cache expiry) is two lines: each path needs its own fix. A check
 * that re-reads a value owned by another path (the project name inside an environment's checks)
 * reports it at the owner's path, so it repeats the owner's violation and is dropped here.
 */
function errorOf(violations: readonly Violation[]): ValidationError {
  return validationErrorOf(violations);
}

/**
 * The error {@link collectViolations} throws for `violations` (at least one): repeats at one path
 * dropped as described there, a plain {@link ValidationError} for one, {@link ValidationErrors}
 * for several. For validations that gather their violations themselves.
 *
 * @throws RangeError for an empty list
 */
export function validationErrorOf(violations: readonly Violation[]): ValidationError {
  if (violations.length === 0) throw new RangeError("validationErrorOf needs at least one violation");
  const seen = new Set<string>();
  const unique = violations.filter((v) => {
    const key = JSON.stringify([v.path, v.subject, describeValue(v.value)]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.length === 1 ? new ValidationError(unique[0]!) : new ValidationErrors(unique);
}

/**
 * Checks at run time that `value` is one of `allowed` (a TypeScript union
 * does not protect plain-JavaScript callers, and a misspelt value would
 * otherwise fall through to a default branch). Throws a {@link ValidationError}
 * naming `path`, `subject`, the value and the allowed values.
 */
export function checkOneOf<T extends string | number | boolean>(path: string, subject: string, value: unknown, allowed: readonly T[]): asserts value is T {
  check((allowed as readonly unknown[]).includes(value), {
    path,
    subject,
    value,
    rule: `${subject} is one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
    fix: `use one of ${allowed.map((a) => JSON.stringify(a)).join(", ")} (values are case-sensitive)`,
  });
}
