import { check, checkOneOf } from "../core/errors";
import { type RunnerTokenSource } from "../gitlab/runner-token-source";
import { TRUST_LEVELS, type TrustLevel } from "../core/trust";
import { type RunnerCacheAccess } from "../cache/runner-cache-settings";

/**
 * A fleet's trust level: the one it states, else the one its runners' token
 * sources state (`protected` when all are `ref_protected`, `unprotected` when
 * any takes unprotected jobs), else unknown.
 * @throws ValidationError for a trust level that is not `protected`/`unprotected`, or `protected` with a runner registered for unprotected jobs
 */
export function fleetTrustLevel(path: string, stated: TrustLevel | undefined, runners: readonly { readonly name: string; readonly tokenSource: RunnerTokenSource }[]): TrustLevel | undefined {
  if (stated !== undefined) checkOneOf(path, "trustLevel", stated, TRUST_LEVELS);
  const open = runners.find((r) => r.tokenSource.trustLevel === "unprotected");
  check(stated !== "protected" || open === undefined, {
    path,
    subject: "trustLevel",
    value: stated,
    rule: `runner ${open?.name} is registered for unprotected jobs (access level not_protected), so the fleet's hosts run unprotected jobs and cannot hold the protected part of a cache`,
    fix: `register runner ${open?.name} with protectedRefsOnly: true, or set trustLevel: "unprotected"`,
  });
  if (stated !== undefined) return stated;
  if (open !== undefined) return "unprotected";
  return runners.length > 0 && runners.every((r) => r.tokenSource.trustLevel === "protected") ? "protected" : undefined;
}

/**
 * The cache a fleet of `trustLevel` uses: the part of its trust level when the
 * cache offers parts (a cache bucket), else the cache as given; recorded with
 * the cache (`claim`) when the trust level is known, so one prefix never serves
 * both trust levels.
 * @throws ValidationError when the cache offers parts and the trust level is unknown, or the prefix already serves the other trust level
 */
export function fleetCache(path: string, cache: RunnerCacheAccess | undefined, trustLevel: TrustLevel | undefined): RunnerCacheAccess | undefined {
  if (cache === undefined) return undefined;
  check(trustLevel !== undefined || cache.forTrustLevel === undefined, {
    path,
    subject: "trustLevel",
    value: trustLevel,
    rule: "a fleet given the cache bucket itself uses the part of its trust level (protected or unprotected jobs), and a runner token source that does not say which jobs it takes leaves the fleet's trust level unknown",
    fix: 'set the fleet\'s trustLevel ("protected" when every runner is ref_protected, otherwise "unprotected"), or pass one part of the cache: bucket.cacheAccessFor("protected")',
  });
  const used = trustLevel !== undefined && cache.forTrustLevel ? cache.forTrustLevel(trustLevel) : cache;
  if (trustLevel !== undefined) used.claim?.(trustLevel, path);
  return used;
}
