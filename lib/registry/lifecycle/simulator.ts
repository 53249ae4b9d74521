/**
 * An offline ECR lifecycle policy evaluator, following "Lifecycle policy evaluation rules"
 * (Amazon ECR User Guide, LifecyclePolicies.html) and the worked examples of
 * "Examples of lifecycle policies in Amazon ECR":
 * - all rules are evaluated together, then applied by priority (lowest number first);
 * - an image is expired by exactly one or zero rules;
 * - an image that matches the tag selection of a rule is never expired by a later rule,
 *   but later rules still count it (imageCountMoreThan);
 * - a tagged rule selects an image when every list entry matches one of its tags;
 * - imageCountMoreThan sorts by push time, newest first, and marks the images beyond the count;
 * - sinceImagePushed marks images pushed more than N days before `now`; sinceImagePulled uses the
 *   last recorded pull time, or the push time for an image that was never pulled;
 * - expiring an image deletes it with all its tags.
 */
import { matchesSelector } from "../glob";
import { ruleSelectors, type LifecyclePolicyDocument, type LifecycleRule } from "./policy";

/** An image in a repository, as the simulator sees it. */
export interface LifecycleImage {
  /** Image digest, e.g. `sha256:…`; identifies the image in the result. */
  readonly digest: string;
  /** The image's tags; empty for an untagged image. */
  readonly tags: readonly string[];
  /** When the image was pushed. */
  readonly pushedAt: Date;
  /**
   * When the image was last pulled (ECR `lastRecordedPullTime`).
   * @default never pulled: sinceImagePulled falls back to `pushedAt`
   */
  readonly lastPulledAt?: Date;
}

/** The rule a decision refers to. */
export interface RuleReference {
  /** The rule's priority. */
  readonly rulePriority: number;
  /**
   * The rule's description.
   * @default none, when the rule has no description
   */
  readonly description?: string;
}

/** What the policy does to one image. */
export interface ImageDecision {
  /** The image's digest. */
  readonly digest: string;
  /** The image's tags (all deleted with it when it expires). */
  readonly tags: readonly string[];
  /** Whether the policy deletes the image. */
  readonly expired: boolean;
  /**
   * The rule that expires the image, or for a kept image the first rule that selects it
   * (which shields it from every later rule).
   * @default none, when no rule selects the image
   */
  readonly rule?: RuleReference;
  /** Why, in words. */
  readonly reason: string;
}

/** The outcome of {@link simulateLifecycle}. */
export interface SimulationResult {
  /** One decision per image, in input order. */
  readonly decisions: readonly ImageDecision[];
  /** The decisions of expired images, in input order. */
  readonly expired: readonly ImageDecision[];
  /** The decisions of kept images, in input order. */
  readonly kept: readonly ImageDecision[];
}

const DAY_MS = 86_400_000;

/**
 * Whether `rule` selects image `i`. Each list entry is matched against every image once
 * (`memo`, shared by the rules), since combination rules repeat the kinds' selectors.
 */
function selector(rule: LifecycleRule, images: readonly LifecycleImage[], memo: Map<string, Uint8Array>): (i: number) => boolean {
  if (rule.selection.tagStatus === "any") return () => true;
  if (rule.selection.tagStatus === "untagged") return (i) => images[i]!.tags.length === 0;
  const entries = ruleSelectors(rule).map((entry) => {
    // One key per selector: a prefix and a pattern of the same text are different selectors.
    const key = "prefix" in entry ? `p${entry.prefix}` : `t${entry.pattern}`;
    let matches = memo.get(key);
    if (!matches) {
      matches = new Uint8Array(images.length);
      images.forEach((image, i) => (matches![i] = image.tags.some((tag) => matchesSelector(tag, entry)) ? 1 : 0));
      memo.set(key, matches);
    }
    return matches;
  });
  return (i) => entries.every((matches) => matches[i] === 1);
}

function days(ms: number): string {
  return `${(ms / DAY_MS).toFixed(1)} days`;
}

/**
 * Evaluates `policy` against `images` at time `now`, as ECR would. Expects a policy that passed
 * `validateLifecyclePolicy` (it is not re-validated, so sinceImagePulled rules can be previewed too).
 *
 * Images pushed at the same instant are ranked in input order (earlier = newer); ECR does not
 * document its order for ties. An age rule marks images strictly more than N × 24 hours old.
 *
 * Runs in O(images log images + rules × images) time.
 */
export function simulateLifecycle(policy: LifecyclePolicyDocument, images: readonly LifecycleImage[], now: Date): SimulationResult {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const pushed = images.map((image) => image.pushedAt.getTime());
  const newestFirst = images.map((_, i) => i).sort((a, b) => pushed[b]! - pushed[a]! || a - b);
  const claimedBy = new Int32Array(images.length).fill(-1);
  const shieldedFrom = new Int32Array(images.length).fill(-1);
  const marked = new Uint8Array(images.length);
  const rank = new Int32Array(images.length);
  const memo = new Map<string, Uint8Array>();
  const selectedCount = rules.map((rule, r) => {
    const selects = selector(rule, images, memo);
    const { countType, countNumber } = rule.selection;
    let count = 0;
    for (const i of newestFirst) {
      const image = images[i]!;
      if (!selects(i)) continue;
      count++;
      const since = countType === "sinceImagePulled" ? (image.lastPulledAt?.getTime() ?? pushed[i]!) : pushed[i]!;
      const marks = countType === "imageCountMoreThan" ? count > countNumber : now.getTime() - since > countNumber * DAY_MS;
      if (claimedBy[i] === -1) {
        claimedBy[i] = r;
        rank[i] = count;
        marked[i] = marks ? 1 : 0;
      } else if (marks && shieldedFrom[i] === -1) {
        shieldedFrom[i] = r;
      }
    }
    return count;
  });

  const decisions = images.map((image, i): ImageDecision => {
    const base = { digest: image.digest, tags: image.tags };
    const r = claimedBy[i]!;
    if (r === -1) return { ...base, expired: false, reason: "no rule selects it" };
    const rule = rules[r]!;
    const { countType, countNumber } = rule.selection;
    const expired = marked[i] === 1;
    const name = `rule ${rule.rulePriority}`;
    let why: string;
    if (countType === "imageCountMoreThan") {
      why = `it is #${rank[i]} newest of the ${selectedCount[r]} images ${name} selects, which keeps the newest ${countNumber}`;
    } else {
      const pulled = countType === "sinceImagePulled";
      const at = pulled ? image.lastPulledAt : image.pushedAt;
      const clock = at ? `${pulled ? "last pulled" : "pushed"} ${days(now.getTime() - at.getTime())} ago` : `never pulled, pushed ${days(now.getTime() - pushed[i]!)} ago`;
      why = `${clock}, ${expired ? "more than" : "within"} the ${countNumber} day${countNumber === 1 ? "" : "s"} of ${name}`;
    }
    const shield = shieldedFrom[i]!;
    const reason = expired
      ? `expired by ${name}: ${why}`
      : `kept: selected first by ${name} (${why})` + (shield === -1 ? "" : `; rule ${rules[shield]!.rulePriority} would expire it but cannot, as ${name} claimed it first`);
    return { ...base, expired, rule: { rulePriority: rule.rulePriority, ...(rule.description === undefined ? {} : { description: rule.description }) }, reason };
  });
  return { decisions, expired: decisions.filter((d) => d.expired), kept: decisions.filter((d) => !d.expired) };
}
