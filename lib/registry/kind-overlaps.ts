/**
 * Overlap analysis of a tag scheme's kinds: which kinds' selectors reach the same tags, and which
 * overlaps a lifecycle policy cannot honour. ECR applies the first rule that selects an image
 * ("Lifecycle policy evaluation rules", Amazon ECR User Guide, LifecyclePolicies.html), so where
 * selectors overlap the rule order or a combination rule decides whose retention an image gets.
 */
import { ValidationError } from "../core/errors";
import { describeSelector, selectorPattern, selectorsOverlap } from "./glob";
import { type TagKind } from "./tag-kinds";
import { ciTagTokens, type Retention, selectorSelectsAll, selectorTokens, tagLanguagesOverlap, type TagToken } from "./tag-rules";

/**
 * A protected kind keeps every image it selects forever (its keep rule comes first), so its
 * selector must not reach the tags the templates push for an unprotected kind (its `ciTag`,
 * with GitLab's predefined variables at their documented shapes, as far as the kind's own
 * selector selects them). A protected `*`, or a prefix `s` next to `sha-<commit>`, would keep
 * every commit image and cut no retention. Tags pushed outside the templates (kinds without a
 * `ciTag`, such as semver from a release tool) may overlap a protected kind on purpose: an
 * image carrying a protected tag is kept. And a protected kind whose tag the templates push as
 * one fixed tag (`latest`) selects that tag only.
 *
 * @param path the scheme's path (errors name `<path>/kinds/<name>`)
 * @param kinds the scheme's kinds
 * @throws ValidationError for the first protected kind that breaks either rule
 */
export function assertProtectedKindsNarrow(path: string, kinds: readonly TagKind[]): void {
  const retained = kinds.filter((k) => !k.protected);
  for (const kind of kinds.filter((k) => k.protected)) {
    const selected = selectorTokens(kind.selector);
    const where = `${path}/kinds/${kind.name}`;
    for (const other of retained.filter((k) => k.ciTag !== undefined)) {
      throwUnless(!tagLanguagesOverlap(selected, ciTagTokens(other.ciTag!), selectorTokens(other.selector)), {
        path: where,
        subject: "selector",
        value: selectorPattern(kind.selector),
        rule:
          `a protected kind is never expired, and this selector (${describeSelector(kind.selector)}) also matches tags of the unprotected kind "${other.name}" ` +
          `(the templates push ${other.ciTag}), so those images would never expire`,
        fix: `narrow the selector to the protected tags only (e.g. pattern "v*.*.*" for releases), or make "${kind.name}" unprotected with a retention`,
      });
    }
    if (kind.ciTag !== undefined && !kind.ciTag.includes("$")) {
      throwUnless(!("prefix" in kind.selector) && kind.selector.pattern === kind.ciTag, {
        path: where,
        subject: "selector",
        value: selectorPattern(kind.selector),
        rule: `the templates push this protected kind as the one tag ${kind.ciTag}; a wider selector (${describeSelector(kind.selector)}) would keep other tags forever`,
        fix: `use pattern: "${kind.ciTag}"`,
      });
    }
  }
}

/**
 * Without combination rules (`maxKindsPerImage: 1`) the first rule that selects an image
 * decides, so an overlapping pair is safe only when the earlier kind provably lives longer:
 * both age-based with the earlier one at least as long (the policy orders age kinds longest
 * first). Protected kinds come first anyway, and secondary kinds after every primary one, so
 * pairs are checked within the primary and within the secondary kinds.
 *
 * @param path the scheme's path (errors name `<path>/kinds/<name>`)
 * @param retained retained kinds of one group (primary or secondary)
 * @throws ValidationError for an overlapping pair that is not of two age kinds
 */
export function assertOrderedOverlaps(path: string, retained: readonly TagKind[]): void {
  const sorted = [...retained].sort((a, b) => ageOf(b) - ageOf(a));
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      if (!selectorsOverlap(a.selector, b.selector)) continue;
      const provable = "maxAgeDays" in a.retention! && "maxAgeDays" in b.retention!;
      throwUnless(provable, {
        path: `${path}/kinds/${b.name}`,
        subject: "selector",
        value: selectorPattern(b.selector),
        rule:
          `with maxKindsPerImage 1 the first matching rule decides, and this kind overlaps "${a.name}" (${describeSelector(a.selector)}); ` +
          `the order of a count-based and another kind cannot guarantee the longer retention, so one of them would expire early`,
        fix: `make the selectors disjoint, use age retentions for both, or raise maxKindsPerImage to 2 or more (combination rules)`,
      });
    }
  }
}

/**
 * Kinds of different retention types must not be carried by one image through one tag. ECR
 * applies the first rule whose tag selection matches an image (an image that matches a higher
 * priority rule cannot be expired by a lower priority one: "Lifecycle policy evaluation rules"),
 * and a rule has one `countType`, counting either images (`imageCountMoreThan`) or days
 * (`sinceImagePushed`) ("Lifecycle policy properties in Amazon ECR", Amazon ECR User Guide); so
 * no policy expires an image exactly when both a count kind and an age kind would. Where selectors overlap (a pattern `*`
 * overlaps every kind), every image carrying such a tag carries both kinds: its lifecycle would
 * either keep it forever or cut one kind's retention short. Kinds of one retention type combine
 * soundly (see `lifecyclePolicyFromTagScheme`), and a secondary kind yields to the primary
 * kinds, so pairs are checked within the primary and within the secondary kinds.
 *
 * @param path the scheme's path (errors name `<path>/kinds/<name>` of the later kind of the pair)
 * @param group retained kinds of one group (primary or secondary), in scheme order
 * @throws ValidationError for the first count kind and age kind whose selectors overlap
 */
export function assertRetentionTypesApart(path: string, group: readonly TagKind[]): void {
  for (let j = 0; j < group.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = group[i]!;
      const b = group[j]!;
      if (retentionType(a) === retentionType(b) || !selectorsOverlap(a.selector, b.selector)) continue;
      throw new ValidationError({
        path: `${path}/kinds/${b.name}`,
        subject: "selector",
        value: selectorPattern(b.selector),
        rule:
          `this kind (${describeRetention(b)}, ${describeSelector(b.selector)}) and "${a.name}" (${describeRetention(a)}, ${describeSelector(a.selector)}) select the same tags, so one image carries both; ` +
          "ECR lifecycle rules cannot expire an image only when both a count and an age rule would (the first rule that selects an image decides), " +
          "so such images would be kept forever or expired before one kind's retention",
        fix: `give both the same retention type (both maxCount or both maxAgeDays), make their selectors disjoint, or mark one of them \`secondary: true\` (the other then decides alone)`,
      });
    }
  }
}

/** `count` or `age`: the type of a retained kind's retention. */
export function retentionType(kind: TagKind): "count" | "age" {
  return kind.retention && "maxAgeDays" in kind.retention ? "age" : "count";
}

function describeRetention(kind: TagKind): string {
  const r = kind.retention!;
  return "maxCount" in r ? `count: the newest ${r.maxCount}` : `age: ${r.maxAgeDays} day${r.maxAgeDays === 1 ? "" : "s"}`;
}

/** The count of a count retention, or 0 for an age retention. */
function countOf(kind: TagKind): number {
  return kind.retention && "maxCount" in kind.retention ? kind.retention.maxCount : 0;
}

/** Days of an age retention, or Infinity for a count retention (sorted first, then refused on overlap). */
export function ageOf(kind: TagKind): number {
  return kind.retention && "maxAgeDays" in kind.retention ? kind.retention.maxAgeDays : Number.POSITIVE_INFINITY;
}

function throwUnless(condition: boolean, violation: ConstructorParameters<typeof ValidationError>[0]): void {
  if (!condition) throw new ValidationError(violation);
}

/**
 * The kinds of `kinds` that select some tag the templates push for `pushed` (its `ciTag`, as far
 * as its own selector selects it, with GitLab's predefined variables at their documented shapes):
 * an image carrying that tag also carries each of them, as far as lifecycle rules go. A kind with
 * no `ciTag` pushes nothing, so none is returned for it; `pushed` itself is returned when it is in
 * `kinds`.
 *
 * @param kinds the kinds to test (e.g. a scheme's retained kinds)
 * @param pushed the kind whose pushed tags are looked at
 * @param gitTags in Git tag pipelines, the Git tags they run for (the release pattern, `*` globs):
 *   `${CI_COMMIT_TAG}` then takes only values of it; otherwise any tag characters
 */
export function kindsSelectingTagsOf(kinds: readonly TagKind[], pushed: TagKind, gitTags?: string): TagKind[] {
  if (pushed.ciTag === undefined) return [];
  const values: Record<string, TagToken[]> = gitTags === undefined ? {} : { CI_COMMIT_TAG: selectorTokens({ pattern: gitTags }) };
  const tags = [ciTagTokens(pushed.ciTag, values), selectorTokens(pushed.selector)];
  return kinds.filter((k) => k.name === pushed.name || tagLanguagesOverlap(...tags, selectorTokens(k.selector)));
}

/**
 * Whether a kind selects every tag (a pattern of `*` only): it rides on every tagged image, so it
 * is carried on top of the kinds counted by `maxKindsPerImage`.
 */
export function selectsEveryTag(kind: TagKind): boolean {
  return "pattern" in kind.selector && /^\*+$/.test(kind.selector.pattern);
}

/** Subsets of `items` of exactly `size` elements, in lexicographic order of positions. */
export function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of subsets(items.slice(i + 1), size - 1)) out.push([item, ...rest]);
  });
  return out;
}

/**
 * The retention a combination of kinds gets: the longest of the same type, or none (keep)
 * when count- and age-based kinds are mixed.
 */
export function combinedRetention(kinds: readonly TagKind[]): Retention | undefined {
  const retentions = kinds.map((k) => k.retention!);
  if (retentions.every((r) => "maxAgeDays" in r)) return { maxAgeDays: Math.max(...retentions.map((r) => (r as { maxAgeDays: number }).maxAgeDays)) };
  if (retentions.every((r) => "maxCount" in r)) return { maxCount: Math.max(...retentions.map((r) => (r as { maxCount: number }).maxCount)) };
  return undefined;
}

/**
 * The kinds of the combination rules of one group (primary or secondary), in the policy's order:
 * every set of 2..maxKindsPerImage kinds, largest first, each size in lexicographic order of the
 * kinds' positions; with kinds that select every tag ({@link selectsEveryTag}), every set of
 * 1..maxKindsPerImage other kinds plus all of them. None with `maxKindsPerImage: 1`.
 */
export function combinationKindSets(group: readonly TagKind[], maxKindsPerImage: number): TagKind[][] {
  if (maxKindsPerImage === 1) return [];
  const everyTag = group.filter(selectsEveryTag);
  const others = group.filter((k) => !selectsEveryTag(k));
  const smallest = everyTag.length > 0 ? 1 : 2;
  const sets: TagKind[][] = [];
  for (let size = Math.min(maxKindsPerImage, others.length); size >= smallest; size--) {
    for (const subset of subsets(others, size)) sets.push([...subset, ...everyTag]);
  }
  return sets;
}

/** The order of the kinds' own rules in one group: with `maxKindsPerImage: 1` age kinds longest first (count kinds first), else the scheme's order. */
export function ownRuleOrder(group: readonly TagKind[], maxKindsPerImage: number): TagKind[] {
  return maxKindsPerImage === 1 ? [...group].sort((a, b) => ageOf(b) - ageOf(a)) : [...group];
}

/**
 * A tag may match more kinds of one group than `maxKindsPerImage` (prefixes `a`, `ab`, `abc` all
 * select `abc-1`; `v*.*.*`, `*.*.*` and `*-rc*` all select `v1.2.3-rc1`). No combination rule then
 * covers all its kinds, and the first rule that selects the image decides ("Lifecycle policy
 * evaluation rules", Amazon ECR User Guide, LifecyclePolicies.html): the first combination of
 * `maxKindsPerImage` of them in the policy's order ({@link combinationKindSets}). That is provably
 * the image's longest retention for age kinds when that first combination holds a kind of the
 * longest age (an age rule looks at the image's own push time). For count kinds it ranks the image
 * among the images carrying its own kinds only, and the image may rank within the newest N of a
 * kind it leaves out; it is provable when the rule keeps the largest count and each kind it leaves
 * out selects every tag one of the rule's kinds selects (`abc` tags are `a` tags: every image the
 * rule counts carries that kind too, so the image ranks no better among that kind's images). Every
 * other such set of kinds is refused. Sets are found from the selectors alone
 * (their languages share a tag, `tagLanguagesOverlap`); kinds that select every tag ride on every
 * combination and are not counted. With `maxKindsPerImage: 1` {@link assertOrderedOverlaps} decides.
 *
 * @param path the scheme's path (errors name `<path>/kinds/<name>` of the kind whose retention is cut)
 * @param group retained kinds of one group (primary or secondary), in scheme order, whose count
 *   and age kinds do not overlap ({@link assertRetentionTypesApart} ran first)
 * @param maxKindsPerImage the scheme's bound
 * @throws ValidationError for the first set of kinds one tag can match, larger than the bound,
 *   whose first rule does not keep the image for its longest-lived kind
 */
export function assertKindsPerTag(path: string, group: readonly TagKind[], maxKindsPerImage: number): void {
  if (maxKindsPerImage === 1) return;
  const everyTag = group.filter(selectsEveryTag);
  const others = group.filter((k) => !selectsEveryTag(k));
  const order = [...combinationKindSets(group, maxKindsPerImage), ...ownRuleOrder(group, maxKindsPerImage).map((k) => [k])];
  const languages = others.map((k) => selectorTokens(k.selector));
  const checkSet = (set: readonly TagKind[]) => {
    const carried = [...set, ...everyTag];
    const first = order.find((rule) => rule.every((k) => carried.includes(k)))!;
    const ruleRetention = combinedRetention(first)!;
    const age = retentionType(set[0]!) === "age";
    const longest = Math.max(...carried.map(ageOf));
    if (age && "maxAgeDays" in ruleRetention && ruleRetention.maxAgeDays === longest) return;
    const largest = Math.max(...carried.map((k) => countOf(k)));
    // A count kind left out of the rule is safe when the rule keeps the largest count and one of its
    // kinds selects only tags the left-out kind selects too (abc… are a… tags): every image the rule
    // counts carries the left-out kind, so the image ranks at least as low among that kind's images.
    const within = (k: TagKind) => first.some((f) => selectorSelectsAll(selectorTokens(f.selector), k.selector));
    if (!age && "maxCount" in ruleRetention && ruleRetention.maxCount === largest && carried.every((k) => first.includes(k) || within(k))) return;
    const victim = age ? carried.find((k) => ageOf(k) === longest)! : (carried.find((k) => !first.includes(k) && !within(k)) ?? carried.find((k) => countOf(k) === largest)!);
    const names = set.map((k) => `"${k.name}" (${describeSelector(k.selector)}, ${describeRetention(k)})`).join(", ");
    throw new ValidationError({
      path: `${path}/kinds/${victim.name}`,
      subject: "selector",
      value: selectorPattern(victim.selector),
      rule:
        `one tag can match ${set.length} kinds, ${names}, more kinds than maxKindsPerImage ${maxKindsPerImage}; no combination rule covers them all, and the first rule that selects such an image is the one for ${first.map((k) => k.name).join(" + ")} ` +
        (age
          ? `(age: ${(ruleRetention as { maxAgeDays: number }).maxAgeDays} days), which would expire it before "${victim.name}"'s ${longest} days`
          : `(${describeRetention({ ...victim, retention: ruleRetention })}), which ranks the image among the images carrying ${first.length === 1 ? "that kind" : "those kinds"} only, so it can expire an image within the newest ${countOf(victim)} of "${victim.name}"`),
      fix:
        `raise maxKindsPerImage to ${set.length}, make the selectors disjoint, or mark a kind \`secondary: true\`; ` +
        `or define "${victim.name}" before the other kinds of your own (combination rules follow the kinds' order: built-in kinds, then yours in configuration order)`,
    });
  };
  const grow = (from: number, chosen: readonly number[]): void => {
    for (let i = from; i < others.length; i++) {
      const next = [...chosen, i];
      if (next.length > 1 && !tagLanguagesOverlap(...next.map((n) => languages[n]!))) continue;
      if (next.length > maxKindsPerImage) checkSet(next.map((n) => others[n]!));
      grow(i + 1, next);
    }
  };
  grow(0, []);
}
