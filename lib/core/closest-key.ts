/**
 * "Did you mean": the known name an unknown one is most likely a misspelling of, for the
 * configuration's shape check and the documents the library reads (a tag scheme file).
 */

/** The edit distance of two short strings (Levenshtein). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known key an unknown one is most likely a misspelling of: same letters in another case, or
 * at most two edits away (at most one per three characters of `key`).
 * @returns the closest known key, or undefined when none is close
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const scored = known.map((k) => ({ k, d: distance(lower, k.toLowerCase()) })).filter(({ d }) => d <= Math.min(2, Math.floor(key.length / 3)));
  scored.sort((a, b) => a.d - b.d);
  return scored[0]?.k;
}
