/**
 * The lifecycle preview's `--tag-scheme <file>`: a {@link TagSchemeProps} document, checked in full
 * before its protected kinds are used, so that a misspelt key or a value of the wrong type is an
 * error instead of the default scheme in silence (which let `--fail-on-protected` pass a policy
 * expiring the file's protected tags).
 */
import { collectViolations, ValidationError, validationErrorOf, type Violation, violationsOf } from "../../core/errors";
import { resolveTagScheme, type ResolvedTagScheme, TAG_KINDS, type TagKindName, type TagSchemeProps } from "../tag-scheme";
import { tagSchemeShapeViolations } from "../tag-scheme-shape";

/** What {@link parseTagSchemeInput} returns: the document as props, and the scheme they resolve to. */
export interface TagSchemeInput {
  /** The document, checked: it has the shape of {@link TagSchemeProps}. */
  readonly props: TagSchemeProps;
  /** The scheme, defaults applied (as {@link resolveTagScheme} resolves it). */
  readonly resolved: ResolvedTagScheme;
}

/**
 * Checks a parsed tag scheme document: first its shape ({@link tagSchemeShapeViolations}: known
 * keys, with the closest one for a misspelling, and types), then, when the shape is sound, every
 * rule of {@link resolveTagScheme} (the checks a `TagScheme` runs); when the scheme breaks one,
 * its independent parts (each kind, `use`, each number) are resolved alone too, so that every
 * broken part is reported, not only the first. Problems are named at
 * `<file>:/<JSON pointer>`, e.g. `scheme.json:/kinds/golden/prefix` (`scheme.json:/` for the
 * document itself).
 * @param file the file's path as given on the command line
 * @param json the file's parsed content
 * @throws ValidationError (ValidationErrors for several) with every problem of the shape, or, when
 *   the shape is sound, every problem the tag scheme's rules find
 */
export function parseTagSchemeInput(file: string, json: unknown): TagSchemeInput {
  const base = `${file}:`;
  const at = (v: Violation): Violation => (v.path === base ? { ...v, path: `${base}/` } : v);
  const shape = tagSchemeShapeViolations(base, json);
  if (shape.length > 0) throw validationErrorOf(shape.map(at));
  const props = json as TagSchemeProps;
  const found: Violation[] = [];
  const resolved = resolvedOrViolations(base, props, found);
  // resolveTagScheme stops at a kind's first broken rule; each part alone finds the others' problems.
  if (resolved === undefined) for (const part of partsOf(props)) resolvedOrViolations(base, part, found);
  if (found.length > 0 || resolved === undefined) throw validationErrorOf(found.map(at));
  return { props, resolved };
}

function resolvedOrViolations(path: string, props: TagSchemeProps, found: Violation[]): ResolvedTagScheme | undefined {
  try {
    return collectViolations((section) => {
      let result: ResolvedTagScheme | undefined;
      section(() => (result = resolveTagScheme(path, props)));
      return result!;
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    found.push(...violationsOf(error));
    return undefined;
  }
}

/**
 * The parts of a scheme whose rules do not depend on each other: each kind in use alone, the
 * `use` list, and each number beside the built-in `latest` kind alone (a scheme needs a kind).
 */
function partsOf(props: TagSchemeProps): TagSchemeProps[] {
  const used = new Set<string>(props.use ?? TAG_KINDS);
  const kinds = Object.entries(props.kinds ?? {}).flatMap(([name, options]): TagSchemeProps[] => {
    const builtIn = (TAG_KINDS as readonly string[]).includes(name);
    if (builtIn && !used.has(name)) return [];
    return [{ use: builtIn ? [name as TagKindName] : [], kinds: { [name]: options } }];
  });
  return [
    ...kinds,
    ...(props.use !== undefined && props.use.length > 0 ? [{ use: props.use }] : []),
    ...(props.untaggedExpiryDays !== undefined ? [{ use: ["latest" as const], untaggedExpiryDays: props.untaggedExpiryDays }] : []),
    ...(props.maxKindsPerImage !== undefined ? [{ use: ["latest" as const], maxKindsPerImage: props.maxKindsPerImage }] : []),
  ];
}
