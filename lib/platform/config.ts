import { validateAccountId, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { validateGitLabUrl } from "../core/gitlab-url";
import { type CacheAccessLogOptions } from "../cache/access-log-bucket";
import { validateBuildpackVariableName } from "../gitlab/buildpack-variables";
import { type RawProxyVariable } from "../gitlab/platform-variables";
import { type RawProxyOptions } from "../mirror/nexus-provisioning";
import { type ExistingNetworkProps } from "../network/existing-network";
import { type FlowLogOptions } from "../network/flow-logs";
import { type NatGatewayMode } from "../network/network";
import { type NetworkRef } from "../network/network-ref";
import { type TagSchemeProps } from "../registry/tag-scheme";
import { type DockerAccess } from "../runner/config-toml";
import { fleetArchitecture, validateImageIdArchitecture } from "../runner/architecture";
import { type ImageBuilder } from "../runner/image-builder";
import { type RunnerFleetCapacity, type RunnerFleetPurchaseOptions } from "../runner/fleet";
import { type OfficeHoursOptions, officeHours, validateCapacity, validateSchedule } from "../runner/schedule";
import { type RunnerHostVersions } from "../runner/user-data";
import { type EnvironmentIdentityConfig, validateEnvironmentIdentity } from "./identity-config";
import { defaultRunnerRegistrations, validateRunnerPools } from "./runner-pools";
import { suggestTopLevelGroup, validateEnvironmentInputs, validateEnvironmentLists, validateRunnerVolumes } from "./input-checks";
import { type ProjectConfig, type RepositoryConfig, tenantsOf } from "./tenancy";
import { type DeployConfig, type PromotionConfig } from "./promotion";
import { validateTenancy } from "./tenancy-validation";

export { type RepositoryConfig } from "./tenancy";

/*
 * The typed configuration of one platform environment, its defaults and the
 * checks that need nothing but the environment itself. What spans
 * environments or stacks (unique names, state keys, account stacks, who owns
 * the group variables on a GitLab instance) is the app's job (stacks/config.ts).
 */

/**
 * What a platform construct needs from the project-wide configuration
 * (the app's `PlatformConfig` is one).
 */
export interface PlatformInfo {
  /** Short name used as a prefix of resource names and as the `platform` tag, e.g. `acme-ci`: 1-20 of `a-z0-9-`, starting with a letter. */
  readonly project: string;
}

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
}


/** One environment: its account, GitLab scope, registries, identities, cache, mirror and runners. */
export interface EnvironmentConfig {
  /** Environment name, 1-20 of `a-z0-9-`, e.g. `dev`: it names resources (and, in the app, the stack). */
  readonly name: string;
  /** 12-digit AWS account id (the app also needs an account stack for the same account and region). */
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
  // --- Identity ---
  /**
   * CI identities: build, merge-request build and pull roles (GitLab OIDC), an
   * optional deployment role, the runner host role, opt-in static credentials.
   * @default build, merge-request build, pull and runner host roles with the defaults of {@link EnvironmentIdentityConfig}; no deployment role; no static credentials
   */
  readonly identity?: EnvironmentIdentityConfig;
  // --- Runner cache and registry mirror ---
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
  // ---- Runner fleet ----
  /**
   * Autoscaling GitLab runner hosts for this environment (and their network).
   * @default none
   */
  readonly runners?: RunnersConfig;
  // ---- Promotion and deployment (lib/platform/promotion.ts) ----
  /**
   * Promote images into this environment by digest from another one (`{}`: the environment
   * listed before this one), with a protected job of this environment per pipeline.
   * @default none: the environment's images come from its own builds
   */
  readonly promotion?: PromotionConfig;
  /**
   * Deploy jobs for this environment in the published deploy template: deploy hook, smoke
   * test, last good digest in SSM, rollback. Needs `identity.deployment`.
   * @default none: no deploy jobs for this environment
   */
  readonly deploy?: DeployConfig;
}


// ---------------------------------------------------------------------------
// Runner cache and registry mirror
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
  /**
   * S3 server access logs of the cache bucket (`false` turns the audit trail off).
   * @default on: `<bucket>-logs`, 90 days
   */
  readonly accessLogs?: CacheAccessLogOptions | false;
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
   * IPv4 CIDR admitted to the Nexus UI on 8081 (at most a /16); runner hosts never reach 8081.
   * @default none (Session Manager port forwarding only)
   */
  readonly adminCidr?: string;
  /**
   * Secrets Manager secret ARN (keys `username`, `accessToken`) with Docker Hub credentials.
   * @default anonymous Docker Hub pulls
   */
  readonly dockerHubCredentialSecretArn?: string;
  /**
   * Required with `dockerHubCredentialSecretArn`: the written reason why anonymous pulls through
   * the credentialed proxy are acceptable (e.g. the token's access is "Public Repo Read-only").
   * @default none (a credential without it is refused)
   */
  readonly credentialedAnonymousPull?: { readonly reason: string };
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
 * fleet runner has a token, and no registration lets a job run longer than
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

// ---- Runner fleet ----

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
  /**
   * How jobs on this runner build images, published to jobs as `PLATFORM_IMAGE_BUILDER`
   * (`buildkit-rootless` adds the runner security options rootless BuildKit needs).
   * @default "docker" with socket binding or dind, else "none"
   */
  readonly builder?: ImageBuilder;
  /**
   * Extra volumes of job containers (docker -v syntax). Refused on the unprotected pool: the
   * host root, `/var/run`, `/run`, docker's data, the kernel's file systems, the docker socket.
   * @default ["/cache"]
   */
  readonly volumes?: readonly string[];
  /**
   * The projects (paths as listed in `gitlab.projects`) whose jobs this runner takes: it is
   * registered as a project runner of exactly these, and its pool's host role pulls only their
   * repositories. The runners of one pool share hosts and a host role, so they list the same
   * projects (docs/runner-pools.md, "Which projects a runner serves").
   * @default every project of `gitlab.projects`
   */
  readonly projects?: readonly string[];
  /**
   * Let a runner whose hosts bind the docker socket or run privileged serve more than one
   * project. Every job on it is root on a docker daemon the other projects' jobs use: it can
   * re-tag a local image or poison the build cache another project's protected job then uses.
   * A written reason (at least 20 characters) is required.
   * @default none: such a runner serves one project
   */
  readonly sharedBetweenProjects?: { readonly reason: string };
}

/** An environment's runner fleet. */
export interface RunnersConfig {
  /**
   * The network: an existing VPC (`{ existing: { vpcId, privateSubnetIds } }`) or a new small VPC
   * (with VPC flow logs into CloudWatch Logs unless `flowLogs: false`).
   * @default a new VPC 10.0.0.0/16 in two zones with a single NAT gateway and flow logs (90 days)
   */
  readonly network?: { readonly existing: ExistingNetworkProps } | { readonly cidr?: string; readonly natGateways?: NatGatewayMode; readonly flowLogs?: FlowLogOptions | false };
  /**
   * The protected pool's runners (on every host of the environment's main fleet): their
   * registrations take jobs of protected branches and tags only, and they may bind the docker
   * socket or run privileged.
   */
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
   * Pinned versions of what the hosts install (GitLab Runner, docker, the ECR
   * credential helper, the CloudWatch agent), for every pool. A change rolls the
   * fleets: the launch template changes and the instance refresh replaces the
   * hosts, each draining its jobs first.
   * @default DEFAULT_RUNNER_HOST_VERSIONS
   */
  readonly versions?: Partial<RunnerHostVersions>;
  /**
   * AMI id or `resolve:ssm:<parameter>` of the protected pool's hosts, also used by the
   * unprotected (fleet mode) and deploy pools whose instance types have the protected
   * pool's architecture and that set no `imageId` of their own; pools of another
   * architecture never inherit it. An SSM parameter naming another architecture than
   * the instance types (e.g. `...-x86_64` with `c7g.large`) is refused.
   * @default the latest Amazon Linux 2023 of the architecture, resolved at each launch
   */
  readonly imageId?: string;
  /**
   * Jobs at once on one host of the protected pool (`concurrent`), at least the sum of the runners' limits.
   * @default the sum of the runners' limits
   */
  readonly concurrent?: number;
  /**
   * Days the hosts' logs are kept (a CloudWatch Logs retention value).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Actions of the fleet dashboards' alarms (e.g. an SNS topic ARN).
   * @default none
   */
  readonly alarmActions?: readonly string[];
  /**
   * The unprotected pool: hosts of their own (own fleet, own host role without access to
   * protected tokens, the protected cache or protected repositories) for jobs of merge
   * requests, forks and unprotected branches and tags. No docker socket, no privileged mode:
   * image builds use rootless BuildKit. `runners` above is the protected pool.
   * @default none: unprotected jobs have no runner in this environment
   */
  readonly unprotected?: UnprotectedPoolConfig;
  /**
   * A separate fleet for deploy jobs: its own hosts and host role, no docker
   * socket and no shared cache, and one runner registered for protected
   * branches and tags only (tag `<project>-deploy`). Build jobs with socket
   * binding are root on their host, so deploy jobs must not share it.
   * @default none
   */
  readonly deploy?: DeployRunnersConfig;
}

/** How a pool runs jobs (see {@link UnprotectedPoolConfig.mode}). */
export type RunnerPoolMode = "fleet" | "docker-autoscaler";

/** The unprotected pool of an environment (see {@link RunnersConfig.unprotected}). */
export interface UnprotectedPoolConfig {
  /** Its runners (names unique across the environment's pools). */
  readonly runners: readonly RunnerConfigEntry[];
  /**
   * `fleet`: hosts that each run gitlab-runner (RunnerFleet, sized by `capacity`, off outside
   * office hours). `docker-autoscaler`: a small always-on manager starts a fresh VM per job,
   * from zero (DockerAutoscalerFleet, docs/docker-autoscaler.md): each runner may use
   * `capacity.maxSize × limit` single-use workers; during the environment's office hours
   * `capacity.minSize` workers wait ready, outside them none (a job still starts its own).
   * @default "fleet"
   */
  readonly mode?: RunnerPoolMode;
  /**
   * Group sizes.
   * @default { minSize: 1, maxSize: 2 }
   */
  readonly capacity?: RunnerFleetCapacity;
  /**
   * On-demand/spot mix.
   * @default all spot
   */
  readonly purchase?: RunnerFleetPurchaseOptions;
  /**
   * Instance types.
   * @default m7i/m6i/m5 xlarge
   */
  readonly instanceTypes?: readonly string[];
  /**
   * Disk for image layers and build cache, GiB.
   * @default the environment's `runners.imageStorageGiB`
   */
  readonly imageStorageGiB?: number;
  /**
   * AMI id or `resolve:ssm:<parameter>` of the pool's hosts (fleet mode), of its instance types' architecture.
   * @default `runners.imageId` when the pool's instance types have the protected pool's architecture, else the latest Amazon Linux 2023 of the pool's architecture
   */
  readonly imageId?: string;
  /**
   * Jobs at once on one host of the pool (`concurrent`, fleet mode), at least the sum of its runners' limits.
   * @default the sum of the pool's runners' limits
   */
  readonly concurrent?: number;
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
  /**
   * The projects (paths as listed in `gitlab.projects`) whose deploy jobs the deploy runner takes
   * (a project runner of exactly these; its host role pulls only their repositories).
   * @default every project of `gitlab.projects`
   */
  readonly projects?: readonly string[];
  /**
   * AMI id or `resolve:ssm:<parameter>` of the deploy hosts, of their instance types' architecture.
   * @default `runners.imageId` when the deploy instance types have the protected pool's architecture, else the latest Amazon Linux 2023 of their architecture
   */
  readonly imageId?: string;
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
  check(GITLAB_PATH.test(env.gitlab.group) && !env.gitlab.group.includes("/"), {
    path: `${path}/gitlab`,
    subject: "group",
    value: env.gitlab.group,
    rule: "a top-level GitLab group path: letters, digits, '_', '.', '-' (no '/', no leading or trailing slash)",
    fix: `use the top-level group's path as in its URL: ${JSON.stringify(suggestTopLevelGroup(env.gitlab.group))} (subgroup projects are listed in gitlab.projects)`,
  });
  tenantsOf(env).forEach(({ path: project }, j) => {
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
    check(GITLAB_PATH.test(gitlab.ciTemplates.project) && gitlab.ciTemplates.project.startsWith(`${gitlab.group}/`), {
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
 */
export function validateEnvironmentConfig(platform: PlatformInfo, env: EnvironmentConfig, path: string): void {
  check(NAME.test(platform.project), {
    path,
    subject: "project name",
    value: platform.project,
    rule: "1-20 lower-case letters, digits and '-', starting with a letter (it prefixes resource names)",
    fix: "use a short name such as acme-ci",
  });
  validateEnvironmentLists(path, env);
  validateEnvironmentBasics(path, env);
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
