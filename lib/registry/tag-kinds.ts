/**
 * Tag kinds: the built-in kinds, their options, and how one kind's options resolve into a checked
 * {@link TagKind} (selector, retention, protection, mutability, the tag CI writes).
 */
import { check, ValidationError } from "../core/errors";
import { PLATFORM_ENVIRONMENT_NAME, type TagSafeValue, validateCiTagValues } from "./ci-tag-values";
import { describeSelector, type TagSelector } from "./glob";
import { ciTagHasKnownShape, ciTagTokens, ciTagVariables, type Retention, selectorSelectsAll, selectorTokens, TAG_CHARS, tagLanguagesOverlap, validateRetention, validateSelector } from "./tag-rules";

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


/**
 * The variables the tag of each built-in kind must contain, for the role the templates give the
 * kind: each inner list is one requirement, met by any of its variables (`$VAR` or `${VAR}`). The
 * content kind is looked up by its inputs hash (a tag without it names one image for every set of
 * inputs, so every later build would "reuse" it); the commit and merge-request kinds name the
 * image of one commit (`CI_COMMIT_SHA`, the full SHA the deploy jobs and the per-commit lookup
 * use), the merge-request kind also its merge request (`CI_MERGE_REQUEST_IID`); the branch kind
 * its branch (`CI_COMMIT_REF_SLUG`: the branch name itself may hold `/`, no tag character), the release kind its Git tag (`CI_COMMIT_TAG`), the deployed kind its environment
 * (`CI_ENVIRONMENT_NAME`, as the deploy template requires), the pipeline kind its pipeline.
 * `latest` and `buildCache` are one fixed tag each and need none. Variable meanings: GitLab docs,
 * "Predefined CI/CD variables reference".
 */
export const REQUIRED_CI_TAG_VARIABLES: Readonly<Record<TagKindName, readonly (readonly string[])[]>> = {
  pipeline: [["CI_PIPELINE_ID", "CI_PIPELINE_IID"]],
  mergeRequest: [["CI_MERGE_REQUEST_IID"], ["CI_COMMIT_SHA"]],
  commit: [["CI_COMMIT_SHA"]],
  branch: [["CI_COMMIT_REF_SLUG"]],
  latest: [],
  release: [["CI_COMMIT_TAG"]],
  inputs: [[INPUTS_HASH_VARIABLE]],
  buildCache: [],
  deployed: [["CI_ENVIRONMENT_NAME"]],
};

/** The names of the CI variables a tag template uses (`$VAR` and `${VAR}`), in order (defined beside the tag languages it shapes). */
export { ciTagVariables } from "./tag-rules";

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
   * The tag CI writes, using GitLab predefined variables, e.g. `MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}`.
   * The kind's prefix or pattern must select every tag it can give, with the predefined variables
   * at their documented shapes (GitLab docs, "Predefined CI/CD variables reference": `CI_COMMIT_SHA`
   * is a hex commit SHA, `CI_MERGE_REQUEST_IID` and `CI_PIPELINE_ID` are numbers; see
   * `CI_VARIABLE_CHARS`); a tag with a variable of another shape (`${CI_COMMIT_TAG}`) must meet it.
   * Every value of its variables must give a Docker tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), so a
   * tag uses only the variables of `CI_TAG_VALUES` whose values are tag text (`${CI_COMMIT_REF_SLUG}`,
   * not `${CI_COMMIT_REF_NAME}`: `feature/x` holds a `/`), is at most 128 characters long with each
   * variable at its longest (`CI_COMMIT_SHA` 40, `CI_COMMIT_REF_SLUG` 63, IDs and IIDs 19 digits),
   * and never starts with `.` or `-`. `${CI_ENVIRONMENT_NAME}` only in the built-in `deployed` kind.
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
  /**
   * An explicit waiver of the retention guarantee for this kind. The guarantee is that an image
   * is expired only when every kind it carries would expire it; a secondary kind is left out of
   * "every kind": on an image that also carries a primary (not secondary) retained kind, the
   * primary kinds decide and this kind's retention is not applied (a secondary kind with 90 days
   * next to `MR-…` at 30 days is expired with the merge-request image at 30 days). It decides only
   * for images whose retained kinds are all secondary. Its lifecycle rules come after every
   * primary kind's, so it can neither shorten nor lengthen a primary kind's retention, and it may
   * overlap primary kinds of either retention type. Only for kinds with a retention. No kind is
   * secondary unless its options say so.
   * @default false
   */
  readonly secondary?: boolean;
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
  /** Whether the kind yields to primary kinds on a shared image (see {@link TagKindOptions.secondary}); false for protected kinds. */
  readonly secondary: boolean;
}

/** The built-in tag kinds. Override any field per kind with {@link TagSchemeProps.kinds}. */
export const DEFAULT_TAG_KINDS: Readonly<Record<TagKindName, Required<Pick<TagKindOptions, "ciTag" | "protected">> & TagKindOptions>> = {
  // Per-pipeline tags (older templates, or tools of one's own). The image-reuse templates never
  // push them (the tag plan refuses per-pipeline tags: one tag per pipeline piles up on a reused
  // image). A normal kind: an image carrying pipeline-… next to sha-… is expired only when both
  // kinds would expire it (a count kind next to an age kind: kept, see lifecyclePolicyFromTagScheme).
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

/** GitLab CI variable references: `$VAR` or `${VAR}`. */
const CI_VARIABLE = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g;

/** The CI tag template as a wildcard pattern (every variable may expand to anything). */
export function ciTagPattern(ciTag: string): string {
  return ciTag.replace(CI_VARIABLE, "*");
}

/** Checks that `name` is a built-in kind (for `use`). */
export function assertKnownKind(path: string, name: string, subject: string): asserts name is TagKindName {
  check((TAG_KINDS as readonly string[]).includes(name), {
    path,
    subject,
    value: name,
    rule: `\`use\` lists built-in tag kinds: ${TAG_KINDS.join(", ")}`,
    fix: "name a built-in kind; kinds of your own go into `kinds` (they are always used)",
  });
}

/**
 * Resolves one kind's options over its built-in defaults (`base`, undefined for a kind of one's own).
 * @throws ValidationError naming `<path>/kinds/<name>` for both or no selector, a bad selector,
 *   retention or CI tag (one its selector does not select in full, see {@link TagKindOptions.ciTag}; one some
 *   value of whose variables gives no Docker tag, see `validateCiTagValues`), a protected kind with a retention, an unprotected kind without one,
 *   the content-hash variable in another kind's tag, or a built-in kind's tag without the variables of its role
 *   ({@link REQUIRED_CI_TAG_VARIABLES}; the content kind's tag with any other variable)
 */
export function resolveKind(path: string, name: string, options: TagKindOptions | undefined, base: (typeof DEFAULT_TAG_KINDS)[TagKindName] | undefined): TagKind {
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

  for (const flag of ["protected", "mutable", "secondary"] as const) {
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

  check(!(isProtected && options?.secondary === true), {
    path: where,
    subject: "secondary",
    value: true,
    rule: "a secondary kind yields its retention to the primary kinds on the same image, and a protected kind has no retention to yield (it keeps every image it selects)",
    fix: "drop `secondary`, or set `protected: false` and give a retention",
  });
  const secondary = !isProtected && options?.secondary === true;

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
    if (typeof ciTag === "string") validateCiTagValues(where, ciTag, name === "deployed" && base !== undefined ? DEPLOYED_VALUES : {});
    const pushed = ciTagTokens(ciTag);
    const knownShape = ciTagHasKnownShape(ciTag);
    check(knownShape ? selectorSelectsAll(pushed, selector) : tagLanguagesOverlap(pushed, selectorTokens(selector)), {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: knownShape
        ? `the kind's ${describeSelector(selector)} must select every tag the templates push (GitLab's predefined variables at their documented shapes: a commit SHA is hex, an IID or pipeline ID is digits), or the kind's lifecycle rule misses those images`
        : `the kind's ${describeSelector(selector)} must select the tag the templates push (a variable of unknown shape may take any tag characters), or the kind's lifecycle rule never applies`,
      fix: `start the template with the prefix or make every tag it can give match the pattern`,
    });
    check(!ciTag.includes(INPUTS_HASH_VARIABLE) || name === "inputs", {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: `$${INPUTS_HASH_VARIABLE} is computed by the build job for the content-addressed kind "inputs" only`,
      fix: "use GitLab predefined variables in this kind's tag",
    });
    if (base !== undefined) assertRoleVariables(where, name as TagKindName, ciTag);
  }
  return {
    name,
    selector,
    ...(ciTag !== undefined ? { ciTag } : {}),
    protected: isProtected,
    mutable: options?.mutable ?? base?.mutable ?? false,
    secondary,
    ...(retention ? { retention } : {}),
  };
}

/**
 * Checks that a built-in kind's tag contains the variables of its role ({@link REQUIRED_CI_TAG_VARIABLES}),
 * and that the content kind's tag uses no variable besides the inputs hash (another one would give
 * the same inputs different tags, so identical builds would not be found and reused).
 * @throws ValidationError naming `where` for the first requirement the tag misses
 */
function assertRoleVariables(where: string, name: TagKindName, ciTag: string): void {
  const used = ciTagVariables(ciTag);
  for (const requirement of REQUIRED_CI_TAG_VARIABLES[name]) {
    const spelled = requirement.map((v) => `\${${v}}`).join(" or ");
    check(requirement.some((v) => used.includes(v)), {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: `the built-in kind "${name}" ${ROLE_OF[name]}, so its tag must contain ${spelled}; without it one tag stands for many images`,
      fix: `put ${spelled} into the tag (the default is ${DEFAULT_TAG_KINDS[name].ciTag}), or define a kind of your own for another tag`,
    });
  }
  if (name === "inputs") {
    const others = used.filter((v) => v !== INPUTS_HASH_VARIABLE);
    check(others.length === 0, {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: `the content kind's tag names the image's inputs only: a further variable (${others.join(", ")}) gives the same inputs different tags, so an identical image is built again instead of reused`,
      fix: `write the tag from literals and \${${INPUTS_HASH_VARIABLE}} only, e.g. ${DEFAULT_TAG_KINDS.inputs.ciTag}`,
    });
  }
}

/**
 * The deployed kind's `CI_ENVIRONMENT_NAME`: the deploy jobs push its tag, and they run in the
 * platform's environments, whose names are tag text ({@link PLATFORM_ENVIRONMENT_NAME}).
 */
const DEPLOYED_VALUES: Readonly<Record<string, TagSafeValue>> = {
  CI_ENVIRONMENT_NAME: { ...PLATFORM_ENVIRONMENT_NAME, mayBeEmpty: false, what: "the deploy job's environment name, [a-z][a-z0-9-], at most 20 characters" },
};

/** What each built-in kind's tag names, for error messages. */
const ROLE_OF: Readonly<Record<TagKindName, string>> = {
  pipeline: "names the image of one pipeline",
  mergeRequest: "names the image of one commit of one merge request (merge-request pipelines run it)",
  commit: "names the image of one commit (jobs and deploys look it up by the commit)",
  branch: "names the image of one branch",
  latest: "is one fixed tag",
  release: "names the image of one Git tag",
  inputs: "names the content image of one set of build inputs (builds look it up by the inputs hash to reuse it)",
  buildCache: "is one fixed tag",
  deployed: "names what one environment runs",
};
