/**
 * A read-only view of one synthesized stack (`stack.toTerraform()`: resolved
 * JSON, snake_case keys) for the security rules: its resources and data
 * sources with their construct paths, its variables, and the references
 * (`${aws_s3_bucket.x.id}`, `${var.token}`) between them.
 *
 * Rules work on this JSON, not on construct classes, so they see what
 * Terraform will see: lazily rendered values, overrides and escape hatches
 * included, and they apply to stacks built from raw provider resources too.
 */

/** What kind of Terraform block an element is. */
export type ElementKind = "resource" | "data" | "variable" | "output" | "locals" | "provider";

/** One block of the synthesized stack. */
export interface StackElement {
  /** What kind of block it is. */
  readonly kind: ElementKind;
  /** Resource or data source type, e.g. `aws_s3_bucket`; the provider name for providers; "" otherwise. */
  readonly type: string;
  /** Logical name, e.g. `cache_bucket_1A2B3C4D`. */
  readonly name: string;
  /** Terraform address, e.g. `aws_s3_bucket.cache_bucket_1A2B3C4D`, `data.aws_iam_policy_document.x`, `var.token`. */
  readonly address: string;
  /**
   * Construct path from the element's `"//"` metadata, e.g. `dev/cache/bucket`.
   * @default undefined for blocks without metadata (variables, outputs, locals, providers)
   */
  readonly path?: string;
  /** The block's configuration without the `"//"` metadata. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** A reference found inside a `${...}` expression. */
export interface Reference {
  /** `resource`, `data` or `variable`. */
  readonly kind: "resource" | "data" | "variable";
  /** Resource or data source type; "" for variables. */
  readonly type: string;
  /** Logical name (the variable's name for variables). */
  readonly name: string;
  /**
   * The attribute read, e.g. `id` in `aws_s3_bucket.x.id`.
   * @default undefined when the whole object is referenced
   */
  readonly attribute?: string;
  /** The referenced element's address, e.g. `aws_s3_bucket.x` or `var.token`. */
  readonly address: string;
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A nested block as a list: cdktf renders single blocks as objects and repeated ones as arrays. */
export function blocks(value: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(value)) return value.filter(isRecord);
  return isRecord(value) ? [value] : [];
}

/** A scalar-or-list attribute as a list of strings (other values are dropped). */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** True for `true` or `"true"` (launch templates take booleans as strings). */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/**
 * True when the string holds a Terraform expression (`${...}`), i.e. is only known at apply time:
 * {@link expressionSpans} would find one, which it does for every `${` not written `$${`. Looks for
 * that first `${` only, without walking the expression to its closing brace (the rules ask this of
 * every string, user data of tens of kB included).
 */
export function isExpression(value: unknown): boolean {
  if (typeof value !== "string") return false;
  for (let start = value.indexOf("${"); start >= 0; start = value.indexOf("${", start + 2)) {
    if (start === 0 || value[start - 1] !== "$") return true;
  }
  return false;
}

/**
 * The `${...}` expressions of a string, outermost first (nested interpolations stay inside their
 * outer span). `$${` is Terraform's escape for a literal `${` and is skipped.
 */
export function expressionSpans(text: string): string[] {
  const spans: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === "$") {
      i = start + 2;
      continue;
    }
    let depth = 0;
    let end = start + 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    spans.push(text.slice(start + 2, end));
    i = end + 1;
  }
  return spans;
}

const NAME = "[A-Za-z_][A-Za-z0-9_-]*";
// A resource type always has a provider prefix (aws_, gitlab_, random_, ...): that tells it from
// var., local., each., count., path. and function names.
const ELEMENT_REFERENCE = new RegExp(`(?<![\\w.-])(data\\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\\.(${NAME})(?:\\[[^\\]]*\\])*(?:\\.([A-Za-z_][A-Za-z0-9_]*))?`, "g");
const VARIABLE_REFERENCE = new RegExp(`(?<![\\w.-])var\\.(${NAME})`, "g");

/** Every reference inside the `${...}` expressions of `value` (strings, arrays and objects are walked). */
export function referencesIn(value: unknown): Reference[] {
  const found: Reference[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      for (const span of expressionSpans(v)) {
        for (const m of span.matchAll(ELEMENT_REFERENCE)) {
          const kind = m[1] ? "data" : "resource";
          const address = `${m[1] ?? ""}${m[2]}.${m[3]}`;
          found.push({ kind, type: m[2]!, name: m[3]!, address, ...(m[4] ? { attribute: m[4] } : {}) });
        }
        for (const m of span.matchAll(VARIABLE_REFERENCE)) found.push({ kind: "variable", type: "", name: m[1]!, address: `var.${m[1]}` });
      }
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (isRecord(v)) {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return found;
}

/** The reference if `value` is exactly one plain reference, e.g. `${data.aws_iam_policy_document.x.json}`; else undefined. */
export function soleReference(value: unknown): Reference | undefined {
  if (typeof value !== "string") return undefined;
  const spans = expressionSpans(value);
  if (spans.length !== 1 || value.trim() !== `\${${spans[0]}}`) return undefined;
  const refs = referencesIn(value);
  if (refs.length !== 1) return undefined;
  const ref = refs[0]!;
  const text = ref.kind === "variable" ? ref.address : `${ref.address}${ref.attribute ? `.${ref.attribute}` : ""}`;
  return spans[0]!.trim() === text ? ref : undefined;
}

/** Removes cdktf's `"//"` metadata key from a block. */
function withoutMetadata(block: Record<string, unknown>): Record<string, unknown> {
  const { "//": _metadata, ...config } = block;
  return config;
}

/** The construct path cdktf records in a block's `"//"` metadata. */
function metadataPath(block: Record<string, unknown>): string | undefined {
  const meta = block["//"];
  if (!isRecord(meta) || !isRecord(meta.metadata)) return undefined;
  return typeof meta.metadata.path === "string" ? meta.metadata.path : undefined;
}

/** The synthesized JSON of one stack, indexed for the rules. */
export class StackModel {
  /** Every element, in JSON order: resources, data sources, variables, outputs, locals, providers. */
  public readonly elements: readonly StackElement[];
  private readonly byAddress: ReadonlyMap<string, StackElement>;
  private readonly byType = new Map<string, StackElement[]>();

  /**
   * @param json the stack's `toTerraform()` output, or the parsed content of its `cdk.tf.json`
   */
  public constructor(json: unknown) {
    const root = isRecord(json) ? json : {};
    const elements: StackElement[] = [];
    const typed = (section: unknown, kind: "resource" | "data"): void => {
      for (const [type, byName] of Object.entries(isRecord(section) ? section : {})) {
        for (const [name, block] of Object.entries(isRecord(byName) ? byName : {})) {
          if (!isRecord(block)) continue;
          const address = `${kind === "data" ? "data." : ""}${type}.${name}`;
          const path = metadataPath(block);
          elements.push({ kind, type, name, address, ...(path ? { path } : {}), config: withoutMetadata(block) });
        }
      }
    };
    typed(root.resource, "resource");
    typed(root.data, "data");
    for (const [name, block] of Object.entries(isRecord(root.variable) ? root.variable : {})) {
      elements.push({ kind: "variable", type: "", name, address: `var.${name}`, config: isRecord(block) ? withoutMetadata(block) : {} });
    }
    for (const [name, block] of Object.entries(isRecord(root.output) ? root.output : {})) {
      elements.push({ kind: "output", type: "", name, address: `output.${name}`, config: isRecord(block) ? withoutMetadata(block) : {} });
    }
    const locals = isRecord(root.locals) ? root.locals : {};
    for (const [name, value] of Object.entries(locals)) {
      elements.push({ kind: "locals", type: "", name, address: `local.${name}`, config: { value } });
    }
    for (const [type, configs] of Object.entries(isRecord(root.provider) ? root.provider : {})) {
      blocks(configs).forEach((block, i) => {
        elements.push({ kind: "provider", type, name: String(i), address: `provider.${type}[${i}]`, config: withoutMetadata(block) });
      });
    }
    this.elements = elements;
    this.byAddress = new Map(elements.map((e): [string, StackElement] => [e.address, e]));
    for (const e of elements) {
      if (e.kind !== "resource" && e.kind !== "data") continue;
      const key = `${e.kind}:${e.type}`;
      this.byType.set(key, [...(this.byType.get(key) ?? []), e]);
    }
  }

  /** The resources of the given types, in JSON order. */
  public resources(...types: readonly string[]): StackElement[] {
    return types.flatMap((type) => this.byType.get(`resource:${type}`) ?? []);
  }

  /** The data sources of the given types, in JSON order. */
  public dataSources(...types: readonly string[]): StackElement[] {
    return types.flatMap((type) => this.byType.get(`data:${type}`) ?? []);
  }

  /** The element at a Terraform address (`aws_s3_bucket.x`, `data.x.y`, `var.z`), if the stack has it. */
  public get(address: string): StackElement | undefined {
    return this.byAddress.get(address);
  }

  /** True when `var.<name>` is declared with `sensitive = true`. */
  public isSensitiveVariable(name: string): boolean {
    return isTrue(this.get(`var.${name}`)?.config.sensitive);
  }

  /**
   * True when `value` identifies `target`: it references it (`${aws_s3_bucket.x.id}`), or it is a
   * literal equal to one of the target's literal `nameAttributes` (e.g. the bucket's `bucket`).
   */
  public identifies(value: unknown, target: StackElement, nameAttributes: readonly string[]): boolean {
    if (isExpression(value)) return referencesIn(value).some((ref) => ref.address === target.address);
    return (
      typeof value === "string" &&
      nameAttributes.some((attribute) => {
        const name = target.config[attribute];
        return typeof name === "string" && !isExpression(name) && name === value;
      })
    );
  }

  /** The resources of `types` whose `attribute` identifies `target` (see {@link identifies}). */
  public attachedTo(target: StackElement, types: readonly string[], attribute: string, nameAttributes: readonly string[]): StackElement[] {
    return this.resources(...types).filter((e) => this.identifies(e.config[attribute], target, nameAttributes));
  }
}
