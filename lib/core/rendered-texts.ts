/**
 * Texts this library rendered from typed models in this process, by their exact text, with the
 * model each was rendered from. A check that judges a synthesized text can read the model of a text
 * found here instead of parsing the text again (the rule pack's RUN001 does so for cloud-configs),
 * and parses every text not found here as before: a user's override, an edited or token-carrying
 * text never matches byte for byte, so it is still parsed and checked.
 *
 * Sound because the renderer is a real serializer whose output parses back to its input: a
 * cloud-config is `#cloud-config` and `yaml`'s `stringify` of the document, and `parse` of that
 * text is the document again (a property test checks this round trip over arbitrary documents:
 * `test/core/rendered-texts.properties.test.ts`; it found the one kind of string for which yaml
 * 2.9.1 breaks it, {@link yamlUnsafeString}, and documents holding one are not recorded). The model is copied and frozen when the text is
 * registered, so changing the caller's object later changes nothing here. At most
 * {@link MAX_RENDERED_TEXTS} texts are kept (the oldest are dropped: a dropped text is parsed).
 */
import { splitTokens, type StringPart } from "./tokens";

/** Texts kept per kind; older ones are forgotten (and then parsed by whoever reads them). */
export const MAX_RENDERED_TEXTS = 512;

/** A rendered text that embeds cdktf tokens: its parts, and the document it was rendered from. */
export interface RenderedTemplate {
  /** The text's literal parts and token markers, in order (`splitTokens`). */
  readonly parts: readonly StringPart[];
  /** The document (frozen copy of a `CloudConfigDocument`); its strings carry the same token markers. */
  readonly document: object;
}

const cloudConfigs = new Map<string, object>();
const templates = new Map<string, RenderedTemplate>();

/** Thrown inside {@link frozenCopy} for a value whose YAML rendering may not parse back to it. */
const NOT_PLAIN = Symbol("not plain data");

/**
 * True for a string `yaml`'s `stringify` may not render faithfully: blanks and line breaks only,
 * with a line break. yaml 2.9.1 writes `" \n"` as a keep-chomped block scalar (`|+` and a line of
 * blanks) that parses back as `"\n"` (found by the round-trip property test; every failing string
 * of an exhaustive search over short strings of blanks, line breaks, tabs, quotes, indicators and
 * unicode spaces is of this kind).
 */
export function yamlUnsafeString(text: string): boolean {
  return /[\n\r]/.test(text) && /^\s*$/.test(text);
}

/**
 * True when `value` is plain data that `yaml`'s `stringify` renders faithfully (its parse is the
 * value again): strings (not {@link yamlUnsafeString}), finite numbers, booleans, null, undefined,
 * arrays and plain objects. A Date, a class instance or a function (what a plain-JavaScript caller
 * might pass) is not.
 */
export function yamlRoundTrips(value: unknown): boolean {
  try {
    frozenCopy(value);
    return true;
  } catch (error) {
    if (error === NOT_PLAIN) return false;
    throw error;
  }
}

/** A deep, frozen copy of data for which {@link yamlRoundTrips} holds; throws {@link NOT_PLAIN} otherwise. */
function frozenCopy<T>(value: T): T {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return Object.freeze(v.map(copy));
    if (v !== null && typeof v === "object") {
      const proto = Object.getPrototypeOf(v) as unknown;
      if ((proto !== Object.prototype && proto !== null) || Object.prototype.hasOwnProperty.call(v, "__proto__")) throw NOT_PLAIN;
      return Object.freeze(
        Object.fromEntries(
          Object.entries(v).map(([k, x]) => {
            if (yamlUnsafeString(k)) throw NOT_PLAIN;
            return [k, copy(x)];
          }),
        ),
      );
    }
    if (typeof v === "string") {
      if (yamlUnsafeString(v)) throw NOT_PLAIN;
      return v;
    }
    if (v === null || v === undefined || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) return v;
    throw NOT_PLAIN;
  };
  return copy(value) as T;
}

/**
 * Records that `text` is the rendering of `document` (called by `renderCloudConfig`). A document
 * for which {@link yamlRoundTrips} does not hold is not recorded (its text is then parsed like any other).
 */
export function registerRenderedCloudConfig(text: string, document: object): void {
  if (cloudConfigs.has(text)) return;
  let copy: object;
  try {
    copy = frozenCopy(document);
  } catch (error) {
    if (error === NOT_PLAIN) return;
    throw error;
  }
  if (cloudConfigs.size >= MAX_RENDERED_TEXTS) {
    const oldest = cloudConfigs.keys().next().value!;
    cloudConfigs.delete(oldest);
    templates.delete(oldest);
  }
  cloudConfigs.set(text, copy);
  // A text with tokens reaches the synthesized JSON with each token resolved: kept as a template.
  if (text.includes("${TfToken[")) {
    const parts = splitTokens(text);
    if (parts.some((p) => "token" in p)) templates.set(text, { parts, document: copy });
  }
}

/**
 * The rendered texts that embed cdktf tokens, as templates: a synthesized text is such a text with
 * each token resolved, so only a reader that substitutes the resolved values into the document and
 * checks the result renders to the synthesized text byte for byte may use the document.
 */
export function renderedCloudConfigTemplates(): Iterable<RenderedTemplate> {
  return templates.values();
}

/**
 * The document (a frozen `CloudConfigDocument`) `text` was rendered from by `renderCloudConfig` in
 * this process, or undefined when this exact text was not rendered here (then parse it).
 */
export function renderedCloudConfig(text: string): object | undefined {
  return cloudConfigs.get(text);
}
