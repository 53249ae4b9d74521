/**
 * A small evaluator for the Terraform expressions whose value is known at
 * synth time, so the rules judge what Terraform will see: string templates,
 * `local.<name>` (followed through the stack's locals), string literals,
 * lists, and the functions `base64encode`, `base64gzip`, `base64decode`,
 * `join`, `format` (verbs `%s`, `%d`, `%q`, `%%`), `lower`, `upper`, `trimspace`.
 * Anything else (resource attributes, variables, other functions, template
 * directives) is unknown, and the result says why: a rule then reports the
 * value as unchecked, never as passing.
 *
 * Semantics follow the Terraform language documentation (Functions: base64gzip
 * "compresses a string with gzip and then encodes the result in Base64", join,
 * format; Expressions: string templates).
 */
import { gzipSync } from "node:zlib";
import { isRecord, type StackModel } from "./stack-model";

/** The result of evaluating a value: known, or unknown with the reason. */
export type Evaluated = { readonly known: true; readonly value: unknown } | { readonly known: false; readonly reason: string };

const known = (value: unknown): Evaluated => ({ known: true, value });
const unknown = (reason: string): Evaluated => ({ known: false, reason });

const MAX_DEPTH = 16;

/**
 * How unknown references evaluate. `value`: Terraform's value, so a reference to a resource
 * attribute or variable makes the result unknown. `text`: what the text says once decoded, for
 * scanners: references stay in the text as `${...}` placeholders (the secret rules judge them by
 * what they reference), and `base64encode`/`base64gzip` are transparent (their input is the text).
 */
export type EvaluationMode = "value" | "text";

/** What each one-character HCL escape stands for. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
const HEX4 = /^[0-9a-fA-F]{4}$/;
const HEX8 = /^[0-9a-fA-F]{8}$/;

/**
 * Undoes HCL quoted-string escapes (`\n`, `\t`, `\r`, `\"`, `\\`, `\uNNNN`, `\UNNNNNNNN`), left to
 * right; a backslash before anything else stays as it is. A loop over the backslashes: the
 * user data the rules read holds thousands of `\n` escapes, and a replace callback per escape was
 * most of RUN001's and SEC001's reading (test/checks/terraform-eval.test.ts compares it with the
 * regular-expression form it replaced).
 */
export function unescapeHcl(text: string): string {
  let at = text.indexOf("\\");
  if (at < 0) return text;
  let out = "";
  let from = 0;
  while (at >= 0) {
    const c = text[at + 1];
    let value: string | undefined;
    let length = 2;
    if (c !== undefined && c in SIMPLE_ESCAPES) value = SIMPLE_ESCAPES[c];
    else if (c === "u" && HEX4.test(text.slice(at + 2, at + 6))) [value, length] = [String.fromCodePoint(parseInt(text.slice(at + 2, at + 6), 16)), 6];
    else if (c === "U" && HEX8.test(text.slice(at + 2, at + 10))) [value, length] = [String.fromCodePoint(parseInt(text.slice(at + 2, at + 10), 16)), 10];
    if (value === undefined) {
      at = text.indexOf("\\", at + 1);
      continue;
    }
    out += text.slice(from, at) + value;
    from = at + length;
    at = text.indexOf("\\", from);
  }
  return out + text.slice(from);
}

/**
 * Evaluates a string template: literal text with `${...}` interpolations (`$${` is a literal `${`).
 * @param hclEscapes the text is the inside of an HCL quoted string, whose literal parts carry
 *   backslash escapes (an escaped `\u0024{` is a literal `${`, never an interpolation)
 */
export function evaluateString(model: StackModel, text: string, depth = 0, mode: EvaluationMode = "value", hclEscapes = false): Evaluated {
  if (depth > MAX_DEPTH) return unknown("locals nest too deeply");
  let out = "";
  let i = 0;
  const literal = (chunk: string) => (hclEscapes ? unescapeHcl(chunk) : chunk);
  while (i < text.length) {
    const next = nextTemplateStart(text, i);
    if (next < 0) {
      out += literal(text.slice(i));
      break;
    }
    // `$${` and `%%{` are escapes for a literal `${` / `%{`.
    if (text[next + 1] === text[next]) {
      out += literal(text.slice(i, next)) + text[next] + "{";
      i = next + 3;
      continue;
    }
    out += literal(text.slice(i, next));
    if (text[next] === "%") return unknown(`a template directive (${text.slice(next, next + 20)}…) is not evaluated offline`);
    const end = closingBrace(text, next + 1);
    if (end < 0) return unknown("an interpolation is not closed");
    const result = new Parser(model, text.slice(next + 2, end), depth, mode).parseAll();
    if (!result.known) return result;
    if (typeof result.value !== "string" && typeof result.value !== "number" && typeof result.value !== "boolean") return unknown("an interpolation yields a non-string value");
    out += String(result.value);
    i = end + 1;
  }
  return known(out);
}

/** `${`, `%{`, `$${` and `%%{`: where a template's literal text ends. */
const TEMPLATE_START = /\$\$?\{|%%?\{/g;

/** The index of the next `${`, `%{`, `$${` or `%%{` from `from`; -1 if none. */
export function nextTemplateStart(text: string, from: number): number {
  TEMPLATE_START.lastIndex = from;
  const m = TEMPLATE_START.exec(text);
  return m ? m.index : -1;
}

/** The index of the `}` closing the `{` at `open`, skipping quoted strings; -1 when unclosed. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}

/** Evaluates any JSON value of a stack (strings as templates, arrays and objects element-wise). */
export function evaluateValue(model: StackModel, value: unknown, depth = 0, mode: EvaluationMode = "value"): Evaluated {
  if (typeof value === "string") return evaluateString(model, value, depth, mode);
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const v of value) {
      const r = evaluateValue(model, v, depth, mode);
      if (!r.known) return r;
      items.push(r.value);
    }
    return known(items);
  }
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = evaluateValue(model, v, depth, mode);
      if (!r.known) return r;
      out[k] = r.value;
    }
    return known(out);
  }
  return known(value);
}

/** A recursive-descent parser-evaluator for one expression. */
class Parser {
  private pos = 0;
  public constructor(
    private readonly model: StackModel,
    private readonly text: string,
    private readonly depth: number,
    private readonly mode: EvaluationMode,
  ) {}

  public parseAll(): Evaluated {
    const r = this.expression();
    this.space();
    if (r.known && this.pos < this.text.length) return unknown(`the expression ${JSON.stringify(this.text.slice(0, 60))} is not evaluated offline`);
    return r;
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private expression(): Evaluated {
    this.space();
    const c = this.text[this.pos];
    if (c === '"') return this.stringLiteral();
    if (c === "[") return this.list();
    const number = /^-?\d+(\.\d+)?/.exec(this.text.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return known(Number(number[0]));
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos));
    if (!ident) return unknown(`the expression ${JSON.stringify(this.text.slice(0, 60))} is not evaluated offline`);
    this.pos += ident[0].length;
    this.space();
    if (this.text[this.pos] === "(") return this.call(ident[0]);
    if (ident[0] === "true" || ident[0] === "false") return known(ident[0] === "true");
    return this.traversal(ident[0]);
  }

  private stringLiteral(): Evaluated {
    const start = ++this.pos; // after the opening quote
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      if (this.text[this.pos] === "\\") this.pos += 2;
      else if (this.text.startsWith("${", this.pos) || this.text.startsWith("%{", this.pos)) {
        const end = closingBrace(this.text, this.pos + 1);
        if (end < 0) return unknown("an interpolation is not closed");
        this.pos = end + 1;
      } else this.pos++;
    }
    const raw = this.text.slice(start, this.pos);
    this.pos++; // closing quote
    return evaluateString(this.model, raw, this.depth + 1, this.mode, true);
  }

  private list(): Evaluated {
    this.pos++;
    const items: unknown[] = [];
    for (;;) {
      this.space();
      if (this.text[this.pos] === "]") {
        this.pos++;
        return known(items);
      }
      const r = this.expression();
      if (!r.known) return r;
      items.push(r.value);
      this.space();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "]") return unknown("a list is not closed");
    }
  }

  private call(name: string): Evaluated {
    this.pos++;
    const args: unknown[] = [];
    for (;;) {
      this.space();
      if (this.text[this.pos] === ")") {
        this.pos++;
        break;
      }
      const r = this.expression();
      if (!r.known) return r;
      args.push(r.value);
      this.space();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== ")") return unknown(`the arguments of ${name}() are not evaluated offline`);
    }
    return applyFunction(name, args, this.mode);
  }

  private traversal(root: string): Evaluated {
    const path = [root];
    while (this.text[this.pos] === ".") {
      const m = /^\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(this.text.slice(this.pos));
      if (!m) break;
      path.push(m[1]!);
      this.pos += m[0].length;
    }
    if (root !== "local" || path.length < 2) {
      // Skip index expressions of the reference, e.g. aws_instance.x[0].id.
      while (this.text[this.pos] === "[") {
        const end = this.text.indexOf("]", this.pos);
        if (end < 0) break;
        this.pos = end + 1;
        const more = /^(\.[A-Za-z_][A-Za-z0-9_-]*)+/.exec(this.text.slice(this.pos));
        if (more) {
          path.push(more[0].slice(1));
          this.pos += more[0].length;
        }
      }
      return this.mode === "text" ? known(`\${${path.join(".")}}`) : unknown(`${path.join(".")} is known only at apply time`);
    }
    const local = this.model.get(`local.${path[1]}`);
    if (!local) return unknown(`local.${path[1]} is not defined in the stack`);
    let value = evaluateValue(this.model, local.config.value, this.depth + 1, this.mode);
    for (const key of path.slice(2)) {
      if (!value.known) return value;
      value = isRecord(value.value) && key in value.value ? known(value.value[key]) : unknown(`${path.join(".")} has no such attribute`);
    }
    return value;
  }
}

/** Applies one of the supported functions to known arguments. */
function applyFunction(name: string, args: readonly unknown[], mode: EvaluationMode): Evaluated {
  const text = (i: number): string | undefined => (typeof args[i] === "string" || typeof args[i] === "number" ? String(args[i]) : undefined);
  if (mode === "text" && (name === "base64encode" || name === "base64gzip")) return text(0) === undefined ? unknown(`${name} of a non-string`) : known(text(0));
  switch (name) {
    case "base64encode":
      return text(0) === undefined ? unknown("base64encode of a non-string") : known(Buffer.from(text(0)!, "utf8").toString("base64"));
    case "base64gzip":
      return text(0) === undefined ? unknown("base64gzip of a non-string") : known(gzipSync(Buffer.from(text(0)!, "utf8")).toString("base64"));
    case "base64decode":
      return text(0) === undefined ? unknown("base64decode of a non-string") : known(Buffer.from(text(0)!, "base64").toString("utf8"));
    case "join":
      return text(0) !== undefined && args.slice(1).every(Array.isArray)
        ? known(args.slice(1).flatMap((l) => l as unknown[]).map(String).join(text(0)))
        : unknown("join of non-lists");
    case "format":
      return text(0) === undefined ? unknown("format without a format string") : formatString(text(0)!, args.slice(1));
    case "lower":
    case "upper":
    case "trimspace": {
      const t = text(0);
      if (t === undefined) return unknown(`${name} of a non-string`);
      return known(name === "lower" ? t.toLowerCase() : name === "upper" ? t.toUpperCase() : t.trim());
    }
    default:
      return unknown(`the function ${name}() is not evaluated offline`);
  }
}

/** Terraform's `format` for the verbs `%s`, `%d`, `%q` and `%%`. */
function formatString(spec: string, args: readonly unknown[]): Evaluated {
  let next = 0;
  let bad: string | undefined;
  const out = spec.replace(/%(%|s|d|q|v)/g, (_, verb: string) => {
    if (verb === "%") return "%";
    if (next >= args.length) {
      bad = "too few arguments";
      return "";
    }
    const v = args[next++];
    return verb === "q" ? JSON.stringify(String(v)) : String(v);
  });
  if (/%[^%sdqv]/.test(spec.replace(/%%/g, ""))) return unknown(`format verbs other than %s, %d, %q in ${JSON.stringify(spec)} are not evaluated offline`);
  return bad ? unknown(`format: ${bad}`) : known(out);
}

/** The names of the locals an expression text refers to (`local.<name>`). */
export function localReferences(text: string): string[] {
  return [...text.matchAll(/(?<![\w.-])local\.([A-Za-z_][A-Za-z0-9_-]*)/g)].map((m) => m[1]!);
}
