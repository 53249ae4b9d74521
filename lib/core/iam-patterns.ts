/**
 * IAM resource patterns as sets of ARNs: `*` matches any run of characters (also none, also `/`
 * and `:`), `?` any one character, everything else itself, case-sensitively (IAM User Guide, "IAM
 * JSON policy elements: Resource": "You can use wildcard characters (* and ?) within any ARN
 * segment"). The IAM dialect of the wildcard patterns in `wildcard.ts`.
 */
import { IAM_RESOURCE_WILDCARDS, wildcardMatches, wildcardsIntersect } from "./wildcard";

/** Whether IAM resource pattern `pattern` matches the ARN `arn`. */
export function iamPatternMatches(pattern: string, arn: string): boolean {
  return wildcardMatches(pattern, arn, IAM_RESOURCE_WILDCARDS);
}

/**
 * Whether some ARN matches both IAM resource patterns `a` and `b` (the two sets intersect); see
 * {@link wildcardsIntersect}. At most (|a| + 1) × (|b| + 1) states.
 */
export function iamPatternsIntersect(a: string, b: string): boolean {
  return wildcardsIntersect(a, b, IAM_RESOURCE_WILDCARDS);
}
