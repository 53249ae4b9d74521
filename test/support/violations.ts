import { ValidationError } from "../../lib/core/errors";
import { violationOf } from "./synth";

/** What a test expects of a validation error: where, what, which rule, which fix. */
export interface ExpectedViolation {
  /** The exact construct or config path. */
  readonly path: string;
  /** The exact subject. */
  readonly subject: string;
  /** The offending value, compared with toEqual. */
  readonly value: unknown;
  /** The rule text. */
  readonly rule: RegExp;
  /** The fix text. */
  readonly fix: RegExp;
}

/**
 * Runs `fn`, expects it to throw a ValidationError, and checks its path,
 * subject, value, rule and fix, and that the message carries all of them.
 */
export function expectViolation(fn: () => unknown, expected: ExpectedViolation): ValidationError {
  const error = violationOf(fn);
  expect({ path: error.path, subject: error.subject, value: error.value }).toEqual({
    path: expected.path,
    subject: expected.subject,
    value: expected.value,
  });
  expect(error.rule).toMatch(expected.rule);
  expect(error.fix).toMatch(expected.fix);
  expect(error.message.startsWith(`${expected.path}: invalid ${expected.subject} `)).toBe(true);
  expect(error.message).toContain(`Rule: ${error.rule}. Fix: ${error.fix}`);
  return error;
}

/**
 * The message of the ValidationError `fn` throws, or "" when it throws none (for tests that
 * compare acceptance with a refusal); any other error is rethrown.
 */
export function validationMessageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  return "";
}
