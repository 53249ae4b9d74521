import { Token, Tokenization } from "cdktf";

/**
 * True when `value` is (or contains) an unresolved cdktf token. Such values are
 * only known at apply time, so construction-time validation skips them.
 */
export function isUnresolved(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return Token.isUnresolved(value) || value.some(isUnresolved);
  return Token.isUnresolved(value);
}

/** A part of a string: literal text, or the encoded marker of one cdktf token. */
export type StringPart = { readonly literal: string } | { readonly token: string };

/**
 * Splits `value` into its literal text and its embedded cdktf string tokens,
 * in order, using only public cdktf APIs (`Tokenization.reverseString`, whose
 * tokens `Token.asString` re-encodes to the very markers in the string).
 */
export function splitTokens(value: string): StringPart[] {
  const markers = [...new Set(Tokenization.reverseString(value).tokens.map((t) => Token.asString(t)))];
  if (markers.length === 0) return value === "" ? [] : [{ literal: value }];
  const pattern = new RegExp(`(${markers.map(escapeRegExp).join("|")})`);
  return value
    .split(pattern)
    .filter((part) => part !== "")
    .map((part) => (markers.includes(part) ? { token: part } : { literal: part }));
}

/** `value` with every embedded token replaced by `placeholder` (for checking the literal structure around tokens). */
export function replaceTokens(value: string, placeholder: string): string {
  return splitTokens(value)
    .map((p) => ("token" in p ? placeholder : p.literal))
    .join("");
}

/**
 * Prepares a string that may embed tokens as the argument of a cdktf `Fn`
 * call (e.g. `Fn.base64gzip`), which cdktf writes as an HCL quoted template:
 * `${fn("...")}`. cdktf escapes only newlines there, and warns about (and
 * mangles) a literal `${`, so the literal parts are escaped here for HCL:
 * `\` and `"` get a backslash, tabs and carriage returns become `\t`/`\r`,
 * `${` (and a `$` right before a token) becomes the unicode escape `\u0024`,
 * and `%{` becomes `%%{`. Tokens stay as they are and become interpolations.
 */
export function escapeForFunctionArgument(value: string): string {
  const parts = splitTokens(value);
  return parts
    .map((part, i) => {
      if ("token" in part) return part.token;
      const escaped = part.literal
        .replace(/\\/g, "\\\\")
        .replace(/"/g, '\\"')
        .replace(/\t/g, "\\t")
        .replace(/\r/g, "\\r")
        .replace(/\$\{/g, "\\u0024{")
        .replace(/%\{/g, "%%{");
      const beforeToken = i + 1 < parts.length && escaped.endsWith("$");
      return beforeToken ? `${escaped.slice(0, -1)}\\u0024` : escaped;
    })
    .join("");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
