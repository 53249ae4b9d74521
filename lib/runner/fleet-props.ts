import { type RunnerCacheAccess } from "../cache/runner-cache-settings";
import { type IGrantable } from "../core/iam";
import { type TrustLevel } from "../core/trust";
import { type RunnerTokenSource } from "../gitlab/runner-token-source";
import { type RunnerHostRole } from "../identity/runner-host-role";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { type NetworkRef } from "../network/network-ref";
import { type DockerExecutorSettings, type RunnerLogFormat } from "./config-toml";
import { type DockerDaemonSettings } from "./daemon-json";
import { type RunnerSchedule } from "./schedule";
import {
  type JobSlotScalingOptions,
  type RunnerEgressRule,
  type RunnerFleetCapacity,
  type RunnerFleetPurchaseOptions,
  type RunnerInstanceRefreshOptions,
  type RunnerRootVolume,
} from "./fleet-group-options";
import { type RunnerHostArchitecture, type RunnerHostVersions } from "./user-data";

/** A repository the hosts pull from; a {@link ContainerRepository} is one. */
export interface PullableRepository {
  /** The registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly registryHost: string;
  /** Grants pull to a principal. */
  grantPull(grantee: IGrantable): unknown;
}

/** One `[[runners]]` entry on every host of the fleet. */
export interface RunnerDefinition {
  /** Runner name, 1-63 of `a-z0-9-`, unique in the fleet, e.g. `build`. */
  readonly name: string;
  /** Where hosts read the runner's authentication token at boot (SSM SecureString). */
  readonly tokenSource: RunnerTokenSource;
  /** Jobs this runner runs at once on one host (`limit`). */
  readonly limit: number;
  /**
   * Parallel requests for jobs (`request_concurrency`), 1..limit.
   * @default 1
   */
  readonly requestConcurrency?: number;
  /**
   * Docker executor settings. `helperImage` is unset by default: the runner
   * uses the helper image bundled with its package (never the mirror's, so jobs
   * do not depend on the mirror being up); one whose tag names another
   * architecture than the hosts' is refused.
   */
  readonly docker: DockerExecutorSettings;
  /**
   * Extra job environment variables (no secrets: they are written into user data).
   * `DOCKER_AUTH_CONFIG` is reserved: the fleet derives it from `repositories`.
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Add the seed pipelines' `pre_build_script`: write a static `DOCKER_AUTH_CONFIG`
   * (one with `auths`, from a masked CI/CD variable) to the job's `~/.docker/config.json`,
   * so the docker CLI in jobs can authenticate.
   * @default false
   */
  readonly writeStaticDockerAuthForJobs?: boolean;
  /**
   * Use the fleet's S3 cache.
   * @default true when the fleet has a cache
   */
  readonly useCache?: boolean;
  /**
   * Maximum job log size in kilobytes (`output_limit`).
   * @default the runner's default (4096)
   */
  readonly outputLimitKb?: number;
  /**
   * Lifetime of the runner's authentication token in seconds, when the GitLab
   * instance expires runner tokens (its runner token expiration setting). Hosts
   * never rotate a shared token themselves (the runner's own reset would
   * invalidate every other host's copy): store the new token in the parameter
   * before the old one expires; hosts re-read it when GitLab answers 403, and
   * a changed registration rolls the fleet. Must exceed the drain window.
   * @default tokens do not expire
   */
  readonly tokenLifetimeSeconds?: number;
}

/** Props of a {@link RunnerFleet}. */
export interface RunnerFleetProps {
  /** Fleet name, 1-40 of `a-z0-9-` starting with a letter; names the group, role, log group, security group. */
  readonly fleetName: string;
  /** Where the hosts run (private subnets). */
  readonly network: NetworkRef;
  /** GitLab instance URL, https. */
  readonly gitlabUrl: string;
  /** The runners every host runs. */
  readonly runners: readonly RunnerDefinition[];
  /**
   * Jobs at once on a host (`concurrent`), ≥ the sum of the runners' limits.
   * @default the sum of the runners' limits
   */
  readonly concurrent?: number;
  /**
   * Seconds between job requests (`check_interval`).
   * @default 3
   */
  readonly checkInterval?: number;
  /**
   * Runner log format.
   * @default "json"
   */
  readonly logFormat?: RunnerLogFormat;
  /**
   * Seconds a forceful runner shutdown waits (`shutdown_timeout`). At most
   * {@link SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS} (90) when any host can be spot:
   * the spot notice gives two minutes.
   * @default 30
   */
  readonly shutdownTimeoutSeconds?: number;
  /**
   * The longest job timeout of the projects served; the drain (lifecycle hook,
   * systemd stop timeout) is sized from it. Set the runners' maximum timeout in
   * GitLab to the same value. At most 172,500 s (48 h minus the drain margin).
   * @default 3600 (GitLab's default job timeout)
   */
  readonly maxJobTimeoutSeconds?: number;
  /**
   * Instance types, in priority order for on-demand; all of one CPU architecture
   * (Graviton types such as `c7g.large` are arm64, see {@link GRAVITON_FAMILIES}).
   * @default ["m7i.xlarge", "m6i.xlarge", "m5.xlarge"] (arm64: ["m7g.xlarge", "m6g.xlarge"])
   */
  readonly instanceTypes?: readonly string[];
  /**
   * CPU architecture; derived from `instanceTypes`, and refused when it disagrees with them.
   * @default the instance types' architecture (x86_64 for the default types)
   */
  readonly architecture?: RunnerHostArchitecture;
  /**
   * AMI id, or `resolve:ssm:<parameter>`, of the fleet's architecture.
   * @default the latest Amazon Linux 2023 of the architecture from AWS's public SSM parameter, resolved at each launch
   */
  readonly imageId?: string;
  /**
   * Group sizes. With schedules, these are the sizes at creation only: the
   * schedules own min and max afterwards (Terraform ignores their changes).
   * @default { minSize: 1, maxSize: 3 }
   */
  readonly capacity?: RunnerFleetCapacity;
  /**
   * On-demand and spot mix.
   * @default all spot (capacity-optimized, capacity rebalance)
   */
  readonly purchase?: RunnerFleetPurchaseOptions;
  /**
   * Scheduled size changes, e.g. {@link officeHours}.
   * @default none
   */
  readonly schedules?: readonly RunnerSchedule[];
  /**
   * Target tracking on job-slot utilisation, or false for fixed/scheduled sizes only.
   * @default { targetUtilizationPercent: 70 }
   */
  readonly jobSlotScaling?: JobSlotScalingOptions | false;
  /**
   * Seconds from launch until a host takes jobs and its metric counts.
   * @default 300
   */
  readonly instanceWarmupSeconds?: number;
  /**
   * Seconds a host with a rebalance recommendation waits for the group to
   * replace it (it takes no jobs meanwhile) before it takes jobs again.
   * @default instanceWarmupSeconds + 300
   */
  readonly rebalanceWaitSeconds?: number;
  /**
   * Percentage of the root volume above which the hourly clean-up removes
   * docker images no container uses and build cache older than a day. The
   * dashboard's disk alarm defaults to 10 points above it.
   * @default 75
   */
  readonly diskCleanupThresholdPercent?: number;
  /**
   * Instance refresh on launch template changes (hosts drain like on scale-in), or false.
   * @default { minHealthyPercentage: 100, maxHealthyPercentage: 200 }
   */
  readonly instanceRefresh?: RunnerInstanceRefreshOptions | false;
  /**
   * IMDSv2 hop limit. 1 keeps job containers (one network hop further) away from the host role.
   * @default 1
   */
  readonly imdsHopLimit?: number;
  /**
   * Disk space for image layers, build cache and job containers, in GiB.
   * @default 50
   */
  readonly imageStorageGiB?: number;
  /**
   * Root volume (always gp3 and encrypted).
   * @default 20 + imageStorageGiB GiB, 3000 IOPS, 125 MiB/s, default EBS key
   */
  readonly rootVolume?: RunnerRootVolume;
  /**
   * The hosts' role; grants go through it.
   * @default a new RunnerHostRole named `<fleetName>-runner-host`
   */
  readonly hostRole?: RunnerHostRole;
  /**
   * ECR repositories jobs pull from: pull is granted and DOCKER_AUTH_CONFIG gets
   * `credHelpers` `ecr-login` for each registry host.
   * @default none
   */
  readonly repositories?: readonly PullableRepository[];
  /**
   * The S3 distributed cache. Given the cache bucket itself, the fleet uses the
   * part of its trust level (`<path>/protected` or `<path>/unprotected`, see
   * {@link trustLevel}); given one part (`bucket.cacheAccessFor(...)`), that part.
   * @default no distributed cache
   */
  readonly cache?: RunnerCacheAccess;
  /**
   * Which jobs this fleet's hosts run: `protected` when every runner takes jobs
   * of protected refs only (GitLab's `ref_protected` access level), otherwise
   * `unprotected`. It picks the fleet's part of a cache bucket and is recorded
   * with the cache, which refuses to serve both trust levels from one prefix.
   * @default from the runners' token sources (`RunnerTokenSource.trustLevel`):
   *   `protected` when all are protected, `unprotected` when any is unprotected;
   *   unknown (and required with a cache bucket) when a source does not say
   * @throws ValidationError for `protected` with a runner registered for unprotected jobs
   */
  readonly trustLevel?: TrustLevel;
  /**
   * A registry mirror: daemon.json mirrors (also for `docker:dind` services),
   * egress to its security group, and what the host role needs to pull through
   * it (granted by the fleet). With a mirror that has no daemon mirrors (ECR
   * pull-through), the runners' default images and services are rewritten to
   * its prefixes. The helper image is never taken from the mirror: the helper
   * images bundled with the runner package need no registry.
   * @default none
   */
  readonly mirror?: MirrorEndpoint;
  /**
   * docker daemon settings besides the mirror's.
   * @default json-file logs rotated at 10m x 3, overlay2
   */
  readonly daemon?: Omit<DockerDaemonSettings, "registryMirrors" | "insecureRegistries">;
  /**
   * Pinned versions of docker, GitLab Runner, the ECR credential helper and the CloudWatch agent.
   * @default {@link DEFAULT_RUNNER_HOST_VERSIONS}
   */
  readonly versions?: Partial<RunnerHostVersions>;
  /**
   * Days the hosts' logs are kept.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Extra outbound rules.
   * @default none
   */
  readonly additionalEgress?: readonly RunnerEgressRule[];
  /**
   * Resource tags (also on instances and volumes).
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Seconds added to the longest job for the drain: artifact and cache upload, the runner's own exit. */
export const DRAIN_MARGIN_SECONDS = 300;
/** Longest heartbeat timeout of a lifecycle hook (AWS). */
export const MAX_HEARTBEAT_TIMEOUT_SECONDS = 7200;
/** Longest time an instance may stay in a lifecycle wait state: 48 h (or 100 x heartbeat timeout, if smaller). */
export const MAX_LIFECYCLE_WAIT_SECONDS = 172_800;
/** Disk the system needs besides images (AL2023, logs, runner packages), in GiB. */
export const SYSTEM_DISK_GIB = 20;
/** The default {@link RunnerFleetProps.diskCleanupThresholdPercent}. */
export const DEFAULT_DISK_CLEANUP_THRESHOLD_PERCENT = 75;
/**
 * The longest `shutdown_timeout` of a fleet that can have spot hosts, in seconds.
 * EC2 reclaims a spot instance two minutes after its interruption notice
 * ("Spot Instance interruption notices", EC2 User Guide); the watcher sees the
 * notice within its 5 s poll, and the forceful shutdown aborts the jobs and
 * reports them as runner_system_failure within `shutdown_timeout`
 * (handleForcefulShutdown, commands/multi.go). 90 s leaves the rest of the
 * two minutes for the notice's detection and the final job updates.
 */
export const SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS = 90;
/** The launch template's instance tag holding a digest of the runners' token sources. */
export const TOKEN_REVISION_TAG = "gitlab-runner-token-revision";
/** The cache contract a fleet takes (kept beside the cache settings it carries, lib/cache/runner-cache-settings.ts). */
export { type RunnerCacheAccess } from "../cache/runner-cache-settings";
/** The metrics a fleet publishes (kept in fleet-metrics.ts). */
export { DEFAULT_METRIC_NAMESPACE, GROUP_METRICS, HOST_METRICS, JOB_SLOT_METRIC_NAME } from "./fleet-metrics";
/** CloudWatch Logs retention values (kept in lib/core/log-retention.ts). */
export { LOG_RETENTION_DAYS } from "../core/log-retention";
/** The Auto Scaling group and host options of {@link RunnerFleetProps} (kept in fleet-group-options.ts). */
export * from "./fleet-group-options";
