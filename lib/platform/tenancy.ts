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
import { check } from "../core/errors";
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

/** The platform's two trust levels, strongest first. */
export const TRUST_LEVELS = ["protected", "unprotected"] as const;

/**
 * Who a pipeline runs for: `protected` = a ref GitLab protects (the default
 * branch, release tags, environment branches); `unprotected` = anything else
 * (merge requests, forks, other branches and tags).
 */
export type TrustLevel = (typeof TRUST_LEVELS)[number];

/** Default release tag pattern: what the CI templates release (`v1.2.3`), as a GitLab/IAM wildcard. */
export const DEFAULT_RELEASE_TAG_PATTERN = "v*.*.*";

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
 * The IAM role name of a tenant's CI role at a trust level: `<project>-<env>-<tenant>-<trust>`,
 * e.g. `acme-ci-dev-app-protected`. The one place role names of tenants are derived, so the
 * roles and the project variables that name their ARNs cannot disagree.
 */
export function tenantRoleName(platform: TenancyPlatform, env: TenancyEnvironment, tenant: Tenant, trust: TrustLevel): string {
  return `${platform.project}-${env.name}-${tenant.name}-${trust}`;
}

/** GitLab project paths: segments of letters, digits, `_`, `.`, `-`, not starting with `-` or ending in `.git`/`.atom`. */
const GITLAB_PROJECT_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/;

/**
 * Checks an environment's tenants: each project path is a GitLab path inside the group
 * (GitLab's path rules: letters, digits, `_`, `.`, `-`; no segment ends in `.git` or `.atom`),
 * and no project or tenant name is listed twice (each tenant owns its repositories, roles and
 * variables). Throws a `ValidationError` naming `<path>/gitlab/projects[i]`.
 */
export function validateTenants(env: TenancyEnvironment, path: string): void {
  const byPath = new Map<string, number>();
  const byName = new Map<string, number>();
  tenantsOf(env, path).forEach((tenant, i) => {
    const where = tenant.configPath;
    check(typeof tenant.path === "string" && GITLAB_PROJECT_PATH.test(tenant.path) && !/\.(git|atom)(\/|$)/.test(tenant.path) && tenant.path.startsWith(`${env.gitlab.group}/`), {
      path: where,
      subject: "project path",
      value: tenant.path,
      rule: `a GitLab project path inside the group: segments of letters, digits, '_', '.', '-' separated by '/', starting with ${env.gitlab.group}/`,
      fix: `use the path as in the project's URL, e.g. ${env.gitlab.group}/app`,
    });
    const samePath = byPath.get(tenant.path.toLowerCase());
    check(samePath === undefined, {
      path: where,
      subject: "project path",
      value: tenant.path,
      rule: `each project is listed once (GitLab paths are case-insensitive), but projects[${samePath}] is the same project`,
      fix: "remove the duplicate entry",
    });
    const sameName = byName.get(tenant.name);
    check(sameName === undefined && /^[a-z][a-z0-9-]{0,19}$/.test(tenant.name), {
      path: where,
      subject: "tenant name",
      value: tenant.name,
      rule:
        sameName === undefined
          ? "a tenant name is 1-20 of a-z, 0-9 and '-', starting with a letter (it names repositories and roles)"
          : `tenant names are unique in an environment (they name repositories and roles), but projects[${sameName}] has it too`,
      fix: 'give the project a `name` of its own, e.g. { path: "acme/team-b/app", name: "team-b-app" }',
    });
    byPath.set(tenant.path.toLowerCase(), i);
    byName.set(tenant.name, i);
  });
}
