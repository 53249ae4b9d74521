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

/** Throws a {@link ValidationError} unless `condition` holds. */
export function check(condition: boolean, violation: Violation): asserts condition {
  if (!condition) throw new ValidationError(violation);
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
