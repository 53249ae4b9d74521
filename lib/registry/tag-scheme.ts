import { Construct } from "constructs";
import { constructArgs } from "../core/construct-args";
import { check, ValidationError } from "../core/errors";
import { describeSelector, matchesSelector, patternsOverlap, selectorPattern, selectorsOverlap, type TagSelector } from "./glob";
import { assertPositiveInteger, ciTagTokens, type Retention, selectorTokens, TAG_CHARS, tagLanguagesOverlap, validateRetention, validateSelector } from "./tag-rules";

export { type Retention, validateRetention, validateSelector } from "./tag-rules";

/**
 * The built-in tag kinds. The lifecycle rules, the CI templates and the CI
 * variables are all derived from one {@link TagScheme}, so they cannot
 * disagree. Users add kinds of their own (any other name in
 * {@link TagSchemeProps.kinds}).
 */
export const TAG_KINDS = ["pipeline", "mergeRequest", "commit", "branch", "latest", "release", "inputs", "buildCache", "deployed"] as const;

/** One of the built-in {@link TAG_KINDS}. */
export type TagKindName = (typeof TAG_KINDS)[number];

/** Names of user-defined kinds: a letter, then letters and digits (it names lifecycle rules and config paths). */
export const TAG_KIND_NAME = /^[a-z][A-Za-z0-9]{0,31}$/;

/**
 * The CI variable the templates compute in the build job: a hash of the
 * image's inputs (Dockerfile, the files it copies, the base image's inputs).
 * Only the content kind's tag may use it.
 */
export const INPUTS_HASH_VARIABLE = "PLATFORM_INPUTS_HASH";


/** How one kind of tag is written by CI and recognised in the registry. */
export interface TagKindOptions {
  /**
   * Literal prefix that identifies this kind in the registry (ECR `tagPrefixList`).
   * Give exactly one of `prefix` and `pattern`.
   * @default the built-in kind's selector (see {@link DEFAULT_TAG_KINDS})
   */
  readonly prefix?: string;
  /**
   * ECR wildcard pattern (`*` only, at most 4) that identifies this kind (ECR `tagPatternList`).
   * Give exactly one of `prefix` and `pattern`.
   * @default the built-in kind's selector (see {@link DEFAULT_TAG_KINDS})
   */
  readonly pattern?: string;
  /**
   * The tag CI writes, using GitLab predefined variables, e.g. `MR-${CI_MERGE_REQUEST_IID}`.
   * It must be selected by the kind's prefix or pattern.
   * @default the built-in kind's template (see {@link DEFAULT_TAG_KINDS})
   */
  readonly ciTag?: string;
  /**
   * Retention of images carrying this kind's tags. Not allowed on protected kinds.
   * @default the built-in kind's retention (see {@link DEFAULT_TAG_KINDS})
   */
  readonly retention?: Retention;
  /**
   * A protected kind is never expired by lifecycle rules: it gets its own
   * top-priority keep rule.
   * @default true for `latest`, `release`, `buildCache` and `deployed`, false otherwise
   */
  readonly protected?: boolean;
  /**
   * Tags of this kind move to other images (ECR `IMMUTABLE_WITH_EXCLUSION`
   * exclusion filter); every other tag is immutable, so a pushed tag always
   * names the same image.
   * @default true for `latest`, `buildCache` and `deployed`, false otherwise
   */
  readonly mutable?: boolean;
}

/** A fully resolved tag kind. */
export interface TagKind {
  /** The kind's name: a built-in one ({@link TAG_KINDS}) or a user-defined one. */
  readonly name: string;
  /** How the registry recognises the kind. */
  readonly selector: TagSelector;
  /**
   * The tag CI writes (GitLab CI variable syntax).
   * @default none, for a user-defined kind that tags pushed outside the templates (e.g. by a release tool)
   */
  readonly ciTag?: string;
  /** Whether tags of this kind may move to another image. */
  readonly mutable: boolean;
  /** Retention; undefined for protected kinds. */
  readonly retention?: Retention;
  /** Whether images with this tag are never expired. */
  readonly protected: boolean;
}

/** The built-in tag kinds. Override any field per kind with {@link TagSchemeProps.kinds}. */
export const DEFAULT_TAG_KINDS: Readonly<Record<TagKindName, Required<Pick<TagKindOptions, "ciTag" | "protected">> & TagKindOptions>> = {
  // Per-pipeline tags (older templates, or teams that want them). The image-reuse
  // templates no longer push them: one tag per pipeline piles up on a reused image.
  pipeline: { prefix: "pipeline-", ciTag: "pipeline-${CI_PIPELINE_ID}", retention: { maxAgeDays: 7 }, protected: false },
  // Merge-request images, one per commit of the MR (jobs of a retried pipeline run their own commit's image).
  mergeRequest: { prefix: "MR-", ciTag: "MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}", retention: { maxAgeDays: 30 }, protected: false },
  // Default-branch images by commit. ECR selects tags by prefix or `*` pattern only,
  // so a bare 40-hex SHA cannot be selected: the `sha-` prefix makes it retainable.
  commit: { prefix: "sha-", ciTag: "sha-${CI_COMMIT_SHA}", retention: { maxCount: 100 }, protected: false },
  // Images of other branches, one moving tag per branch slug.
  branch: { prefix: "branch-", ciTag: "branch-${CI_COMMIT_REF_SLUG}", retention: { maxAgeDays: 30 }, protected: false },
  // The moving tag of the default branch.
  latest: { pattern: "latest", ciTag: "latest", protected: true, mutable: true },
  // Release tags pushed from Git tags such as v1.2.3.
  release: { pattern: "v*.*.*", ciTag: "${CI_COMMIT_TAG}", protected: true },
  // Content-addressed images: one per distinct set of build inputs (a hash computed in the job).
  inputs: { prefix: "inputs-", ciTag: "inputs-${" + INPUTS_HASH_VARIABLE + "}", retention: { maxCount: 50 }, protected: false },
  // BuildKit's registry cache of each repository: one moving tag, rewritten by every build of
  // the repository's trust level. Kept by its own rule (never expired while it is the cache);
  // the manifests it moves away from are untagged and expire with the untagged rule.
  buildCache: { pattern: "buildcache", ciTag: "buildcache", protected: true, mutable: true },
  // What an environment runs: the deploy templates move `deployed-<environment>` onto the digest a
  // smoke test passed, so the image deployed (and the one a rollback returns to) is never expired.
  deployed: { prefix: "deployed-", ciTag: "deployed-${CI_ENVIRONMENT_NAME}", protected: true, mutable: true },
};

/** Props of a {@link TagScheme}. */
export interface TagSchemeProps {
  /**
   * Per-kind options. A built-in name ({@link TAG_KINDS}) merges over
   * {@link DEFAULT_TAG_KINDS}; any other name ({@link TAG_KIND_NAME}) defines a
   * kind of its own, which needs `prefix` or `pattern`, and `retention` unless
   * it is protected. Selectors may overlap: the lifecycle policy gives an
   * image carrying tags of several kinds the retention of its longest-lived
   * kind (see `lifecyclePolicyFromTagScheme`).
   * @default the built-in kinds unchanged
   *
   * @example
   * // Semver tags pushed by a release tool, kept for a year; bare commit SHAs, newest 200.
   * kinds: { semver: { pattern: "*.*.*", retention: { maxAgeDays: 365 } },
   *          bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } } }
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
   * retained kinds, so that such an image keeps the retention of its
   * longest-lived kind. With 1, kinds must not overlap unless their order
   * alone provably keeps the longer-lived one (age kinds, longest first).
   * @default 3
   */
  readonly maxKindsPerImage?: number;
}

/** GitLab CI variable references: `$VAR` or `${VAR}`. */
const CI_VARIABLE = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g;

/** The CI tag template as a wildcard pattern (every variable may expand to anything). */
export function ciTagPattern(ciTag: string): string {
  return ciTag.replace(CI_VARIABLE, "*");
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
   * @throws ValidationError for an unknown built-in kind in `use`, a bad selector, retention or
   *   CI tag, a protected kind with a retention, a protected kind whose selector matches tags of
   *   an unprotected kind or more than the one fixed tag the templates push for it, or (with
   *   `maxKindsPerImage: 1`) overlapping kinds whose order would expire the longer-lived one early
   */
  public constructor(scope: Construct, id: string, props?: TagSchemeProps);
  public constructor(first: Construct | string, second?: string | TagSchemeProps, third?: TagSchemeProps) {
    const args = constructArgs<TagSchemeProps>("TagScheme", first, second, third, {});
    super(args.scope as Construct, args.id);
    const path = args.legacyPath ?? this.node.path;
    this.path = path;
    const props = args.props;
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

    this.kinds = [
      ...TAG_KINDS.filter((name) => used.has(name)).map((name) => resolveKind(path, name, props.kinds?.[name], DEFAULT_TAG_KINDS[name])),
      ...custom.map((name) => resolveKind(path, name, props.kinds![name], undefined)),
    ];
    this.untaggedExpiryDays = props.untaggedExpiryDays ?? 1;
    assertPositiveInteger(path, "untaggedExpiryDays", this.untaggedExpiryDays, "expire untagged images after at least 1 day");
    this.maxKindsPerImage = props.maxKindsPerImage ?? 3;
    assertPositiveInteger(path, "maxKindsPerImage", this.maxKindsPerImage, "give 1 (kinds never share an image) or more");
    this.assertProtectedKindsNarrow();
    if (this.maxKindsPerImage === 1) this.assertOrderedOverlaps();
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

  /**
   * A protected kind keeps every image it selects forever (its keep rule comes first), so its
   * selector must not reach the tags the templates push for an unprotected kind (its `ciTag`,
   * with GitLab's predefined variables at their documented shapes, as far as the kind's own
   * selector selects them). A protected `*`, or a prefix `s` next to `sha-<commit>`, would keep
   * every commit image and cut no retention. Tags pushed outside the templates (kinds without a
   * `ciTag`, such as semver from a release tool) may overlap a protected kind on purpose: an
   * image carrying a protected tag is kept. And a protected kind whose tag the templates push as
   * one fixed tag (`latest`) selects that tag only.
   */
  private assertProtectedKindsNarrow(): void {
    for (const kind of this.protectedKinds) {
      const selected = selectorTokens(kind.selector);
      const where = `${this.path}/kinds/${kind.name}`;
      for (const other of this.retainedKinds.filter((k) => k.ciTag !== undefined)) {
        throwUnless(!tagLanguagesOverlap(selected, ciTagTokens(other.ciTag!), selectorTokens(other.selector)), {
          path: where,
          subject: "selector",
          value: selectorPattern(kind.selector),
          rule:
            `a protected kind is never expired, and this selector (${describeSelector(kind.selector)}) also matches tags of the unprotected kind "${other.name}" ` +
            `(the templates push ${other.ciTag}), so those images would never expire`,
          fix: `narrow the selector to the protected tags only (e.g. pattern "v*.*.*" for releases), or make "${kind.name}" unprotected with a retention`,
        });
      }
      if (kind.ciTag !== undefined && !kind.ciTag.includes("$")) {
        throwUnless(!("prefix" in kind.selector) && kind.selector.pattern === kind.ciTag, {
          path: where,
          subject: "selector",
          value: selectorPattern(kind.selector),
          rule: `the templates push this protected kind as the one tag ${kind.ciTag}; a wider selector (${describeSelector(kind.selector)}) would keep other tags forever`,
          fix: `use pattern: "${kind.ciTag}"`,
        });
      }
    }
  }

  /**
   * Without combination rules (`maxKindsPerImage: 1`) the first rule that selects an image
   * decides, so an overlapping pair is safe only when the earlier kind provably lives longer:
   * both age-based with the earlier one at least as long. Protected kinds come first anyway.
   */
  private assertOrderedOverlaps(): void {
    const retained = [...this.retainedKinds].sort((a, b) => ageOf(b) - ageOf(a));
    for (let i = 0; i < retained.length; i++) {
      for (let j = i + 1; j < retained.length; j++) {
        const a = retained[i]!;
        const b = retained[j]!;
        if (!selectorsOverlap(a.selector, b.selector)) continue;
        const provable = "maxAgeDays" in a.retention! && "maxAgeDays" in b.retention!;
        throwUnless(provable, {
          path: `${this.path}/kinds/${b.name}`,
          subject: "selector",
          value: selectorPattern(b.selector),
          rule:
            `with maxKindsPerImage 1 the first matching rule decides, and this kind overlaps "${a.name}" (${describeSelector(a.selector)}); ` +
            `the order of a count-based and another kind cannot guarantee the longer retention, so one of them would expire early`,
          fix: `make the selectors disjoint, use age retentions for both, or raise maxKindsPerImage to 2 or more (combination rules)`,
        });
      }
    }
  }
}

/** Days of an age retention, or Infinity for a count retention (sorted first, then refused on overlap). */
function ageOf(kind: TagKind): number {
  return kind.retention && "maxAgeDays" in kind.retention ? kind.retention.maxAgeDays : Number.POSITIVE_INFINITY;
}

function throwUnless(condition: boolean, violation: ConstructorParameters<typeof ValidationError>[0]): void {
  if (!condition) throw new ValidationError(violation);
}

function assertKnownKind(path: string, name: string, subject: string): asserts name is TagKindName {
  check((TAG_KINDS as readonly string[]).includes(name), {
    path,
    subject,
    value: name,
    rule: `\`use\` lists built-in tag kinds: ${TAG_KINDS.join(", ")}`,
    fix: "name a built-in kind; kinds of your own go into `kinds` (they are always used)",
  });
}


function resolveKind(path: string, name: string, options: TagKindOptions | undefined, base: (typeof DEFAULT_TAG_KINDS)[TagKindName] | undefined): TagKind {
  const where = `${path}/kinds/${name}`;
  const givesSelector = options?.prefix !== undefined || options?.pattern !== undefined;
  if (options?.prefix !== undefined && options.pattern !== undefined) {
    throw new ValidationError({
      path: where,
      subject: "selector",
      value: { prefix: options.prefix, pattern: options.pattern },
      rule: "an ECR lifecycle rule selects by tagPrefixList or tagPatternList, not both",
      fix: "give either `prefix` or `pattern`",
    });
  }
  check(givesSelector || base !== undefined, {
    path: where,
    subject: "selector",
    value: options,
    rule: "a user-defined tag kind needs a selector: ECR selects tags by a literal prefix (tagPrefixList) or a `*` pattern (tagPatternList)",
    fix: 'give `prefix` (e.g. "nightly-") or `pattern` (e.g. "*.*.*" for semver, "*" for bare commit SHAs)',
  });
  const selector: TagSelector = givesSelector
    ? options!.prefix !== undefined
      ? { prefix: options!.prefix }
      : { pattern: options!.pattern! }
    : base!.prefix !== undefined
      ? { prefix: base!.prefix }
      : { pattern: base!.pattern! };
  validateSelector(where, selector);

  for (const flag of ["protected", "mutable"] as const) {
    const value = options?.[flag];
    check(value === undefined || typeof value === "boolean", { path: where, subject: flag, value, rule: `${flag} is true or false`, fix: `write ${flag}: true or false` });
  }
  const isProtected = options?.protected ?? base?.protected ?? false;
  const retention = isProtected ? options?.retention : (options?.retention ?? base?.retention);
  if (isProtected && retention !== undefined) {
    throw new ValidationError({
      path: where,
      subject: "retention",
      value: retention,
      rule: "a protected tag kind is never expired, so it takes no retention",
      fix: "drop `retention`, or set `protected: false` to let the kind expire",
    });
  }
  if (!isProtected) {
    check(retention !== undefined, {
      path: where,
      subject: "retention",
      value: retention,
      rule: "an unprotected tag kind needs a retention ({ maxCount } or { maxAgeDays })",
      fix: "give a retention, or set `protected: true`",
    });
    validateRetention(where, retention);
  }

  const ciTag = options?.ciTag ?? base?.ciTag;
  if (ciTag !== undefined) {
    const ciPattern = ciTagPattern(ciTag);
    check(typeof ciTag === "string" && ciTag.length > 0 && TAG_CHARS.test(ciPattern) && !ciTag.includes("*"), {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: "a docker tag uses only letters, digits, '_', '.', '-' and GitLab CI variables ($VAR or ${VAR})",
      fix: "remove other characters from the tag template",
    });
    check(patternsOverlap(ciPattern, selectorPattern(selector)), {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: `the tag the templates push must be selected by the kind's ${describeSelector(selector)}, or its lifecycle rule never applies`,
      fix: `start the template with the prefix or make it match the pattern`,
    });
    check(!ciTag.includes(INPUTS_HASH_VARIABLE) || name === "inputs", {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: `$${INPUTS_HASH_VARIABLE} is computed by the build job for the content-addressed kind "inputs" only`,
      fix: "use GitLab predefined variables in this kind's tag",
    });
  }
  return {
    name,
    selector,
    ...(ciTag !== undefined ? { ciTag } : {}),
    protected: isProtected,
    mutable: options?.mutable ?? base?.mutable ?? false,
    ...(retention ? { retention } : {}),
  };
}
