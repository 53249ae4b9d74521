import { ValidationError } from "../../lib/core/errors";

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

/** Asserts the error of one row: path, subject, value, rule, fix, and a message that carries them. */
export function expectRow(row: BadInput): void {
  const error = errorOf(row);
  expect({ path: error.path, subject: error.subject }).toEqual({ path: row.path, subject: row.subject });
  if ("value" in row) expect(error.value).toEqual(row.value);
  expect(error.rule).toMatch(row.rule);
  expect(error.fix).toMatch(row.fix);
  expect(error.fix.trim().length).toBeGreaterThan(10);
  expect(error.message).toBe(`${error.path}: invalid ${error.subject} ${describe_(error.value)}. Rule: ${error.rule}. Fix: ${error.fix}`);
}

function describe_(value: unknown): string {
  // The message format of lib/core/errors.ts (formatViolation).
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}
