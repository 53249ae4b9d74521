/*
 * The platform's trust levels: the one distinction every layer draws (repositories, cache
 * prefixes, CI roles, runner fleets and registrations). Defined here, at the bottom, so that the
 * runner, cache, mirror, registry and GitLab modules need not import the platform layer above them;
 * `lib/platform/tenancy.ts` re-exports every name.
 */

/** The platform's two trust levels, strongest first. */
export const TRUST_LEVELS = ["protected", "unprotected"] as const;

/**
 * Who a pipeline runs for: `protected` = a ref GitLab protects (the default
 * branch, release tags, environment branches); `unprotected` = anything else
 * (merge requests, forks, other branches and tags).
 */
export type TrustLevel = (typeof TRUST_LEVELS)[number];

/**
 * Default release tag pattern: what the CI templates release (`v1.2.3`), as a GitLab/IAM wildcard.
 * Release tags are the Git tags the protected CI roles trust and GitLab protects.
 */
export const DEFAULT_RELEASE_TAG_PATTERN = "v*.*.*";
