/**
 * Overlap analysis of a tag scheme's kinds: which kinds' selectors reach the same tags, and which
 * overlaps a lifecycle policy cannot honour. ECR applies the first rule that selects an image
 * ("Lifecycle policy evaluation rules", Amazon ECR User Guide, LifecyclePolicies.html), so where
 * selectors overlap the rule order or a combination rule decides whose retention an image gets.
 */
import { ValidationError } from "../core/errors";
import { describeSelector, selectorPattern, selectorsOverlap } from "./glob";
import { type TagKind } from "./tag-kinds";
import { ciTagTokens, selectorTokens, tagLanguagesOverlap } from "./tag-rules";

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
 */
export function kindsSelectingTagsOf(kinds: readonly TagKind[], pushed: TagKind): TagKind[] {
  if (pushed.ciTag === undefined) return [];
  const tags = [ciTagTokens(pushed.ciTag), selectorTokens(pushed.selector)];
  return kinds.filter((k) => k.name === pushed.name || tagLanguagesOverlap(...tags, selectorTokens(k.selector)));
}
