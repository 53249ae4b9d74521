import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { type EcrRepositoryCreationTemplateEncryptionConfiguration } from "@cdktf/provider-aws/lib/ecr-repository-creation-template";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { type Construct } from "constructs";
import { check } from "../core/errors";
import { type RepositoryEncryption, validateRepositoryName } from "./repository";

/*
 * Cache repositories of a pull-through cache rule that the account stack creates up front.
 *
 * ECR creates a cache repository on the first pull of an upstream image through a rule
 * (`<ecrRepositoryPrefix>/<upstream repository path>`), which needs `ecr:CreateRepository` as well as
 * `ecr:BatchImportUpstreamImage` ("required if the repository storing the cached images doesn't
 * already exist": Amazon ECR User Guide, "IAM permissions required to sync an upstream registry with
 * an Amazon ECR private registry"). Unprotected CI roles may not create repositories, so a merge
 * request pulling an upstream image no protected pipeline pulled before fails. A repository created
 * up front exists before any pull: every role allowed to import may fill it. A repository creation
 * template applies only to repositories ECR creates ("This doesn't have any effect on any previously
 * created repositories": Amazon ECR User Guide, "Creating a repository creation template"), so the
 * repositories created up front get the template's settings from the same model
 * ({@link CacheRepositorySettings}) the template is written from.
 */

/**
 * The settings every pull-through cache repository gets: what the repository creation template
 * gives the repositories ECR creates on a first pull, and what the account stack gives the
 * repositories it creates up front (`cachedRepositories`). One value for both, so they cannot drift.
 */
export interface CacheRepositorySettings {
  /** `image_tag_mutability`: MUTABLE, the cache updates upstream tags such as `latest` in place. */
  readonly imageTagMutability: "MUTABLE";
  /** Encryption at rest. */
  readonly encryption: RepositoryEncryption;
  /** The lifecycle policy, as the JSON text ECR stores. */
  readonly lifecyclePolicy: string;
  /**
   * The repository policy, as JSON text.
   * @default none (the registry's and the roles' policies decide)
   */
  readonly repositoryPolicy?: string;
  /**
   * Resource tags.
   * @default none
   */
  readonly resourceTags?: Readonly<Record<string, string>>;
}

/** The `encryption_configuration` block of `encryption`, for the template and the repositories alike. */
export function encryptionConfigurationOf(encryption: RepositoryEncryption): EcrRepositoryCreationTemplateEncryptionConfiguration {
  return encryption.type === "KMS"
    ? { encryptionType: "KMS", ...(encryption.kmsKeyArn ? { kmsKey: encryption.kmsKeyArn } : {}) }
    : { encryptionType: "AES256" };
}

/** The full name of the cache repository of `upstreamPath` under a rule's prefix: `<prefix>/<upstreamPath>`. */
export function cachedRepositoryName(prefix: string, upstreamPath: string): string {
  return `${prefix}/${upstreamPath}`;
}

/**
 * Checks the `cachedRepositories` of one pull-through cache rule at `path`
 * (`<registry path>/pullThroughCache[<i>]`): each upstream path is not empty (the repository would
 * be the prefix itself, which ECR never caches into), does not repeat the rule's prefix, and makes a
 * full name `<prefix>/<path>` of the ECR repository name grammar (2-256 characters,
 * `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`: Amazon ECR API Reference,
 * CreateRepository, `repositoryName`); no full name appears twice in `seen` (every rule of the
 * registry). For the `docker-hub` upstream a path has at least two segments: Docker Hub's official
 * images are pulled through the cache as `<prefix>/library/<name>` (AWS ECR User Guide, "Pulling an
 * image with a pull through cache rule in Amazon ECR": "For Docker Hub official images, the /library
 * prefix must be included"), so `alpine` would create a repository no pull uses.
 * Plain-JavaScript callers get the same checks (a path that is not a string is refused).
 * @param upstream the rule's upstream (`PULL_THROUGH_UPSTREAMS` key); when omitted, no upstream-specific rule applies
 * @throws ValidationError naming `<path>/cachedRepositories[<j>]`, the value, the rule and the fix
 */
export function validateCachedRepositories(path: string, prefix: string, upstreamPaths: readonly unknown[] | undefined, seen: Set<string>, upstream?: string): void {
  check(upstreamPaths === undefined || Array.isArray(upstreamPaths), {
    path,
    subject: "cachedRepositories",
    value: upstreamPaths,
    rule: "cachedRepositories is a list of upstream repository paths",
    fix: 'give a list, e.g. ["docker/library/alpine"]',
  });
  (upstreamPaths ?? []).forEach((upstreamPath, j) => {
    const where = `${path}/cachedRepositories[${j}]`;
    check(typeof upstreamPath === "string" && upstreamPath !== "", {
      path: where,
      subject: "upstream repository path",
      value: upstreamPath,
      rule: `a cached repository is <prefix>/<upstream repository path>; an empty path names the prefix ${prefix} itself, which is no cache repository`,
      fix: "give the image's path in the upstream registry, e.g. docker/library/alpine for public.ecr.aws/docker/library/alpine",
    });
    const value = upstreamPath as string;
    check(!value.startsWith(`${prefix}/`), {
      path: where,
      subject: "upstream repository path",
      value,
      rule: `the path is the upstream repository path without the rule's prefix (this one would create ${cachedRepositoryName(prefix, value)})`,
      fix: `remove the leading ${prefix}/`,
    });
    check(upstream !== "docker-hub" || value.includes("/"), {
      path: where,
      subject: "upstream repository path",
      value,
      rule: `Docker Hub's official images are pulled through the cache as ${prefix}/library/<name> (AWS ECR User Guide, "Pulling an image with a pull through cache rule": the /library prefix must be included), so ${cachedRepositoryName(prefix, value)} would be a repository no pull uses`,
      fix: `write the Docker Hub path with its namespace: library/${value} for the official image, or <user>/${value}`,
    });
    const name = cachedRepositoryName(prefix, value);
    validateRepositoryName(where, name);
    check(!seen.has(name), {
      path: where,
      subject: "cached repository",
      value: name,
      rule: "each cached repository is created once",
      fix: "list the upstream path once",
    });
    seen.add(name);
  });
}

/**
 * Creates the cache repository `name` in `scope` with `settings`: `aws_ecr_repository` (tag
 * mutability, encryption, tags; no `force_delete`, so destroying a repository that holds images
 * fails instead of deleting them), its `aws_ecr_lifecycle_policy` and, when the settings have one,
 * its `aws_ecr_repository_policy`. Registry scanning covers it as it covers the repositories ECR
 * creates. The AWS provider's `default_tags` apply to it (not to the repositories ECR creates).
 */
export function createCachedRepository(scope: Construct, name: string, settings: CacheRepositorySettings): EcrRepository {
  // '/' is not allowed in construct ids; '--' never occurs in a repository name, so the ids stay distinct.
  const id = `cached-${name.replaceAll("/", "--")}`;
  const repository = new EcrRepository(scope, id, {
    name,
    imageTagMutability: settings.imageTagMutability,
    encryptionConfiguration: [encryptionConfigurationOf(settings.encryption)],
    ...(settings.resourceTags && Object.keys(settings.resourceTags).length > 0 ? { tags: { ...settings.resourceTags } } : {}),
  });
  new EcrLifecyclePolicy(scope, `${id}-lifecycle`, { repository: repository.name, policy: settings.lifecyclePolicy });
  if (settings.repositoryPolicy !== undefined) new EcrRepositoryPolicy(scope, `${id}-policy`, { repository: repository.name, policy: settings.repositoryPolicy });
  return repository;
}
