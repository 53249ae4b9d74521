/**
 * The lifecycle policy derived from a {@link TagScheme}, built so that an image carrying
 * tags of several kinds keeps the retention of its longest-lived kind.
 *
 * ECR applies rules by priority and the first rule whose selection matches an image decides
 * its fate; an image claimed by a rule is never expired by a later one, though later rules
 * still count it ("Lifecycle policy evaluation rules", Amazon ECR User Guide,
 * LifecyclePolicies.html). Several entries in one `tagPatternList` are ANDed: the image
 * must carry a tag matching each (same page, and "Examples of lifecycle policies",
 * "Filtering on multiple tags"). So the generator puts, before each kind's own rule, one
 * rule per combination of kinds that an image may carry together, largest combinations
 * first, with a retention no shorter than any member's:
 * - all members age-based: `sinceImagePushed` with the longest age. Expired means older than
 *   every member's age, so every member would expire it; and as soon as every member would,
 *   it is expired;
 * - all members count-based: `imageCountMoreThan` with the largest count. The image's rank
 *   among images carrying every member is at most its rank among the images of each member,
 *   so beyond the largest count it is beyond every member's count; and it is expired at the
 *   latest once that many newer images carry every member (for one kind: exactly at its count);
 * - count and age mixed: no single ECR rule can require both (a rule counts images or days),
 *   so the combination is kept (`imageCountMoreThan` at the images-per-repository quota). Through
 *   one tag it cannot arise: the scheme refuses a count kind and an age kind whose selectors
 *   overlap. Through two tags pushed together it is kept until one tag moves; the templates
 *   never push such a pair with immutable tags.
 * Protected kinds get their keep rules first, so nothing later can expire their images.
 * Secondary kinds get their rules after every primary kind's, so an image carrying a primary
 * kind is decided by its primary kinds alone. With `maxKindsPerImage: 1` the kinds' own rules
 * come in order of age, longest first (count kinds, which then overlap nothing, first). A tag
 * matching more kinds than `maxKindsPerImage` is decided by the first combination of them; the
 * scheme accepts that only where it is provably the longest retention (`assertKindsPerTag`).
 */
import { ValidationError } from "../../core/errors";
import { selectorPattern } from "../glob";
import { combinationKindSets, combinedRetention, ownRuleOrder, selectsEveryTag } from "../kind-overlaps";
import { type Retention, type TagKind, type TagScheme, validateRetention } from "../tag-scheme";
import { assertPositiveInteger } from "../tag-rules";
import { checkedKeepCount, type LifecyclePolicyDocument, type LifecycleRule, type LifecycleSelection, MAX_LIFECYCLE_RULES, validateLifecyclePolicy } from "./policy";

/** Options of {@link lifecyclePolicyFromTagScheme}. */
export interface TagSchemePolicyOptions {
  /**
   * Retention of images that no other rule selects (tags of no kind), as a last `tagStatus: "any"` rule.
   * With `maxCount`, every image in the repository counts towards it (ECR counts images claimed by
   * earlier rules but never expires them here).
   * @default none: images whose tags belong to no kind are kept
   */
  readonly catchAll?: Retention;
  /**
   * `countNumber` of the keep rules of protected kinds; at least the repository's "Images per
   * repository" quota, so that a keep rule can never expire anything.
   * @default DEFAULT_PROTECTED_KEEP_COUNT (100,000: at least the default ECR quota, see there)
   */
  readonly protectedKeepCount?: number;
  /**
   * The policy of a repository that takes unprotected pushes (merge-request pipelines, which any
   * developer can change): nothing there is released or deployed, so protected kinds get no keep
   * rule there and their tags (`latest`, `v*.*.*`, `deployed-*`, `buildcache`) are other tags; a
   * combination of a count kind and an age kind, which no single rule can keep exactly, is expired
   * after the longest of its ages and `maxAgeDays` instead of kept; and a last `tagStatus: "any"`
   * rule expires every image no kind selects `maxAgeDays` after push (or by `catchAll` when given).
   * So no image a merge-request job pushes is kept longer than the retention of the kinds it
   * carries, and the repository cannot fill ECR's images-per-repository quota with images nothing expires.
   * @default undefined: a protected repository's policy
   */
  readonly unprotected?: { readonly maxAgeDays: number };
}

/**
 * Days after push at which an unprotected repository expires images no retained kind selects
 * (other tags, the protected kinds' tags, combinations of count and age kinds): two weeks, long
 * enough for a merge request's review and re-runs, short enough that untyped pushes cannot pile up.
 */
export const DEFAULT_UNPROTECTED_MAX_AGE_DAYS = 14;

type Rule = Omit<LifecycleRule, "rulePriority">;

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

function retentionSelection(retention: Retention): Pick<LifecycleSelection, "countType" | "countUnit" | "countNumber"> {
  return "maxCount" in retention
    ? { countType: "imageCountMoreThan", countNumber: retention.maxCount }
    : { countType: "sinceImagePushed", countUnit: "days", countNumber: retention.maxAgeDays };
}

function retentionText(retention: Retention): string {
  return "maxCount" in retention ? `beyond the newest ${retention.maxCount}` : `${plural(retention.maxAgeDays, "day")} after push`;
}

function kindList(kind: TagKind): Pick<LifecycleSelection, "tagPrefixList" | "tagPatternList"> {
  return "prefix" in kind.selector ? { tagPrefixList: [kind.selector.prefix] } : { tagPatternList: [kind.selector.pattern] };
}

/** Re-exported from the overlap analysis, where the scheme's checks use them too. */
export { combinedRetention, selectsEveryTag };

/**
 * One rule per combination of kinds of `group` an image may carry, largest combinations first:
 * every set of 2..maxKindsPerImage kinds; with kinds that select every tag ({@link selectsEveryTag}),
 * which every image carries on top, every set of 1..maxKindsPerImage other kinds plus all of them.
 * With `maxKindsPerImage: 1` there are none: overlapping kinds are then age kinds whose own rules
 * come longest first, so the first rule that selects an image is its longest-lived kind's, however
 * many kinds (a `*` kind too) it carries.
 */
function combinationRules(group: readonly TagKind[], maxKindsPerImage: number, keepCount: number, unprotectedAge?: number): Rule[] {
  return combinationKindSets(group, maxKindsPerImage).map((combo): Rule => {
    const names = combo.map((k) => k.name).join(" + ");
    const combined = combinedRetention(combo);
    // In an unprotected repository a count-and-age combination expires by age: the longest age of its members, at least the repository's bound.
    const ages = combo.flatMap((k) => (k.retention && "maxAgeDays" in k.retention ? [k.retention.maxAgeDays] : []));
    const retention = combined ?? (unprotectedAge !== undefined ? { maxAgeDays: Math.max(unprotectedAge, ...ages) } : undefined);
    return {
      description: combined
        ? `Images carrying ${names}: expire ${retentionText(combined)} (the longest of the kinds)`
        : retention
          ? `Images carrying ${names}: expire ${retentionText(retention)} (count and age kinds in an unprotected repository: the longest age, at least the repository's bound)`
          : `Keep images carrying ${names} (count and age kinds: no single rule expires only when both would)`,
      selection: {
        tagStatus: "tagged",
        tagPatternList: combo.map((k) => selectorPattern(k.selector)),
        ...(retention ? retentionSelection(retention) : { countType: "imageCountMoreThan" as const, countNumber: keepCount }),
      },
      action: { type: "expire" },
    };
  });
}

/** Each kind's own rule; with one kind per image, age kinds longest first (stable otherwise). */
function kindRules(group: readonly TagKind[], maxKindsPerImage: number): Rule[] {
  return ownRuleOrder(group, maxKindsPerImage).map((kind) => ({
    description: `Expire images tagged ${selectorPattern(kind.selector)} (${kind.secondary ? "secondary " : ""}tag kind ${kind.name}) ${retentionText(kind.retention!)}`,
    selection: { tagStatus: "tagged", ...kindList(kind), ...retentionSelection(kind.retention!) } as const,
    action: { type: "expire" } as const,
  }));
}

/**
 * The lifecycle policy of a tag scheme:
 * 1. one keep rule per protected kind (priorities 1..k): `tagged`, the kind's selector,
 *    `imageCountMoreThan` `protectedKeepCount`; images carrying a protected tag are claimed
 *    here and can never be expired by a later rule;
 * 2. one rule per combination of up to `scheme.maxKindsPerImage` primary kinds (see the
 *    module comment): an image carrying several kinds keeps its longest-lived kind's retention;
 * 3. one rule per primary kind (`maxCount` → imageCountMoreThan, `maxAgeDays` → sinceImagePushed);
 * 4. the same two steps for the secondary kinds (decisive only for images without a primary kind);
 * 5. untagged images expire `scheme.untaggedExpiryDays` days after push;
 * 6. optionally a `tagStatus: "any"` catch-all.
 * With `unprotected` (a repository of merge-request pushes): no step 1, count-and-age combinations
 * expire by age, and the catch-all defaults to `unprotected.maxAgeDays` days after push.
 *
 * The result passes `validateLifecyclePolicy` with the scheme's protected selectors.
 *
 * @throws ValidationError naming the scheme's path when the combinations exceed ECR's 50 rules
 *   (lower `maxKindsPerImage` or use fewer retained kinds), or two kinds select the same tags
 */
export function lifecyclePolicyFromTagScheme(scheme: TagScheme, options: TagSchemePolicyOptions = {}): LifecyclePolicyDocument {
  const keepCount = checkedKeepCount(scheme.path, options.protectedKeepCount);
  if (options.catchAll) validateRetention(`${scheme.path}/catchAll`, options.catchAll);
  const unprotectedAge = options.unprotected?.maxAgeDays;
  if (unprotectedAge !== undefined) assertPositiveInteger(`${scheme.path}/unprotected`, "maxAgeDays", unprotectedAge, "expire other images of an unprotected repository after at least 1 day");
  const catchAll = options.catchAll ?? (unprotectedAge !== undefined ? { maxAgeDays: unprotectedAge } : undefined);
  const protectedKinds = unprotectedAge === undefined ? scheme.protectedKinds : [];
  const rules: Rule[] = [
    ...protectedKinds.map((kind) => ({
      description: `Keep every image tagged ${selectorPattern(kind.selector)} (protected tag kind ${kind.name})`,
      selection: { tagStatus: "tagged", ...kindList(kind), countType: "imageCountMoreThan", countNumber: keepCount } as const,
      action: { type: "expire" } as const,
    })),
    ...[scheme.primaryKinds, scheme.secondaryKinds].flatMap((group) => [
      ...combinationRules(group, scheme.maxKindsPerImage, keepCount, unprotectedAge),
      ...kindRules(group, scheme.maxKindsPerImage),
    ]),
    {
      description: `Expire untagged images ${plural(scheme.untaggedExpiryDays, "day")} after push`,
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: scheme.untaggedExpiryDays },
      action: { type: "expire" },
    },
    ...(catchAll
      ? [
          {
            description: `Expire images no earlier rule selects ${"maxCount" in catchAll ? `beyond the newest ${catchAll.maxCount} in the repository` : retentionText(catchAll)}`,
            selection: { tagStatus: "any", ...retentionSelection(catchAll) } as const,
            action: { type: "expire" } as const,
          },
        ]
      : []),
  ];
  if (rules.length > MAX_LIFECYCLE_RULES) {
    throw new ValidationError({
      path: scheme.path,
      subject: "number of lifecycle rules",
      value: rules.length,
      rule: `${scheme.retainedKinds.length} retained kinds combined up to ${scheme.maxKindsPerImage} per image need ${rules.length} rules, but an ECR lifecycle policy has at most ${MAX_LIFECYCLE_RULES}`,
      fix: "lower maxKindsPerImage to the most retained kinds one image really carries, or use fewer retained kinds",
    });
  }
  const doc: LifecyclePolicyDocument = { rules: rules.map((rule, i) => ({ rulePriority: i + 1, ...rule })) };
  validateLifecyclePolicy(scheme.path, doc, { protectedSelectors: protectedKinds.map((k) => k.selector), protectedKeepCount: keepCount });
  return doc;
}
