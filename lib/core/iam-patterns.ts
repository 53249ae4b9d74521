/**
 * IAM resource patterns as sets of ARNs: `*` matches any run of characters (also none, also `/`
 * and `:`), `?` any one character, everything else itself, case-sensitively (IAM User Guide, "IAM
 * JSON policy elements: Resource": "You can use wildcard characters (* and ?) within any ARN
 * segment").
 */

/** Whether IAM resource pattern `pattern` matches the ARN `arn`. */
export function iamPatternMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]")}$`);
  return re.test(arn);
}

/**
 * Whether some ARN matches both IAM resource patterns `a` and `b` (the two sets intersect).
 *
 * The product of the two patterns' automata, searched breadth-first: a state is a position in each
 * pattern; a `*` may be passed over without reading, or read any character and stay; a `?` reads
 * any character; a literal reads itself. Both patterns read one character at a time together, so
 * the two positions move only when a character both accept exists: two literals must be equal, a
 * wildcard accepts the other's literal. The patterns intersect when both ends are reached together.
 * At most (|a| + 1) × (|b| + 1) states.
 */
export function iamPatternsIntersect(a: string, b: string): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const queue: [number, number][] = [[0, 0]];
  const push = (i: number, j: number) => {
    const key = i * width + j;
    if (!seen.has(key)) {
      seen.add(key);
      queue.push([i, j]);
    }
  };
  seen.add(0);
  while (queue.length > 0) {
    const [i, j] = queue.shift()!;
    if (i === a.length && j === b.length) return true;
    // Pass over a star without reading.
    if (a[i] === "*") push(i + 1, j);
    if (b[j] === "*") push(i, j + 1);
    if (i === a.length || j === b.length) continue;
    const x = a[i]!;
    const y = b[j]!;
    // Read one character both accept.
    if (x === "*" || x === "?" || y === "*" || y === "?" || x === y) push(x === "*" ? i : i + 1, y === "*" ? j : j + 1);
  }
  return false;
}
