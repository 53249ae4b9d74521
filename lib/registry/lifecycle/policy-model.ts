/**
 * A typed model of an ECR lifecycle policy document, ECR's limits on it, and its renderer (the
 * validator is `policy.ts`).
 *
 * Sources (AWS, Amazon ECR User Guide): "Lifecycle policy properties in Amazon ECR"
 * (lifecycle_policy_parameters.html), "Amazon ECR service quotas" (service-quotas.html) and the
 * PutLifecyclePolicy API reference.
 */
import { type TagSelector } from "../glob";

/** Which images a rule looks at: those with at least one tag, those with none, or all. */
export type TagStatus = "tagged" | "untagged" | "any";

/** How a rule decides what to expire: beyond a count (newest first) or after an age in days. */
export type CountType = "imageCountMoreThan" | "sinceImagePushed" | "sinceImagePulled";

/** The `selection` of a lifecycle rule, field for field as in ECR's JSON. */
export interface LifecycleSelection {
  /** Images the rule looks at. */
  readonly tagStatus: TagStatus;
  /**
   * Literal tag prefixes; an image is selected when, for every entry, one of its tags starts with it.
   * Only with `tagStatus: "tagged"`, and not together with `tagPatternList`.
   * @default none
   */
  readonly tagPrefixList?: readonly string[];
  /**
   * Wildcard tag patterns (`*`, at most 4 per pattern); an image is selected when, for every entry,
   * one of its tags matches it. Only with `tagStatus: "tagged"`, and not together with `tagPrefixList`.
   * @default none
   */
  readonly tagPatternList?: readonly string[];
  /** Count by number of images (newest kept) or by age. */
  readonly countType: CountType;
  /**
   * Unit of `countNumber` for the `since*` count types; required with them and forbidden otherwise.
   * @default none (imageCountMoreThan)
   */
  readonly countUnit?: "days";
  /** Images to keep (imageCountMoreThan) or days (since*); a whole number greater than 0. */
  readonly countNumber: number;
}

/** The `action` of a lifecycle rule. Only `expire` is modelled (archive transitions are out of scope). */
export interface LifecycleAction {
  /** Delete the images the rule marks. */
  readonly type: "expire";
}

/** One rule of an ECR lifecycle policy. */
export interface LifecycleRule {
  /** Unique positive integer; lower numbers are applied first and claim images first. */
  readonly rulePriority: number;
  /**
   * What the rule does, for people.
   * @default none
   */
  readonly description?: string;
  /** Which images the rule looks at and when it expires them. */
  readonly selection: LifecycleSelection;
  /** What happens to the images the rule marks. */
  readonly action: LifecycleAction;
}

/** An ECR lifecycle policy document (`lifecyclePolicyText` once rendered). */
export interface LifecyclePolicyDocument {
  /** The rules, in any order; ECR applies them by `rulePriority`. */
  readonly rules: readonly LifecycleRule[];
}

/** ECR service quota "Rules per lifecycle policy" (not adjustable). */
export const MAX_LIFECYCLE_RULES = 50;

/** ECR service quota "Lifecycle policy length" in characters (not adjustable; PutLifecyclePolicy also says so). */
export const MAX_LIFECYCLE_POLICY_LENGTH = 30_720;

/**
 * `countNumber` of the keep rule of a protected tag: at least the ECR service quota "Images per
 * repository" (adjustable). The "Amazon ECR service quotas" page (service-quotas.html) has given
 * its default as 10,000 for years and as 100,000 in later versions; this takes the larger. A
 * repository never holds more images than its quota, so an `imageCountMoreThan` rule with a count
 * at or above it never expires anything, while a count below it could expire protected images.
 * Raise it (option `protectedKeepCount`) if the account's quota has been raised beyond 100,000.
 */
export const DEFAULT_PROTECTED_KEEP_COUNT = 100_000;

/** The selectors of a tagged rule (its prefix or pattern list), empty for untagged/any rules. */
export function ruleSelectors(rule: LifecycleRule): readonly TagSelector[] {
  const { tagPrefixList, tagPatternList } = rule.selection;
  return tagPrefixList?.map((prefix) => ({ prefix })) ?? tagPatternList?.map((pattern) => ({ pattern })) ?? [];
}

/** The rule's selection in ECR's words, e.g. `tagPrefixList ["MR-"]` or `tagStatus "untagged"`. */
export function describeRuleSelection(rule: LifecycleRule): string {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
  if (tagPrefixList) return `tagPrefixList ${JSON.stringify(tagPrefixList)}`;
  if (tagPatternList) return `tagPatternList ${JSON.stringify(tagPatternList)}`;
  return `tagStatus ${JSON.stringify(tagStatus)}`;
}

/**
 * The policy as ECR JSON text: rules sorted by `rulePriority`, keys in ECR's documented order,
 * no undefined fields, no whitespace.
 */
export function renderLifecyclePolicy(doc: LifecyclePolicyDocument): string {
  const rules = [...doc.rules]
    .sort((a, b) => a.rulePriority - b.rulePriority)
    .map(({ rulePriority, description, selection: s, action }) => ({
      rulePriority,
      description,
      selection: {
        tagStatus: s.tagStatus,
        tagPrefixList: s.tagPrefixList && [...s.tagPrefixList],
        tagPatternList: s.tagPatternList && [...s.tagPatternList],
        countType: s.countType,
        countUnit: s.countUnit,
        countNumber: s.countNumber,
      },
      action: { type: action.type },
    }));
  return JSON.stringify({ rules });
}

