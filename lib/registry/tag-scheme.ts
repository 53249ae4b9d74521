/**
 * The tag scheme: the kinds in use, validated together. Kinds and their options live in
 * `tag-kinds.ts`, the overlap analysis in `kind-overlaps.ts`; this module re-exports both so
 * that `./tag-scheme` stays the one import for users.
 */
import { Construct } from "constructs";
import { constructArgs } from "../core/construct-args";
import { check, ValidationError, validationErrorOf } from "../core/errors";
import { matchesSelector } from "./glob";
import { assertKindsPerTag, assertOrderedOverlaps, assertProtectedKindsNarrow, assertRetentionTypesApart } from "./kind-overlaps";
import { assertKnownKind, DEFAULT_TAG_KINDS, resolveKind, TAG_KIND_NAME, TAG_KINDS, type TagKind, type TagKindName, type TagKindOptions } from "./tag-kinds";
import { assertPositiveInteger } from "./tag-rules";
import { tagSchemeShapeViolations } from "./tag-scheme-shape";

export { type Retention, validateRetention, validateSelector } from "./tag-rules";
export {
  ciTagPattern,
  DEFAULT_TAG_KINDS,
  INPUTS_HASH_VARIABLE,
  TAG_KIND_NAME,
  TAG_KINDS,
  type TagKind,
  type TagKindName,
  type TagKindOptions,
} from "./tag-kinds";

/** Props of a {@link TagScheme}. */
export interface TagSchemeProps {
  /**
   * Per-kind options. A built-in name ({@link TAG_KINDS}) merges over
   * {@link DEFAULT_TAG_KINDS}; any other name ({@link TAG_KIND_NAME}) defines a
   * kind of its own, which needs `prefix` or `pattern`, and `retention` unless
   * it is protected. Selectors may overlap: the lifecycle policy gives an
   * image carrying tags of several kinds of one retention type the retention
   * of its longest-lived kind (see `lifecyclePolicyFromTagScheme`). A count
   * kind and an age kind must not overlap (one tag would carry both, and no
   * ECR rule expires an image only when both would) unless one is `secondary`.
   * @default the built-in kinds unchanged
   *
   * @example
   * // Semver tags pushed by a release tool (1.2.3), never expired: a protected kind keeps every
   * // image carrying such a tag, also one that carries sha-… beyond the commit kind's newest 100.
   * // (With a retention instead, "*.*.*" also selects pipeline-1.2.3, MR-1.2.3, sha-1.2.3 and
   * // branch-1.2.3, so it would have to share those kinds' retention types.)
   * kinds: { semver: { pattern: "*.*.*", protected: true } }
   * @example
   * // Bare commit SHAs, newest 200. A pattern "*" selects every tag, so every retained kind it
   * // overlaps counts images too (pipeline, merge-request and branch images by count instead of age).
   * kinds: { bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } },
   *          pipeline: { retention: { maxCount: 500 } }, mergeRequest: { retention: { maxCount: 300 } },
   *          branch: { retention: { maxCount: 50 } } }
   */
  readonly kinds?: Readonly<Record<string, TagKindOptions>>;
  /**
   * Kinds the scheme uses; kinds left out get no lifecycle rule and cannot be
   * pushed by the CI templates. User-defined kinds are always used.
   * @default all of {@link TAG_KINDS}
   */
  readonly use?: readonly TagKindName[];
  /**
   * Days after which untagged images (superseded layers of moving tags) expire.
   * @default 1
   */
  readonly untaggedExpiryDays?: number;
  /**
   * The most retained (unprotected) kinds one image carries at once. The
   * lifecycle policy adds a rule for every combination of up to this many
   * primary retained kinds (and, after them, of secondary ones), so that such
   * an image keeps the retention of its longest-lived kind when the kinds share
   * a retention type. An image carrying a count kind and an age kind through
   * two tags pushed together is kept (no ECR rule expires it only when both
   * would); through one tag it cannot happen, that overlap is refused. With 1,
   * kinds must not overlap unless their order alone provably keeps the
   * longer-lived one (age kinds, longest first). A kind that selects every tag
   * (pattern `*`) is on every image: it is not counted here but added to every
   * combination, so an image with this many kinds plus the `*` kind keeps the
   * longest retention of all of them. A single tag may match more kinds than this (prefixes `a`,
   * `ab`, `abc` all select `abc-1`) only when the policy provably keeps such an image for its
   * longest-lived kind: age kinds whose first combination rule (kinds in scheme order) holds the
   * longest age, or count kinds whose first combination keeps the largest count and selects no tag
   * a left-out kind misses; other schemes are refused (see `assertKindsPerTag`).
   * @default 3
   */
  readonly maxKindsPerImage?: number;
}

/** What {@link resolveTagScheme} resolves: a scheme's kinds and settings, defaults applied. */
export interface ResolvedTagScheme {
  /** The kinds in use: built-in kinds in {@link TAG_KINDS} order, then user-defined kinds in configuration order. */
  readonly kinds: readonly TagKind[];
  /** Days after which untagged images expire. */
  readonly untaggedExpiryDays: number;
  /** The most retained kinds one image carries. */
  readonly maxKindsPerImage: number;
}

/**
 * Resolves and checks tag scheme props: every rule {@link TagScheme} enforces at construction
 * (known kinds in `use`, kind names, selectors, retentions, CI tags, protected kinds narrow,
 * overlaps, `untaggedExpiryDays` and `maxKindsPerImage` whole numbers ≥ 1). The platform's
 * configuration check runs it at the config path of an environment's `registry.tagScheme`, so a
 * scheme's mistakes are reported with the other configuration errors.
 * @param path where the props are given: a construct path or a config path such as
 *   `config/environments[2]/registry/tagScheme`
 * @throws ValidationError naming `path` (or `<path>/kinds/<name>`), the value, the rule and the fix
 */
export function resolveTagScheme(path: string, props: TagSchemeProps): ResolvedTagScheme {
  for (const key of props.use ?? []) assertKnownKind(path, key, "use");
  const custom = Object.keys(props.kinds ?? {}).filter((name) => !(TAG_KINDS as readonly string[]).includes(name));
  for (const name of custom) {
    check(TAG_KIND_NAME.test(name), {
      path: `${path}/kinds/${name}`,
      subject: "tag kind name",
      value: name,
      rule: `a user-defined tag kind is named by a letter then letters and digits (${TAG_KIND_NAME.source}); built-in kinds are ${TAG_KINDS.join(", ")}`,
      fix: "rename the kind, e.g. semver or bareSha",
    });
  }
  const used = new Set<string>(props.use ?? TAG_KINDS);
  check(used.size + custom.length > 0, {
    path,
    subject: "use",
    value: props.use,
    rule: "a tag scheme needs at least one tag kind",
    fix: `list one or more of ${TAG_KINDS.join(", ")}, or define a kind of your own`,
  });

  const kinds = [
    ...TAG_KINDS.filter((name) => used.has(name)).map((name) => resolveKind(path, name, props.kinds?.[name], DEFAULT_TAG_KINDS[name])),
    ...custom.map((name) => resolveKind(path, name, props.kinds![name], undefined)),
  ];
  const untaggedExpiryDays = props.untaggedExpiryDays ?? 1;
  assertPositiveInteger(path, "untaggedExpiryDays", untaggedExpiryDays, "expire untagged images after at least 1 day");
  const maxKindsPerImage = props.maxKindsPerImage ?? 3;
  assertPositiveInteger(path, "maxKindsPerImage", maxKindsPerImage, "give 1 (kinds never share an image) or more");
  assertProtectedKindsNarrow(path, kinds);
  const retained = kinds.filter((k) => !k.protected);
  for (const group of [retained.filter((k) => !k.secondary), retained.filter((k) => k.secondary)]) {
    if (maxKindsPerImage === 1) assertOrderedOverlaps(path, group);
    assertRetentionTypesApart(path, group);
    assertKindsPerTag(path, group, maxKindsPerImage);
  }
  return { kinds, untaggedExpiryDays, maxKindsPerImage };
}

/**
 * The tag conventions of the image-reuse pipelines, with a retention per kind
 * and the set of protected kinds. Immutable and validated on construction.
 *
 * A construct that creates no resource: repositories, CI templates and
 * variables take it as a value, and its errors name its construct path.
 *
 * @example
 * const scheme = new TagScheme(stack, "tag-scheme", {
 *   kinds: { mergeRequest: { retention: { maxAgeDays: 14 } }, semver: { pattern: "*.*.*", protected: true } },
 * });
 */
export class TagScheme extends Construct {
  /** Where the scheme is configured, as named in error messages: its construct path (or the path given to the deprecated form). */
  public readonly path: string;
  /** The kinds in use: built-in kinds in {@link TAG_KINDS} order, then user-defined kinds in configuration order. */
  public readonly kinds: readonly TagKind[];
  /** Days after which untagged images expire. */
  public readonly untaggedExpiryDays: number;
  /** The most retained kinds one image carries (see {@link TagSchemeProps.maxKindsPerImage}). */
  public readonly maxKindsPerImage: number;

  /**
   * @deprecated Use `new TagScheme(scope, id, props)`: errors then name the construct path.
   *   This form takes a hand-built path for error messages and is not part of a construct tree.
   * @param path where the scheme is configured (a construct or config path), used in error messages
   */
  public constructor(path: string, props?: TagSchemeProps);
  /**
   * @param scope the construct it belongs to
   * @param id construct id
   * @param props the kinds and their retention
   * @throws ValidationError (ValidationErrors for several) for props of the wrong shape (an
   *   unknown key, with the closest known one; a value of another type, `null` included; see
   *   `tagSchemeShapeViolations`), an unknown built-in kind in `use`, a bad selector, retention or
   *   CI tag, a protected kind with a retention, a protected kind whose selector matches tags of
   *   an unprotected kind or more than the one fixed tag the templates push for it, or (with
   *   `maxKindsPerImage: 1`) overlapping kinds whose order would expire the longer-lived one early,
   *   a count kind and an age kind (both primary or both secondary) whose selectors overlap,
   *   `secondary: true` on a protected kind, or kinds one tag can match, more than
   *   `maxKindsPerImage`, whose first combination rule would expire that tag's image before its
   *   longest-lived kind's retention
   */
  public constructor(scope: Construct, id: string, props?: TagSchemeProps);
  public constructor(first: Construct | string, second?: string | TagSchemeProps, third?: TagSchemeProps) {
    const args = constructArgs<TagSchemeProps>("TagScheme", first, second, third, {});
    super(args.scope as Construct, args.id);
    const path = args.legacyPath ?? this.node.path;
    this.path = path;
    // Plain JavaScript (or props read from JSON) may carry a misspelt key or a value of another
    // type, which the checks below would read as absent: the default scheme in silence.
    const shape = tagSchemeShapeViolations(path, args.props);
    if (shape.length > 0) throw validationErrorOf(shape);
    const resolved = resolveTagScheme(path, args.props);
    this.kinds = resolved.kinds;
    this.untaggedExpiryDays = resolved.untaggedExpiryDays;
    this.maxKindsPerImage = resolved.maxKindsPerImage;
  }

  /** The kind named `name`; throws a {@link ValidationError} naming `usedBy` when the scheme does not use it. */
  public kind(name: string, usedBy: string = this.path): TagKind {
    const kind = this.kinds.find((k) => k.name === name);
    if (!kind) {
      throw new ValidationError({
        path: usedBy,
        subject: "tag kind",
        value: name,
        rule: `the tag scheme at ${this.path} does not use this kind (it uses ${this.kinds.map((k) => k.name).join(", ")})`,
        fix: `add "${name}" to the tag scheme (\`use\` for a built-in kind, \`kinds\` for your own) or name one of the kinds it uses`,
      });
    }
    return kind;
  }

  /** True when the scheme uses a kind of that name. */
  public has(name: string): boolean {
    return this.kinds.some((k) => k.name === name);
  }

  /** The protected kinds (never expired). */
  public get protectedKinds(): readonly TagKind[] {
    return this.kinds.filter((k) => k.protected);
  }

  /**
   * The protected kinds whose expiry would lose something a build cannot give back: every
   * protected kind except the built-in `buildCache` (BuildKit's registry cache, which the next
   * build writes again). The rule pack's ECR003 and the preview's `--fail-on-protected` guard these.
   */
  public get irreplaceableKinds(): readonly TagKind[] {
    return this.protectedKinds.filter((k) => k.name !== "buildCache");
  }

  /** The kinds with a retention (expired by their own rule). */
  public get retainedKinds(): readonly TagKind[] {
    return this.kinds.filter((k) => !k.protected);
  }

  /** The retained kinds that are not secondary: on an image they decide (see {@link TagKindOptions.secondary}). */
  public get primaryKinds(): readonly TagKind[] {
    return this.retainedKinds.filter((k) => !k.secondary);
  }

  /** The retained kinds that yield to primary kinds on a shared image (see {@link TagKindOptions.secondary}). */
  public get secondaryKinds(): readonly TagKind[] {
    return this.retainedKinds.filter((k) => k.secondary);
  }

  /**
   * The kinds whose retention decides for an image carrying `tags` (its protected kinds aside,
   * which keep it): its primary kinds, or when it carries none, its secondary kinds; empty when
   * it carries no retained kind.
   */
  public decidingKindsOf(tags: readonly string[]): readonly TagKind[] {
    const carried = this.retainedKinds.filter((k) => tags.some((tag) => matchesSelector(tag, k.selector)));
    const primary = carried.filter((k) => !k.secondary);
    return primary.length > 0 ? primary : carried;
  }

  /** The kinds whose tags may move (ECR tag-mutability exclusion filters). */
  public get mutableKinds(): readonly TagKind[] {
    return this.kinds.filter((k) => k.mutable);
  }

  /** The first kind (in {@link kinds} order) a concrete tag belongs to, if any. */
  public classify(tag: string): TagKind | undefined {
    return this.kinds.find((k) => matchesSelector(tag, k.selector));
  }

  /** Every kind a concrete tag belongs to (selectors may overlap). */
  public kindsOf(tag: string): readonly TagKind[] {
    return this.kinds.filter((k) => matchesSelector(tag, k.selector));
  }
}
