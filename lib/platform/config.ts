import { isWellFormedAccountId, validateAccountId, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { validateGitLabUrl } from "../core/gitlab-url";
import { validateBuildpackVariableName } from "../gitlab/buildpack-variables";
import { validateConstructRules } from "./construct-rules";
import { validateEnvironmentIdentity } from "./identity-config";
import { DEPLOY_RUNNER, runnersOf, validateRunnerRegistrations, validateRunnersConfig } from "./environment-runners";
import { validateRunnerPools } from "./runner-pools";
import { suggestTopLevelGroup, validateEnvironmentInputs, validateEnvironmentLists, validateRunnerVolumes } from "./input-checks";
import { tenantsOf } from "./tenancy";
import { validateTenancy } from "./tenancy-validation";
import { type EnvironmentConfig, type PlatformInfo, GITLAB_TIERS } from "./environment-config";

/*
 * The checks of one platform environment's configuration that need nothing but
 * the environment itself, and the names and defaults derived from it. The types
 * live in environment-config.ts (environment, GitLab, cache, mirror),
 * runners-config.ts (runner pools), identity-config-types.ts and
 * promotion-config.ts, and are re-exported here, as are the runners' names
 * and checks (environment-runners.ts). What spans environments or
 * stacks (unique names, state keys, account stacks, who owns the group
 * variables on a GitLab instance) is the app's job (stacks/config.ts).
 */

export { type RepositoryConfig } from "./tenancy";
export * from "./environment-config";
export * from "./runners-config";
export { DEPLOY_RUNNER, runnerFleetName, runnersOf, runnerTokenParameterName, validateRunnerRegistrations, validateRunnersConfig } from "./environment-runners";
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

/** Default image roles of the CI templates. */
export const DEFAULT_IMAGE_ROLES: Readonly<Record<string, string>> = { app: "app", ci: "app-ci", toolbox: "toolbox" };

/** The image roles of an environment: configured, or the defaults whose repository exists. */
export function imageRolesOf(env: EnvironmentConfig): Readonly<Record<string, string>> {
  const ids = new Set(env.registry.repositories.map((r) => r.id));
  return env.gitlab.imageRoles ?? Object.fromEntries(Object.entries(DEFAULT_IMAGE_ROLES).filter(([, id]) => ids.has(id)));
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
