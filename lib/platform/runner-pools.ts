/*
 * Runner pools: which hosts take which jobs. Every environment has a protected
 * pool (`runners.runners`: `ref_protected` registrations, may bind the docker
 * socket or run privileged), optionally an unprotected pool
 * (`runners.unprotected`: own hosts and host role, `not_protected`, no socket,
 * no privileged mode, images built with rootless BuildKit) and a deploy pool
 * (`runners.deploy`: protected refs only). Tags carry the environment and the
 * pool, so no two environments share a tag and a job chooses its pool by tag.
 *
 * GitLab's routing rules this model relies on (GitLab docs, "Configuring
 * runners", https://docs.gitlab.com/ci/runners/configure_runners/): a job runs
 * on a runner whose tags include all of the job's tags; a job without tags only
 * on runners with "run untagged jobs"; a protected runner (`ref_protected`)
 * only runs jobs of protected branches and tags; a group runner serves every
 * project of the group and its subgroups, a project runner the projects it is
 * enabled for.
 *
 * This module imports only types of the configuration (config.ts imports it).
 */
import { check } from "../core/errors";
import { type DockerAccess, hostSensitiveVolume } from "../runner/config-toml";
import { defaultImageBuilder, type ImageBuilder, validateImageBuilder } from "../runner/image-builder";
import { type EnvironmentConfig, type PlatformInfo, type RunnerRegistrationConfig } from "./environment-config";
import { type RunnerConfigEntry } from "./runners-config";
import { servedTenantsOf, validateRunnerTenants } from "./runner-tenants";
import { servesUnprotected, type Tenant, type TrustLevel } from "./tenancy";

/** The pools of an environment. */
export type RunnerPoolName = "protected" | "unprotected" | "deploy";

/** The pools, in the order their runners are listed. */
export const RUNNER_POOLS: readonly RunnerPoolName[] = ["protected", "unprotected", "deploy"];

/** The deploy pool's single runner (same as `DEPLOY_RUNNER`). */
const DEPLOY = "deploy";

/** Shortest written reason of an opt-in. */
export const MIN_REASON_LENGTH = 20;

/** The trust level whose jobs a pool is for (the deploy pool serves protected jobs). */
export function trustOfPool(pool: RunnerPoolName): TrustLevel {
  return pool === "unprotected" ? "unprotected" : "protected";
}

/**
 * The default tag of a runner of a pool: `<project>-<env>-<pool>-<runner>`
 * (`<project>-<env>-deploy` for the deploy runner). Jobs pick a runner, and so
 * a pool and an environment, with this tag.
 */
export function poolRunnerTag(platform: PlatformInfo, env: Pick<EnvironmentConfig, "name">, pool: RunnerPoolName, runner: string): string {
  return pool === "deploy" ? `${platform.project}-${env.name}-${DEPLOY}` : `${platform.project}-${env.name}-${pool}-${runner}`;
}

/** One runner of a pool as every part of the platform sees it: hosts, registration, builder. */
export interface PoolRunner {
  /** Runner name (names the registration, its token parameter and the `[[runners]]` entry). */
  readonly name: string;
  /** Its pool. */
  readonly pool: RunnerPoolName;
  /** The trust level its hosts are for (which cache prefix, which host role). */
  readonly trust: TrustLevel;
  /** How its jobs reach docker. */
  readonly dockerAccess: DockerAccess;
  /** Privileged job containers. */
  readonly privileged: boolean;
  /** How its jobs build images. */
  readonly builder: ImageBuilder;
  /** Extra job volumes. */
  readonly volumes?: readonly string[];
  /** Its registration, defaults applied (none when the token comes from `tokenParameterName`). */
  readonly registration?: RunnerRegistrationConfig;
  /**
   * Group runner (only with `groupRunner: { reason }`), or project runner of the tenants it serves.
   */
  readonly scope: "group" | "project";
  /** The tenants whose jobs it takes (its entry's `projects`, default every tenant), in `gitlab.projects` order. */
  readonly tenants: readonly Tenant[];
  /** Its entry's `projects` as configured (none: every tenant). */
  readonly projects?: readonly string[];
  /** Its entry's `sharedBetweenProjects` opt-in, if any. */
  readonly sharedBetweenProjects?: { readonly reason: string };
  /** Where it is configured, e.g. `config/environments[0]/runners/unprotected/runners[0]`. */
  readonly configPath: string;
}

/** Binds the docker socket or runs privileged: every job is root on the host. */
export function controlsHost(runner: Pick<PoolRunner, "dockerAccess" | "privileged">): boolean {
  return runner.dockerAccess === "socket-binding" || runner.dockerAccess === "dind" || runner.privileged;
}

interface HostEntry {
  readonly pool: RunnerPoolName;
  readonly entry: Pick<RunnerConfigEntry, "name" | "dockerAccess" | "privileged" | "builder" | "volumes" | "tokenParameterName" | "projects" | "sharedBetweenProjects">;
  readonly configPath: string;
}

function hostEntries(env: EnvironmentConfig, path: string): HostEntry[] {
  const runners = env.runners;
  if (!runners) return [];
  return [
    ...runners.runners.map((entry, i) => ({ pool: "protected" as const, entry, configPath: `${path}/runners/runners[${i}]` })),
    ...(runners.unprotected?.runners ?? []).map((entry, i) => ({ pool: "unprotected" as const, entry, configPath: `${path}/runners/unprotected/runners[${i}]` })),
    ...(runners.deploy
      ? [
          {
            pool: "deploy" as const,
            entry: { name: DEPLOY, dockerAccess: "none" as const, privileged: false, ...(runners.deploy.projects ? { projects: runners.deploy.projects } : {}) },
            configPath: `${path}/runners/deploy`,
          },
        ]
      : []),
  ];
}

/**
 * The default registrations of an environment's fleet runners (see
 * `GitLabConfig.runners`): one per runner without `tokenParameterName`,
 * tagged `<project>-<env>-<pool>-<runner>`, never untagged; protected and
 * deploy pools `ref_protected`.
 */
export function defaultRunnerRegistrations(platform: PlatformInfo, env: EnvironmentConfig): RunnerRegistrationConfig[] {
  const timeout = env.runners?.maxJobTimeoutSeconds ?? 3600;
  return hostEntries(env, "")
    .filter(({ entry }) => entry.tokenParameterName === undefined)
    .map(({ pool, entry }) => ({
      name: entry.name,
      tags: [poolRunnerTag(platform, env, pool, entry.name)],
      untagged: false,
      protectedRefsOnly: pool !== "unprotected",
      maximumTimeoutSeconds: timeout,
    }));
}

/**
 * Every runner of an environment's pools with its registration and scope.
 * @param registrations the environment's registrations (`runnersOf`)
 * @param path config path of the environment
 */
export function runnerPoolsOf(env: EnvironmentConfig, registrations: readonly RunnerRegistrationConfig[], path = "environment"): PoolRunner[] {
  return hostEntries(env, path).map(({ pool, entry, configPath }) => {
    const privileged = entry.privileged ?? false;
    const registration = registrations.find((r) => r.name === entry.name);
    return {
      name: entry.name,
      pool,
      trust: trustOfPool(pool),
      dockerAccess: entry.dockerAccess,
      privileged,
      builder: entry.builder ?? defaultImageBuilder(entry.dockerAccess),
      ...(entry.volumes ? { volumes: entry.volumes } : {}),
      ...(registration ? { registration } : {}),
      scope: registration?.groupRunner === undefined ? "project" : "group",
      tenants: servedTenantsOf(env, entry.projects),
      ...(entry.projects ? { projects: entry.projects } : {}),
      ...(entry.sharedBetweenProjects ? { sharedBetweenProjects: entry.sharedBetweenProjects } : {}),
      configPath,
    };
  });
}

/** A registration takes jobs of unprotected refs. */
export function takesUnprotectedJobs(registration: RunnerRegistrationConfig): boolean {
  return registration.protectedRefsOnly !== true;
}

function reasonGiven(optIn: { readonly reason: string } | undefined): boolean {
  return optIn !== undefined && typeof optIn.reason === "string" && optIn.reason.trim().length >= MIN_REASON_LENGTH;
}

/**
 * The trust boundaries of an environment's pools, checked at construction:
 * - `identity.mergeRequestPushRepositories` only with an unprotected pool (without one
 *   there are no unprotected roles whose pushes it could limit);
 * - a production environment's runners take no untagged jobs;
 * - a runner whose hosts bind the docker socket or run privileged, or that
 *   serves the protected pool, takes no unprotected jobs unless its registration
 *   says why (`allowUnprotectedJobs: { reason }`);
 * - the unprotected pool binds no socket and runs nothing privileged;
 * - runners taking unprotected jobs mount no sensitive host path;
 * - a group runner needs `groupRunner: { reason }` (every runner is otherwise a project
 *   runner of the projects it serves);
 * - which projects each runner serves (`validateRunnerTenants`): the runners of a pool
 *   serve the same projects, and a socket-binding or privileged runner serves one unless
 *   `sharedBetweenProjects: { reason }`;
 * - the builder fits the docker access.
 * @throws ValidationError naming the config path, the value, the rule and the fix
 */
export function validateRunnerPools(env: EnvironmentConfig, registrations: readonly RunnerRegistrationConfig[], path: string): void {
  const pushable = env.identity?.mergeRequestPushRepositories;
  check(pushable === undefined || servesUnprotected(env), {
    path: `${path}/identity/mergeRequestPushRepositories`,
    subject: "mergeRequestPushRepositories",
    value: pushable,
    rule: "it limits what the tenants' unprotected roles push, and an environment without an unprotected pool (runners.unprotected) has no unprotected roles: unprotected jobs have no runner there",
    fix: "drop mergeRequestPushRepositories, or add an unprotected pool (runners.unprotected)",
  });
  if (env.production) {
    registrations.forEach((registration, i) => {
      check(registration.untagged !== true, {
        path: `${path}/gitlab/runners[${i}]`,
        subject: "untagged",
        value: { runner: registration.name, untagged: true },
        rule: "a production runner takes only jobs tagged for it: a job without tags names no environment, so an untagged production runner takes jobs meant for any environment of the group",
        fix: `drop untagged and give the jobs the runner's tag (e.g. ${registration.tags?.[0] ?? "<project>-<env>-protected-<runner>"})`,
      });
    });
  }
  const pools = runnerPoolsOf(env, registrations, path);
  for (const runner of pools) {
    validateImageBuilder(runner.configPath, runner.builder, runner.dockerAccess, runner.privileged);
    const controls = controlsHost(runner);
    if (runner.pool === "unprotected") {
      check(!controls, {
        path: runner.configPath,
        subject: "docker access",
        value: { dockerAccess: runner.dockerAccess, privileged: runner.privileged },
        rule: "the unprotected pool runs jobs of merge requests, forks and unprotected refs: a docker socket or privileged mode would make each of them root on the host (host role, other jobs' tokens)",
        fix: 'set dockerAccess "none", privileged false and builder "buildkit-rootless" (image builds without a daemon), or move the runner to the protected pool',
      });
    }
    const registration = runner.registration;
    const index = registrations.findIndex((r) => r.name === runner.name);
    const registrationPath = `${path}/gitlab/runners[${index}]`;
    const unprotectedJobs = registration !== undefined && takesUnprotectedJobs(registration);
    if (registration && unprotectedJobs && (controls || runner.pool !== "unprotected")) {
      check(reasonGiven(registration.allowUnprotectedJobs), {
        path: registrationPath,
        subject: "protectedRefsOnly",
        value: { runner: runner.name, pool: runner.pool, dockerAccess: runner.dockerAccess, privileged: runner.privileged, protectedRefsOnly: registration.protectedRefsOnly ?? false },
        rule: controls
          ? "a runner whose hosts bind the docker socket or run privileged takes only jobs of protected refs (access level ref_protected): any unprotected job on it is root on the host"
          : "a protected-pool runner takes only jobs of protected refs: its hosts read protected tokens and the protected cache",
        fix: `set protectedRefsOnly: true and route unprotected jobs to the unprotected pool, or give allowUnprotectedJobs: { reason: "..." } (at least ${MIN_REASON_LENGTH} characters) if every project that can reach it is trusted`,
      });
    }
    if (runner.pool === "unprotected" || (unprotectedJobs && !reasonGiven(registration?.allowUnprotectedJobs))) {
      (runner.volumes ?? []).forEach((volume, i) => {
        const problem = hostSensitiveVolume(volume);
        check(problem === undefined, {
          path: `${runner.configPath}/volumes[${i}]`,
          subject: "volume",
          value: volume,
          rule: `a runner taking unprotected jobs must not give them host paths that control the host; this volume ${problem ?? ""}`,
          fix: "remove the volume, or use a named docker volume (e.g. gomod:/go/pkg/mod) or the S3 cache and artifacts to share files between jobs",
        });
      });
    }
    if (registration && registration.groupRunner !== undefined) {
      check(reasonGiven(registration.groupRunner), {
        path: registrationPath,
        subject: "groupRunner",
        value: registration.groupRunner,
        rule: `a runner is a project runner of the projects it serves; registering it for the whole group (every project of the group and its subgroups, including later ones) needs a written reason of at least ${MIN_REASON_LENGTH} characters`,
        fix: 'give groupRunner: { reason: "<why every project of the group is trusted>" }, or drop groupRunner',
      });
    }
  }
  validateRunnerTenants(
    env,
    pools.map((runner) => ({
      name: runner.name,
      pool: runner.pool,
      ...(runner.projects ? { projects: runner.projects } : {}),
      controlsHost: controlsHost(runner),
      ...(runner.sharedBetweenProjects ? { sharedBetweenProjects: runner.sharedBetweenProjects } : {}),
      configPath: runner.configPath,
    })),
    registrations,
    path,
  );
}


/** Whether two tag sets can take a common job (GitLab: a job's tags must all be on the runner). */
export function tagsOverlap(a: { readonly tags?: readonly string[]; readonly untagged?: boolean }, b: { readonly tags?: readonly string[]; readonly untagged?: boolean }): boolean {
  if (a.untagged === true && b.untagged === true) return true;
  const tags = new Set(a.tags ?? []);
  return (b.tags ?? []).some((t) => tags.has(t));
}
