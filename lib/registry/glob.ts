/**
 * ECR tag selectors: literal prefixes (`tagPrefixList`) and wildcard patterns
 * (`tagPatternList`, where `*` matches any run of characters, including none,
 * and the pattern must match the whole tag).
 *
 * A prefix `p` is the pattern `p*`, so everything here works on patterns.
 */

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

const regexCache = new Map<string, RegExp>();

/** True when `tag` matches the wildcard `pattern` as ECR matches it (whole tag, `*` = any run). */
export function matchesPattern(tag: string, pattern: string): boolean {
  let re = regexCache.get(pattern);
  if (!re) {
    const body = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "s");
    regexCache.set(pattern, re);
  }
  return re.test(tag);
}

/** True when `tag` is selected by `selector`. */
export function matchesSelector(tag: string, selector: TagSelector): boolean {
  return "prefix" in selector ? tag.startsWith(selector.prefix) : matchesPattern(tag, selector.pattern);
}

/**
 * True when some tag matches both wildcard patterns (their languages intersect).
 *
 * Breadth-first search over the product of the two patterns' positions: a `*`
 * may be skipped, a `*` may absorb the other side's literal, and two literals
 * advance together only when equal.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const queue: Array<[number, number]> = [[0, 0]];
  while (queue.length > 0) {
    const [i, j] = queue.pop()!;
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const ca = a[i];
    const cb = b[j];
    if (ca === "*") queue.push([i + 1, j]);
    if (cb === "*") queue.push([i, j + 1]);
    if (ca === "*" && cb !== undefined && cb !== "*") queue.push([i, j + 1]);
    if (cb === "*" && ca !== undefined && ca !== "*") queue.push([i + 1, j]);
    if (ca !== undefined && ca !== "*" && ca === cb) queue.push([i + 1, j + 1]);
  }
  return false;
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
  return selectorPattern(selector)
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".*");
}
