/*
 * The runners of one environment as the configuration names them: the registrations (defaults
 * applied), the fleet and token parameter names, and the checks of the runners section and of
 * registrations against fleets that need nothing but the environment. Re-exported by config.ts;
 * the pools they form are runner-pools.ts.
 */
import { check } from "../core/errors";
import { fleetArchitecture, validateImageIdArchitecture } from "../runner/architecture";
import { officeHours, validateCapacity, validateSchedule } from "../runner/schedule";
import { type EnvironmentConfig, type PlatformInfo, type RunnerRegistrationConfig } from "./environment-config";
import { defaultRunnerRegistrations } from "./runner-pools";
import { type RunnerConfigEntry } from "./runners-config";

/** The runners of an environment, defaults applied. */
export function runnersOf(platform: PlatformInfo, env: EnvironmentConfig): readonly RunnerRegistrationConfig[] {
  if (env.gitlab.runners) return env.gitlab.runners;
  // One registration per pool runner, tagged with environment, pool and runner (lib/platform/runner-pools.ts).
  return defaultRunnerRegistrations(platform, env);
}

/** The name of the deploy runner and its registration. */
export const DEPLOY_RUNNER = "deploy";

/** The runner fleet's name in an environment: `<project>-<environment>`. */
export function runnerFleetName(platform: PlatformInfo, env: EnvironmentConfig): string {
  return `${platform.project}-${env.name}`;
}

/** The SSM parameter name of a runner's token. */
export function runnerTokenParameterName(platform: PlatformInfo, env: EnvironmentConfig, runner: RunnerConfigEntry): string {
  return runner.tokenParameterName ?? `/${platform.project}/${env.name}/runner/${runner.name}/token`;
}

/**
 * Checks an environment's runner section before any construct is built (the
 * fleet checks the rest at construction, with its construct path).
 */
export function validateRunnersConfig(platform: PlatformInfo, env: EnvironmentConfig, path: string): void {
  const runners = env.runners;
  if (!runners) return;
  const at = `${path}/runners`;
  const fleetName = runnerFleetName(platform, env);
  check(fleetName.length <= 40, {
    path: at,
    subject: "fleet name",
    value: fleetName,
    rule: "the fleet name <project>-<environment> is at most 40 characters (it names the role, group and log group)",
    fix: "shorten the project or environment name",
  });
  check(runners.runners.length >= 1, {
    path: at,
    subject: "runners",
    value: [],
    rule: "a fleet runs at least one runner",
    fix: "add a runner, or remove the runners section",
  });
  const names = new Set<string>();
  const entries = [
    ...runners.runners.map((runner, i) => ({ runner, where: `${at}/runners[${i}]` })),
    ...(runners.unprotected?.runners ?? []).map((runner, i) => ({ runner, where: `${at}/unprotected/runners[${i}]` })),
  ];
  entries.forEach(({ runner, where }) => {
    check(!names.has(runner.name), {
      path: where,
      subject: "runner name",
      value: runner.name,
      rule: "runner names are unique in an environment, across its pools (they name the registrations and token parameters)",
      fix: "rename one of the runners, e.g. mr-build for the unprotected pool",
    });
    names.add(runner.name);
  });
  if (runners.unprotected) {
    check(runners.unprotected.runners.length >= 1, {
      path: `${at}/unprotected`,
      subject: "runners",
      value: [],
      rule: "the unprotected pool runs at least one runner",
      fix: "add a runner, or remove the unprotected section",
    });
    check(fleetName.length + "-unprotected".length <= 40, {
      path: `${at}/unprotected`,
      subject: "fleet name",
      value: `${fleetName}-unprotected`,
      rule: "the unprotected pool's fleet name <project>-<environment>-unprotected is at most 40 characters",
      fix: "shorten the project or environment name",
    });
    if (runners.unprotected.capacity) validateCapacity(`${at}/unprotected`, "capacity", runners.unprotected.capacity);
    const mode = runners.unprotected.mode ?? "fleet";
    check(mode === "fleet" || mode === "docker-autoscaler", {
      path: `${at}/unprotected`,
      subject: "mode",
      value: mode,
      rule: "one of fleet, docker-autoscaler",
      fix: 'use "docker-autoscaler" for single-use VMs from zero, or leave it unset',
    });
  }
  if (runners.capacity) validateCapacity(at, "capacity", runners.capacity);
  if (runners.deploy?.capacity) validateCapacity(`${at}/deploy`, "capacity", runners.deploy.capacity);
  check(!names.has(DEPLOY_RUNNER) || !runners.deploy, {
    path: `${at}/runners`,
    subject: "runner name",
    value: DEPLOY_RUNNER,
    rule: `"${DEPLOY_RUNNER}" names the deploy fleet's runner`,
    fix: "rename the build-fleet runner",
  });

  if (runners.officeHours) {
    officeHours(runners.officeHours, `${at}/officeHours`).forEach((schedule, i) => validateSchedule(`${at}/officeHours[${i}]`, schedule, true));
  }
  // Each pool's AMI parameter names its instance types' architecture (x86_64 for the default types).
  const pools = [
    { where: at, types: runners.instanceTypes, imageId: runners.imageId },
    ...(runners.unprotected && (runners.unprotected.mode ?? "fleet") === "fleet" ? [{ where: `${at}/unprotected`, types: runners.unprotected.instanceTypes, imageId: runners.unprotected.imageId }] : []),
    ...(runners.deploy ? [{ where: `${at}/deploy`, types: runners.deploy.instanceTypes, imageId: runners.deploy.imageId }] : []),
  ];
  for (const pool of pools) {
    const types = pool.types ?? [];
    validateImageIdArchitecture(pool.where, pool.imageId, fleetArchitecture(pool.where, types, undefined), types);
  }
}

/**
 * Registrations and fleets agree: every registration runs on a fleet, every
 * fleet runner has a token (the deploy pool's from its registration), and no registration lets a job run longer than
 * the drain on scale-in covers.
 */
export function validateRunnerRegistrations(platform: PlatformInfo, env: EnvironmentConfig, path: string): void {
  if (!env.runners) return;
  const registrations = runnersOf(platform, env);
  const hosted = new Set([
    ...env.runners.runners.map((r) => r.name),
    ...(env.runners.unprotected?.runners ?? []).map((r) => r.name),
    ...(env.runners.deploy ? [DEPLOY_RUNNER] : []),
  ]);
  const timeout = env.runners.maxJobTimeoutSeconds ?? 3600;
  registrations.forEach((registration, i) => {
    check(hosted.has(registration.name), {
      path: `${path}/gitlab/runners[${i}]`,
      subject: "runner registration",
      value: registration.name,
      rule: `every registered runner needs hosts, but no fleet runner is named "${registration.name}" (fleet runners: ${[...hosted].join(", ")})`,
      fix: "add the runner to runners.runners (or runners.deploy), or drop the registration",
    });
    check((registration.maximumTimeoutSeconds ?? 3600) <= timeout, {
      path: `${path}/gitlab/runners[${i}]`,
      subject: "maximumTimeoutSeconds",
      value: registration.maximumTimeoutSeconds,
      rule: `a job may not outlive the fleet's drain window (runners.maxJobTimeoutSeconds = ${timeout}), or scale-in would kill it`,
      fix: "lower the registration's maximum timeout, or raise runners.maxJobTimeoutSeconds",
    });
  });
  const registered = new Set(registrations.map((r) => r.name));
  const poolEntries = [
    ...env.runners.runners.map((runner, i) => ({ runner, at: `${path}/runners/runners[${i}]` })),
    ...(env.runners.unprotected?.runners ?? []).map((runner, i) => ({ runner, at: `${path}/runners/unprotected/runners[${i}]` })),
  ];
  poolEntries.forEach(({ runner, at }) => {
    check(registered.has(runner.name) || runner.tokenParameterName !== undefined, {
      path: at,
      subject: "runner",
      value: runner.name,
      rule: "a fleet runner needs a token: a GitLab registration of the same name, or tokenParameterName for a token made outside Terraform",
      fix: `add { name: "${runner.name}", tags: [...] } to gitlab.runners, or give tokenParameterName`,
    });
  });
  // The deploy pool's runner takes its token from its registration only (no tokenParameterName).
  check(!env.runners.deploy || registered.has(DEPLOY_RUNNER), {
    path: `${path}/runners/deploy`,
    subject: "runner",
    value: DEPLOY_RUNNER,
    rule: `the deploy pool's runner needs a GitLab registration named "${DEPLOY_RUNNER}", and gitlab.runners (an explicit list) has none: its hosts would start without a token, and deploy jobs would fall back to a runner of another pool`,
    fix: `add { name: "${DEPLOY_RUNNER}", tags: ["${platform.project}-${env.name}-${DEPLOY_RUNNER}"], protectedRefsOnly: true } to gitlab.runners, or drop runners.deploy`,
  });
}
