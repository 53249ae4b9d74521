import { validateAccountId, validateBucketName, validateRegion } from "../lib/core/aws";
import { check, ValidationError } from "../lib/core/errors";
import { validateGitLabUrl } from "../lib/core/gitlab-url";
import { type AccountIdentityConfig, type EnvironmentIdentityConfig, validateIdentityConfig } from "./identity-config";
import { type PullThroughCacheRuleOptions, type RegistryScanningOptions } from "../lib/registry/registry-settings";
import { type RawProxyVariable } from "../lib/gitlab/platform-variables";
import { type RawProxyOptions } from "../lib/mirror/nexus-provisioning";
import { type NetworkRef } from "../lib/network/network-ref";
import { type Retention, type TagSchemeProps } from "../lib/registry/tag-scheme";
import { type BackendConfig } from "./backend";
// Runner fleet (issue 4) imports.
import { type ExistingNetworkProps } from "../lib/network/existing-network";
import { type NatGatewayMode } from "../lib/network/network";
import { type DockerAccess } from "../lib/runner/config-toml";
import { type RunnerFleetCapacity, type RunnerFleetPurchaseOptions } from "../lib/runner/fleet";
import { type OfficeHoursOptions, officeHours, validateCapacity, validateSchedule } from "../lib/runner/schedule";

/**
 * The platform's configuration: typed, validated before any construct is
 * built, and the only input of `main.ts`. Data flows one way:
 * config -> stacks -> constructs -> Terraform JSON.
 */
export interface PlatformConfig {
  /** Short name used as a prefix of resource names and as the `platform` tag, e.g. `acme-ci`. */
  readonly project: string;
  /** Shared account-level stacks, one per (AWS account, region). */
  readonly accounts: readonly AccountConfig[];
  /** One stack per environment. */
  readonly environments: readonly EnvironmentConfig[];
  /**
   * Where every stack keeps its state.
   * @default { kind: "local" } (state files next to the synthesized stacks)
   */
  readonly backend?: BackendConfig;
}

/** A shared account stack: registry-wide singletons of one account and region. */
export interface AccountConfig {
  /** Stack name suffix (`account-<name>`), e.g. `nonprod`. */
  readonly name: string;
  /** 12-digit AWS account id. */
  readonly accountId: string;
  /** AWS region, e.g. `eu-central-1`. */
  readonly region: string;
  /**
   * State key of the stack.
   * @default `<backend keyPrefix or project>/account-<name>.tfstate`
   */
  readonly stateKey?: string;
  /**
   * Registry-wide settings of this account and region.
   * @default basic scan on push, no pull-through cache
   */
  readonly registry?: {
    /**
     * Registry scanning.
     * @default basic scan on push
     */
    readonly scanning?: RegistryScanningOptions;
    /**
     * Pull-through cache rules.
     * @default none
     */
    readonly pullThroughCache?: readonly PullThroughCacheRuleOptions[];
    /**
     * Days after it was cached that a pull-through cached image expires.
     * @default 30
     */
    readonly cachedImageExpiryDays?: number;
  };
  // --- Identity (issue 3) ---
  /**
   * Identity settings: GitLab OIDC providers that already exist in the account.
   * @default the account stack creates the OIDC providers its environments need
   */
  readonly identity?: AccountIdentityConfig;
}

/** The GitLab instance and the part of it an environment serves. */
export interface GitLabConfig {
  /** Instance URL: `https://gitlab.com` or a self-managed host, https, no path or trailing slash. */
  readonly url: string;
  /** Top-level group path served, e.g. `acme`. */
  readonly group: string;
  /** Project paths served, e.g. `acme/app`. */
  readonly projects: readonly string[];
  // ---- GitLab side (issue 6): runner registration, CI/CD variables, templates, toolbox project ----
  /**
   * Runners registered for this environment's fleets (group runners of `group`).
   * @default a `build` runner (tag `<project>-build`, also untagged jobs); production adds a
   * `deploy` runner (tag `<project>-deploy`, protected branches and tags only)
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
   * CI variables pointing at files behind the mirror's raw proxies (seed 002's
   * BUILDPACK_STDLIB_URL and friends), by variable name. Needs a Nexus mirror with those proxies.
   * @default none
   */
  readonly rawProxyVariables?: Readonly<Record<string, RawProxyVariable>>;
  /**
   * The projects use Auto DevOps: publish AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES
   * so its build job forwards the raw proxy variables into the build.
   * @default false
   */
  readonly autoDevOps?: boolean;
}

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
}

/** A registry with static credentials (e.g. Alibaba ACR from seed 000). */
export interface ExternalRegistryConfig {
  /** Registry host, e.g. `registry.cn-hangzhou.aliyuncs.com`. */
  readonly registry: string;
  /** User name. */
  readonly username: string;
  /** Name of the sensitive stack variable holding the password (a Terraform identifier). */
  readonly passwordVariable: string;
}

/** One container repository of an environment. */
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

/** One environment: its stack, account, GitLab scope and registries. */
export interface EnvironmentConfig {
  /** Environment name, lower case, e.g. `dev`; the stack is named after it. */
  readonly name: string;
  /** 12-digit AWS account id; an {@link AccountConfig} with the same account and region must exist. */
  readonly accountId: string;
  /** AWS region. */
  readonly region: string;
  /** GitLab instance and scope. */
  readonly gitlab: GitLabConfig;
  /**
   * Marks a production environment: data (registries, the mirror's data
   * volume) gets `prevent_destroy`, and turning that off needs a written
   * {@link EnvironmentConfig.destroyProtectionWaiver}.
   * @default false
   */
  readonly production?: boolean;
  /**
   * A written reason for switching destroy protection off in a production environment.
   * @default none (production data must be protected)
   */
  readonly destroyProtectionWaiver?: string;
  /**
   * State key of the stack.
   * @default `<backend keyPrefix or project>/<name>.tfstate`
   */
  readonly stateKey?: string;
  /** Registries of this environment. */
  readonly registry: {
    /**
     * Repository name prefix; repositories are named `<prefix>/<id>`.
     * @default `<gitlab.group>/<name>`
     */
    readonly repositoryPrefix?: string;
    /**
     * Tag scheme overrides.
     * @default the built-in tag kinds
     */
    readonly tagScheme?: TagSchemeProps;
    /**
     * `prevent_destroy` on the repositories.
     * @default true in production, false elsewhere
     */
    readonly preventDestroy?: boolean;
    /** The repositories. */
    readonly repositories: readonly RepositoryConfig[];
  };
  // --- Identity (issue 3) ---
  /**
   * CI identities: build, merge-request build and pull roles (GitLab OIDC), an
   * optional deployment role, the runner host role, opt-in static credentials.
   * @default build, merge-request build, pull and runner host roles with the defaults of {@link EnvironmentIdentityConfig}; no deployment role; no static credentials
   */
  readonly identity?: EnvironmentIdentityConfig;
  // --- Runner cache and registry mirror (issue 5) ---
  /**
   * The S3 runner cache (one bucket per environment, named `<project>-<name>-cache-<accountId>`).
   * @default a cache with the defaults of {@link CacheConfig}
   */
  readonly cache?: CacheConfig;
  /**
   * The registry mirror the runners pull through.
   * @default none
   */
  readonly mirror?: MirrorConfig;
  // ---- Runner fleet (issue 4) ----
  /**
   * Autoscaling GitLab runner hosts for this environment (and their network).
   * @default none
   */
  readonly runners?: RunnersConfig;
}

// ---------------------------------------------------------------------------
// Runner cache and registry mirror (issue 5)
// ---------------------------------------------------------------------------

/** An environment's S3 runner cache. */
export interface CacheConfig {
  /**
   * Days after which cache objects expire.
   * @default 14
   */
  readonly expirationDays?: number;
  /**
   * Key prefix of the cache (`[runners.cache] Path`).
   * @default "runner-cache"
   */
  readonly path?: string;
  /**
   * Whether all runners share one cache (`Shared`).
   * @default true
   */
  readonly shared?: boolean;
  /**
   * Let `terraform destroy` delete a non-empty bucket.
   * @default false
   */
  readonly forceDestroy?: boolean;
}

/** A Nexus mirror host (Docker Hub, registry.gitlab.com, raw proxies). */
export interface NexusMirrorConfig {
  /** The mirror kind. */
  readonly kind: "nexus";
  /**
   * The network of the host.
   * @default the environment's runner network (`runners.network`), so runner hosts reach it directly
   */
  readonly network?: NetworkRef;
  /**
   * EC2 instance type.
   * @default "m7i.large"
   */
  readonly instanceType?: string;
  /**
   * Data volume size in GiB (at least 50).
   * @default 200
   */
  readonly dataVolumeSizeGiB?: number;
  /**
   * Daily snapshots kept.
   * @default 7
   */
  readonly snapshotRetentionCount?: number;
  /**
   * IPv4 CIDR admitted to the Nexus UI on 8081.
   * @default none
   */
  readonly adminCidr?: string;
  /**
   * Secrets Manager secret ARN (keys `username`, `accessToken`) with Docker Hub credentials.
   * @default anonymous Docker Hub pulls
   */
  readonly dockerHubCredentialSecretArn?: string;
  /**
   * Raw (file download) proxies.
   * @default none
   */
  readonly rawProxies?: readonly RawProxyOptions[];
  /**
   * Private hosted zone of the mirror's DNS name (`mirror.<zone>`).
   * @default "ci.internal"
   */
  readonly dnsZoneName?: string;
}

/** ECR pull-through cache as the mirror: rules of the account stack, no host. */
export interface EcrPullThroughMirrorConfig {
  /** The mirror kind. */
  readonly kind: "ecr-pull-through";
  /**
   * The account's rule prefixes to offer.
   * @default every pull-through rule of the account
   */
  readonly prefixes?: readonly string[];
}

/** The registry mirror of an environment. */
export type MirrorConfig = NexusMirrorConfig | EcrPullThroughMirrorConfig;

/** The S3 bucket name of an environment's runner cache (at most 20+20+12+8 = 60 characters). */
export function cacheBucketNameOf(platform: PlatformConfig, env: EnvironmentConfig): string {
  return `${platform.project}-${env.name}-cache-${env.accountId}`;
}

/** Checks the cache and mirror sections that depend on other parts of the configuration. */
export function validateCacheAndMirrorConfig(config: PlatformConfig, env: EnvironmentConfig, path: string): void {
  const mirror = env.mirror;
  if (mirror?.kind !== "ecr-pull-through") return;
  const account = accountOf(config, env);
  const prefixes = (account.registry?.pullThroughCache ?? []).map((r) => r.prefix ?? r.upstream);
  check(prefixes.length > 0, {
    path: `${path}/mirror`,
    subject: "kind",
    value: mirror.kind,
    rule: `an ECR pull-through mirror uses the pull-through cache rules of its account stack, and account ${account.name} has none`,
    fix: `add registry.pullThroughCache rules to account ${account.name}, or use kind "nexus"`,
  });
  (mirror.prefixes ?? []).forEach((prefix, i) => {
    check(prefixes.includes(prefix), {
      path: `${path}/mirror/prefixes[${i}]`,
      subject: "prefix",
      value: prefix,
      rule: `the prefix must be one of account ${account.name}'s pull-through rules (${prefixes.join(", ")})`,
      fix: "add the rule to the account, or remove the prefix",
    });
  });
}

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const TERRAFORM_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const GITLAB_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;

/** The repository name prefix of an environment. */
export function repositoryPrefixOf(env: EnvironmentConfig): string {
  return env.registry.repositoryPrefix ?? `${env.gitlab.group}/${env.name}`;
}

/** The state key of a stack: the configured one, or `<keyPrefix or project>/<stack>.tfstate`. */
export function stateKeyOf(config: PlatformConfig, stackName: string, configured: string | undefined): string {
  if (configured !== undefined) return configured;
  const prefix = config.backend?.kind === "s3" ? (config.backend.keyPrefix ?? config.project) : config.project;
  return `${prefix}/${stackName}.tfstate`;
}

/** Whether an environment's data gets `prevent_destroy`. */
export function protectsData(env: EnvironmentConfig, explicit: boolean | undefined): boolean {
  return explicit ?? env.production ?? false;
}

/** The id of the account stack serving (accountId, region). */
export function accountStackName(account: AccountConfig): string {
  return `account-${account.name}`;
}

/** The account config an environment deploys into. */
export function accountOf(config: PlatformConfig, env: EnvironmentConfig): AccountConfig {
  const account = config.accounts.find((a) => a.accountId === env.accountId && a.region === env.region);
  if (!account) {
    throw new ValidationError({
      path: `config/environments/${env.name}`,
      subject: "account and region",
      value: `${env.accountId}/${env.region}`,
      rule: "every environment deploys into an (account, region) that has an account stack for its registry-wide settings",
      fix: `add { name: "...", accountId: "${env.accountId}", region: "${env.region}" } to config.accounts`,
    });
  }
  return account;
}

/**
 * Validates the whole configuration; throws a {@link ValidationError} naming
 * the config path, the value, the rule and the fix of the first problem.
 */
export function validateConfig(config: PlatformConfig): void {
  check(NAME.test(config.project), {
    path: "config/project",
    subject: "project name",
    value: config.project,
    rule: "1-20 lower-case letters, digits and '-', starting with a letter (it prefixes resource names)",
    fix: "use a short name such as acme-ci",
  });

  const accountNames = new Set<string>();
  const accountKeys = new Set<string>();
  config.accounts.forEach((account, i) => {
    const path = `config/accounts[${i}]`;
    check(NAME.test(account.name), {
      path,
      subject: "account stack name",
      value: account.name,
      rule: "1-20 lower-case letters, digits and '-', starting with a letter",
      fix: "use a name such as nonprod",
    });
    check(!accountNames.has(account.name), {
      path,
      subject: "account stack name",
      value: account.name,
      rule: "account stack names are unique",
      fix: "rename one of the account stacks",
    });
    accountNames.add(account.name);
    validateAccountId(path, "accountId", account.accountId);
    validateRegion(path, "region", account.region);
    const key = `${account.accountId}/${account.region}`;
    check(!accountKeys.has(key), {
      path,
      subject: "account and region",
      value: key,
      rule: "one account stack per (account, region): registry-wide settings are singletons",
      fix: "merge the two account entries",
    });
    accountKeys.add(key);
  });

  const envNames = new Set<string>();
  const repositoryNames = new Map<string, string>();
  config.environments.forEach((env, i) => {
    const path = `config/environments[${i}]`;
    check(NAME.test(env.name), {
      path,
      subject: "environment name",
      value: env.name,
      rule: "1-20 lower-case letters, digits and '-', starting with a letter (it names the stack and resources)",
      fix: "use a name such as dev, staging or production",
    });
    check(!envNames.has(env.name), {
      path,
      subject: "environment name",
      value: env.name,
      rule: "environment names are unique (each names a stack and its state)",
      fix: "rename one of the environments",
    });
    envNames.add(env.name);
    validateAccountId(path, "accountId", env.accountId);
    validateRegion(path, "region", env.region);
    accountOf(config, env);
    validateGitLabUrl(`${path}/gitlab`, env.gitlab.url);
    validateRunnersConfig(config, env, path); // Runner fleet (issue 4)
    check(GITLAB_PATH.test(env.gitlab.group) && !env.gitlab.group.includes("/"), {
      path: `${path}/gitlab`,
      subject: "group",
      value: env.gitlab.group,
      rule: "a top-level GitLab group path: letters, digits, '_', '.', '-'",
      fix: "use the group's path as in its URL, e.g. acme",
    });
    env.gitlab.projects.forEach((project, j) => {
      check(GITLAB_PATH.test(project) && project.startsWith(`${env.gitlab.group}/`), {
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
      const name = `${env.accountId}/${env.region}/${repositoryPrefixOf(env)}/${repo.id}`;
      const other = repositoryNames.get(name);
      check(other === undefined, {
        path: `${path}/registry/repositories[${j}]`,
        subject: "repository name",
        value: `${repositoryPrefixOf(env)}/${repo.id}`,
        rule: `repository names are unique per account and region, but environment ${other} already creates it`,
        fix: "give the environments different registry.repositoryPrefix values",
      });
      repositoryNames.set(name, env.name);
    });
    validateCacheAndMirrorConfig(config, env, path);
    validateDestroyProtection(path, env);
  });
  validateBackend(config);
  // --- Identity (issue 3) ---
  validateIdentityConfig(config);
  // ---- GitLab side (issue 6) ----
  validateGitLabSide(config);
  config.environments.forEach((env, i) => validateRunnerRegistrations(config, env, `config/environments[${i}]`));
}

/**
 * Registrations and fleets agree: every registration runs on a fleet, every
 * fleet runner has a token, and no registration lets a job run longer than
 * the drain on scale-in covers.
 */
function validateRunnerRegistrations(config: PlatformConfig, env: EnvironmentConfig, path: string): void {
  if (!env.runners) return;
  const registrations = runnersOf(config, env);
  const hosted = new Set([...env.runners.runners.map((r) => r.name), ...(env.runners.deploy ? [DEPLOY_RUNNER] : [])]);
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
  env.runners.runners.forEach((runner, i) => {
    check(registered.has(runner.name) || runner.tokenParameterName !== undefined, {
      path: `${path}/runners/runners[${i}]`,
      subject: "runner",
      value: runner.name,
      rule: "a fleet runner needs a token: a GitLab registration of the same name, or tokenParameterName for a token made outside Terraform",
      fix: `add { name: "${runner.name}", tags: [...] } to gitlab.runners, or give tokenParameterName`,
    });
  });
}


/** Production data stays protected unless a written waiver says why not. */
function validateDestroyProtection(path: string, env: EnvironmentConfig): void {
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

// ---- GitLab side (issue 6) ----

/** The runners of an environment, defaults applied. */
export function runnersOf(config: PlatformConfig, env: EnvironmentConfig): readonly RunnerRegistrationConfig[] {
  if (env.gitlab.runners) return env.gitlab.runners;
  // One registration per fleet runner: tag `<project>-<name>`; the first also takes untagged jobs.
  const timeout = env.runners?.maxJobTimeoutSeconds ?? 3600;
  const fleet = (env.runners?.runners ?? [])
    .filter((r) => r.tokenParameterName === undefined)
    .map((r, i): RunnerRegistrationConfig => ({ name: r.name, tags: [`${config.project}-${r.name}`], untagged: i === 0, maximumTimeoutSeconds: timeout }));
  const deploy: RunnerRegistrationConfig[] = env.runners?.deploy
    ? [{ name: DEPLOY_RUNNER, tags: [`${config.project}-${DEPLOY_RUNNER}`], protectedRefsOnly: true, maximumTimeoutSeconds: timeout }]
    : [];
  return [...fleet, ...deploy];
}

/** Default image roles of the CI templates. */
export const DEFAULT_IMAGE_ROLES: Readonly<Record<string, string>> = { app: "app", ci: "app-ci", toolbox: "toolbox" };

/** The image roles of an environment: configured, or the defaults whose repository exists. */
export function imageRolesOf(env: EnvironmentConfig): Readonly<Record<string, string>> {
  const ids = new Set(env.registry.repositories.map((r) => r.id));
  return env.gitlab.imageRoles ?? Object.fromEntries(Object.entries(DEFAULT_IMAGE_ROLES).filter(([, id]) => ids.has(id)));
}

/** Checks the GitLab-side fields of every environment, and what environments sharing a GitLab instance must not both own. */
export function validateGitLabSide(config: PlatformConfig): void {
  const owners = new Map<string, string>();
  const own = (what: string, key: string, env: EnvironmentConfig, path: string, fix: string): void => {
    const identity = JSON.stringify([what, env.gitlab.url, key]);
    const other = owners.get(identity);
    check(other === undefined, {
      path,
      subject: what,
      value: key,
      rule: `only one environment may own the ${what} on ${env.gitlab.url}, but environment ${other} already does (separate stacks would overwrite each other)`,
      fix,
    });
    owners.set(identity, env.name);
  };
  config.environments.forEach((env, i) => {
    const path = `config/environments[${i}]/gitlab`;
    const gitlab = env.gitlab;
    const names = new Set<string>();
    runnersOf(config, env).forEach((runner, j) => {
      check(NAME.test(runner.name) && !names.has(runner.name), {
        path: `${path}/runners[${j}]`,
        subject: "runner name",
        value: runner.name,
        rule: "runner names are unique, 1-20 lower-case letters, digits and '-'",
        fix: "use names such as build and deploy",
      });
      names.add(runner.name);
    });
    const scope = gitlab.variables?.environmentScope ?? "*";
    own("group variables", `${gitlab.group} (environment scope ${scope})`, env, `${path}/variables`, "give the environments sharing the group distinct variables.environmentScope values (e.g. * for the build environment, staging, production)");
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
      check(GITLAB_PATH.test(gitlab.ciTemplates.project) && gitlab.ciTemplates.project.startsWith(`${gitlab.group}/`), {
        path: `${path}/ciTemplates`,
        subject: "project",
        value: gitlab.ciTemplates.project,
        rule: `the templates project is a project path inside the group, such as ${gitlab.group}/ci-templates`,
        fix: `use a path starting with ${gitlab.group}/`,
      });
      own("CI templates project", gitlab.ciTemplates.project, env, `${path}/ciTemplates`, "publish the templates from one environment only");
    }
    if (gitlab.toolboxProject) {
      check(gitlab.projects.includes(gitlab.toolboxProject.path) && gitlab.toolboxProject.path.split("/").length === 2, {
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
      own("toolbox project", gitlab.toolboxProject.path, env, `${path}/toolboxProject`, "create the toolbox project from one environment only");
    }
  });
}

const STATE_KEY = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** The backend: a valid bucket, and one state key per stack. */
function validateBackend(config: PlatformConfig): void {
  if (config.backend?.kind === "s3") {
    validateBucketName("config/backend", "bucket", config.backend.bucket);
    validateRegion("config/backend", "region", config.backend.region);
  }
  const keys = new Map<string, string>();
  const stacks = [
    ...config.accounts.map((a, i) => ({ path: `config/accounts[${i}]`, name: accountStackName(a), key: stateKeyOf(config, accountStackName(a), a.stateKey) })),
    ...config.environments.map((e, i) => ({ path: `config/environments[${i}]`, name: e.name, key: stateKeyOf(config, e.name, e.stateKey) })),
  ];
  for (const stack of stacks) {
    check(STATE_KEY.test(stack.key) && !stack.key.split("/").includes(".."), {
      path: stack.path,
      subject: "stateKey",
      value: stack.key,
      rule: "a state key is a relative path of letters, digits, '_', '.', '-' (no leading '/', no '..')",
      fix: "use a key such as acme-ci/dev.tfstate",
    });
    const other = keys.get(stack.key);
    check(other === undefined, {
      path: stack.path,
      subject: "stateKey",
      value: stack.key,
      rule: `every stack needs its own state, but stack ${other} already uses this key (two stacks on one state destroy each other's resources)`,
      fix: "give the stacks different stateKey values",
    });
    keys.set(stack.key, stack.name);
  }
}

/** Checks a GitLab instance URL: https, a host, no path, query, fragment or trailing slash. */
export { validateGitLabUrl };

// ---- Runner fleet (issue 4) ----

/** One runner (`[[runners]]` entry) on every host of an environment's fleet. */
export interface RunnerConfigEntry {
  /** Runner name, e.g. `build`; also part of the token parameter name. */
  readonly name: string;
  /** Jobs at once per host. */
  readonly limit: number;
  /** How jobs reach docker: `socket-binding` (layer cache, trusted projects), `dind` (privileged) or `none`. */
  readonly dockerAccess: DockerAccess;
  /** Default job image. */
  readonly image: string;
  /**
   * Privileged job containers (needed by dind).
   * @default false
   */
  readonly privileged?: boolean;
  /**
   * SSM SecureString parameter holding the runner's `glrt-` token.
   * @default `/<project>/<environment>/runner/<name>/token`
   */
  readonly tokenParameterName?: string;
}

/** An environment's runner fleet. */
export interface RunnersConfig {
  /**
   * The network: an existing VPC (`{ existing: { vpcId, privateSubnetIds } }`) or a new small VPC.
   * @default a new VPC 10.0.0.0/16 in two zones with a single NAT gateway
   */
  readonly network?: { readonly existing: ExistingNetworkProps } | { readonly cidr?: string; readonly natGateways?: NatGatewayMode };
  /** The runners on every host. */
  readonly runners: readonly RunnerConfigEntry[];
  /**
   * Instance types.
   * @default m7i/m6i/m5 xlarge
   */
  readonly instanceTypes?: readonly string[];
  /**
   * Group sizes.
   * @default { minSize: 1, maxSize: 3 }
   */
  readonly capacity?: RunnerFleetCapacity;
  /**
   * On-demand/spot mix.
   * @default all spot
   */
  readonly purchase?: RunnerFleetPurchaseOptions;
  /**
   * Run only during office hours (scale to zero at night and on weekends).
   * @default always on
   */
  readonly officeHours?: OfficeHoursOptions;
  /**
   * The longest job timeout the drain must cover, in seconds.
   * @default 3600
   */
  readonly maxJobTimeoutSeconds?: number;
  /**
   * Disk for image layers and build cache, GiB.
   * @default 50
   */
  readonly imageStorageGiB?: number;
  /**
   * A separate fleet for deploy jobs: its own hosts and host role, no docker
   * socket and no shared cache, and one runner registered for protected
   * branches and tags only (tag `<project>-deploy`). Build jobs with socket
   * binding are root on their host, so deploy jobs must not share it.
   * @default none
   */
  readonly deploy?: DeployRunnersConfig;
}

/** The deploy fleet of an environment (see {@link RunnersConfig.deploy}). */
export interface DeployRunnersConfig {
  /**
   * Deploy jobs at once per host.
   * @default 2
   */
  readonly limit?: number;
  /**
   * Default job image of deploy jobs.
   * @default "alpine:3.20"
   */
  readonly image?: string;
  /**
   * Group sizes.
   * @default { minSize: 1, maxSize: 2 }
   */
  readonly capacity?: RunnerFleetCapacity;
  /**
   * On-demand/spot mix.
   * @default all on-demand (a deploy must not be interrupted)
   */
  readonly purchase?: RunnerFleetPurchaseOptions;
  /**
   * Instance types.
   * @default m7i/m6i/m5 large
   */
  readonly instanceTypes?: readonly string[];
}

/** The name of the deploy runner and its registration. */
export const DEPLOY_RUNNER = "deploy";

/** The runner fleet's name in an environment: `<project>-<environment>`. */
export function runnerFleetName(config: PlatformConfig, env: EnvironmentConfig): string {
  return `${config.project}-${env.name}`;
}

/** The SSM parameter name of a runner's token. */
export function runnerTokenParameterName(config: PlatformConfig, env: EnvironmentConfig, runner: RunnerConfigEntry): string {
  return runner.tokenParameterName ?? `/${config.project}/${env.name}/runner/${runner.name}/token`;
}

/**
 * Checks an environment's runner section before any construct is built (the
 * fleet checks the rest at construction, with its construct path).
 */
export function validateRunnersConfig(config: PlatformConfig, env: EnvironmentConfig, path: string): void {
  const runners = env.runners;
  if (!runners) return;
  const at = `${path}/runners`;
  const fleetName = runnerFleetName(config, env);
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
  runners.runners.forEach((runner, i) => {
    check(!names.has(runner.name), {
      path: `${at}/runners[${i}]`,
      subject: "runner name",
      value: runner.name,
      rule: "runner names are unique in a fleet (they name the token parameters)",
      fix: "rename one of the runners",
    });
    names.add(runner.name);
  });
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
    officeHours(runners.officeHours).forEach((schedule, i) => validateSchedule(`${at}/officeHours[${i}]`, schedule, true));
  }
}
