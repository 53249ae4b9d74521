import { checkOneOf } from "../core/errors";
import { validateCacheExpirationDays } from "../cache/cache-bucket";
import { validateNetworkAddressing } from "../network/network";
import { validateRunnerLimit } from "../runner/config-toml-validation";
import { validateImageStorage, validateMaxJobTimeout } from "../runner/fleet-validation";
import { DOCKER_ACCESS_MODES } from "../runner/runner-config-model";
import { type EnvironmentConfig } from "./environment-config";

/*
 * Rules the constructs enforce at construction, applied to the configuration fields the platform
 * passes them, with config paths: the same functions the constructs call (no copied rule), so a
 * configuration with several such mistakes is reported in one pass, each at the field the user
 * wrote, instead of one per synth under a construct path. The constructs keep their own checks for
 * direct use.
 */

/**
 * The construct rules reachable from one environment's configuration:
 * - `runners.network.cidr` / `natGateways` (Network: an IPv4 /16-/24, `single` or `per-az`),
 * - `cache.expirationDays` (RunnerCacheBucket: a whole number ≥ 1),
 * - each runner's `limit` (config.toml: a whole number ≥ 1) and `dockerAccess` (one of the modes),
 *   in the protected and unprotected pools, and the deploy pool's `limit`,
 * - `runners.maxJobTimeoutSeconds` (RunnerFleet: ≥ 60 s, within the lifecycle hook's 48 h),
 * - `runners.imageStorageGiB` and `runners.unprotected.imageStorageGiB` (RunnerFleet: a whole number ≥ 1).
 *
 * @param path the environment's config path, e.g. `config/environments[0]`
 * @throws ValidationError (recorded inside `collectViolations`) naming the config path, value, rule and fix
 */
export function validateConstructRules(env: EnvironmentConfig, path: string): void {
  if (env.cache?.expirationDays !== undefined) validateCacheExpirationDays(`${path}/cache`, env.cache.expirationDays);
  const runners = env.runners;
  if (!runners) return;
  const at = `${path}/runners`;
  const network = runners.network;
  if (network !== undefined && !("existing" in network)) validateNetworkAddressing(`${at}/network`, network);
  if (runners.maxJobTimeoutSeconds !== undefined) validateMaxJobTimeout(at, runners.maxJobTimeoutSeconds);
  if (runners.imageStorageGiB !== undefined) validateImageStorage(at, runners.imageStorageGiB);
  if (runners.unprotected?.imageStorageGiB !== undefined) validateImageStorage(`${at}/unprotected`, runners.unprotected.imageStorageGiB);
  const entries = [
    ...runners.runners.map((runner, i) => ({ runner, where: `${at}/runners[${i}]` })),
    ...(runners.unprotected?.runners ?? []).map((runner, i) => ({ runner, where: `${at}/unprotected/runners[${i}]` })),
  ];
  for (const { runner, where } of entries) {
    validateRunnerLimit(where, runner.limit);
    checkOneOf(where, "dockerAccess", runner.dockerAccess, DOCKER_ACCESS_MODES);
  }
  if (runners.deploy?.limit !== undefined) validateRunnerLimit(`${at}/deploy`, runners.deploy.limit);
}
