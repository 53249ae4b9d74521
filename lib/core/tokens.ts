import { Token } from "cdktf";

/**
 * True when `value` is (or contains) an unresolved cdktf token. Such values are
 * only known at apply time, so construction-time validation skips them.
 */
export function isUnresolved(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return Token.isUnresolved(value) || value.some(isUnresolved);
  return Token.isUnresolved(value);
}
