import { type ExistingNetworkProps } from "../network/existing-network";
import { type FlowLogOptions } from "../network/flow-logs";
import { type NatGatewayMode } from "../network/network";
import { type DockerAccess } from "../runner/config-toml";
import { type ImageBuilder } from "../runner/image-builder";
import { type RunnerFleetCapacity, type RunnerFleetPurchaseOptions } from "../runner/fleet";
import { type OfficeHoursOptions } from "../runner/schedule";
import { type RunnerHostVersions } from "../runner/user-data";

/*
 * The runner pools of an environment's configuration (types only; checks in config.ts and
 * runner-pools.ts).
 */

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
