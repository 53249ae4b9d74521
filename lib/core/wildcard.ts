/**
 * Wildcard patterns as IAM and ECR read them, in one implementation: `*` matches any run of
 * characters (also none, also `/`, `:` and line breaks), every other character itself. The
 * dialects differ only in `?` and in case:
 * - IAM (IAM User Guide, "IAM JSON policy elements: Resource": "You can use wildcard characters
 *   (* and ?) within any ARN segment"; "IAM JSON policy elements: Action": "you can use wildcards
 *   (* or ?)"): `?` matches exactly one character; ARNs match case-sensitively, action names
 *   case-insensitively;
 * - ECR tag patterns (Amazon ECR User Guide, "Lifecycle policy properties", `tagPatternList`:
 *   only `*` is a wildcard, and the pattern matches the whole tag): `?` is a literal question mark,
 *   case-sensitive.
 *
 * A pattern is read as a chain of positions: position `k` has consumed `pattern.slice(0, k)`, a
 * `*` loops on any character, and the end (`pattern.length`) accepts.
 */
import { recall } from "./memo";

/** How a dialect reads a pattern. */
export interface WildcardDialect {
  /** `?` matches exactly one character (IAM); otherwise it is a literal `?` (ECR tag patterns). */
  readonly oneChar: boolean;
  /**
   * Letters match either case (IAM action names).
   * @default false (case-sensitive: ARNs, tags)
   */
  readonly ignoreCase?: boolean;
}

/** IAM resource patterns (ARNs): `*` and `?`, case-sensitive. */
export const IAM_RESOURCE_WILDCARDS: WildcardDialect = Object.freeze({ oneChar: true });
/** IAM action patterns (`s3:Get*`): `*` and `?`, case-insensitive. */
export const IAM_ACTION_WILDCARDS: WildcardDialect = Object.freeze({ oneChar: true, ignoreCase: true });
/** ECR tag patterns (`tagPatternList`): `*` only, case-sensitive. */
export const ECR_TAG_WILDCARDS: WildcardDialect = Object.freeze({ oneChar: false });

/** Whether `c` (one character of a pattern) matches any one character in `dialect`. */
const matchesAnyOne = (c: string | undefined, dialect: WildcardDialect): boolean => c === "*" || (dialect.oneChar && c === "?");

/** Compiled patterns by dialect and pattern text (no `g`/`y` flag, so a shared RegExp keeps no state). */
const compiled = new Map<string, RegExp>();

/** The pattern as a regular expression anchored at both ends. */
export function wildcardRegex(pattern: string, dialect: WildcardDialect): RegExp {
  const key = `${dialect.oneChar ? "?" : ""}${dialect.ignoreCase ? "i" : ""}\u0000${pattern}`;
  return recall(compiled, key, () => {
    const body = [...pattern].map((c) => (c === "*" ? ".*" : matchesAnyOne(c, dialect) ? "." : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))).join("");
    return new RegExp(`^${body}$`, dialect.ignoreCase ? "si" : "s");
  });
}

/** Whether `pattern` matches the whole of `text` in `dialect`. */
export function wildcardMatches(pattern: string, text: string, dialect: WildcardDialect): boolean {
  return wildcardRegex(pattern, dialect).test(text);
}

/**
 * Whether some string matches both patterns `a` and `b` (their languages intersect).
 *
 * The product of the two patterns' automata, searched breadth-first: a state is a position in each
 * pattern; a `*` may be passed over without reading, or read any character and stay; a one-character
 * wildcard reads any character; a literal reads itself. Both patterns read one character at a time
 * together, so the two positions move only when a character both accept exists: two literals must
 * be equal, a wildcard accepts the other's literal. The patterns intersect when both ends are
 * reached together. At most (|a| + 1) × (|b| + 1) states.
 */
export function wildcardsIntersect(a: string, b: string, dialect: WildcardDialect): boolean {
  const same = dialect.ignoreCase ? (x: string, y: string) => x.toLowerCase() === y.toLowerCase() : (x: string, y: string) => x === y;
  const width = b.length + 1;
  const seen = new Set<number>([0]);
  const queue: [number, number][] = [[0, 0]];
  const push = (i: number, j: number) => {
    const key = i * width + j;
    if (!seen.has(key)) {
      seen.add(key);
      queue.push([i, j]);
    }
  };
  for (let next = 0; next < queue.length; next++) {
    const [i, j] = queue[next]!;
    if (i === a.length && j === b.length) return true;
    // Pass over a star without reading.
    if (a[i] === "*") push(i + 1, j);
    if (b[j] === "*") push(i, j + 1);
    if (i === a.length || j === b.length) continue;
    const x = a[i]!;
    const y = b[j]!;
    // Read one character both accept.
    if (matchesAnyOne(x, dialect) || matchesAnyOne(y, dialect) || same(x, y)) push(x === "*" ? i : i + 1, y === "*" ? j : j + 1);
  }
  return false;
}

/** The positions `states` reach without reading: each, and every position after a run of `*` from it. */
export function wildcardClosure(pattern: string, states: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (let k of states) {
    out.add(k);
    while (pattern[k] === "*") out.add(++k);
  }
  return out;
}

/** The positions `states` reach by reading the character `c` (a `*` stays where it is), closed as {@link wildcardClosure}. */
export function wildcardStep(pattern: string, states: Iterable<number>, c: string, dialect: WildcardDialect): Set<number> {
  const next: number[] = [];
  for (const k of states) {
    const p = pattern[k];
    if (p === undefined) continue;
    if (p === "*") next.push(k);
    else if (matchesAnyOne(p, dialect) || p === c || (dialect.ignoreCase === true && p.toLowerCase() === c.toLowerCase())) next.push(k + 1);
  }
  return wildcardClosure(pattern, next);
}
