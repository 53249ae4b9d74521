/**
 * RUN001's `rendered-cloud-config` shortcut: the document of a cloud-config text found in a
 * synthesized stack, when the text is one the library rendered in this process (registered by
 * `renderCloudConfig`, lib/core/rendered-texts.ts), read without parsing the YAML.
 *
 * A rendered text reaches the rule in one of these forms:
 * - exactly as rendered (a token-free text read through Terraform's escapes, e.g. the value of
 *   `${base64gzip("…")}` or of a local, evaluated): the registered document, as is;
 * - with each cdktf token resolved to its Terraform reference (`${data.aws_region.x.region}`);
 * - as the simple decoder of secrets.ts reads an HCL string argument (`escapeForFunctionArgument`
 *   wrote `${` as `\u0024{` and `%{` as `%%{`, which that decoder leaves as they are).
 * For the last two the document is derived (the same substitutions on its strings) and used only
 * when rendering it gives the synthesized text byte for byte: then parsing the text gives that
 * document (the renderer's round trip, property-tested in test/core/rendered-texts.properties.test.ts).
 * Anything else (a user's override, an edited text) is parsed by the rule as before.
 */
import { type CloudConfigDocument, cloudConfigText } from "../core/cloud-config";
import { renderedCloudConfig, renderedCloudConfigTemplates, type RenderedTemplate, yamlRoundTrips } from "../core/rendered-texts";

/** A way a rendered text is read back: how its literal text changed, and how to undo that to find it. */
interface Reading {
  /** What became of literal text (not of tokens). */
  readonly literal: (text: string) => string;
  /** Undoes {@link literal} on a whole synthesized text, to look it up (a guess: the result is checked). */
  readonly normalize: (text: string) => string;
}

const READINGS: readonly Reading[] = [
  { literal: (t) => t, normalize: (t) => t },
  {
    literal: (t) => t.replace(/\$\{/g, "\\u0024{").replace(/%\{/g, "%%{"),
    normalize: (t) => t.replace(/\\u0024\{/g, "${").replace(/%%\{/g, "%{"),
  },
];

/** Every string of plain data mapped by `f` (objects and arrays copied). */
function mapStrings(value: unknown, f: (text: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

/**
 * The resolved value of each token when `text` is `template` with its tokens resolved (the literal
 * parts in order, each token filled by what lies between them); undefined when it is not, or when
 * one token would take two values.
 */
function fillsOf(template: RenderedTemplate, text: string): Map<string, string> | undefined {
  const fills = new Map<string, string>();
  const parts = template.parts;
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if ("literal" in part) {
      if (!text.startsWith(part.literal, pos)) return undefined;
      pos += part.literal.length;
      continue;
    }
    const next = parts[i + 1];
    // The fill ends where the next literal starts (the last literal: at the end of the text).
    const end = next === undefined ? text.length : "literal" in next ? (i + 2 === parts.length ? text.length - next.literal.length : text.indexOf(next.literal, pos)) : -1;
    if (end < pos) return undefined;
    const fill = text.slice(pos, end);
    if (fills.has(part.token) && fills.get(part.token) !== fill) return undefined;
    fills.set(part.token, fill);
    pos = end;
  }
  return pos === text.length ? fills : undefined;
}

/** `text` with its literal parts read by `reading` and each token marker replaced by its fill. */
function substitute(text: string, markers: RegExp, fills: ReadonlyMap<string, string>, reading: Reading): string {
  return text
    .split(markers)
    .map((part, i) => (i % 2 === 1 ? (fills.get(part) ?? part) : reading.literal(part)))
    .join("");
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The document `text` parses to, when the text is a cloud-config this library rendered in this
 * process (in one of the forms above); undefined otherwise (then parse the text).
 */
export function renderedCloudConfigOf(text: string): unknown {
  const exact = renderedCloudConfig(text);
  if (exact) return exact;
  for (const reading of READINGS) {
    const normalized = reading.normalize(text);
    if (reading !== READINGS[0] && normalized === text) continue; // nothing of this reading in the text
    const candidates: Array<{ document: object; fills: ReadonlyMap<string, string>; markers?: RegExp }> = [];
    const plain = reading === READINGS[0] ? undefined : renderedCloudConfig(normalized);
    if (plain) candidates.push({ document: plain, fills: new Map() });
    for (const template of renderedCloudConfigTemplates()) {
      const fills = fillsOf(template, normalized);
      if (fills) candidates.push({ document: template.document, fills, markers: new RegExp(`(${[...fills.keys()].map(escapeRegExp).join("|")})`) });
    }
    for (const { document, fills, markers } of candidates) {
      const derived = mapStrings(document, (s) => (markers ? substitute(s, markers, fills, reading) : reading.literal(s))) as CloudConfigDocument;
      // Derived strings (a token filled with blanks) must render faithfully too.
      if (yamlRoundTrips(derived) && cloudConfigText(derived) === text) return derived;
    }
  }
  return undefined;
}
