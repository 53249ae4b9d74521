/**
 * ECR003's shortcut: a lifecycle policy whose keep rules shield every protected tag cannot expire a
 * protected image, so its simulation ({@link protectedTagExpiries} in ecr.ts, ~150 probe runs per
 * policy text) is skipped. It is the structural check `validateLifecyclePolicy` makes with
 * `protectedSelectors` (lib/registry/lifecycle/policy.ts, which `ContainerRepository` runs on every
 * policy it derives from a tag scheme), made on the synthesized policy text and the pack's own
 * protected tags and keep count, so a policy a user wrote or overrode gets the same treatment and
 * anything else is simulated as before.
 */
import { type TagSelector } from "../../registry/glob";
import { ruleSelectors, type LifecyclePolicyDocument, type LifecycleRule } from "../../registry/lifecycle/policy";

/** True when `selector` selects exactly the tags ECR pattern `pattern` matches (a prefix `p` is the pattern `p*`). */
function selectsExactly(selector: TagSelector, pattern: string): boolean {
  return "pattern" in selector ? selector.pattern === pattern : !selector.prefix.includes("*") && `${selector.prefix}*` === pattern;
}

/**
 * True when, for every pattern of `protectedTags`, the policy (rules in priority order, as the
 * simulator and ECR apply them) has a `tagged` rule whose only selector selects exactly that
 * pattern and which never expires anything, and every rule applied before it is an `untagged` rule
 * or also never expires anything. A rule "never expires anything" here when it is
 * `imageCountMoreThan` with a `countNumber` of at least `keepCount` and more than the images any
 * probe simulation holds (the probe and at most one filler per rule).
 *
 * Then no image carrying a protected tag expires in any probe simulation: such an image is tagged,
 * so no `untagged` rule selects it; the first rule that selects it is a keep rule before the
 * pattern's own keep rule, or that rule itself (its one selector matches the protected tag); a keep
 * rule claims it, and ECR never lets a later rule expire an image an earlier rule claimed
 * ("Lifecycle policy evaluation rules", Amazon ECR User Guide). So
 * `protectedTagExpiries(doc, protectedTags, keepCount)` is empty. The converse does not hold (a
 * policy can be safe without such keep rules): false means "simulate", not "unsafe".
 */
export function keepRulesShield(doc: LifecyclePolicyDocument, protectedTags: readonly string[], keepCount: number): boolean {
  // The simulator's order: by rulePriority, stable for equal priorities (validation refuses those).
  const ordered: readonly LifecycleRule[] = [...doc.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const neverExpires = Math.max(keepCount, ordered.length + 1);
  const keeps = (rule: LifecycleRule): boolean => rule.selection.countType === "imageCountMoreThan" && rule.selection.countNumber >= neverExpires;
  return protectedTags.every((pattern) => {
    for (const rule of ordered) {
      const selectors = ruleSelectors(rule);
      if (rule.selection.tagStatus === "tagged" && selectors.length === 1 && selectsExactly(selectors[0]!, pattern)) return keeps(rule);
      if (rule.selection.tagStatus !== "untagged" && !keeps(rule)) return false;
    }
    return false;
  });
}
