import { checkOneOf, collectViolations, type ValidationSection } from "../core/errors";
import { accessLogBucketNameOf, validateAccessLogBucketName } from "../cache/access-log-bucket";
import { validateCacheExpirationDays } from "../cache/cache-validation";
import { validateDeploymentPermissions } from "../identity/deployment-role";
import { validateManagedPolicyArns, validateMaxSessionDuration } from "../identity/role-policy";
import { validateNetworkAddressing } from "../network/network";
import { resolveTagScheme, validateRetention } from "../registry/tag-scheme";
import { assertPositiveInteger } from "../registry/tag-rules";
import { validateRunnerLimit } from "../runner/config-toml-validation";
import { type RunnerFleetCapacity, type RunnerFleetPurchaseOptions } from "../runner/fleet-group-options";
import { validateFleetCapacity, validateImageStorage, validateMaxJobTimeout, validatePurchaseOptions } from "../runner/fleet-validation";
import { DOCKER_ACCESS_MODES } from "../runner/runner-config-model";
import { officeHours, type RunnerSchedule } from "../runner/schedule";
import { type EnvironmentConfig } from "./environment-config";
import { type RunnersConfig } from "./runners-config";

/*
 * Rules the constructs enforce at construction, applied to the configuration fields the platform
 * passes them, with config paths: the same functions the constructs call (no copied rule), so a
 * configuration with several such mistakes is reported in one pass, each at the field the user
 * wrote, instead of one per synth under a construct path. The constructs keep their own checks for
 * direct use; a configuration that fails here never reaches them, so no mistake is reported twice.
 */

/**
 * The construct rules reachable from one environment's configuration:
 * - `runners.network.cidr` / `natGateways` (Network: an IPv4 /16-/24, `single` or `per-az`),
 * - `cache.expirationDays` (RunnerCacheBucket: a whole number ≥ 1) and the access-log bucket's
 *   name (CacheAccessLogBucket: {@link validateAccessLogBucketName}): `cache.accessLogs.bucketName`,
 *   or the default `<cache bucket>-logs` when the cache bucket's name is given,
 * - each runner's `limit` (config.toml: a whole number ≥ 1) and `dockerAccess` (one of the modes),
 *   in the protected and unprotected pools, and the deploy pool's `limit`,
 * - `runners.maxJobTimeoutSeconds` (RunnerFleet: ≥ 60 s, within the lifecycle hook's 48 h),
 * - `runners.imageStorageGiB` and `runners.unprotected.imageStorageGiB` (RunnerFleet: a whole number ≥ 1),
 * - each pool's `capacity` with the schedules office hours give it and its `purchase`
 *   ({@link validateFleetCapacity}, {@link validatePurchaseOptions}),
 * - `registry.tagScheme` (TagScheme: {@link resolveTagScheme}) and each repository's
 *   `catchAllRetention` (the lifecycle policy: {@link validateRetention}),
 * - `identity.deployment` (DeploymentRole: {@link validateDeploymentPermissions}, managed policy
 *   ARNs: {@link validateManagedPolicyArns}) and `identity.maxSessionDurationSeconds` (the CI
 *   roles: {@link validateMaxSessionDuration}).
 *
 * Each group runs on its own, so a rule that stops at its first problem hides no other group's.
 *
 * @param path the environment's config path, e.g. `config/environments[0]`
 * @param cacheBucketName the environment's cache bucket name (`cacheBucketNameOf`), when the
 *   names it derives from are valid; without it the default access-log bucket name is not checked
 * @throws ValidationError (recorded inside `collectViolations`) naming the config path, value, rule and fix
 */
export function validateConstructRules(env: EnvironmentConfig, path: string, cacheBucketName?: string): void {
  collectViolations((section) => {
    section(() => {
      if (env.cache?.expirationDays !== undefined) validateCacheExpirationDays(`${path}/cache`, env.cache.expirationDays);
    });
    section(() => validateAccessLogRule(env, `${path}/cache`, cacheBucketName));
    if (env.runners) validateRunnerRules(section, env.runners, `${path}/runners`);
    validateRegistryRules(section, env, path);
    validateIdentityRules(section, env, `${path}/identity`);
  });
}

function validateRunnerRules(section: ValidationSection, runners: RunnersConfig, at: string): void {
  section(() => {
    const network = runners.network;
    if (network !== undefined && !("existing" in network)) validateNetworkAddressing(`${at}/network`, network);
  });
  section(() => {
    if (runners.maxJobTimeoutSeconds !== undefined) validateMaxJobTimeout(at, runners.maxJobTimeoutSeconds);
    if (runners.imageStorageGiB !== undefined) validateImageStorage(at, runners.imageStorageGiB);
    if (runners.unprotected?.imageStorageGiB !== undefined) validateImageStorage(`${at}/unprotected`, runners.unprotected.imageStorageGiB);
  });
  section(() => {
    const entries = [
      ...runners.runners.map((runner, i) => ({ runner, where: `${at}/runners[${i}]` })),
      ...(runners.unprotected?.runners ?? []).map((runner, i) => ({ runner, where: `${at}/unprotected/runners[${i}]` })),
    ];
    for (const { runner, where } of entries) {
      validateRunnerLimit(where, runner.limit);
      checkOneOf(where, "dockerAccess", runner.dockerAccess, DOCKER_ACCESS_MODES);
    }
    if (runners.deploy?.limit !== undefined) validateRunnerLimit(`${at}/deploy`, runners.deploy.limit);
  });
  for (const pool of fleetPoolsOf(runners, at)) {
    // RunnerFleet's size rules (job-slot scaling is on in every platform fleet); a docker-autoscaler pool's sizes are checked by validateCapacity alone.
    if (pool.capacity) section(() => validateFleetCapacity(pool.where, pool.capacity!, pool.schedules(), true));
    section(() => validatePurchaseOptions(pool.where, pool.purchase));
  }
}

/** One fleet the platform builds from the runners section, as lib/platform/runner-fleets.ts sizes it. */
interface FleetPool {
  readonly where: string;
  /** The group sizes of a RunnerFleet; undefined for a docker-autoscaler pool (its sizes are idle and maximum worker counts). */
  readonly capacity?: RunnerFleetCapacity;
  readonly purchase: RunnerFleetPurchaseOptions;
  /** The schedules office hours give the fleet (their own mistakes are reported at `runners/officeHours`, once). */
  readonly schedules: () => readonly RunnerSchedule[];
}

/**
 * The fleets of a runners section with the sizes they are built with (defaults of RunnerFleet and
 * of runner-fleets.ts applied): the protected pool (job-slot scaling, office hours as given), the
 * unprotected pool (office hours at its own sizes; in docker-autoscaler mode no group: its
 * minSize is the workers' idle count in office hours, which may be 0, checked as a size by
 * validateCapacity in the runners check, and only its purchase mix applies here), and
 * the deploy pool (all on-demand by default, always on).
 */
function fleetPoolsOf(runners: RunnersConfig, at: string): FleetPool[] {
  const hours = runners.officeHours;
  const protectedCapacity = runners.capacity ?? { minSize: 1, maxSize: 3 };
  const pools: FleetPool[] = [{ where: at, capacity: protectedCapacity, purchase: runners.purchase ?? {}, schedules: () => (hours ? officeHours(hours, `${at}/officeHours`) : []) }];
  const unprotected = runners.unprotected;
  if (unprotected) {
    const capacity = unprotected.capacity ?? { minSize: 1, maxSize: 2 };
    const autoscaler = unprotected.mode === "docker-autoscaler";
    pools.push({
      where: `${at}/unprotected`,
      ...(autoscaler ? {} : { capacity }),
      purchase: unprotected.purchase ?? {},
      schedules: () => (hours ? officeHours({ ...hours, minSize: capacity.minSize, maxSize: capacity.maxSize }, `${at}/officeHours`) : []),
    });
  }
  if (runners.deploy) {
    pools.push({
      where: `${at}/deploy`,
      capacity: runners.deploy.capacity ?? { minSize: 1, maxSize: 2 },
      purchase: runners.deploy.purchase ?? { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100 },
      schedules: () => [],
    });
  }
  return pools;
}

function validateRegistryRules(section: ValidationSection, env: EnvironmentConfig, path: string): void {
  section(() => {
    if (env.registry.tagScheme !== undefined) resolveTagScheme(`${path}/registry/tagScheme`, env.registry.tagScheme);
  });
  const lists = [
    { where: `${path}/registry/repositories`, repositories: env.registry.repositories },
    ...env.gitlab.projects.map((project, k) => ({ where: `${path}/gitlab/projects[${k}]/repositories`, repositories: typeof project === "string" ? [] : (project.repositories ?? []) })),
  ];
  for (const { where, repositories } of lists) {
    repositories.forEach((repo, j) =>
      section(() => {
        if (repo.catchAllRetention !== undefined) validateRetention(`${where}[${j}]/catchAllRetention`, repo.catchAllRetention);
        if (repo.unprotectedMaxAgeDays !== undefined) assertPositiveInteger(`${where}[${j}]`, "unprotectedMaxAgeDays", repo.unprotectedMaxAgeDays, "expire the unprotected repository's other images after at least 1 day");
      }),
    );
  }
}

function validateIdentityRules(section: ValidationSection, env: EnvironmentConfig, at: string): void {
  const identity = env.identity;
  if (!identity) return;
  section(() => {
    if (identity.maxSessionDurationSeconds !== undefined) validateMaxSessionDuration(at, identity.maxSessionDurationSeconds);
  });
  const deployment = identity.deployment;
  if (!deployment) return;
  section(() => validateDeploymentPermissions(`${at}/deployment`, deployment.managedPolicyArns ?? [], deployment.statements ?? []));
  section(() => validateManagedPolicyArns(`${at}/deployment`, deployment.managedPolicyArns ?? []));
}

/** The name rule of the cache's access-log bucket (see {@link validateConstructRules}). */
function validateAccessLogRule(env: EnvironmentConfig, at: string, cacheBucketName: string | undefined): void {
  const accessLogs = env.cache?.accessLogs;
  // Off, or not an options object (reported by the cache inputs' own check).
  if (accessLogs === false || (accessLogs !== undefined && (typeof accessLogs !== "object" || accessLogs === null))) return;
  if (typeof accessLogs?.bucketName === "string") validateAccessLogBucketName(at, accessLogs.bucketName);
  else if (cacheBucketName !== undefined) validateAccessLogBucketName(at, accessLogBucketNameOf(cacheBucketName));
}
