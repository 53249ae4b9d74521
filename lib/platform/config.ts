import { isWellFormedAccountId, validateAccountId, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { validateGitLabUrl } from "../core/gitlab-url";
import { validateBuildpackVariableName } from "../gitlab/buildpack-variables";
import { fleetArchitecture, validateImageIdArchitecture } from "../runner/architecture";
import { officeHours, validateCapacity, validateSchedule } from "../runner/schedule";
import { validateConstructRules } from "./construct-rules";
import { validateEnvironmentIdentity } from "./identity-config";
import { defaultRunnerRegistrations, validateRunnerPools } from "./runner-pools";
import { suggestTopLevelGroup, validateEnvironmentInputs, validateEnvironmentLists, validateRunnerVolumes } from "./input-checks";
import { tenantsOf } from "./tenancy";
import { validateTenancy } from "./tenancy-validation";
import { type EnvironmentConfig, type PlatformInfo, type RunnerRegistrationConfig, GITLAB_TIERS } from "./environment-config";
import { type RunnerConfigEntry } from "./runners-config";

/*
 * The checks of one platform environment's configuration that need nothing but
 * the environment itself, and the names and defaults derived from it. The types
 * live in environment-config.ts (environment, GitLab, cache, mirror),
 * runners-config.ts (runner pools), identity-config-types.ts and
 * promotion-config.ts, and are re-exported here. What spans environments or
 * stacks (unique names, state keys, account stacks, who owns the group
 * variables on a GitLab instance) is the app's job (stacks/config.ts).
 */

export { type RepositoryConfig } from "./tenancy";
export * from "./environment-config";
export * from "./runners-config";
export { type DeployConfig, type PromotionConfig } from "./promotion-config";
export { type DeploymentConfig, type EnvironmentIdentityConfig, type StaticCredentialsConfig } from "./identity-config-types";

/** The S3 bucket name of an environment's runner cache (at most 20+20+12+8 = 60 characters). */
export function cacheBucketNameOf(platform: PlatformInfo, env: EnvironmentConfig): string {
  return `${platform.project}-${env.name}-cache-${env.accountId}`;
}

/** Names of projects, environments, account stacks and runners: 1-20 lower-case letters, digits and '-', starting with a letter. */
export const CONFIG_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const NAME = CONFIG_NAME;
const TERRAFORM_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const GITLAB_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;

/** The repository name prefix of an environment. */
export function repositoryPrefixOf(env: EnvironmentConfig): string {
  return env.registry.repositoryPrefix ?? `${env.gitlab.group}/${env.name}`;
}

/** Whether an environment's data gets `prevent_destroy`. */
export function protectsData(env: EnvironmentConfig, explicit: boolean | undefined): boolean {
  return explicit ?? env.production ?? false;
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


/** Production data stays protected unless a written waiver says why not. */
export function validateDestroyProtection(path: string, env: EnvironmentConfig): void {
  if (!env.production) return;
  const unprotected = [["registry.preventDestroy", env.registry.preventDestroy]].filter(([, v]) => v === false).map(([k]) => k as string);
  check(unprotected.length === 0 || (env.destroyProtectionWaiver ?? "").trim().length >= 10, {
    path,
    subject: unprotected.join(", ") || "destroy protection",
    value: false,
    rule: "a production environment keeps prevent_destroy on its data (registries, mirror data volume)",
    fix: "remove the override, or give destroyProtectionWaiver a written reason (at least 10 characters)",
  });
}

// ---- GitLab side ----

/** The runners of an environment, defaults applied. */
export function runnersOf(platform: PlatformInfo, env: EnvironmentConfig): readonly RunnerRegistrationConfig[] {
  if (env.gitlab.runners) return env.gitlab.runners;
  // One registration per pool runner, tagged with environment, pool and runner (lib/platform/runner-pools.ts).
  return defaultRunnerRegistrations(platform, env);
}

/** Default image roles of the CI templates. */
export const DEFAULT_IMAGE_ROLES: Readonly<Record<string, string>> = { app: "app", ci: "app-ci", toolbox: "toolbox" };

/** The image roles of an environment: configured, or the defaults whose repository exists. */
export function imageRolesOf(env: EnvironmentConfig): Readonly<Record<string, string>> {
  const ids = new Set(env.registry.repositories.map((r) => r.id));
  return env.gitlab.imageRoles ?? Object.fromEntries(Object.entries(DEFAULT_IMAGE_ROLES).filter(([, id]) => ids.has(id)));
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
 * Whether `group` is a top-level GitLab group path (letters, digits, '_', '.', '-', no '/'): the
 * group check's rule. Rules that compare other paths with the group skip a malformed one (the
 * group check reports it; "not inside the group" for every project would be its follow-on).
 */
export function isTopLevelGroupPath(group: unknown): group is string {
  return typeof group === "string" && GITLAB_PATH.test(group) && !group.includes("/");
}

/**
 * The environment's own fields: name, account and region, GitLab URL, group
 * and project paths, and repository ids unique within the environment.
 */
export function validateEnvironmentBasics(path: string, env: EnvironmentConfig): void {
  check(NAME.test(env.name), {
    path,
    subject: "environment name",
    value: env.name,
    rule: "1-20 lower-case letters, digits and '-', starting with a letter (it names the stack and resources)",
    fix: "use a name such as dev, staging or production",
  });
  validateAccountId(path, "accountId", env.accountId);
  validateRegion(path, "region", env.region);
  validateGitLabUrl(`${path}/gitlab`, env.gitlab.url);
  const group = isTopLevelGroupPath(env.gitlab.group);
  check(group, {
    path: `${path}/gitlab`,
    subject: "group",
    value: env.gitlab.group,
    rule: "a top-level GitLab group path: letters, digits, '_', '.', '-' (no '/', no leading or trailing slash)",
    fix: `use the top-level group's path as in its URL: ${JSON.stringify(suggestTopLevelGroup(env.gitlab.group))} (subgroup projects are listed in gitlab.projects)`,
  });
  tenantsOf(env).forEach(({ path: project }, j) => {
    check(GITLAB_PATH.test(project) && (!group || project.startsWith(`${env.gitlab.group}/`)), {
      path: `${path}/gitlab/projects[${j}]`,
      subject: "project path",
      value: project,
      rule: `a project path inside the group, such as ${env.gitlab.group}/app`,
      fix: `use the full path as in the project's URL, starting with ${env.gitlab.group}/`,
    });
  });
  const ids = new Set<string>();
  env.registry.repositories.forEach((repo, j) => {
    check(!ids.has(repo.id), {
      path: `${path}/registry/repositories[${j}]`,
      subject: "repository id",
      value: repo.id,
      rule: "repository ids are unique within an environment",
      fix: "rename one of the repositories",
    });
    ids.add(repo.id);
  });
}

/**
 * The GitLab-side fields of one environment: runner names, image roles,
 * external registries, the templates and toolbox projects. Which environment
 * owns what on a shared GitLab instance is checked by the app, across
 * environments.
 */
export function validateEnvironmentGitLab(platform: PlatformInfo, env: EnvironmentConfig, path: string): void {
  const gitlab = env.gitlab;
  const tier = gitlab.tier ?? "free";
  check((GITLAB_TIERS as readonly string[]).includes(tier), {
    path,
    subject: "tier",
    value: gitlab.tier,
    rule: `the GitLab tier is one of ${GITLAB_TIERS.join(", ")}`,
    fix: 'write the tier of your instance or group, e.g. "free" for Community Edition',
  });
  const scope = gitlab.variables?.environmentScope ?? "*";
  check(tier !== "free" || scope === "*", {
    path: `${path}/variables`,
    subject: "environmentScope",
    value: scope,
    rule:
      "environment scopes on group CI/CD variables are a GitLab Premium feature; on Free (and Community Edition) the group variable " +
      "is stored with scope * and every plan shows a change (GitLab docs, CI/CD variables: 'Limit the environment scope of a CI/CD variable', group variables: Premium, Ultimate)",
    fix: 'remove gitlab.variables.environmentScope (give each environment its own group), or set gitlab.tier: "premium" if the group has Premium or Ultimate',
  });
  const names = new Set<string>();
  runnersOf(platform, env).forEach((runner, j) => {
    check(NAME.test(runner.name) && !names.has(runner.name), {
      path: `${path}/runners[${j}]`,
      subject: "runner name",
      value: runner.name,
      rule: "runner names are unique, 1-20 lower-case letters, digits and '-'",
      fix: "use names such as build and deploy",
    });
    names.add(runner.name);
  });
  const ids = new Set(env.registry.repositories.map((r) => r.id));
  for (const [role, id] of Object.entries(imageRolesOf(env))) {
    check(ids.has(id), {
      path: `${path}/imageRoles/${role}`,
      subject: "repository id",
      value: id,
      rule: `an image role names one of the environment's repositories (${[...ids].join(", ")})`,
      fix: "use a repository id from registry.repositories",
    });
  }
  for (const name of Object.keys(gitlab.buildpackVariables ?? {})) validateBuildpackVariableName(`${path}/buildpackVariables/${name}`, name);
  (gitlab.externalRegistries ?? []).forEach((ext, j) => {
    check(TERRAFORM_IDENTIFIER.test(ext.passwordVariable), {
      path: `${path}/externalRegistries[${j}]`,
      subject: "passwordVariable",
      value: ext.passwordVariable,
      rule: "the password variable is a Terraform variable name: letters, digits, '_' and '-', starting with a letter or '_'",
      fix: "use a name such as acr_password",
    });
  });
  if (gitlab.ciTemplates) {
    check(GITLAB_PATH.test(gitlab.ciTemplates.project) && (!isTopLevelGroupPath(gitlab.group) || gitlab.ciTemplates.project.startsWith(`${gitlab.group}/`)), {
      path: `${path}/ciTemplates`,
      subject: "project",
      value: gitlab.ciTemplates.project,
      rule: `the templates project is a project path inside the group, such as ${gitlab.group}/ci-templates`,
      fix: `use a path starting with ${gitlab.group}/`,
    });
  }
  if (gitlab.toolboxProject) {
    check(tenantsOf(env).some((t) => t.path === gitlab.toolboxProject!.path) && gitlab.toolboxProject.path.split("/").length === 2, {
      path: `${path}/toolboxProject`,
      subject: "path",
      value: gitlab.toolboxProject.path,
      rule: "the toolbox project is a direct child of the group and listed in gitlab.projects (so the CI roles trust its pipelines)",
      fix: `add it to gitlab.projects, e.g. ${gitlab.group}/toolbox`,
    });
    check(ids.has(DEFAULT_IMAGE_ROLES.toolbox!) || imageRolesOf(env).toolbox !== undefined, {
      path: `${path}/toolboxProject`,
      subject: "path",
      value: gitlab.toolboxProject.path,
      rule: "the toolbox project pushes to the environment's toolbox repository, but there is none",
      fix: "add a repository with id toolbox, or map imageRoles.toolbox",
    });
  }
}

/**
 * Every check of one environment that needs nothing but the environment and
 * the project name; throws a `ValidationError` naming `path` (a config path
 * such as `config/environments[0]`, or a construct path), the value, the
 * rule and the fix of the first problem. {@link GitLabCiPlatform} runs it at
 * construction.
 *
 * @param projectPath where the project name is configured, named by its violation (the project
 *   is not the environment's own field): a caller that checks the project at that path itself
 *   (the configuration pass, `config/project`) then gets one line for a bad name, not one per
 *   environment. Defaults to `path`.
 */
export function validateEnvironmentConfig(platform: PlatformInfo, env: EnvironmentConfig, path: string, projectPath: string = path): void {
  check(NAME.test(platform.project), {
    path: projectPath,
    subject: "project name",
    value: platform.project,
    rule: "1-20 lower-case letters, digits and '-', starting with a letter (it prefixes resource names)",
    fix: "use a short name such as acme-ci",
  });
  validateEnvironmentLists(path, env);
  validateEnvironmentBasics(path, env);
  // Rules the constructs enforce, at the config fields that feed them (before checks that could stop the section).
  // The default access-log bucket name derives from the project, environment and account: checked only when they are valid (each reports itself otherwise).
  const cacheBucketName = NAME.test(platform.project) && NAME.test(env.name) && isWellFormedAccountId(env.accountId) ? cacheBucketNameOf(platform, env) : undefined;
  validateConstructRules(env, path, cacheBucketName);
  validateEnvironmentInputs(env, path, runnersOf(platform, env), DEPLOY_RUNNER);
  validateTenancy(path, platform, env);
  validateRunnersConfig(platform, env, path);
  validateDestroyProtection(path, env);
  validateEnvironmentIdentity(`${path}/identity`, env);
  validateEnvironmentGitLab(platform, env, `${path}/gitlab`);
  validateRunnerRegistrations(platform, env, path);
  validateRunnerPools(env, runnersOf(platform, env), path);
  // After the pools' own (more specific) checks: host mounts no pool may have.
  validateRunnerVolumes(env, path);
}
