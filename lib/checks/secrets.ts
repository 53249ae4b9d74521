/**
 * Finding secrets in text: GitLab and AWS token formats, private keys and
 * literal password assignments, in user data after undoing the encodings it
 * usually goes through (base64, gzip, `${base64encode("...")}` wrappers,
 * base64 blobs inside cloud-init `write_files` or MIME parts).
 */
import { gunzipSync } from "node:zlib";
import { blocks, isExpression, strings, type StackElement, type StackModel } from "./stack-model";
import { evaluateString } from "./terraform-eval";
import { findTokens, mask, type SecretMatch } from "../core/secret-tokens";

export { findTokens, type SecretMatch, TOKEN_PATTERNS } from "../core/secret-tokens";

/**
 * `key = value` / `key: value` assignments of secret-named keys. The value is a secret unless it
 * is a reference resolved at boot or apply time (`$VAR`, `$(cmd)`, `${...}`, `{{ ... }}`, `%VAR%`), a
 * placeholder (`__TOKEN__`, `<token>`, `@TOKEN@`, `ALL_CAPS_NAME`), a path, a boolean, a number, or
 * shorter than {@link MIN_LITERAL_LENGTH} characters.
 */
const ASSIGNMENT = /(?:^|[^\w-])([\w.-]*(?:password|passwd|secret|token|api_?key|secret_access_key))["']?[ \t]*[:=][ \t]*["']?([^\s"',;}\]\\]*)/gi;
/** Values that are references, placeholders, paths, booleans or numbers rather than secrets. */
const NOT_A_LITERAL = /^(?:[$%<`(@/]|\{\{|__)|^(?:true|false|yes|no|null|none|nil|~)$|^\d+$/i;
/** An environment-variable-style name, e.g. `RUNNER_TOKEN`: a placeholder, not a value. */
const PLACEHOLDER_NAME = /^[A-Z][A-Z0-9_]*$/;
/** Shorter values are too often flags or units (`token: none`, `secret=yes`) to report. */
const MIN_LITERAL_LENGTH = 6;

/**
 * True when the key starting at `index` is in a key position: first on its line (after indentation,
 * `export`, `local`, `declare`, `readonly`, `-` or `--`), or after `{`, `,`, `(`, `[` or a quote.
 * Prose such as `log "admin password: stored in SSM"` is not an assignment.
 */
function atKeyPosition(text: string, index: number): boolean {
  const lineStart = text.lastIndexOf("\n", index - 1) + 1;
  const before = text.slice(lineStart, index).trimEnd();
  return before === "" || /(?:^|\s)(?:export|local|declare|readonly|-|--)$/.test(before) || /[{,(["']$/.test(before);
}

/** Token-format secrets plus literal assignments to secret-named keys (user data, scripts, config files). */
export function findSecrets(text: string): SecretMatch[] {
  const found = findTokens(text);
  for (const m of text.matchAll(ASSIGNMENT)) {
    const [whole, key, value] = m;
    // `...:secret:name` is a segment of an ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), not an assignment.
    if (whole.startsWith(":")) continue;
    if (!atKeyPosition(text, m.index + whole.indexOf(key!))) continue;
    if (!value || value.length < MIN_LITERAL_LENGTH || NOT_A_LITERAL.test(value) || PLACEHOLDER_NAME.test(value)) continue;
    if (findTokens(value).length > 0) continue; // already reported as a token
    found.push({ kind: `a literal value assigned to "${key}"`, excerpt: `${key}=${mask(value)}` });
  }
  return found;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64_BLOB = /[A-Za-z0-9+/]{40,}={0,2}/g;
const HCL_STRING_CALL = /\$\{\s*(?:base64encode|base64gzip)\(\s*"((?:[^"\\]|\\.)*)"\s*\)\s*\}/g;

/** True when nearly all characters are printable text (decoded user data, not binary). */
function printable(text: string): boolean {
  if (text.length === 0) return false;
  let ok = 0;
  for (const ch of text) if (ch === "\n" || ch === "\r" || ch === "\t" || (ch >= " " && ch !== "\u007f")) ok++;
  return ok / text.length > 0.95;
}

/** Decodes base64, gunzipping gzip content; undefined unless the result is text. */
function decodeBase64(encoded: string): string | undefined {
  const compact = encoded.replace(/\s+/g, "");
  if (compact.length < 8 || compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  let bytes = Buffer.from(compact, "base64");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      return undefined;
    }
  }
  const text = bytes.toString("utf8");
  return printable(text) ? text : undefined;
}

/** Undoes HCL string escapes (`\"`, `\\`, `\n`, `\t`, `\r`). */
function unescapeHcl(text: string): string {
  return text.replace(/\\(["\\ntr])/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
}

/**
 * The text itself and every decoding of it: the whole value as base64 (and gzip), the string
 * literals of `${base64encode("...")}` / `${base64gzip("...")}`, and base64 blobs of 40+
 * characters inside (cloud-init `encoding: b64` files, MIME parts), to a depth of 3.
 */
export function decodedLayers(text: string, depth = 0): string[] {
  const layers = [text];
  if (depth >= 3) return layers;
  const decoded = [
    decodeBase64(text),
    // `${base64encode("...")}` and `${base64gzip("...")}` hold the plain text as an HCL string.
    ...[...text.matchAll(HCL_STRING_CALL)].map((m) => unescapeHcl(m[1]!)),
    ...[...text.matchAll(BASE64_BLOB)].map((m) => decodeBase64(m[0])),
  ];
  for (const layer of new Set(decoded)) {
    if (layer !== undefined && layer !== text) layers.push(...decodedLayers(layer, depth + 1));
  }
  return [...new Set(layers)];
}

/** Resource types with user data, and the attributes that hold it. */
export const USER_DATA_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_instance: ["user_data", "user_data_base64"],
  aws_spot_instance_request: ["user_data", "user_data_base64"],
  aws_launch_template: ["user_data"],
  aws_launch_configuration: ["user_data", "user_data_base64"],
};

/** The user-data-bearing elements of a stack: the resources above and `cloudinit_config` data sources. */
export function userDataElements(model: StackModel): StackElement[] {
  return [...model.resources(...Object.keys(USER_DATA_ATTRIBUTES)), ...model.dataSources("cloudinit_config")];
}

/** An element's user data as the rules read it: every decoded layer, and why parts could not be read. */
export interface UserDataRead {
  /** The text and every decoding of it (Terraform expressions evaluated where known at synth). */
  readonly texts: readonly string[];
  /** Why (parts of) the user data are known only at apply time; empty when read completely. */
  readonly unresolved: readonly string[];
}

const reads = new WeakMap<StackModel, Map<string, UserDataRead>>();

/**
 * Reads an element's user data (a `cloudinit_config`'s part contents included): Terraform
 * expressions are evaluated where their value is known at synth (locals, `base64gzip`,
 * `base64encode`, `join`, `format` of literals; see terraform-eval.ts), then every layer is
 * decoded. Parts known only at apply time are listed in `unresolved`. Cached per model.
 */
export function readUserData(model: StackModel, element: StackElement): UserDataRead {
  const cache = reads.get(model) ?? new Map<string, UserDataRead>();
  reads.set(model, cache);
  const cached = cache.get(element.address);
  if (cached) return cached;
  const raw =
    element.kind === "data"
      ? blocks(element.config.part).flatMap((part) => strings(part.content))
      : (USER_DATA_ATTRIBUTES[element.type] ?? []).flatMap((attribute) => strings(element.config[attribute]));
  const texts: string[] = [];
  const unresolved: string[] = [];
  for (const text of raw) {
    texts.push(...decodedLayers(text));
    if (!isExpression(text)) continue;
    const value = evaluateString(model, text, 0, "text");
    if (value.known && typeof value.value === "string") texts.push(...decodedLayers(value.value));
    else if (!value.known) unresolved.push(value.reason);
  }
  const read = { texts: [...new Set(texts)], unresolved };
  cache.set(element.address, read);
  return read;
}

/** Every decoded layer of an element's user data (see {@link readUserData}). */
export function userDataTexts(element: StackElement, model?: StackModel): string[] {
  if (model) return [...readUserData(model, element).texts];
  const raw =
    element.kind === "data"
      ? blocks(element.config.part).flatMap((part) => strings(part.content))
      : (USER_DATA_ATTRIBUTES[element.type] ?? []).flatMap((attribute) => strings(element.config[attribute]));
  return raw.flatMap((text) => decodedLayers(text));
}
