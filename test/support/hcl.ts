/**
 * A small decoder for the HCL quoted templates that cdktf writes for function
 * calls (`${base64gzip("...")}`), following the HCL native syntax spec
 * (template literals and quoted-template escapes). Used to check, without a
 * terraform binary, that what Terraform would evaluate equals what we rendered.
 */

/** Decodes the quoted template starting at `text[start]` (a `"`); interpolations become `interpolation(expr)`. */
export function decodeQuotedTemplate(
  text: string,
  start: number,
  interpolation: (expression: string) => string,
): { value: string; end: number } {
  if (text[start] !== '"') throw new Error(`expected a quote at ${start}`);
  let out = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === "\n") throw new Error(`raw newline in a quoted template at ${i}`);
    if (c === "\\") {
      const e = text[i + 1];
      const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
      if (e !== undefined && e in simple) {
        out += simple[e];
        i += 2;
      } else if (e === "u" || e === "U") {
        const len = e === "u" ? 4 : 8;
        out += String.fromCodePoint(parseInt(text.slice(i + 2, i + 2 + len), 16));
        i += 2 + len;
      } else {
        throw new Error(`invalid escape \\${e} at ${i}`);
      }
    } else if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
      out += text[i] + "{";
      i += 3;
    } else if (text.startsWith("${", i)) {
      const end = matchingBrace(text, i + 1);
      out += interpolation(text.slice(i + 2, end));
      i = end + 1;
    } else if (text.startsWith("%{", i)) {
      throw new Error(`template directive at ${i}`);
    } else {
      out += c;
      i += 1;
    }
  }
  throw new Error("unterminated quoted template");
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  throw new Error("unterminated interpolation");
}

/**
 * Decodes `${fn("<template>")}` (a whole JSON string value) into the template's
 * value, interpolations replaced by `interpolation(expr)`.
 */
export function decodeFunctionCall(value: string, fn: string, interpolation: (expression: string) => string = () => "<TOKEN>"): string {
  const prefix = `\${${fn}(`;
  if (!value.startsWith(prefix)) throw new Error(`expected ${prefix}..., got ${value.slice(0, 40)}`);
  const { value: decoded, end } = decodeQuotedTemplate(value, prefix.length, interpolation);
  if (value.slice(end) !== ")}") throw new Error(`unexpected text after the argument: ${value.slice(end, end + 40)}`);
  return decoded;
}
