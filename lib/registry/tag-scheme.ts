import { check, ValidationError } from "../core/errors";
import { describeSelector, matchesSelector, selectorPattern, selectorsOverlap, patternsOverlap, wildcardCount, type TagSelector } from "./glob";

/**
 * The tag kinds the image-reuse pipelines push. The lifecycle rules, the CI
 * templates and the CI variables are all derived from one {@link TagScheme},
 * so they cannot disagree.
 */
export const TAG_KINDS = ["pipeline", "mergeRequest", "commit", "branch", "latest", "release"] as const;

/** One of {@link TAG_KINDS}. */
export type TagKindName = (typeof TAG_KINDS)[number];

/** How long images of a tag kind are kept: the newest N, or for N days after push. */
export type Retention = { readonly maxCount: number } | { readonly maxAgeDays: number };

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
   * @default true for `latest` and `release`, false otherwise
   */
  readonly protected?: boolean;
}

/** A fully resolved tag kind. */
export interface TagKind {
  /** The kind's name. */
  readonly name: TagKindName;
  /** How the registry recognises the kind. */
  readonly selector: TagSelector;
  /** The tag CI writes (GitLab CI variable syntax). */
  readonly ciTag: string;
  /** Retention; undefined for protected kinds. */
  readonly retention?: Retention;
  /** Whether images with this tag are never expired. */
  readonly protected: boolean;
}

/** The built-in tag kinds. Override any field per kind with {@link TagSchemeProps.kinds}. */
export const DEFAULT_TAG_KINDS: Readonly<Record<TagKindName, Required<Pick<TagKindOptions, "ciTag" | "protected">> & TagKindOptions>> = {
  // CI images built once per pipeline and reused by its later jobs.
  pipeline: { prefix: "pipeline-", ciTag: "pipeline-${CI_PIPELINE_ID}", retention: { maxAgeDays: 7 }, protected: false },
  // Images of merge-request pipelines, one moving tag per MR.
  mergeRequest: { prefix: "MR-", ciTag: "MR-${CI_MERGE_REQUEST_IID}", retention: { maxAgeDays: 30 }, protected: false },
  // Default-branch images by commit. ECR selects tags by prefix or `*` pattern only,
  // so a bare 40-hex SHA cannot be selected: the `sha-` prefix makes it retainable.
  commit: { prefix: "sha-", ciTag: "sha-${CI_COMMIT_SHA}", retention: { maxCount: 100 }, protected: false },
  // Images of other branches, one moving tag per branch slug.
  branch: { prefix: "branch-", ciTag: "branch-${CI_COMMIT_REF_SLUG}", retention: { maxAgeDays: 30 }, protected: false },
  // The moving tag of the default branch.
  latest: { pattern: "latest", ciTag: "latest", protected: true },
  // Release tags pushed from Git tags such as v1.2.3.
  release: { pattern: "v*.*.*", ciTag: "${CI_COMMIT_TAG}", protected: true },
};

/** Props of a {@link TagScheme}. */
export interface TagSchemeProps {
  /**
   * Per-kind overrides, merged over {@link DEFAULT_TAG_KINDS}. Keys must be tag kind names.
   * @default the built-in kinds unchanged
   */
  readonly kinds?: Partial<Record<TagKindName, TagKindOptions>>;
  /**
   * Kinds the scheme uses; kinds left out get no lifecycle rule and cannot be
   * pushed by the CI templates.
   * @default all of {@link TAG_KINDS}
   */
  readonly use?: readonly TagKindName[];
  /**
   * Days after which untagged images (superseded layers of moving tags) expire.
   * @default 1
   */
  readonly untaggedExpiryDays?: number;
}

/** Docker tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. A selector adds `*`. */
const TAG_CHARS = /^[A-Za-z0-9_.*-]+$/;
const MAX_TAG_LENGTH = 128;
/** GitLab CI variable references: `$VAR` or `${VAR}`. */
const CI_VARIABLE = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g;

/**
 * The tag conventions of the image-reuse pipelines, with a retention per kind
 * and the set of protected kinds. Immutable and validated on construction.
 *
 * @example
 * const scheme = new TagScheme("config/tagScheme", {
 *   kinds: { mergeRequest: { retention: { maxAgeDays: 14 } } },
 * });
 */
export class TagScheme {
  /** The kinds in use, in {@link TAG_KINDS} order. */
  public readonly kinds: readonly TagKind[];
  /** Days after which untagged images expire. */
  public readonly untaggedExpiryDays: number;

  /**
   * @param path where the scheme is configured (a construct or config path), used in error messages
   */
  public constructor(
    public readonly path: string,
    props: TagSchemeProps = {},
  ) {
    for (const key of Object.keys(props.kinds ?? {})) assertKnownKind(path, key, `kinds.${key}`);
    for (const key of props.use ?? []) assertKnownKind(path, key, "use");
    const used = new Set<TagKindName>(props.use ?? TAG_KINDS);
    check(used.size > 0, {
      path,
      subject: "use",
      value: props.use,
      rule: "a tag scheme needs at least one tag kind",
      fix: `list one or more of ${TAG_KINDS.join(", ")}`,
    });

    this.kinds = TAG_KINDS.filter((name) => used.has(name)).map((name) => resolveKind(path, name, props.kinds?.[name]));
    this.untaggedExpiryDays = props.untaggedExpiryDays ?? 1;
    assertPositiveInteger(path, "untaggedExpiryDays", this.untaggedExpiryDays, "expire untagged images after at least 1 day");

    for (let i = 0; i < this.kinds.length; i++) {
      for (let j = i + 1; j < this.kinds.length; j++) {
        const a = this.kinds[i]!;
        const b = this.kinds[j]!;
        if (!selectorsOverlap(a.selector, b.selector)) continue;
        const protectedOne = a.protected ? a : b.protected ? b : undefined;
        throw new ValidationError({
          path,
          subject: `tag kind "${b.name}" selector`,
          value: selectorPattern(b.selector),
          rule:
            `tag kinds must select disjoint tags, but it also matches tags of kind "${a.name}" (${describeSelector(a.selector)})` +
            (protectedOne ? `; a rule for it would expire images carrying the protected tag kind "${protectedOne.name}"` : ""),
          fix: `give "${b.name}" or "${a.name}" a prefix or pattern that the other cannot match`,
        });
      }
    }
  }

  /** The kind named `name`; throws a {@link ValidationError} naming `usedBy` when the scheme does not use it. */
  public kind(name: string, usedBy: string = this.path): TagKind {
    assertKnownKind(usedBy, name, "tag kind");
    const kind = this.kinds.find((k) => k.name === name);
    if (!kind) {
      throw new ValidationError({
        path: usedBy,
        subject: "tag kind",
        value: name,
        rule: `the tag scheme at ${this.path} does not use this kind (it uses ${this.kinds.map((k) => k.name).join(", ")})`,
        fix: `add "${name}" to the tag scheme's \`use\` list or push one of the kinds it uses`,
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

  /** The kinds with a retention (expired by their own rule). */
  public get retainedKinds(): readonly TagKind[] {
    return this.kinds.filter((k) => !k.protected);
  }

  /** The kind a concrete tag belongs to, if any. */
  public classify(tag: string): TagKind | undefined {
    return this.kinds.find((k) => matchesSelector(tag, k.selector));
  }
}

function assertKnownKind(path: string, name: string, subject: string): asserts name is TagKindName {
  check((TAG_KINDS as readonly string[]).includes(name), {
    path,
    subject,
    value: name,
    rule: `tag kinds are ${TAG_KINDS.join(", ")}`,
    fix: "use one of the known tag kinds (kinds differ by how they are selected, not by name)",
  });
}

function assertPositiveInteger(path: string, subject: string, value: number, fix: string): void {
  check(Number.isInteger(value) && value > 0, {
    path,
    subject,
    value,
    rule: "must be a whole number greater than 0 (ECR countNumber > 0)",
    fix,
  });
}

function resolveKind(path: string, name: TagKindName, options: TagKindOptions | undefined): TagKind {
  const base = DEFAULT_TAG_KINDS[name];
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
  const selector: TagSelector = givesSelector
    ? options!.prefix !== undefined
      ? { prefix: options!.prefix }
      : { pattern: options!.pattern! }
    : base.prefix !== undefined
      ? { prefix: base.prefix }
      : { pattern: base.pattern! };
  validateSelector(where, selector);

  const isProtected = options?.protected ?? base.protected;
  const retention = isProtected ? options?.retention : (options?.retention ?? base.retention);
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

  const ciTag = options?.ciTag ?? base.ciTag;
  const ciPattern = ciTag.replace(CI_VARIABLE, "*");
  check(ciTag.length > 0 && TAG_CHARS.test(ciPattern) && !ciTag.includes("*"), {
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
    rule: `the tag CI writes must be selected by the kind's ${describeSelector(selector)}, or its lifecycle rule never applies`,
    fix: `start the template with the prefix or make it match the pattern`,
  });
  return { name, selector, ciTag, protected: isProtected, ...(retention ? { retention } : {}) };
}

/** Checks a selector against ECR's and docker's rules. */
export function validateSelector(path: string, selector: TagSelector): void {
  const text = "prefix" in selector ? selector.prefix : selector.pattern;
  const subject = "prefix" in selector ? "tag prefix" : "tag pattern";
  check(text.length > 0 && text.length <= MAX_TAG_LENGTH && TAG_CHARS.test(text) && /^[A-Za-z0-9_*]/.test(text), {
    path,
    subject,
    value: text,
    rule: `a docker tag is 1-${MAX_TAG_LENGTH} characters of letters, digits, '_', '.', '-', starting with a letter, digit or '_'`,
    fix: "use only those characters",
  });
  if ("prefix" in selector) {
    check(!text.includes("*"), {
      path,
      subject,
      value: text,
      rule: "a prefix is literal (tagPrefixList); wildcards belong in a pattern",
      fix: "use `pattern` for wildcards",
    });
  } else {
    check(wildcardCount(text) <= 4, {
      path,
      subject,
      value: text,
      rule: "an ECR tag pattern may hold at most 4 '*' wildcards",
      fix: "use fewer wildcards",
    });
  }
}

/** Checks a retention: exactly one of maxCount and maxAgeDays, a whole number > 0. */
export function validateRetention(path: string, retention: Retention): void {
  const r = retention as { maxCount?: number; maxAgeDays?: number };
  check((r.maxCount === undefined) !== (r.maxAgeDays === undefined), {
    path,
    subject: "retention",
    value: retention,
    rule: "a retention is either { maxCount } or { maxAgeDays }",
    fix: "give exactly one of them",
  });
  const [field, value] = r.maxCount !== undefined ? ["maxCount", r.maxCount] : ["maxAgeDays", r.maxAgeDays!];
  assertPositiveInteger(path, `retention ${field}`, value, "keep at least 1 image or 1 day; to keep everything, mark the kind protected");
}
