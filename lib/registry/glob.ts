/**
 * ECR tag selectors: literal prefixes (`tagPrefixList`) and wildcard patterns
 * (`tagPatternList`, where `*` matches any run of characters, including none,
 * and the pattern must match the whole tag).
 *
 * A prefix `p` is the pattern `p*`, so everything here works on patterns.
 */

import { ECR_TAG_WILDCARDS, wildcardClosure, wildcardMatches, wildcardStep, wildcardsIntersect } from "../core/wildcard";

/** A tag selector: a literal prefix or a wildcard pattern. */
export type TagSelector = { readonly prefix: string } | { readonly pattern: string };

/** The selector as a wildcard pattern. */
export function selectorPattern(selector: TagSelector): string {
  return "prefix" in selector ? `${selector.prefix}*` : selector.pattern;
}

/** Human-readable form, e.g. `prefix "MR-"` or `pattern "v*.*.*"`. */
export function describeSelector(selector: TagSelector): string {
  return "prefix" in selector ? `prefix ${JSON.stringify(selector.prefix)}` : `pattern ${JSON.stringify(selector.pattern)}`;
}

/** True when `tag` matches the wildcard `pattern` as ECR matches it (whole tag, `*` = any run). */
export function matchesPattern(tag: string, pattern: string): boolean {
  return wildcardMatches(pattern, tag, ECR_TAG_WILDCARDS);
}

/** True when `tag` is selected by `selector`. */
export function matchesSelector(tag: string, selector: TagSelector): boolean {
  return "prefix" in selector ? tag.startsWith(selector.prefix) : matchesPattern(tag, selector.pattern);
}

/** True when some tag matches both wildcard patterns (their languages intersect; see {@link wildcardsIntersect}). */
export function patternsOverlap(a: string, b: string): boolean {
  return wildcardsIntersect(a, b, ECR_TAG_WILDCARDS);
}

/** True when some tag is selected by both selectors. */
export function selectorsOverlap(a: TagSelector, b: TagSelector): boolean {
  return patternsOverlap(selectorPattern(a), selectorPattern(b));
}

/** Number of `*` wildcards in a pattern (ECR allows at most 4). */
export function wildcardCount(pattern: string): number {
  return pattern.split("*").length - 1;
}

/**
 * The selector as an unanchored RE2 / Ruby regular expression body that
 * matches exactly the selected tags when anchored at both ends: literal
 * characters escaped, `*` as `.*`, a prefix followed by `.*`. Used where
 * GitLab wants a regex (cleanup-policy keep/delete patterns, which GitLab
 * anchors itself with `\A` and `\Z`; `=~` rules, anchored by the caller).
 */
export function selectorRegex(selector: TagSelector): string {
  return patternRegex(selectorPattern(selector));
}

/** A wildcard pattern as an unanchored RE2 / Ruby regular expression body (see {@link selectorRegex}). */
export function patternRegex(pattern: string): string {
  return pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".*");
}

/**
 * The values `x` for which `before + x + after` matches the wildcard `pattern`, as a union of
 * wildcard patterns (empty when there is none): the pattern's left quotient by `before` and right
 * quotient by `after`. A pattern is read as a chain of positions where `*` loops on any character,
 * so `x` leads from a position reached after `before` to one from which `after` reaches the end,
 * and the values between positions `i <= j` are exactly the pattern `pattern.slice(i, j)`, with
 * the `*` at `j` appended when there is one (its loop may take characters of `x` too).
 * The empty value is left out (a CI variable used in a tag, such as a Git tag, is never empty), and
 * so are patterns another one of the union contains through a `*` at its edge.
 *
 * @example quotientPatterns("release-*", "release-", "") // ["*"]
 * @example quotientPatterns("v*.*.*", "", "")            // ["v*.*.*"]
 * @example quotientPatterns("v*.*.*", "release-", "")    // []
 */
export function quotientPatterns(pattern: string, before: string, after: string): string[] {
  const run = (start: Iterable<number>, text: string): Set<number> => {
    let states = wildcardClosure(pattern, start);
    for (const c of text) states = wildcardStep(pattern, states, c, ECR_TAG_WILDCARDS);
    return states;
  };
  const starts = run([0], before);
  const ends = new Set<number>();
  for (let j = 0; j <= pattern.length; j++) if (run([j], after).has(pattern.length)) ends.add(j);
  // A start right after a `*` that is a start too, or an end right before a `*` that is an end too, adds nothing.
  const from = [...starts].filter((i) => !(pattern[i - 1] === "*" && starts.has(i - 1)));
  const to = [...ends].filter((j) => !(pattern[j] === "*" && ends.has(j + 1)));
  const out = new Set<string>();
  for (const i of from.sort((a, b) => a - b)) {
    for (const j of to.sort((a, b) => a - b)) {
      // Ending at a `*`, the value may also take characters in its loop.
      const end = pattern[j] === "*" ? j + 1 : j;
      if (i <= j && end > i) out.add(pattern.slice(i, end));
    }
  }
  return [...out];
}
