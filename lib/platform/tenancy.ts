/*
 * The platform's model of tenants, environments and trust levels: one place
 * that names what every other part derives from.
 *
 * - A **tenant** is a GitLab project listed in an environment's
 *   `gitlab.projects`. Each tenant gets its own repositories, CI roles and
 *   project-level CI/CD variables in every environment that lists it.
 * - An **environment** is one AWS account/region slice (dev, staging,
 *   production). Its ID tokens carry an audience of their own, its runner
 *   tags name it, so nothing of one environment reaches another.
 * - A **trust level** splits every tenant's pipelines in two:
 *   `protected` (pipelines of refs GitLab protects: the default branch,
 *   release tags, environment branches; managed as code) and `unprotected`
 *   (merge requests, forks, other branches and tags). Each level has its own
 *   repositories (protected jobs never pull or build from unprotected ones),
 *   its own CI role, runner pool and cache prefix.
 *
 * Everything here is a pure function of the configuration: constructs call
 * these functions instead of deriving names of their own.
 */
import { dnsSuffixOf } from "../core/aws";
import { TRUST_LEVELS, type TrustLevel } from "../core/trust";
import { type ProtectedRefsMode } from "../gitlab/protected-refs";
import { type Retention } from "../registry/tag-scheme";

/** One container repository of an environment (each tenant gets its own copy). */
export interface RepositoryConfig {
  /** Logical id, also the last part of the repository name, e.g. `app`. */
  readonly id: string;
  /** What the image is, for the README and descriptions. */
  readonly description: string;
  /**
   * Catch-all retention for images no tag kind selects.
   * @default none
   */
  readonly catchAllRetention?: Retention;
  /**
   * Days after push at which the unprotected copy of the repository (merge-request pushes) expires
   * images no retained tag kind selects: untyped tags, the protected kinds' tags (`latest`,
   * `v1.2.3`, `deployed-*`, `buildcache`: nothing there is released or deployed) and
   * count-and-age combinations. A whole number of days, at least 1. Ignored by the protected copy.
   * @default DEFAULT_UNPROTECTED_MAX_AGE_DAYS (14)
   */
  readonly unprotectedMaxAgeDays?: number;
}

/**
 * What the tenancy model reads of an environment (`EnvironmentConfig` fits;
 * kept structural so this module imports nothing of the configuration).
 */
export interface TenancyEnvironment {
  readonly name: string;
  readonly gitlab: { readonly group: string; readonly projects: readonly (string | ProjectConfig)[] };
  readonly registry: { readonly repositoryPrefix?: string; readonly repositories: readonly RepositoryConfig[] };
  readonly identity?: { readonly defaultBranch?: string; readonly audience?: string };
  readonly cache?: { readonly path?: string };
}

/** What the tenancy model reads of the platform (`PlatformInfo` fits). */
export interface TenancyPlatform {
  readonly project: string;
}

/**
 * The platform's two trust levels and the default release tag pattern (defined in the core layer,
 * which the runner, cache, mirror, registry and GitLab modules read too).
 */
export { DEFAULT_RELEASE_TAG_PATTERN, TRUST_LEVELS, type TrustLevel } from "../core/trust";

/** Default branch when neither the project nor the environment names one. */
export const DEFAULT_BRANCH = "main";

/**
 * One GitLab project served by the platform (a tenant). Onboarding a project
 * is one entry in `gitlab.projects`.
 */
export interface ProjectConfig {
  /** Full project path as in its URL, e.g. `acme/app` (subgroups allowed). */
  readonly path: string;
  /**
   * Short name of the tenant: names its repositories (`<prefix>/<name>/<id>`),
   * roles (`<project>-<env>-<name>-<trust>`) and outputs. 1-20 of `a-z0-9-`,
   * starting with a letter, unique in the environment.
   * @default the last path segment, lower-cased, with `_` and `.` turned into `-`
   */
  readonly name?: string;
  /**
   * The project's repositories.
   * @default the environment's `registry.repositories` (each project gets its own copy)
   */
  readonly repositories?: readonly RepositoryConfig[];
  /**
   * The project's default branch (protected pipelines run on it).
   * @default the environment's `identity.defaultBranch`, else `main`
   */
  readonly defaultBranch?: string;
  /**
   * Who keeps the project's protected refs (the default branch and the release
   * tags its protected CI role trusts): `manage` creates `gitlab_branch_protection`
   * and `gitlab_tag_protection` resources for them; `check` (for a project whose
   * settings are kept elsewhere) only reads the project's protected branches and
   * tags and fails the plan when one is missing.
   * @default "manage"
   */
  readonly protectedRefs?: ProtectedRefsMode;
}


/** A tenant as every part of the platform sees it: defaults applied, names derived. */
export interface Tenant {
  /** Full GitLab project path. */
  readonly path: string;
  /** Short name (see {@link ProjectConfig.name}). */
  readonly name: string;
  /** Default branch. */
  readonly defaultBranch: string;
  /** The project's repositories (config entries). */
  readonly repositories: readonly RepositoryConfig[];
  /** How its trusted refs are protected (see {@link ProjectConfig.protectedRefs}). */
  readonly protectedRefs: ProtectedRefsMode;
  /** Where in the configuration the tenant is listed, e.g. `config/environments[0]/gitlab/projects[1]`. */
  readonly configPath: string;
}

/** The default short name of a project path (its last segment, normalised). */
export function defaultTenantName(path: string): string {
  const last = path.split("/").pop() ?? path;
  return last.toLowerCase().replace(/[_.]+/g, "-");
}

/** Normalises one `gitlab.projects` entry (a path or a {@link ProjectConfig}). */
export function projectConfigOf(entry: string | ProjectConfig): ProjectConfig {
  return typeof entry === "string" ? { path: entry } : entry;
}

/**
 * The tenants of an environment, in configuration order, defaults applied.
 * @param path config path of the environment (for {@link Tenant.configPath})
 */
export function tenantsOf(env: TenancyEnvironment, path = "environment"): readonly Tenant[] {
  return env.gitlab.projects.map((entry, i) => {
    const project = projectConfigOf(entry);
    return {
      path: project.path,
      name: project.name ?? defaultTenantName(project.path),
      defaultBranch: project.defaultBranch ?? env.identity?.defaultBranch ?? DEFAULT_BRANCH,
      repositories: project.repositories ?? env.registry.repositories,
      protectedRefs: project.protectedRefs ?? "manage",
      configPath: `${path}/gitlab/projects[${i}]`,
    };
  });
}

/**
 * The ECR repository name of a tenant's repository at a trust level:
 * `<prefix>/<tenant>/<id>` for protected images, `<prefix>/<tenant>/unprotected/<id>`
 * for what unprotected pipelines build. Protected jobs never pull or use as
 * cache anything under `unprotected/`.
 */
export function tenantRepositoryName(env: TenancyEnvironment, tenant: Tenant, repositoryId: string, trust: TrustLevel): string {
  const prefix = env.registry.repositoryPrefix ?? `${env.gitlab.group}/${env.name}`;
  return trust === "protected" ? `${prefix}/${tenant.name}/${repositoryId}` : `${prefix}/${tenant.name}/unprotected/${repositoryId}`;
}

/**
 * The OIDC audience (`aud`) of an environment's ID tokens: one per
 * environment, so a token minted for one environment is refused by every
 * other environment's roles. The account's OIDC provider lists the audiences
 * of every environment in the account.
 * @default `<platform project>-<environment name>`, e.g. `acme-ci-production`
 */
export function audienceOf(platform: TenancyPlatform, env: TenancyEnvironment): string {
  return env.identity?.audience ?? `${platform.project}-${env.name}`;
}

/** The runner cache key prefix (`[runners.cache] Path`) of a trust level: `<cache path>/<trust>`. */
export function cachePathOf(env: TenancyEnvironment, trust: TrustLevel): string {
  return `${env.cache?.path ?? "runner-cache"}/${trust}`;
}

/** What {@link registryHostOf} reads of an environment (`EnvironmentConfig` fits). */
export interface RegistryLocation {
  readonly accountId: string;
  readonly region: string;
}

/**
 * The ECR registry host of an environment, as a literal:
 * `<account>.dkr.ecr.<region>.<dns suffix>` (`amazonaws.com`, `amazonaws.com.cn` in China).
 * Image URLs are `<host>/<tenantRepositoryName(...)>`.
 */
export function registryHostOf(env: RegistryLocation): string {
  return `${env.accountId}.dkr.ecr.${env.region}.${dnsSuffixOf(env.region)}`;
}

/**
 * The IAM role name of a tenant's CI role at a trust level:
 * `<platform project>-<environment>-<tenant>-<trust>`, e.g.
 * `acme-ci-production-app-protected`. IAM role names hold at most 64
 * characters; `validateTenancy` refuses configurations whose names do not fit.
 */
export function tenantRoleName(platform: TenancyPlatform, env: TenancyEnvironment, tenant: Tenant, trust: TrustLevel): string {
  return `${platform.project}-${env.name}-${tenant.name}-${trust}`;
}

/**
 * The IAM role name of an environment's deployment role: `<platform project>-<environment>-deployment`,
 * assumed from the tenants' protected roles (deploy jobs chain to it).
 * @deprecated the platform creates one deployment role per tenant: {@link tenantDeploymentRoleName}
 */
export function deploymentRoleName(platform: TenancyPlatform, env: TenancyEnvironment): string {
  return `${platform.project}-${env.name}-deployment`;
}

/** What {@link trustLevelsOf} reads of an environment (`EnvironmentConfig` fits). */
export interface TrustLevelSource {
  readonly runners?: { readonly unprotected?: unknown };
}

/**
 * Whether an environment serves unprotected pipelines: only when it has an
 * unprotected runner pool (`runners.unprotected`). Without one, no job of an
 * unprotected ref has a runner there, so the environment creates no unprotected
 * role, repository, CI/CD variable or cache grant: a merge-request job of
 * another environment cannot assume a role of this one to push its images.
 */
export function servesUnprotected(env: TrustLevelSource): boolean {
  return env.runners?.unprotected !== undefined;
}

/** The trust levels an environment serves: `protected` always, `unprotected` only with an unprotected pool ({@link servesUnprotected}). */
export function trustLevelsOf(env: TrustLevelSource): readonly TrustLevel[] {
  return servesUnprotected(env) ? TRUST_LEVELS : ["protected"];
}

export { DEFAULT_SUB_CLAIM_COMPONENTS, type SubClaimComponent } from "../identity/gitlab-subject";
export { type ProtectedRefsMode } from "../gitlab/protected-refs";

/**
 * The IAM role name of a tenant's deployment role in an environment:
 * `<platform project>-<environment>-<tenant>-deployment`, e.g. `acme-ci-production-app-deployment`.
 * Each tenant deploys with a role of its own, trusted by that tenant's protected CI role alone, so
 * one project's deploy job never reaches another project's deployment records. The name is one
 * character shorter than the unprotected CI role's name (`-deployment` vs `-unprotected`), which
 * `validateTenancy` checks against IAM's 64 characters in every environment, so it always fits.
 */
export function tenantDeploymentRoleName(platform: TenancyPlatform, env: TenancyEnvironment, tenant: Tenant): string {
  return `${platform.project}-${env.name}-${tenant.name}-deployment`;
}
