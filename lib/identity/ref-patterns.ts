/**
 * Ref patterns a protected CI role trusts, and the checks that keep "trusted"
 * equal to "protected".
 *
 * Two matchers read the same pattern and must agree on what it selects:
 * - IAM's `StringLike` in the trust policy: `*` matches any run of characters,
 *   `?` exactly one, case-sensitive (IAM User Guide, "IAM JSON policy
 *   elements: Condition operators", String condition operators,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
 * - GitLab's protected branches and tags (`Gitlab::RefMatcher`,
 *   lib/gitlab/ref_matcher.rb): `*` becomes `.*?` (any run, `/` included),
 *   every other character is quoted, so `?` is a literal question mark.
 * They agree exactly on patterns without `?`, which is why protected patterns
 * may not hold one.
 */
import { check } from "../core/errors";
import { recall } from "../core/memo";
import { isUnresolved } from "../core/tokens";

/** The characters of a Docker image tag (distribution/reference, `tag` = `[\w][\w.-]{0,127}`), as a global character class. */
const DOCKER_TAG_CHARS = /[A-Za-z0-9_.-]/g;

/** One step of a glob NFA: the pattern position it has consumed up to. */
function closure(pattern: string, states: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (const start of states) {
    let i = start;
    out.add(i);
    while (pattern[i] === "*") out.add(++i);
  }
  return out;
}

function step(pattern: string, states: Set<number>, symbol: string): Set<number> {
  const next: number[] = [];
  for (const i of states) {
    const p = pattern[i];
    if (p === undefined) continue;
    if (p === "*") next.push(i);
    else if (p === "?" || p === symbol) next.push(i + 1);
  }
  return closure(pattern, next);
}

/**
 * Whether every string the `inner` glob matches is matched by the `outer`
 * glob (`*` any run of characters, `?` one character, everything else
 * literal, as in IAM's `StringLike`). Decided exactly: the product of
 * `inner`'s automaton with the subset automaton of `outer` is searched for a
 * string `inner` accepts and `outer` rejects, over the literal characters of
 * both patterns plus one symbol standing for every other character.
 */
export function globIncludes(outer: string, inner: string): boolean {
  return recall(inclusions, JSON.stringify([outer, inner]), () => searchInclusion(outer, inner), 10_000);
}

/** Answers of {@link globIncludes} by its patterns: pure, and asked again for every role and configuration check with the same patterns. Bounded. */
const inclusions = new Map<string, boolean>();

function searchInclusion(outer: string, inner: string): boolean {
  const OTHER = "\u0000";
  const alphabet = [...new Set([...outer, ...inner].filter((c) => c !== "*" && c !== "?")), OTHER];
  const key = (a: Set<number>, b: Set<number>) => `${[...a].sort().join(",")}|${[...b].sort().join(",")}`;
  const start: [Set<number>, Set<number>] = [closure(inner, [0]), closure(outer, [0])];
  const seen = new Set([key(...start)]);
  const queue = [start];
  while (queue.length > 0) {
    const [a, b] = queue.shift()!;
    if (a.has(inner.length) && !b.has(outer.length)) return false;
    if (a.size === 0) continue;
    for (const symbol of alphabet) {
      const next: [Set<number>, Set<number>] = [step(inner, a, symbol), step(outer, b, symbol)];
      const k = key(...next);
      if (next[0].size === 0 || seen.has(k)) continue;
      seen.add(k);
      queue.push(next);
    }
  }
  return true;
}

/**
 * Checks the release tag pattern a protected CI role trusts:
 * - not a bare wildcard (`*`, `?*`, `**` ...): a Developer may push any tag
 *   (tags are unprotected by default), so such a pattern trusts everyone;
 * - no `?`: IAM reads it as one character, GitLab's protected tags as a
 *   literal `?`, so the role would trust tags that no protection covers;
 * - no wider than the Git tags the CI templates release: those for which the
 *   tag scheme's `release` kind's tag template gives a tag its selector
 *   selects (`releasableGitTags` of registry/release-tags.ts; `v*.*.*` by
 *   default, every Git tag for `release-${CI_COMMIT_TAG}` with the prefix
 *   `release-`): `v*` next to the default also trusts `v0-x`, whose pipeline
 *   would push a tag no release rule keeps.
 *
 * - no literal character outside the Docker tag alphabet (letters, digits,
 *   `_`, `.`, `-`): the release kinds build image tags from the Git tag
 *   (`${CI_COMMIT_TAG}`), and a tag is `[\w][\w.-]{0,127}`
 *   (distribution/reference, reference.go, `tag`; OCI distribution-spec,
 *   "Pulling manifests": `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`), so every Git tag
 *   of `rel/*` or `v+*` would push `release-rel/1.0`, refused by the registry.
 *   A wildcard can still match such characters (`v1.2.3+build.7` under
 *   `v*.*.*`): the templates' Git tag rule runs no pipeline for those
 *   (`gitTagRuleRegex` of registry/release-tags.ts).
 *
 * @param path where the pattern is configured, for error messages
 * @param pattern the trusted tag name or pattern
 * @param releasable the Git tags the templates can release, as a union of `*` globs (one glob or several)
 * @throws ValidationError when a rule above is broken
 */
export function validateReleaseTagPattern(path: string, pattern: string, releasable: string | readonly string[]): void {
  if (isUnresolved(pattern)) return;
  const within = typeof releasable === "string" ? [releasable] : [...releasable];
  const example = within.find((r) => /[^*?]/.test(r)) ?? "v*.*.*";
  check(/[^*?]/.test(pattern), {
    path,
    subject: "release tag pattern",
    value: pattern,
    rule: "a pattern of wildcards only trusts every tag, and any Developer can push a tag",
    fix: `use the release selector of the CI templates, ${JSON.stringify(example)}`,
  });
  check(!pattern.includes("?"), {
    path,
    subject: "release tag pattern",
    value: pattern,
    rule: "'?' is one character for IAM (StringLike) but a literal '?' for GitLab's protected tags (Gitlab::RefMatcher), so the role would trust tags no protection covers",
    fix: `use '*' only, e.g. ${JSON.stringify(example)}`,
  });
  const foreign = [...new Set(pattern.replace(/\*/g, "").replace(DOCKER_TAG_CHARS, ""))];
  check(foreign.length === 0, {
    path,
    subject: "release tag pattern",
    value: pattern,
    rule:
      `the pattern holds ${foreign.map((c) => JSON.stringify(c)).join(", ")}, outside the Docker tag alphabet (letters, digits, '_', '.', '-'; distribution/reference: [\\w][\\w.-]{0,127}); ` +
      "the release kind builds its image tag from the Git tag, so every release job of a matching Git tag would push a tag the registry refuses",
    fix: `use only letters, digits, '_', '.', '-' and '*', e.g. ${JSON.stringify(example)}`,
  });
  check(
    within.some((r) => globIncludes(r, pattern)),
    {
      path,
      subject: "release tag pattern",
      value: pattern,
      rule:
        within.length === 0
          ? "the pattern may trust only tags the CI templates release, and no Git tag makes the release kind's tag one its selector selects"
          : `the pattern may trust only tags the CI templates release (${within.map((r) => JSON.stringify(r)).join(", ")}); a wider one trusts tags such as v0-x that a Developer can push, whose pipelines push a tag the release kind does not select`,
      fix:
        within.length === 0
          ? "make the release kind's literal text fit its selector, e.g. prefix release- with release-${CI_COMMIT_TAG}"
          : `use ${JSON.stringify(example)} or a narrower pattern inside it (e.g. "v1.*.*")`,
    },
  );
}
