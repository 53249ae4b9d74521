import { type Reference, soleReference, type StackElement, type StackModel } from "../stack-model";

/**
 * The `aws_ecr_repository` elements of a stack that are pull-through cache repositories created up
 * front: their literal name lies under the `ecr_repository_prefix` of one of the stack's
 * `aws_ecr_pull_through_cache_rule` (`<prefix>/<upstream path>`; ECR caches every image pulled
 * through the rule into such a repository, creating it on the first pull when it does not exist:
 * Amazon ECR User Guide, "Sync an upstream registry with an Amazon ECR private registry"). They get
 * the settings of the pull-through repository creation template, which ECR004 leaves unchecked:
 * the cache updates upstream tags such as `latest` in place (MUTABLE), and its lifecycle policy
 * expires cached images, which the next pull fetches again.
 */
export function pullThroughCacheRepositories(model: StackModel): readonly StackElement[] {
  const prefixes = model
    .resources("aws_ecr_pull_through_cache_rule")
    .map((rule) => rule.config.ecr_repository_prefix)
    .filter((prefix): prefix is string => typeof prefix === "string");
  if (prefixes.length === 0) return [];
  return model.resources("aws_ecr_repository").filter((repo) => {
    const name = repo.config.name;
    return typeof name === "string" && prefixes.some((prefix) => name.startsWith(`${prefix}/`));
  });
}

/** True when `element` (an `aws_ecr_lifecycle_policy`) is the policy of one of `cacheRepositories`, by reference or by literal name. */
export function isCacheRepositoryPolicy(element: StackElement, cacheRepositories: readonly StackElement[]): boolean {
  const repository = element.config.repository;
  const ref: Reference | undefined = soleReference(repository);
  return cacheRepositories.some((repo) => (ref !== undefined ? ref.address === repo.address : repository === repo.config.name));
}
