/** Every string over `alphabet` of length up to `max`, shortest first (brute-force witnesses for pattern properties). */
export function allStrings(alphabet: readonly string[], max: number): string[] {
  const out = [""];
  let layer = [""];
  for (let n = 1; n <= max; n++) {
    layer = layer.flatMap((s) => alphabet.map((c) => s + c));
    out.push(...layer);
  }
  return out;
}
