import { type RawProxyVariable } from "../gitlab/platform-variables";
import { type ProjectConfig } from "./tenancy";

/*
 * The typed configuration of an environment's GitLab side (types only): the instance, the group
 * and projects it serves, its tier, runner registrations, external registries, templates,
 * toolbox project, variables and version check.
 * Re-exported by environment-config.ts; the checks are in config.ts.
 */

/** The GitLab instance and the part of it an environment serves. */
export interface GitLabConfig {
  /** Instance URL: `https://gitlab.com` or a self-managed host, https, no path or trailing slash. */
  readonly url: string;
  /** Top-level group path served, e.g. `acme`. */
  readonly group: string;
  /**
   * The GitLab projects served (the platform's tenants): a project path such as `acme/app`, or a
   * {@link ProjectConfig} with its own name, repositories and default branch. Each gets its own
   * repositories, CI roles and project-level CI/CD variables (see lib/platform/tenancy.ts).
   */
  readonly projects: readonly (string | ProjectConfig)[];
  /**
   * The GitLab tier of the instance or group (docs/gitlab-tiers.md lists what needs which):
   * on `free`, group variables cannot have environment scopes other than `*`.
   * @default "free"
   */
  readonly tier?: GitLabTier;
  /**
   * Skip the plan-time check that the instance runs GitLab 18.2.2 or later (the first release whose
   * ID tokens for merge-request pipelines from forks carry the fork's `project_path`; see
   * `GitLabVersionCheck`), with the reason, e.g. that no merge-request pipelines from forks run in
   * the parent projects. Every environment on one instance gives one, or none.
   * @default checked, in the instance's gitlab-shared stack (or, on an instance without one, in
   *   each environment stack whose CI roles trust refs)
   */
  readonly skipVersionCheck?: { readonly reason: string };
  /**
   * The GitLab versions the version check accepts: the newest is the minimum for every later
   * line (at least 18.2.2), each other one admits its own line's patch releases from it on, for a
   * patch release whose notes you have checked carry the backport of the fork merge-request ID
   * token fix, e.g. `["18.2.2", "18.1.5"]`. Every environment on one instance gives the same list,
   * or none does.
   * @default ["18.2.2"]
   */
  readonly minimumVersions?: readonly string[];
  // ---- GitLab side: runner registration, CI/CD variables, templates, toolbox project ----
  /**
   * Runners registered for this environment's fleets. Each takes the jobs of one pool (see
   * `runnerPoolsOf` in lib/platform/runner-pools.ts).
   * @default one registration per fleet runner: protected-pool runners `ref_protected` with tag
   * `<project>-<env>-protected-<runner>`, unprotected-pool runners `not_protected`
   * with tag `<project>-<env>-unprotected-<runner>`, the deploy runner `ref_protected` with tag
   * `<project>-<env>-deploy`; none takes untagged jobs; each a project runner of the projects its
   * runner entry serves (`projects`)
   */
  readonly runners?: readonly RunnerRegistrationConfig[];
  /**
   * The group CI/CD variables (platform variables and DOCKER_AUTH_CONFIG) of this environment.
   * @default environment scope `*`, protected in production
   */
  readonly variables?: {
    /**
     * Environment scope: environments sharing a group need distinct scopes; `*` serves jobs without `environment:` (builds).
     * @default "*"
     */
    readonly environmentScope?: string;
    /**
     * Only protected branches and tags get the variables.
     * @default the environment's `production` flag
     */
    readonly protected?: boolean;
  };
  /**
   * Which repository (by `registry.repositories[].id`) serves which image role of the CI templates.
   * @default { app: "app", ci: "app-ci", toolbox: "toolbox" }, limited to the ids that exist
   */
  readonly imageRoles?: Readonly<Record<string, string>>;
  /**
   * Registries with static credentials added to DOCKER_AUTH_CONFIG (e.g. Alibaba ACR). The
   * password comes from a sensitive stack variable named `passwordVariable` (set it with
   * `TF_VAR_<name>`); it lands in Terraform state.
   * @default none
   */
  readonly externalRegistries?: readonly ExternalRegistryConfig[];
  /**
   * GitLab container registry host, for the GitLab registry option: a read_registry group
   * deploy token is added to DOCKER_AUTH_CONFIG.
   * @default none (ECR only)
   */
  readonly containerRegistryHost?: string;
  /**
   * Publish the CI templates into a project (one environment per instance publishes).
   * @default none: templates are not published by this environment
   */
  readonly ciTemplates?: {
    /** Full project path, e.g. `acme/ci-templates`. */
    readonly project: string;
    /**
     * Create the project (in `group`), or use an existing one.
     * @default true
     */
    readonly create?: boolean;
  };
  /**
   * Create the toolbox image project (one environment per instance creates it).
   * @default none
   */
  readonly toolboxProject?: {
    /** Full project path inside `group`; it must be listed in `projects` (so the CI roles trust it). */
    readonly path: string;
    /**
     * Dockerfile.
     * @default the pinned default (terraform, AWS CLI, docker CLI)
     */
    readonly dockerfile?: string;
  };
  /**
   * CI variables of your own pointing at files behind the mirror's raw proxies, by variable
   * name, with the environment's scope and protection (buildpack variables go into
   * `buildpackVariables`). Needs a Nexus mirror with those proxies.
   * @default none
   */
  readonly rawProxyVariables?: Readonly<Record<string, RawProxyVariable>>;
  /**
   * Build-time variables of buildpacks (`BUILDPACK_VARIABLES` in lib/gitlab/buildpack-variables.ts:
   * `JVM_COMMON_BUILDPACK`, `JVM_BUILDPACK_ASSETS_BASE_URL`) pointing at files behind the
   * mirror's raw proxies, by variable name. Group variables, unprotected and scoped `*` (they hold
   * a mirror URL, no secret), so that Auto DevOps' build job, which has no environment, gets them.
   * One environment per group publishes them. Needs a Nexus mirror with those proxies.
   * @default none
   */
  readonly buildpackVariables?: Readonly<Record<string, RawProxyVariable>>;
  /**
   * The projects use Auto DevOps: publish AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES
   * (unprotected, scope `*`) so its build job passes the buildpack and raw proxy variables to
   * the buildpacks.
   * @default false
   */
  readonly autoDevOps?: boolean;
}

/** GitLab subscription tiers (GitLab Free also covers Community Edition). */
export const GITLAB_TIERS = ["free", "premium", "ultimate"] as const;

/** One of {@link GITLAB_TIERS}. */
export type GitLabTier = (typeof GITLAB_TIERS)[number];

/** One runner registration of an environment. */
export interface RunnerRegistrationConfig {
  /** Name, e.g. `build` or `deploy`: 1-20 of `a-z0-9-`; names the token parameter `/<project>/<env>/runner/<name>/token`. */
  readonly name: string;
  /**
   * Tags.
   * @default none
   */
  readonly tags?: readonly string[];
  /**
   * Take untagged jobs.
   * @default false
   */
  readonly untagged?: boolean;
  /**
   * Protected branches and tags only (deploy runners).
   * @default false
   */
  readonly protectedRefsOnly?: boolean;
  /**
   * Maximum job timeout in seconds (>= 600).
   * @default 3600
   */
  readonly maximumTimeoutSeconds?: number;
  /**
   * Use a token created outside Terraform, stored by hand in this SSM SecureString parameter,
   * instead of registering the runner with `gitlab_user_runner` (keeps the token out of state).
   * @default none: the runner is registered by Terraform
   */
  readonly existingTokenParameter?: string;
  /**
   * Register the runner as a group runner (every project of the group, and of its subgroups,
   * including projects created later, may then use it) instead of a project runner of the
   * projects it serves (`projects` of its runner entry). A written reason (at least 20
   * characters) is required, and the runner entry may not narrow `projects`.
   * @default none: every runner is a project runner of the projects it serves
   */
  readonly groupRunner?: { readonly reason: string };
  /**
   * Let a runner whose hosts bind the docker socket, run privileged or serve the protected pool
   * take jobs of unprotected refs (`not_protected`). Any such job is root on the host, or reaches
   * protected tokens and caches. A written reason (at least 20 characters) is required.
   * @default none: such runners are `ref_protected`
   */
  readonly allowUnprotectedJobs?: { readonly reason: string };
}

/** A registry with static credentials (e.g. Alibaba Cloud ACR). */
export interface ExternalRegistryConfig {
  /** Registry host, e.g. `registry.cn-hangzhou.aliyuncs.com`. */
  readonly registry: string;
  /** User name. */
  readonly username: string;
  /** Name of the sensitive stack variable holding the password (a Terraform identifier). */
  readonly passwordVariable: string;
  /**
   * A second, pull-only credential of this registry for every job of the group, unprotected
   * ones included (merge requests, forks, other branches), so that their `image:` and
   * Dockerfile `FROM` can name the registry. It goes into the group's DOCKER_AUTH_CONFIG with
   * environment scope `*`, unprotected, which the app's gitlab-shared stack creates; the
   * credential above stays in this environment's own (scoped) DOCKER_AUTH_CONFIG.
   *
   * Nothing here can check what the credential may do: it MUST be a read-only robot account or
   * token (e.g. an ACR instance's robot with pull permission only, a Harbor robot with `pull`),
   * as any developer who can push a branch reads it from a job.
   *
   * GitLab gives a job the variable of the most specific matching environment scope, so deploy
   * jobs with `environment: <name>` keep this environment's scoped DOCKER_AUTH_CONFIG.
   * @default none: jobs without an environment (builds, merge requests) get no credential of this registry
   */
  readonly unprotectedPull?: UnprotectedPullConfig;
}

/** A pull-only credential of an external registry for every job, unprotected ones included. */
export interface UnprotectedPullConfig {
  /** User name of the read-only robot account or token (non-empty, no white space or ':'). */
  readonly username: string;
  /**
   * Name of the sensitive Terraform variable holding its password, declared by the gitlab-shared
   * stack (set it with `TF_VAR_<name>` where that stack is applied): a Terraform identifier that
   * differs from every `passwordVariable` of the instance's external registries.
   */
  readonly passwordVariable: string;
}
