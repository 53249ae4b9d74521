import { formatViolation, ValidationError, type Violation, violationsOf } from "../../lib/core/errors";

/**
 * One bad input of the matrix: what to build, and the exact kind of error it
 * must raise. `path` and `subject` are compared exactly, `value` with toEqual
 * (when given), `rule` and `fix` as patterns; the message must carry them all.
 */
export interface BadInput {
  /** What is wrong, in a few words (the test name). */
  readonly name: string;
  /** Builds the input; must throw a ValidationError. */
  readonly run: () => unknown;
  /** The exact construct or config path the error names. */
  readonly path: string;
  /** The exact subject. */
  readonly subject: string;
  /** The offending value as reported (omit when it is redacted or derived). */
  readonly value?: unknown;
  /** The rule the value breaks. */
  readonly rule: RegExp;
  /** How to fix it. */
  readonly fix: RegExp;
}

/** The ValidationError `row.run` throws (anything else, or nothing, fails the row). */
export function errorOf(row: BadInput): ValidationError {
  let thrown: unknown;
  try {
    row.run();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error(`${row.name}: accepted silently (no error was thrown)`);
  if (!(thrown instanceof ValidationError)) throw new Error(`${row.name}: expected a ValidationError, got ${String(thrown)}`);
  return thrown;
}

/**
 * Asserts the error of one row: among the violations reported together (configuration errors
 * are collected, so a consequence of the same mistake may be reported beside it), one names the
 * row's path and subject, with its value, rule and fix, and the message carries it whole.
 */
export function expectRow(row: BadInput): void {
  const error = errorOf(row);
  const all: readonly Violation[] = violationsOf(error);
  const found = all.find((v) => v.path === row.path && v.subject === row.subject);
  expect(found ? { path: found.path, subject: found.subject } : all.map((v) => ({ path: v.path, subject: v.subject }))).toEqual({ path: row.path, subject: row.subject });
  const violation = found!;
  if ("value" in row) expect(violation.value).toEqual(row.value);
  expect(violation.rule).toMatch(row.rule);
  expect(violation.fix).toMatch(row.fix);
  expect(violation.fix.trim().length).toBeGreaterThan(10);
  expect(formatViolation(violation)).toBe(`${violation.path}: invalid ${violation.subject} ${describe_(violation.value)}. Rule: ${violation.rule}. Fix: ${violation.fix}`);
  expect(error.message.split("\n")).toContain(formatViolation(violation));
}

function describe_(value: unknown): string {
  // The message format of lib/core/errors.ts (formatViolation).
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}
