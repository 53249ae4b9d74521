import { validateLifecyclePolicy, type LifecyclePolicyDocument, type LifecycleRule } from "../../lib/registry/lifecycle";

/*
 * Lifecycle rules from fast-check's random selections and counts, shared by the ECR003 property
 * tests (the probe simulation and the keep-rule shortcut), which generate their selections and
 * counts each in their own way but turn them into rules and keep the valid policies alike.
 */

/** One generated selector entry: a literal prefix or a wildcard pattern. */
export type GeneratedSelectorEntry = { readonly prefix: string } | { readonly pattern: string };

/** A generated selection: every image, untagged images, or tagged images by one to a few entries. */
export type GeneratedSelection = { readonly tagStatus: "any" } | { readonly tagStatus: "untagged" } | readonly GeneratedSelectorEntry[];

/** A generated count: by number of images, or by age in days. */
export type GeneratedCount =
  | { readonly countType: "imageCountMoreThan"; readonly countNumber: number }
  | { readonly countType: "sinceImagePushed"; readonly countUnit: "days"; readonly countNumber: number };

/**
 * The expire rule of priority `index + 1` for a generated selection and count: entries that are all
 * prefixes become `tagPrefixList`, a mix becomes `tagPatternList` (a prefix `p` as the pattern `p*`).
 */
export function ruleOfGenerated({ selection, count }: { readonly selection: GeneratedSelection; readonly count: GeneratedCount }, index: number): LifecycleRule {
  const sel = isEntryList(selection)
    ? selection.every((s) => "prefix" in s)
      ? { tagStatus: "tagged" as const, tagPrefixList: selection.map((s) => ("prefix" in s ? s.prefix : "")) }
      : { tagStatus: "tagged" as const, tagPatternList: selection.map((s) => ("prefix" in s ? `${s.prefix}*` : s.pattern)) }
    : selection;
  return { rulePriority: index + 1, selection: { ...sel, ...count }, action: { type: "expire" } };
}

/** `Array.isArray` for the readonly list of a selection (its own signature does not narrow a readonly array). */
function isEntryList(selection: GeneratedSelection): selection is readonly GeneratedSelectorEntry[] {
  return Array.isArray(selection);
}

/** Whether ECR would accept the policy (ECR003 reports invalid ones as such before simulating). */
export function isValidLifecyclePolicy(doc: LifecyclePolicyDocument): boolean {
  try {
    validateLifecyclePolicy("prop", doc);
    return true;
  } catch {
    return false;
  }
}
