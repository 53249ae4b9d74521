import { check } from "../core/errors";
import { recall } from "../core/memo";
import { ECR_TAG_WILDCARDS, wildcardClosure, wildcardStep } from "../core/wildcard";
import { selectorPattern, type TagSelector, wildcardCount } from "./glob";

/*
 * The rules every tag selector and retention obeys: docker's tag grammar and ECR's lifecycle
 * policy limits (Amazon ECR User Guide, "Lifecycle policy properties": countNumber > 0, at most
 * 4 wildcards per tagPatternList entry; docker reference, "docker image tag": a tag is up to 128
 * characters of [A-Za-z0-9_.-], not starting with '.' or '-').
 */

/** How long images of a tag kind are kept: the newest N, or for N days after push. */
export type Retention = { readonly maxCount: number } | { readonly maxAgeDays: number };

/** Docker tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. A selector adds `*`. */
export const TAG_CHARS = /^[A-Za-z0-9_.*-]+$/;
const MAX_TAG_LENGTH = 128;

/** Checks that `value` is a whole number greater than 0 (ECR countNumber). */
export function assertPositiveInteger(path: string, subject: string, value: number, fix: string): void {
  check(typeof value === "number" && Number.isInteger(value) && value > 0, {
    path,
    subject,
    value,
    rule: "must be a whole number greater than 0 (ECR countNumber > 0)",
    fix,
  });
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

/*
 * The tags a CI tag template can produce, for the protected-kind checks. GitLab's predefined
 * variables have known shapes (GitLab docs, "Predefined CI/CD variables reference"):
 * `CI_COMMIT_SHA` is the full commit SHA (hex), `CI_COMMIT_SHORT_SHA` its first 8 characters,
 * `CI_COMMIT_REF_SLUG` is lower-cased with everything except 0-9 and a-z replaced by '-',
 * `CI_MERGE_REQUEST_IID`, `CI_PIPELINE_ID`, `CI_PIPELINE_IID` and `CI_JOB_ID` are numbers; the
 * content hash `PLATFORM_INPUTS_HASH` is hex. Any other variable may expand to any tag characters.
 */

/** One element of a tag language: one character of `chars`, once, or repeated (0 or more times). */
export interface TagToken {
  /** The characters this element may produce. */
  readonly chars: string;
  /** 0 or more characters of `chars` (true), or exactly one (false). */
  readonly repeat: boolean;
}

const ANY_TAG_CHAR = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
const HEX = "0123456789abcdef";
const DIGITS = "0123456789";
const SLUG = "abcdefghijklmnopqrstuvwxyz0123456789-";

/** Character classes of the variables whose values have a known shape. */
export const CI_VARIABLE_CHARS: Readonly<Record<string, string>> = {
  CI_COMMIT_SHA: HEX,
  CI_COMMIT_SHORT_SHA: HEX,
  CI_COMMIT_REF_SLUG: SLUG,
  CI_MERGE_REQUEST_IID: DIGITS,
  CI_PIPELINE_ID: DIGITS,
  CI_PIPELINE_IID: DIGITS,
  CI_JOB_ID: DIGITS,
  PLATFORM_INPUTS_HASH: HEX,
};

/** A CI variable in a tag template: `$VAR` or `${VAR}` (the name is group 1). */
const CI_VARIABLE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/;

/** The names of the CI variables a tag template uses (`$VAR` and `${VAR}`), in order. */
export function ciTagVariables(ciTag: string): string[] {
  return [...ciTag.matchAll(new RegExp(CI_VARIABLE.source, "g"))].map((m) => m[1]!);
}

/**
 * A CI tag template (`sha-${CI_COMMIT_SHA}`) as the set of tags it can produce: each variable at least
 * one character of its class, or the language `values` gives it (e.g. `CI_COMMIT_TAG` in Git tag
 * pipelines, which the templates' Git tag rule limits to the release pattern).
 */
export function ciTagTokens(ciTag: string, values: Readonly<Record<string, readonly TagToken[]>> = {}): TagToken[] {
  const tokens: TagToken[] = [];
  const variable = new RegExp(CI_VARIABLE.source, "y");
  for (let i = 0; i < ciTag.length; ) {
    variable.lastIndex = i;
    const m = ciTag[i] === "$" ? variable.exec(ciTag) : null;
    if (m) {
      const given = values[m[1]!];
      const chars = CI_VARIABLE_CHARS[m[1]!] ?? ANY_TAG_CHAR;
      if (given) tokens.push(...given);
      else tokens.push({ chars, repeat: false }, { chars, repeat: true });
      i = variable.lastIndex;
    } else {
      tokens.push({ chars: ciTag[i]!, repeat: false });
      i++;
    }
  }
  return tokens;
}

/** A selector (prefix or `*` pattern) as the set of tags it selects. */
export function selectorTokens(selector: TagSelector): TagToken[] {
  return [...selectorPattern(selector)].map((c) => (c === "*" ? { chars: ANY_TAG_CHAR, repeat: true } : { chars: c, repeat: false }));
}

/**
 * Answers of the language checks below by their inputs. They are pure and a tag scheme is resolved
 * several times per synth (each stack that uses it, and the configuration check) with the same
 * kinds, so each question is answered once per process (a bounded memo).
 */
const languageAnswers = new Map<string, boolean>();
const answered = (question: string, answer: () => boolean): boolean => recall(languageAnswers, question, answer, 10_000);

/** Whether tag languages share a tag (a search over index tuples; exact for these regular languages). */
export function tagLanguagesOverlap(...languages: readonly (readonly TagToken[])[]): boolean {
  return answered(JSON.stringify(["overlap", languages]), () => languagesOverlap(languages));
}

function languagesOverlap(languages: readonly (readonly TagToken[])[]): boolean {
  const seen = new Set<string>();
  const visit = (at: readonly number[]): boolean => {
    const key = at.join(",");
    if (seen.has(key)) return false;
    seen.add(key);
    if (at.every((i, n) => i === languages[n]!.length)) return true;
    // Leave out a repeated token of one language (it may produce nothing more).
    for (let n = 0; n < languages.length; n++) {
      const token = languages[n]![at[n]!];
      if (token?.repeat && visit(at.map((i, m) => (m === n ? i + 1 : i)))) return true;
    }
    // Or produce one character every language's current token allows.
    const tokens = at.map((i, n) => languages[n]![i]);
    if (tokens.some((t) => t === undefined)) return false;
    if (![...tokens[0]!.chars].some((c) => tokens.every((t) => t!.chars.includes(c)))) return false;
    return visit(at.map((i, n) => (tokens[n]!.repeat ? i : i + 1)));
  };
  return visit(languages.map(() => 0));
}

/** Whether every variable of a CI tag template has a documented shape ({@link CI_VARIABLE_CHARS}). */
export function ciTagHasKnownShape(ciTag: string): boolean {
  return ciTagVariables(ciTag).every((name) => CI_VARIABLE_CHARS[name] !== undefined);
}

/**
 * Whether `selector` selects every tag of the language `tags` (a language of {@link ciTagTokens}).
 * Runs the selector's pattern as a set of positions (a `*` matches any run of characters, as ECR
 * matches `tagPatternList`, and a prefix is the prefix followed by `*`) over every way the tokens
 * can produce characters; exact for these regular languages.
 * @returns false when some tag of the language is not selected
 */
export function selectorSelectsAll(tags: readonly TagToken[], selector: TagSelector): boolean {
  return answered(JSON.stringify(["all", tags, selector]), () => selectsAll(tags, selector));
}

function selectsAll(tags: readonly TagToken[], selector: TagSelector): boolean {
  const pattern = selectorPattern(selector);
  const seen = new Set<string>();
  const allSelected = (i: number, states: ReadonlySet<number>): boolean => {
    const key = `${i}:${[...states].sort((a, b) => a - b).join(",")}`;
    if (seen.has(key)) return true;
    seen.add(key);
    if (i === tags.length) return states.has(pattern.length);
    const token = tags[i]!;
    if (token.repeat && !allSelected(i + 1, states)) return false;
    return [...token.chars].every((c) => allSelected(token.repeat ? i : i + 1, wildcardStep(pattern, states, c, ECR_TAG_WILDCARDS)));
  };
  return allSelected(0, wildcardClosure(pattern, [0]));
}
