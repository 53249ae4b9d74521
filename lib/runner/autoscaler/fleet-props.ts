import { type IGrantable } from "../../core/iam";
import { type RunnerTokenSource } from "../../gitlab/runner-token-source";
import { type RunnerHostRole } from "../../identity/runner-host-role";
import { type MirrorEndpoint } from "../../mirror/mirror-endpoint";
import { type NetworkRef } from "../../network/network-ref";
import { type TrustLevel } from "../../core/trust";
import { type DockerExecutorSettings, type RunnerLogFormat } from "../config-toml";
import { type DockerDaemonSettings } from "../daemon-json";
import { type PullableRepository, type RunnerCacheAccess } from "../fleet";
import { type RunnerHostArchitecture, type RunnerHostVersions } from "../user-data";
import { type AutoscalerPolicy } from "./autoscaler-toml";
import { type WorkerPurchase } from "./worker-group";

/** An SSM SecureString parameter the manager reads at boot (an {@link ExistingRunnerTokenParameter} fits). */
export interface SecureParameterSource {
  /** Parameter name. */
  readonly parameterName: string;
  /** Parameter ARN. */
  readonly parameterArn: string;
  /** Grants `ssm:GetParameter` on it (and `kms:Decrypt` for a customer key). */
  grantRead(grantee: IGrantable): void;
}

/**
 * How the manager's SSH connector logs in to workers.
 *
 * - `instance-connect` (default): before each connection the fleeting plugin
 *   creates a key and pushes its public half with EC2 Instance Connect
 *   (`SendSSHPublicKey`, valid 60 s; EC2 Instance Connect API reference). No
 *   long-lived secret exists to create, rotate or leak; the permission is
 *   scoped by IAM to the group's instances and every push is in CloudTrail.
 *   It needs the regional EC2 Instance Connect API (NAT or an endpoint), and
 *   users report seconds up to ~30 s per connection.
 * - `static-key`: one key pair for all workers. The private key is an SSM
 *   SecureString created outside Terraform (nothing of it reaches state); the
 *   manager reads it at boot; the public key becomes an EC2 key pair. Faster
 *   connections (2-3 s), but the key is a standing credential for every
 *   worker: rotate it by hand.
 */
export type WorkerConnector =
  | { readonly kind: "instance-connect" }
  | {
      readonly kind: "static-key";
      /** The SecureString holding the OpenSSH or PEM private key. */
      readonly privateKey: SecureParameterSource;
      /** The matching public key (`ssh-ed25519 AAAA...`), not a secret. */
      readonly publicKey: string;
    };

/** One `[[runners]]` entry of a manager, with its own worker group. */
export interface AutoscalerRunnerDefinition {
  /** Runner name, 1-63 of `a-z0-9-`, unique in the fleet, e.g. `mr`. */
  readonly name: string;
  /** Where the manager reads the runner's authentication token at boot (SSM SecureString). */
  readonly tokenSource: RunnerTokenSource;
  /** Which jobs the runner takes: `unprotected` pools get a fresh VM per job by default. */
  readonly trustLevel: TrustLevel;
  /** Most workers (`max_instances`). */
  readonly maxInstances: number;
  /**
   * Jobs at once on one worker (`capacity_per_instance`); must fit the smallest worker type's memory.
   * @default 1
   */
  readonly capacityPerInstance?: number;
  /**
   * Jobs a worker runs before it is removed (`max_use_count`). More than 1 on
   * an `unprotected` pool lets one untrusted job leave something behind for the
   * next: refused unless `maxUseCountReason` says why it is acceptable.
   * @default 1 for unprotected pools, 100 for protected ones
   */
  readonly maxUseCount?: number;
  /**
   * Why reusing workers is acceptable on an unprotected pool (required for `maxUseCount` > 1 there).
   * @default none
   */
  readonly maxUseCountReason?: string;
  /**
   * Memory one job (with its services) needs, in MiB; `capacityPerInstance` jobs must fit a worker.
   * @default 2048
   */
  readonly jobMemoryMiB?: number;
  /**
   * Idle capacity over time (`[[runners.autoscaler.policy]]`), e.g. {@link officeHoursPolicies}.
   * @default scale to zero always: [{ timeZone: "UTC", idleCount: 0, idleTimeSeconds: 600 }]
   */
  readonly policies?: readonly AutoscalerPolicy[];
  /**
   * Docker executor settings. `helperImage` defaults to the mirror's helper
   * repository with the tag of the workers' architecture; one whose tag names
   * another architecture is refused.
   */
  readonly docker: DockerExecutorSettings;
  /**
   * Extra job environment variables (no secrets: they are written into user data).
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Parallel job requests (`request_concurrency`).
   * @default 1
   */
  readonly requestConcurrency?: number;
  /**
   * Use the fleet's S3 cache.
   * @default true when the fleet has a cache
   */
  readonly useCache?: boolean;
  /**
   * This runner's own S3 cache (e.g. the cache prefix of its trust level,
   * `cachePathOf(env, trustLevel)`), instead of the fleet's.
   * @default the fleet's cache
   */
  readonly cache?: RunnerCacheAccess;
  /**
   * Maximum job log size in kilobytes (`output_limit`).
   * @default the runner's default (4096)
   */
  readonly outputLimitKb?: number;
  /**
   * Worker instance types, in priority order, all of one CPU architecture
   * (Graviton types such as `m7g.large` are arm64); the group's AMI, connector
   * `arch` and helper image tag follow it.
   * @default ["m7i.large", "m6i.large", "m5.large"] (arm64: ["m7g.large", "m6g.large"])
   */
  readonly workerInstanceTypes?: readonly string[];
  /**
   * Memory of the smallest worker type in MiB, for types missing from the instance memory tables.
   * @default from the tables
   */
  readonly workerMemoryMiB?: number;
  /**
   * On-demand or spot workers. A reclaimed spot worker fails its job (system
   * failure, retried by `retry: when: runner_system_failure`) once the
   * connector's keepalives stop.
   * @default "on-demand"
   */
  readonly workerPurchase?: WorkerPurchase;
  /**
   * Worker root volume in GiB (images, job containers).
   * @default 40
   */
  readonly workerVolumeGiB?: number;
  /**
   * AMI of the workers (docker, cloud-init, the login user).
   * @default the latest Amazon Linux 2023
   */
  readonly workerImageId?: string;
  /**
   * The worker group's name; it must belong to this runner alone.
   * @default `<fleetName>-<name>-workers`
   */
  readonly workerGroupName?: string;
  /**
   * Seconds a job waits for a worker (`instance_acquire_timeout`).
   * @default 900 (the runner's default, 15 minutes)
   */
  readonly instanceAcquireTimeoutSeconds?: number;
  /**
   * New workers per second and at once (`scale_throttle`), below the Auto Scaling API's rate limits.
   * @default { limit: 5, burst: maxInstances }
   */
  readonly scaleThrottle?: { readonly limit: number; readonly burst: number };
}

/** Props of a {@link DockerAutoscalerFleet}. */
export interface DockerAutoscalerFleetProps {
  /** Fleet name, 1-40 of `a-z0-9-` starting with a letter; names the manager, its role and the worker groups. */
  readonly fleetName: string;
  /** Where the manager and workers run (private subnets). */
  readonly network: NetworkRef;
  /** GitLab instance URL, https. */
  readonly gitlabUrl: string;
  /** The runners, each with its own worker group. */
  readonly runners: readonly AutoscalerRunnerDefinition[];
  /**
   * How the manager logs in to workers.
   * @default { kind: "instance-connect" }
   */
  readonly connector?: WorkerConnector;
  /**
   * Jobs at once on the manager (`concurrent`), ≥ the sum of the runners' limits.
   * @default the sum of the limits (max_instances × capacity_per_instance each)
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
   * The longest job timeout of the projects served; the manager's drain is sized from it.
   * @default 3600
   */
  readonly maxJobTimeoutSeconds?: number;
  /**
   * The manager's instance type (always on-demand: GitLab requires a manager
   * that is not spot). The manager's AMI and gitlab-runner package follow its
   * architecture.
   * @default "t3.small" ("t4g.small" when `architecture` is arm64)
   */
  readonly managerInstanceType?: string;
  /**
   * CPU architecture of the workers: picks the default worker types and the
   * default manager type, and must agree with every runner's
   * `workerInstanceTypes` (each worker group's architecture is derived from
   * its types, which may not mix architectures; its AMI, connector `arch` and
   * helper image tag follow it).
   * @default derived from each runner's worker types (x86_64 for the default types)
   */
  readonly architecture?: RunnerHostArchitecture;
  /**
   * AMI of the manager.
   * @default the latest Amazon Linux 2023
   */
  readonly managerImageId?: string;
  /**
   * The exact fleeting AWS plugin version.
   * @default DEFAULT_FLEETING_AWS_PLUGIN_VERSION
   */
  readonly pluginVersion?: string;
  /**
   * The manager's role; grants go through it.
   * @default a new RunnerHostRole named `<fleetName>-runner-manager`
   */
  readonly managerRole?: RunnerHostRole;
  /**
   * ECR repositories jobs pull from: pull is granted to the manager (which resolves credentials) and DOCKER_AUTH_CONFIG gets `credHelpers`.
   * @default none
   */
  readonly repositories?: readonly PullableRepository[];
  /**
   * The S3 distributed cache (the manager signs cache URLs). Given the cache
   * bucket itself, each runner uses the part of its trust level
   * (`<path>/protected` or `<path>/unprotected`); the cache refuses to serve
   * both trust levels from one prefix.
   * @default no distributed cache
   */
  readonly cache?: RunnerCacheAccess;
  /**
   * A registry mirror for the workers' docker daemons and the helper image. The
   * fleet grants its manager what pulling through the mirror needs
   * (`grantHostAccess`: for an ECR pull-through mirror pull and import on its
   * repositories, and create there only when every runner is `protected`) and adds the mirror's ECR registry hosts to the jobs'
   * `DOCKER_AUTH_CONFIG` `credHelpers`, so a forgotten grant cannot synthesize a
   * fleet whose pulls fail.
   * @default none
   */
  readonly mirror?: MirrorEndpoint;
  /**
   * Worker docker daemon settings besides the mirror's.
   * @default json-file logs rotated at 10m x 3, overlay2
   */
  readonly daemon?: Omit<DockerDaemonSettings, "registryMirrors" | "insecureRegistries">;
  /**
   * Pinned package versions (docker on workers; GitLab Runner, ECR credential helper, CloudWatch agent on the manager).
   * @default DEFAULT_RUNNER_HOST_VERSIONS
   */
  readonly versions?: Partial<RunnerHostVersions>;
  /**
   * Days the manager's logs are kept.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Resource tags.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Default worker types: 8 GiB, so three 2 GiB jobs fit next to the system. */
export const DEFAULT_WORKER_INSTANCE_TYPES: Readonly<Record<RunnerHostArchitecture, readonly string[]>> = {
  x86_64: ["m7i.large", "m6i.large", "m5.large"],
  arm64: ["m7g.large", "m6g.large"],
};

/** Default `max_use_count` per trust level: a fresh VM per untrusted job; trusted workers are reused. */
export const DEFAULT_MAX_USE_COUNT: Readonly<Record<TrustLevel, number>> = { protected: 100, unprotected: 1 };

/** The default policy: no idle capacity, so the group scales to zero; workers stay 10 minutes after their last job. */
export const SCALE_TO_ZERO_POLICY: AutoscalerPolicy = { timeZone: "UTC", idleCount: 0, idleTimeSeconds: 600 };

/** Options of {@link officeHoursPolicies}. */
export interface OfficeHoursPolicyOptions {
  /** IANA time zone of the office. */
  readonly timeZone: string;
  /** Idle job slots kept ready during office hours. */
  readonly idleCount: number;
  /**
   * Seconds an unused worker stays during office hours.
   * @default 1200 (20 minutes)
   */
  readonly idleTimeSeconds?: number;
  /**
   * Working days, a cron day-of-week field.
   * @default "MON-FRI"
   */
  readonly days?: string;
  /**
   * First hour (0-23) with idle capacity.
   * @default 7
   */
  readonly startHour?: number;
  /**
   * First hour (1-24) without it.
   * @default 20
   */
  readonly endHour?: number;
}

/**
 * Two policies: scale to zero at any time (idle_count 0, workers leave 10
 * minutes after their last job), then, for `startHour`-`endHour` on working
 * days, `idleCount` ready slots. The runner uses the last matching policy,
 * so office hours override the base. Jobs queued at night still start: the
 * manager launches a worker for them (from zero).
 */
export function officeHoursPolicies(options: OfficeHoursPolicyOptions): AutoscalerPolicy[] {
  const start = options.startHour ?? 7;
  const end = options.endHour ?? 20;
  return [
    { ...SCALE_TO_ZERO_POLICY, timeZone: options.timeZone },
    {
      periods: [`* ${start}-${end - 1} * * ${options.days ?? "MON-FRI"}`],
      timeZone: options.timeZone,
      idleCount: options.idleCount,
      idleTimeSeconds: options.idleTimeSeconds ?? 1200,
    },
  ];
}
