/**
 * Token formats that are secrets wherever they appear (GitLab tokens, AWS access key ids, private
 * keys), found in any text. The rule pack's secret scans (lib/checks/secrets.ts) and the CI variable
 * construct's literal check (lib/gitlab/ci-variable.ts) share them.
 */

/** A secret-looking match. The secret itself is never repeated in full. */
export interface SecretMatch {
  /** What it looks like, e.g. `a GitLab token (glrt-…)`. */
  readonly kind: string;
  /** The match with everything after its first characters masked, e.g. `glrt-ab…`. */
  readonly excerpt: string;
}

/** Token formats that are secrets wherever they appear. */
export const TOKEN_PATTERNS: ReadonlyArray<{ readonly kind: string; readonly pattern: RegExp }> = [
  { kind: "a GitLab token", pattern: /\b(?:glpat|glrt|gldt|glptt|glft|glimt|glagent|gloas|glcbt|glsoat|glffct)-[A-Za-z0-9_-]{10,}/ },
  { kind: "a GitLab runner registration token", pattern: /\bGR1348941[A-Za-z0-9_-]{10,}/ },
  { kind: "an AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: "a private key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
];

/** The first characters of a secret and an ellipsis, so messages never repeat it. */
export function mask(text: string): string {
  return `${text.slice(0, Math.min(7, Math.floor(text.length / 2)))}…`;
}

/**
 * A literal text every match of a {@link TOKEN_PATTERNS} entry contains (its token prefix, the
 * registration token's `GR1348941`, `AKIA`/`ASIA`, `-----BEGIN `): a text without one holds no
 * token, so {@link findTokens} runs the four patterns only on texts with one. SEC002 asks for every
 * string of every stack (thousands), nearly none with a marker. `test/checks/secrets.test.ts`
 * checks that the answer is the patterns' own, with and without markers.
 */
const TOKEN_MARKERS = /gl(?:pat|rt|dt|ptt|ft|imt|agent|oas|cbt|soat|ffct)-|GR1348941|AKIA|ASIA|-----BEGIN /;

/** The token-format secrets in `text` (GitLab tokens, AWS key ids, private keys). */
export function findTokens(text: string): SecretMatch[] {
  if (!TOKEN_MARKERS.test(text)) return [];
  return TOKEN_PATTERNS.flatMap(({ kind, pattern }) => {
    const m = pattern.exec(text);
    return m ? [{ kind, excerpt: mask(m[0]) }] : [];
  });
}
