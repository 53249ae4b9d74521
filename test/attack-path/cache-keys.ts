/*
 * The S3 object keys GitLab Runner 18.11.2 gives cache archives, and the probe ARNs the attack-path
 * suite asks IAM about when it decides whether a role reads or writes a cache prefix.
 *
 * GitLab Runner v18.11.2, cache/cache.go `GetAdapter`: the object name is
 * `path.Join(<[runners.cache] Path>, namespace, "project", <project id>, <key>)`, where
 * `namespace` is empty with `Shared = true` and `path.Join("runner", <short token>)` otherwise
 * (the short token is `helpers.ShortenToken` of the runner token: its first 9 characters after
 * the `glrt-`/`t1_` prefixes). So one prefix holds two layouts:
 * - `Shared = true`:  `<Path>/project/<id>/<key>`
 * - `Shared = false`: `<Path>/runner/<short token>/project/<id>/<key>`
 *
 * A fixed probe key (`<prefix>/project/1/probe`) misses grants on the other layout
 * (`<prefix>/runner/*`) and grants narrowed to one project (`<prefix>/project/42/*`). The probes
 * here are, for every layout, one example key and, for every Resource pattern the role's policies
 * name, a key that pattern matches inside the layout (a witness of the two patterns' overlap), so
 * any Allow statement whose resource reaches some cache object of the prefix is asked about.
 */

/** The object-key patterns (IAM wildcards) of one cache prefix, one per `Shared` setting. */
export function cacheKeyLayouts(prefix: string): { readonly shared: string; readonly perRunner: string } {
  return { shared: `${prefix}/project/?*/?*`, perRunner: `${prefix}/runner/?*/project/?*/?*` };
}

/** The object key GitLab Runner 18.11.2 writes for `key` of project `projectId` (see the file comment). */
export function cacheObjectKey(path: string, shared: boolean, shortToken: string, projectId: number, key: string): string {
  return [path, ...(shared ? [] : ["runner", shortToken]), "project", String(projectId), key].filter((s) => s !== "").join("/");
}

/** The IAM wildcard pattern as tokens: `*` any run, `?` one character, anything else itself. */
const isStar = (p: string, i: number) => p[i] === "*";

/** The positions reachable from `i` by letting `*` match nothing. */
function skipStars(p: string, i: number): number[] {
  const positions = [i];
  while (isStar(p, i)) positions.push(++i);
  return positions;
}

/** The positions after `p[i]` consumes `c` (a `*` stays where it is). */
function step(p: string, i: number, c: string): number[] {
  if (i >= p.length) return [];
  if (isStar(p, i)) return skipStars(p, i);
  if (p[i] === "?" || p[i] === c) return skipStars(p, i + 1);
  return [];
}

/**
 * A string both IAM wildcard patterns match (case-sensitive, as S3 ARNs are), the shortest one,
 * or undefined when none exists: a breadth-first search over pairs of positions, each step
 * consuming one character both accept (a literal of either pattern, or `x` where both take any).
 */
export function patternOverlap(a: string, b: string): string | undefined {
  // The same role patterns are probed against the same layouts by every check of a scenario: remember the answers.
  const key = `${a}\u0000${b}`;
  if (overlaps.has(key)) return overlaps.get(key);
  const found = searchOverlap(a, b);
  overlaps.set(key, found);
  return found;
}
const overlaps = new Map<string, string | undefined>();

/** {@link patternOverlap} without the memo. */
function searchOverlap(a: string, b: string): string | undefined {
  const queue: Array<{ i: number; j: number; text: string }> = [];
  const seen = new Set<string>();
  const push = (is: number[], js: number[], text: string) => {
    for (const i of is) {
      for (const j of js) {
        if (seen.has(`${i},${j}`)) continue;
        seen.add(`${i},${j}`);
        queue.push({ i, j, text });
      }
    }
  };
  push(skipStars(a, 0), skipStars(b, 0), "");
  while (queue.length > 0) {
    const { i, j, text } = queue.shift()!;
    if (i === a.length && j === b.length) return text;
    const candidates = new Set(["x", ...(i < a.length && !"*?".includes(a[i]!) ? [a[i]!] : []), ...(j < b.length && !"*?".includes(b[j]!) ? [b[j]!] : [])]);
    for (const c of candidates) push(step(a, i, c), step(b, j, c), text + c);
  }
  return undefined;
}

/**
 * The object ARNs to ask IAM about for the cache prefix `prefix` of `bucket`: an example key of
 * each layout, and for each pattern of `resourcePatterns` (the Resource entries of the role's
 * policies) the shortest ARN it matches inside each layout.
 */
export function cacheObjectProbes(bucket: string, prefix: string, resourcePatterns: readonly string[]): string[] {
  const base = `arn:aws:s3:::${bucket}/`;
  const layouts = Object.values(cacheKeyLayouts(prefix)).map((layout) => base + layout);
  const examples = [cacheObjectKey(prefix, true, "", 1, "probe"), cacheObjectKey(prefix, false, "probe0001", 1, "probe")].map((key) => base + key);
  const witnesses = resourcePatterns.flatMap((pattern) => layouts.map((layout) => patternOverlap(pattern, layout)).filter((w): w is string => w !== undefined));
  return [...new Set([...examples, ...witnesses])];
}
