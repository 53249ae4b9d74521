/*
 * The platform's trust levels: the one distinction every layer draws (repositories, cache
 * prefixes, CI roles, runner fleets and registrations). Defined here, at the bottom, so that the
 * runner, cache and GitLab constructs need not import the platform layer above them;
 * `lib/platform/tenancy.ts` re-exports both names.
 */

/** The platform's two trust levels, strongest first. */
export const TRUST_LEVELS = ["protected", "unprotected"] as const;

/**
 * Who a pipeline runs for: `protected` = a ref GitLab protects (the default
 * branch, release tags, environment branches); `unprotected` = anything else
 * (merge requests, forks, other branches and tags).
 */
export type TrustLevel = (typeof TRUST_LEVELS)[number];
