import { check } from "../core/errors";

/*
 * What the CI variables of a tag template expand to, so that a template is refused when some value
 * of its variables gives no Docker tag. An image tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
 * (distribution/reference, reference.go: `tag = [\w][\w.-]{0,127}`; GitLab's own copy of the rule,
 * lib/gitlab/regex.rb `container_registry_tag_regex`); the registry refuses a push to any other
 * tag, so a template that can expand outside it fails every push of those values. The values are
 * GitLab's (GitLab docs, "Predefined CI/CD variables reference"), except where the platform bounds
 * them further (said per variable).
 */

/** The Docker tag alphabet: letters, digits, `_`, `.`, `-`. */
export const DOCKER_TAG_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
/** The characters an image tag may start with: letters, digits, `_` (not `.` or `-`). */
export const DOCKER_TAG_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
/** The longest image tag (distribution/reference: `{0,127}` after the first character). */
export const DOCKER_TAG_LENGTH = 128;

const HEX = "0123456789abcdef";
const DIGITS = "0123456789";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const SLUG = `${LOWER}${DIGITS}-`;

/**
 * The most digits of a GitLab ID or IID: 19, the digits of the largest PostgreSQL `bigint`
 * (9223372036854775807), the widest integer GitLab stores IDs and IIDs in. A bound that holds for
 * every GitLab instance, however old or busy, rather than one guessed from today's numbers.
 */
export const GITLAB_ID_DIGITS = 19;

/**
 * The environment names the platform gives GitLab's jobs: 1-20 lower-case letters, digits and `-`,
 * starting with a letter (the configuration's environment name rule, `validateEnvironmentBasics`,
 * and the deploy template's, which names each deploy job's `environment:`).
 */
export const PLATFORM_ENVIRONMENT_NAME = { chars: SLUG, first: LOWER, maxLength: 20 } as const;

/** A variable whose every value is made of Docker tag characters. */
export interface TagSafeValue {
  /** The characters the value holds. */
  readonly chars: string;
  /** The characters its first character may be. */
  readonly first: string;
  /** Whether the value may be empty. */
  readonly mayBeEmpty: boolean;
  /**
   * Its most characters; `"rest"` for the Git tag, which the templates' Git tag rule bounds so that
   * the image tag built from it is at most {@link DOCKER_TAG_LENGTH} characters (it counts as 1 here).
   */
  readonly maxLength: number | "rest";
  /** What the value is and where its bound comes from, for messages. */
  readonly what: string;
}

/** A variable some of whose values hold characters no Docker tag may hold. */
export interface TagUnsafeValue {
  /** What the value is, for messages. */
  readonly what: string;
  /** A value of it that is no tag text. */
  readonly example: string;
  /** The variable to use instead. */
  readonly instead: string;
}

/**
 * The CI variables a tag template may use, by what their values can be:
 * - `CI_COMMIT_SHA`: the commit's full SHA-1, 40 lower-case hex characters;
 * - `CI_COMMIT_SHORT_SHA`: its first 8 characters;
 * - `CI_COMMIT_REF_SLUG`: the branch or tag name lower-cased, everything except `0-9` and `a-z`
 *   replaced by `-`, at most 63 bytes, no leading or trailing `-` (GitLab `Gitlab::Utils.slugify`;
 *   empty for a ref name of no letter or digit);
 * - `CI_ENVIRONMENT_SLUG`: the environment name lower-cased, `[a-z0-9-]`, starting with a letter,
 *   at most 24 characters (GitLab `Gitlab::Slug::Environment`);
 * - `CI_MERGE_REQUEST_IID`, `CI_PIPELINE_ID`, `CI_PIPELINE_IID`, `CI_JOB_ID`: numbers, at most
 *   {@link GITLAB_ID_DIGITS} digits;
 * - `CI_COMMIT_TAG`: in the templates' Git tag pipelines, a Git tag of the release pattern whose
 *   wildcards match only the Docker tag alphabet, starting with a letter, digit or `_` and short
 *   enough for the image tag's 128 characters (the Git tag rule, registry/release-tags.ts);
 * - `PLATFORM_INPUTS_HASH`: the inputs hash the build job computes, 40 hex characters (the first 40
 *   of a SHA-256, `platform_inputs_hash`).
 * `CI_ENVIRONMENT_NAME` is GitLab's environment name (letters, digits, `-`, `_`, `/`, `$`, `{`, `}`,
 * `.` and spaces, GitLab `Gitlab::Regex.environment_name_regex`): a tag may use it only in the
 * built-in `deployed` kind, which the deploy jobs push with the platform's environment names
 * ({@link PLATFORM_ENVIRONMENT_NAME}). Branch and ref names (`CI_COMMIT_REF_NAME`,
 * `CI_COMMIT_BRANCH`, ...) may hold `/` and more (Git, "git-check-ref-format").
 */
export const CI_TAG_VALUES: Readonly<Record<string, TagSafeValue | TagUnsafeValue>> = {
  CI_COMMIT_SHA: { chars: HEX, first: HEX, mayBeEmpty: false, maxLength: 40, what: "the commit SHA, 40 hex characters" },
  CI_COMMIT_SHORT_SHA: { chars: HEX, first: HEX, mayBeEmpty: false, maxLength: 8, what: "the first 8 characters of the commit SHA" },
  CI_COMMIT_REF_SLUG: { chars: SLUG, first: `${LOWER}${DIGITS}`, mayBeEmpty: true, maxLength: 63, what: "the ref name's slug, [a-z0-9-], at most 63 characters, no leading '-', empty for a ref name of no letter or digit" },
  CI_ENVIRONMENT_SLUG: { chars: SLUG, first: LOWER, mayBeEmpty: false, maxLength: 24, what: "the environment name's slug, [a-z0-9-] starting with a letter, at most 24 characters" },
  CI_MERGE_REQUEST_IID: { chars: DIGITS, first: DIGITS, mayBeEmpty: false, maxLength: GITLAB_ID_DIGITS, what: `the merge request IID, at most ${GITLAB_ID_DIGITS} digits` },
  CI_PIPELINE_ID: { chars: DIGITS, first: DIGITS, mayBeEmpty: false, maxLength: GITLAB_ID_DIGITS, what: `the pipeline ID, at most ${GITLAB_ID_DIGITS} digits` },
  CI_PIPELINE_IID: { chars: DIGITS, first: DIGITS, mayBeEmpty: false, maxLength: GITLAB_ID_DIGITS, what: `the pipeline IID, at most ${GITLAB_ID_DIGITS} digits` },
  CI_JOB_ID: { chars: DIGITS, first: DIGITS, mayBeEmpty: false, maxLength: GITLAB_ID_DIGITS, what: `the job ID, at most ${GITLAB_ID_DIGITS} digits` },
  CI_COMMIT_TAG: { chars: DOCKER_TAG_ALPHABET, first: DOCKER_TAG_FIRST, mayBeEmpty: false, maxLength: "rest", what: "the Git tag, which the Git tag pipelines' rule bounds to a valid image tag" },
  PLATFORM_INPUTS_HASH: { chars: HEX, first: HEX, mayBeEmpty: false, maxLength: 40, what: "the inputs hash, 40 hex characters" },
  CI_ENVIRONMENT_NAME: { what: "the environment name (letters, digits, '-', '_', '/', '$', '{', '}', '.' and spaces)", example: "review/mr 1", instead: "CI_ENVIRONMENT_SLUG" },
  CI_COMMIT_REF_NAME: { what: "the branch or tag name", example: "feature/x", instead: "CI_COMMIT_REF_SLUG" },
  CI_COMMIT_BRANCH: { what: "the branch name", example: "feature/x", instead: "CI_COMMIT_REF_SLUG" },
  CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: { what: "the merge request's source branch name", example: "feature/x", instead: "CI_COMMIT_REF_SLUG" },
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: { what: "the merge request's target branch name", example: "release/1.x", instead: "CI_COMMIT_REF_SLUG" },
  CI_DEFAULT_BRANCH: { what: "the default branch's name", example: "dev/main", instead: "CI_COMMIT_REF_SLUG" },
};

/** The variables whose values are tag text, for messages. */
const SAFE_NAMES = Object.entries(CI_TAG_VALUES)
  .filter(([, v]) => "chars" in v)
  .map(([n]) => n);

type Part = { readonly literal: string } | { readonly variable: string };

/** A tag template as literal text and variables (`$VAR` or `${VAR}`), in order. */
function partsOf(ciTag: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const m of ciTag.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) {
    if (m.index! > at) parts.push({ literal: ciTag.slice(at, m.index) });
    parts.push({ variable: m[1]! });
    at = m.index! + m[0].length;
  }
  if (at < ciTag.length) parts.push({ literal: ciTag.slice(at) });
  return parts;
}

/**
 * Checks that every value of a tag template's variables gives a Docker tag: each variable is one
 * of {@link CI_TAG_VALUES} whose values are tag text, the longest expansion is at most
 * {@link DOCKER_TAG_LENGTH} characters, and the first character is never `.` or `-` (nor the tag empty).
 * The template's literal characters are checked by the caller.
 * @param where the kind's path, e.g. `config/environments[0]/registry/tagScheme/kinds/branch`
 * @param ciTag the kind's tag template
 * @param given values that replace the table's for this kind (the deployed kind's `CI_ENVIRONMENT_NAME`)
 * @throws ValidationError naming `where` (subject `ciTag`) for a variable of unknown value or one
 *   whose values hold characters outside the Docker tag alphabet, an expansion over 128 characters,
 *   or one that can start with `.` or `-` or be empty
 */
export function validateCiTagValues(where: string, ciTag: string, given: Readonly<Record<string, TagSafeValue>> = {}): void {
  const parts = partsOf(ciTag);
  const valueOf = (name: string): TagSafeValue | TagUnsafeValue | undefined => given[name] ?? CI_TAG_VALUES[name];
  for (const part of parts) {
    if (!("variable" in part)) continue;
    const value = valueOf(part.variable);
    check(value !== undefined, {
      path: where,
      subject: "ciTag",
      value: ciTag,
      rule: `every value of a tag's variables must give a Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), and what $${part.variable} holds is not known to the platform (a variable of one's own can hold '/', ':' or spaces, and the push of such a tag fails)`,
      fix: `build the tag from ${SAFE_NAMES.map((n) => `\${${n}}`).join(", ")} and literal text, or leave ciTag out for a kind whose tags a tool of your own pushes`,
    });
    const unsafe = value !== undefined && !("chars" in value) ? value : undefined;
    if (unsafe !== undefined) {
      check(false, {
        path: where,
        subject: "ciTag",
        value: ciTag,
        rule: `every value of a tag's variables must give a Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, distribution/reference), and \${${part.variable}} is ${unsafe.what}: ${unsafe.example} gives ${expand(parts, part.variable, unsafe.example)}, which the registry refuses at push`,
        fix: `use \${${unsafe.instead}} (${(CI_TAG_VALUES[unsafe.instead] as TagSafeValue).what}) instead of \${${part.variable}}`,
      });
    }
  }
  type Resolved = { readonly literal: string } | { readonly variable: string; readonly value: TagSafeValue };
  const safe: Resolved[] = [];
  for (const p of parts) {
    if ("literal" in p) safe.push(p);
    else {
      const value = valueOf(p.variable);
      if (value === undefined || !("chars" in value)) return; // refused above
      safe.push({ variable: p.variable, value });
    }
  }
  const longestOf = (p: Resolved) => ("literal" in p ? p.literal.length : p.value.maxLength === "rest" ? 1 : p.value.maxLength);
  const longest = safe.reduce((n, p) => n + longestOf(p), 0);
  const literal = safe.reduce((n, p) => n + ("literal" in p ? p.literal.length : 0), 0);
  const counted = safe.flatMap((p) => ("variable" in p && p.value.maxLength !== "rest" ? [`\${${p.variable}} ${p.value.maxLength}`] : []));
  const gitTag = safe.some((p) => "variable" in p && p.value.maxLength === "rest");
  check(longest <= DOCKER_TAG_LENGTH, {
    path: where,
    subject: "ciTag",
    value: ciTag,
    rule: `an image tag has at most ${DOCKER_TAG_LENGTH} characters (distribution/reference), and this template gives up to ${longest}: ${literal} of literal text${counted.length > 0 ? ` + ${counted.join(" + ")}` : ""}${gitTag ? " + at least 1 of ${CI_COMMIT_TAG}" : ""}`,
    fix: `shorten the literal text by ${longest - DOCKER_TAG_LENGTH} characters or more`,
  });
  const first = firstCharacters(safe);
  const bad = [...first.chars].filter((c) => !DOCKER_TAG_FIRST.includes(c));
  check(!first.mayBeEmpty && bad.length === 0, {
    path: where,
    subject: "ciTag",
    value: ciTag,
    rule: first.mayBeEmpty
      ? "an image tag has at least 1 character, and every variable of this template may be empty (a ref name of no letter or digit has an empty slug)"
      : `an image tag starts with a letter, digit or '_' (distribution/reference), and this template can start with ${bad.map((c) => `'${c}'`).join(" or ")}`,
    fix: "start the template with a literal letter, digit or '_', e.g. a prefix such as branch-",
  });
}

/** The template with one variable replaced by a value (others left as written), for messages. */
function expand(parts: readonly Part[], name: string, example: string): string {
  return parts.map((p) => ("literal" in p ? p.literal : p.variable === name ? example : `\${${p.variable}}`)).join("");
}

/** The characters a template's expansion can start with, and whether it can be empty. */
function firstCharacters(parts: readonly ({ readonly literal: string } | { readonly variable: string; readonly value: TagSafeValue })[]): { chars: string; mayBeEmpty: boolean } {
  let chars = "";
  for (const part of parts) {
    if ("literal" in part) {
      if (part.literal.length > 0) return { chars: chars + part.literal[0]!, mayBeEmpty: false };
      continue;
    }
    chars += part.value.first;
    // A value that may be empty lets the next part's first character lead; one that may not ends the walk.
    if (!part.value.mayBeEmpty) return { chars, mayBeEmpty: false };
  }
  return { chars, mayBeEmpty: true };
}
