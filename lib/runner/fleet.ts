import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { AutoscalingSchedule } from "@cdktf/provider-aws/lib/autoscaling-schedule";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Annotations, Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { type RunnerCacheSettings } from "../cache/runner-cache-settings";
import { check } from "../core/errors";
import { type IGrantable } from "../core/iam";
import { escapeForFunctionArgument, isUnresolved, replaceTokens } from "../core/tokens";
import { type RunnerTokenSource } from "../gitlab/runner-token-source";
import { RunnerHostRole } from "../identity/runner-host-role";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { parseCidr } from "../network/cidr";
import { type NetworkRef } from "../network/network-ref";
import {
  type DockerExecutorSettings,
  type RunnerEntry,
  type RunnerLogFormat,
  type RunnerManagerConfig,
  STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT,
  renderRunnerConfig,
  sumOfLimits,
} from "./config-toml";
import { type DockerDaemonSettings, renderDaemonJson } from "./daemon-json";
import { type RunnerSchedule, validateCapacity, validateSchedule } from "./schedule";
import {
  DEFAULT_RUNNER_HOST_VERSIONS,
  type RunnerHostArchitecture,
  type RunnerHostInput,
  type RunnerHostVersions,
  renderRunnerHostUserData,
  tokenPlaceholder,
  validateUserDataSize,
  validateVersions,
} from "./user-data";

/** A repository the hosts pull from; a {@link ContainerRepository} is one. */
export interface PullableRepository {
  /** The registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly registryHost: string;
  /** Grants pull to a principal. */
  grantPull(grantee: IGrantable): unknown;
}

/**
 * The S3 distributed cache as the fleet needs it: the shared settings for
 * `[runners.cache]` and a grant for the hosts (only the runner manager signs
 * cache URLs, so only the host role needs access). The cache bucket construct
 * provides both; the fleet always applies the grant, so a forgotten grant
 * cannot cause cache 403s.
 */
export interface RunnerCacheAccess {
  /** The shared cache settings. */
  readonly settings: RunnerCacheSettings;
  /** Grants read and write on the cache objects (and ListBucket, and KMS if used). */
  grantReadWrite(grantee: IGrantable): void;
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
  /** Docker executor settings. `helperImage` defaults to the mirror's helper image. */
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
}

/** Sizes of the Auto Scaling group. */
export interface RunnerFleetCapacity {
  /** Fewest hosts. At least 1 while job-slot scaling is on (use schedules to turn the fleet off). */
  readonly minSize: number;
  /** Most hosts. */
  readonly maxSize: number;
  /**
   * Hosts at creation. Later changes are ignored (scaling and schedules own it).
   * @default minSize
   */
  readonly desiredCapacity?: number;
}

/** On-demand and spot mix (mixed instances policy). */
export interface RunnerFleetPurchaseOptions {
  /**
   * Hosts that are always on-demand.
   * @default 0
   */
  readonly onDemandBaseCapacity?: number;
  /**
   * Percent of the hosts above the base that are on-demand (the rest is spot).
   * @default 0 (all spot above the base)
   */
  readonly onDemandPercentageAboveBaseCapacity?: number;
  /**
   * How spot capacity is chosen.
   * @default "capacity-optimized"
   */
  readonly spotAllocationStrategy?: "capacity-optimized" | "price-capacity-optimized";
  /**
   * Capacity rebalancing: launch a replacement when a spot host gets a rebalance
   * recommendation, then terminate (and drain) the old one.
   * @default true when any host can be spot
   */
  readonly capacityRebalance?: boolean;
}

/** Target tracking on job-slot utilisation. */
export interface JobSlotScalingOptions {
  /**
   * Average percent of job slots (running jobs / concurrent) the group keeps busy.
   * @default 70
   */
  readonly targetUtilizationPercent?: number;
  /**
   * CloudWatch namespace of the metric (the hosts may only publish to it).
   * @default "GitLab/RunnerFleet"
   */
  readonly metricNamespace?: string;
}

/** The encrypted gp3 root volume. */
export interface RunnerRootVolume {
  /**
   * Size in GiB; at least 20 (system, logs, runner packages) plus `imageStorageGiB`.
   * @default 20 + imageStorageGiB
   */
  readonly sizeGiB?: number;
  /**
   * Provisioned IOPS (gp3 baseline 3000).
   * @default 3000
   */
  readonly iops?: number;
  /**
   * Throughput in MiB/s (gp3 baseline 125).
   * @default 125
   */
  readonly throughputMiBps?: number;
  /**
   * Customer-managed KMS key for the volume.
   * @default the account's default EBS key
   */
  readonly kmsKeyArn?: string;
}

/** Instance refresh when the launch template changes. */
export interface RunnerInstanceRefreshOptions {
  /**
   * Percent of capacity kept healthy during a refresh.
   * @default 100 (launch replacements first)
   */
  readonly minHealthyPercentage?: number;
  /**
   * Percent of capacity the group may temporarily grow to.
   * @default 200
   */
  readonly maxHealthyPercentage?: number;
}

/** An extra outbound rule for the hosts (by default they reach only TCP 80 and 443, and the mirror). */
export interface RunnerEgressRule {
  /** What it is for. */
  readonly description: string;
  /** First port. */
  readonly port: number;
  /**
   * Last port.
   * @default port
   */
  readonly toPort?: number;
  /**
   * Protocol.
   * @default "tcp"
   */
  readonly protocol?: "tcp" | "udp";
  /** Destination IPv4 CIDR. */
  readonly cidrIpv4: string;
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
   * Seconds a forceful runner shutdown waits (`shutdown_timeout`).
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
   * Instance types, in priority order for on-demand; all must match `architecture`.
   * @default ["m7i.xlarge", "m6i.xlarge", "m5.xlarge"] (arm64: ["m7g.xlarge", "m6g.xlarge"])
   */
  readonly instanceTypes?: readonly string[];
  /**
   * CPU architecture.
   * @default "x86_64"
   */
  readonly architecture?: RunnerHostArchitecture;
  /**
   * AMI id, or `resolve:ssm:<parameter>`.
   * @default the latest Amazon Linux 2023 from the public SSM parameter, resolved at each launch
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
   * The S3 distributed cache.
   * @default no distributed cache
   */
  readonly cache?: RunnerCacheAccess;
  /**
   * A registry mirror: daemon.json mirrors, helper image, egress to its security group.
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
/** The metric the hosts publish. */
export const JOB_SLOT_METRIC_NAME = "JobSlotUtilization";
/** CloudWatch Logs retention values. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const DEFAULT_INSTANCE_TYPES: Readonly<Record<RunnerHostArchitecture, readonly string[]>> = {
  x86_64: ["m7i.xlarge", "m6i.xlarge", "m5.xlarge"],
  arm64: ["m7g.xlarge", "m6g.xlarge"],
};
const FLEET_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const SECRET_LITERAL = /glrt-[A-Za-z0-9_.-]{8,}|AKIA[0-9A-Z]{16}|"auths"/;

/**
 * Autoscaling GitLab runner hosts with the docker executor on Amazon Linux
 * 2023: a launch template (IMDSv2 with hop limit 1, encrypted gp3, the runner
 * host role, no inbound rules, cloud-init user data that pins and installs
 * docker, gitlab-runner, the ECR credential helper and the CloudWatch agent),
 * a mixed on-demand/spot Auto Scaling group, a termination lifecycle hook
 * that lets running jobs finish (scale-in, schedules, instance refresh, spot
 * rebalancing), target tracking on job-slot utilisation and schedules.
 * Runner tokens are read on the host at boot from SSM; none is in user data
 * or in Terraform.
 *
 * @example
 * const fleet = new RunnerFleet(this, "runners", {
 *   fleetName: "acme-ci-dev",
 *   network,
 *   gitlabUrl: "https://gitlab.example.com",
 *   runners: [{ name: "build", tokenSource, limit: 4, docker: { image: "docker:27", dockerAccess: "socket-binding" } }],
 *   repositories: [appRepository],
 *   schedules: officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 }),
 * });
 */
export class RunnerFleet extends Construct {
  /** The hosts' role. */
  public readonly hostRole: RunnerHostRole;
  /** The hosts' security group (no inbound rules); a mirror host admits it. */
  public readonly securityGroupId: string;
  /** The Auto Scaling group's name. */
  public readonly autoScalingGroupName: string;
  /** The termination lifecycle hook's name. */
  public readonly lifecycleHookName: string;
  /** The CloudWatch log group of the hosts. */
  public readonly logGroupName: string;
  /** `concurrent` of every host. */
  public readonly concurrent: number;
  /** The longest job timeout the drain covers; use it as the runners' maximum timeout in GitLab. */
  public readonly maxJobTimeoutSeconds: number;
  /** The lifecycle hook's heartbeat timeout. */
  public readonly heartbeatTimeoutSeconds: number;
  /** The config.toml model (tokens are placeholders). */
  public readonly runnerConfig: RunnerManagerConfig;
  /** The rendered cloud-config user data (before gzip; may contain tokens of other resources). */
  public readonly userData: string;
  /** The `aws_launch_template`. */
  public readonly launchTemplate: LaunchTemplate;
  /** The `aws_autoscaling_group`. */
  public readonly autoScalingGroup: AutoscalingGroup;

  public constructor(scope: Construct, id: string, props: RunnerFleetProps) {
    super(scope, id);
    const path = this.node.path;
    validateFleetProps(path, props);
    const name = props.fleetName;
    const architecture = props.architecture ?? "x86_64";
    const scaling = props.jobSlotScaling === false ? undefined : { targetUtilizationPercent: 70, metricNamespace: "GitLab/RunnerFleet", ...props.jobSlotScaling };
    const capacity = props.capacity ?? { minSize: 1, maxSize: 3 };
    const maxJobTimeout = props.maxJobTimeoutSeconds ?? 3600;
    const drainTimeout = maxJobTimeout + DRAIN_MARGIN_SECONDS;
    this.maxJobTimeoutSeconds = maxJobTimeout;
    this.heartbeatTimeoutSeconds = Math.min(MAX_HEARTBEAT_TIMEOUT_SECONDS, drainTimeout);
    this.autoScalingGroupName = `${name}-runners`;
    this.lifecycleHookName = `${name}-drain`;
    this.logGroupName = `/gitlab-runner/${name}`;

    this.hostRole = props.hostRole ?? new RunnerHostRole(this, "host-role", { roleName: `${name}-runner-host`, tags: props.tags });

    // config.toml and daemon.json, validated by their models.
    const registryHosts = [...new Set((props.repositories ?? []).map((repo) => repo.registryHost))];
    this.runnerConfig = {
      concurrent: props.concurrent,
      checkInterval: props.checkInterval,
      logFormat: props.logFormat ?? "json",
      shutdownTimeout: props.shutdownTimeoutSeconds,
      runners: props.runners.map((r, i) => runnerEntry(`${path}/runners[${i}]`, r, i, props, registryHosts)),
    };
    const runnerConfigToml = renderRunnerConfig(path, this.runnerConfig);
    this.concurrent = this.runnerConfig.concurrent ?? sumOfLimits(this.runnerConfig);
    const daemonJson = renderDaemonJson(`${path}/mirror`, {
      ...props.daemon,
      registryMirrors: props.mirror?.registryMirrors,
      insecureRegistries: props.mirror?.insecureRegistries,
    });

    // Grants, all through the host role and scoped to this fleet's resources.
    const account = new DataAwsCallerIdentity(this, "account");
    const partition = new DataAwsPartition(this, "partition");
    const region = new DataAwsRegion(this, "region");
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: this.logGroupName,
      retentionInDays: props.logRetentionDays ?? 30,
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    const logGroupArn = logGroup.arn;
    props.runners.forEach((r) => r.tokenSource.grantRead(this.hostRole));
    props.repositories?.forEach((r) => r.grantPull(this.hostRole));
    props.cache?.grantReadWrite(this.hostRole);
    this.hostRole.addToPrincipalPolicy({
      actions: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
      // The group's ARN from its name (not its attribute), so the policy does not wait for the group.
      resources: [`arn:${partition.partition}:autoscaling:${region.region}:${account.accountId}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroupName}`],
    });
    this.hostRole.addToPrincipalPolicy({
      actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      resources: [logGroupArn, `${logGroupArn}:*`],
    });
    if (scaling) {
      this.hostRole.addToPrincipalPolicy({
        actions: ["cloudwatch:PutMetricData"],
        resources: ["*"],
        conditions: { StringEquals: { "cloudwatch:namespace": scaling.metricNamespace } },
      });
    }

    // User data: cloud-config from the models; no secret in it.
    const hostInput: RunnerHostInput = {
      runnerConfigTemplate: runnerConfigToml,
      daemonJson,
      tokenParameterNames: props.runners.map((r) => r.tokenSource.parameterName),
      autoScalingGroupName: this.autoScalingGroupName,
      lifecycleHookName: this.lifecycleHookName,
      concurrent: this.concurrent,
      drainTimeoutSeconds: drainTimeout,
      heartbeatIntervalSeconds: Math.max(30, Math.floor(this.heartbeatTimeoutSeconds / 2)),
      ...(scaling ? { metric: { namespace: scaling.metricNamespace, name: JOB_SLOT_METRIC_NAME } } : {}),
      logGroupName: this.logGroupName,
      versions: { ...DEFAULT_RUNNER_HOST_VERSIONS, ...props.versions },
      architecture,
    };
    this.userData = renderRunnerHostUserData(hostInput);
    validateUserDataSize(path, this.userData);

    // Network: no inbound rule at all (Session Manager only; `ingress = []` also makes
    // Terraform remove inbound rules added by hand); outbound HTTP(S) and the mirror.
    // Inline rules are attributes in Terraform JSON: every field must be present.
    const egress = (description: string, rule: { port: number; toPort?: number; protocol?: string; cidrIpv4?: string; securityGroupId?: string }) => ({
      description,
      protocol: rule.protocol ?? "tcp",
      fromPort: rule.port,
      toPort: rule.toPort ?? rule.port,
      cidrBlocks: rule.securityGroupId ? [] : [rule.cidrIpv4 ?? "0.0.0.0/0"],
      securityGroups: rule.securityGroupId ? [rule.securityGroupId] : [],
      ipv6CidrBlocks: [],
      prefixListIds: [],
      selfAttribute: false,
    });
    const mirrorSecurityGroup = props.mirror?.securityGroupId;
    const securityGroup = new SecurityGroup(this, "security-group", {
      name: `${name}-runner-hosts`,
      description: `GitLab runner hosts of ${name}: no inbound; outbound HTTP(S) and the registry mirror`,
      vpcId: props.network.vpcId,
      ingress: [],
      egress: [
        egress("HTTPS: GitLab, registries, AWS APIs, package repositories", { port: 443 }),
        egress("HTTP: package mirrors used by jobs (apt, dnf)", { port: 80 }),
        ...(mirrorSecurityGroup ? mirrorPorts(props.mirror!).map((port) => egress(`Registry mirror port ${port}`, { port, securityGroupId: mirrorSecurityGroup })) : []),
        ...(props.additionalEgress ?? []).map((rule) => egress(rule.description, rule)),
      ],
      tags: { ...props.tags, Name: `${name}-runner-hosts` },
    });
    this.securityGroupId = securityGroup.id;

    const tags = { ...props.tags, Name: `${name}-runner`, "gitlab-runner-fleet": name, "gitlab-runners": props.runners.map((r) => r.name).join(" ") };
    const volume = props.rootVolume ?? {};
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: `${name}-runner-host`,
      description: `GitLab runner hosts of ${name}`,
      imageId: props.imageId ?? `resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`,
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: this.hostRole.instanceProfileArn },
      vpcSecurityGroupIds: [securityGroup.id],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: props.imdsHopLimit ?? 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeType: "gp3",
            volumeSize: volume.sizeGiB ?? SYSTEM_DISK_GIB + (props.imageStorageGiB ?? 50),
            iops: volume.iops ?? 3000,
            throughput: volume.throughputMiBps ?? 125,
            encrypted: "true",
            ...(volume.kmsKeyArn ? { kmsKeyId: volume.kmsKeyArn } : {}),
            deleteOnTermination: "true",
          },
        },
      ],
      userData: Fn.base64gzip(escapeForFunctionArgument(this.userData)),
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags })),
      tags: { ...props.tags, Name: `${name}-runner-host` },
    });

    const purchase = props.purchase ?? {};
    const spot = (purchase.onDemandPercentageAboveBaseCapacity ?? 0) < 100;
    const warmup = props.instanceWarmupSeconds ?? 300;
    const refresh = props.instanceRefresh === false ? undefined : { minHealthyPercentage: 100, maxHealthyPercentage: 200, ...props.instanceRefresh };
    this.autoScalingGroup = new AutoscalingGroup(this, "group", {
      name: this.autoScalingGroupName,
      minSize: capacity.minSize,
      maxSize: capacity.maxSize,
      desiredCapacity: capacity.desiredCapacity ?? capacity.minSize,
      vpcZoneIdentifier: [...props.network.privateSubnetIds],
      healthCheckType: "EC2",
      defaultInstanceWarmup: warmup,
      capacityRebalance: purchase.capacityRebalance ?? spot,
      mixedInstancesPolicy: {
        instancesDistribution: {
          onDemandBaseCapacity: purchase.onDemandBaseCapacity ?? 0,
          onDemandPercentageAboveBaseCapacity: purchase.onDemandPercentageAboveBaseCapacity ?? 0,
          onDemandAllocationStrategy: "prioritized",
          spotAllocationStrategy: purchase.spotAllocationStrategy ?? "capacity-optimized",
        },
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
          override: instanceTypes(props).map((instanceType) => ({ instanceType })),
        },
      },
      ...(refresh
        ? {
            // Instance refresh terminates through the lifecycle hook, so replaced hosts drain like on scale-in.
            instanceRefresh: {
              strategy: "Rolling",
              preferences: { ...refresh, instanceWarmup: String(warmup), skipMatching: true },
            },
          }
        : {}),
      // Scaling owns the desired capacity after creation, and schedules own min and max:
      // an apply at night must not start the hosts a schedule stopped.
      lifecycle: { ignoreChanges: ["desired_capacity", ...((props.schedules ?? []).length > 0 ? ["min_size", "max_size"] : [])] },
      // Tokens are read at boot: let the role's policy exist before the first host starts.
      dependsOn: this.hostRole.grants.policyResource ? [this.hostRole.grants.policyResource] : [],
    });

    const groupName = this.autoScalingGroup.name;
    new AutoscalingLifecycleHook(this, "drain-hook", {
      name: this.lifecycleHookName,
      autoscalingGroupName: groupName,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: this.heartbeatTimeoutSeconds,
      defaultResult: "CONTINUE",
    });

    if (scaling) {
      new AutoscalingPolicy(this, "job-slot-scaling", {
        name: `${name}-job-slots`,
        autoscalingGroupName: groupName,
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          targetValue: scaling.targetUtilizationPercent,
          customizedMetricSpecification: {
            namespace: scaling.metricNamespace,
            metricName: JOB_SLOT_METRIC_NAME,
            statistic: "Average",
            unit: "Percent",
            metricDimension: [{ name: "AutoScalingGroupName", value: this.autoScalingGroupName }],
          },
        },
      });
    }

    for (const schedule of props.schedules ?? []) {
      new AutoscalingSchedule(this, `schedule-${schedule.name}`, {
        scheduledActionName: schedule.name,
        autoscalingGroupName: groupName,
        recurrence: schedule.cron,
        timeZone: schedule.timeZone,
        // -1 leaves a size unchanged (the provider's default would be 0).
        minSize: schedule.minSize ?? -1,
        maxSize: schedule.maxSize ?? -1,
        desiredCapacity: schedule.desiredCapacity ?? -1,
      });
    }

    if ((props.imdsHopLimit ?? 1) > 1) {
      Annotations.of(this).addWarning(
        `imdsHopLimit ${props.imdsHopLimit}: job containers can reach the instance metadata service and use the runner host role`,
      );
    }
  }
}

function instanceTypes(props: RunnerFleetProps): readonly string[] {
  return props.instanceTypes ?? DEFAULT_INSTANCE_TYPES[props.architecture ?? "x86_64"];
}

/** The config.toml entry of a runner definition. */
function runnerEntry(path: string, r: RunnerDefinition, index: number, props: RunnerFleetProps, registryHosts: readonly string[]): RunnerEntry {
  const environment = { ...r.environment };
  check(!("DOCKER_AUTH_CONFIG" in environment), {
    path,
    subject: "environment DOCKER_AUTH_CONFIG",
    value: "(set)",
    rule: "DOCKER_AUTH_CONFIG is derived from the fleet's repositories (credHelpers ecr-login, no secret); static credentials would be a secret in user data",
    fix: "pass the repositories to the fleet; put static registry credentials in a masked CI/CD variable and set writeStaticDockerAuthForJobs",
  });
  for (const [key, value] of Object.entries(environment)) {
    check(isUnresolved(value) || !SECRET_LITERAL.test(value), {
      path,
      subject: `environment ${key}`,
      value: "(a secret-looking value, not shown)",
      rule: "job environment variables are written into user data, so they must not hold secrets (runner tokens, access keys, registry credentials)",
      fix: "store the secret as a masked CI/CD variable in GitLab instead",
    });
  }
  if (registryHosts.length > 0) {
    environment.DOCKER_AUTH_CONFIG = JSON.stringify({ credHelpers: Object.fromEntries(registryHosts.map((h) => [h, "ecr-login"])) });
  }
  const helperImage = r.docker.helperImage ?? props.mirror?.helperImage;
  return {
    name: r.name,
    url: props.gitlabUrl,
    token: tokenPlaceholder(index),
    limit: r.limit,
    requestConcurrency: r.requestConcurrency,
    outputLimitKb: r.outputLimitKb,
    environment,
    ...(r.writeStaticDockerAuthForJobs ? { preBuildScript: STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT } : {}),
    docker: { ...r.docker, ...(helperImage !== undefined ? { helperImage } : {}) },
    ...(props.cache && r.useCache !== false ? { cache: props.cache.settings } : {}),
  };
}

/** Ports of a mirror (registry mirrors, insecure registries, helper image host, raw proxies), literal parts only. */
export function mirrorPorts(mirror: MirrorEndpoint): number[] {
  const ports = new Set<number>();
  const fromUrl = (url: string) => {
    try {
      const u = new URL(replaceTokens(url, "token-host"));
      ports.add(Number(u.port || (u.protocol === "https:" ? 443 : 80)));
    } catch {
      // Not a URL (a token as a whole): nothing to derive.
    }
  };
  mirror.registryMirrors.forEach(fromUrl);
  Object.values(mirror.rawProxyUrls).forEach(fromUrl);
  for (const hostPort of [...mirror.insecureRegistries, ...(mirror.helperImage ? [mirror.helperImage.split("/")[0]!] : [])]) {
    const port = /:(\d{1,5})$/.exec(replaceTokens(hostPort, "token-host"))?.[1];
    if (port) ports.add(Number(port));
  }
  return [...ports].sort((a, b) => a - b);
}

function validateFleetProps(path: string, props: RunnerFleetProps): void {
  check(FLEET_NAME.test(props.fleetName), {
    path,
    subject: "fleetName",
    value: props.fleetName,
    rule: "1-40 lower-case letters, digits and '-', starting with a letter (it names the group, role, log group and security group)",
    fix: "use a short name such as acme-ci-dev",
  });
  check(isUnresolved(props.network.privateSubnetIds) || props.network.privateSubnetIds.length >= 1, {
    path,
    subject: "network.privateSubnetIds",
    value: props.network.privateSubnetIds,
    rule: "the hosts need at least one private subnet",
    fix: "pass a Network or an ExistingNetwork with private subnets",
  });
  const types = instanceTypes(props);
  check(types.length >= 1 && types.length <= 40, {
    path,
    subject: "instanceTypes",
    value: types,
    rule: "a mixed instances policy takes 1 to 40 instance types",
    fix: 'list at least one type, e.g. ["m7i.xlarge", "m6i.xlarge"]; more types give spot more pools',
  });
  types.forEach((t, i) => {
    check(INSTANCE_TYPE.test(t) && types.indexOf(t) === i, {
      path,
      subject: `instanceTypes[${i}]`,
      value: t,
      rule: "an EC2 instance type such as m7i.xlarge, listed once",
      fix: "fix the spelling or remove the duplicate",
    });
  });
  const hop = props.imdsHopLimit ?? 1;
  check(Number.isInteger(hop) && hop >= 1 && hop <= 64, {
    path,
    subject: "imdsHopLimit",
    value: hop,
    rule: "the IMDS hop limit is a whole number from 1 to 64 (1 keeps job containers away from the host role)",
    fix: "use 1",
  });
  const maxJob = props.maxJobTimeoutSeconds ?? 3600;
  check(Number.isInteger(maxJob) && maxJob >= 60, {
    path,
    subject: "maxJobTimeoutSeconds",
    value: maxJob,
    rule: "a whole number of seconds ≥ 60",
    fix: "use the longest job timeout of the projects served, e.g. 3600",
  });
  check(maxJob + DRAIN_MARGIN_SECONDS <= MAX_LIFECYCLE_WAIT_SECONDS, {
    path,
    subject: "maxJobTimeoutSeconds",
    value: maxJob,
    rule: `a termination lifecycle hook holds an instance at most ${MAX_LIFECYCLE_WAIT_SECONDS} s (48 h, with heartbeats), and the drain needs the longest job plus ${DRAIN_MARGIN_SECONDS} s`,
    fix: `lower the runners' maximum job timeout in GitLab to at most ${MAX_LIFECYCLE_WAIT_SECONDS - DRAIN_MARGIN_SECONDS} s and set maxJobTimeoutSeconds to it`,
  });
  const imageStorage = props.imageStorageGiB ?? 50;
  check(Number.isInteger(imageStorage) && imageStorage >= 1, {
    path,
    subject: "imageStorageGiB",
    value: imageStorage,
    rule: "a whole number of GiB ≥ 1",
    fix: "estimate the images' total size plus build cache, e.g. 50",
  });
  const volume = props.rootVolume ?? {};
  if (volume.sizeGiB !== undefined) {
    const needed = SYSTEM_DISK_GIB + imageStorage;
    check(Number.isInteger(volume.sizeGiB) && volume.sizeGiB >= needed && volume.sizeGiB <= 16384, {
      path,
      subject: "rootVolume.sizeGiB",
      value: volume.sizeGiB,
      rule: `the root volume holds the system (${SYSTEM_DISK_GIB} GiB) and the chosen images and build cache (imageStorageGiB ${imageStorage}), so at least ${needed} GiB (at most 16384)`,
      fix: `set sizeGiB to ${needed} or more, or lower imageStorageGiB if the images are smaller`,
    });
  }
  for (const [key, value, minimum] of [
    ["rootVolume.iops", volume.iops, 3000],
    ["rootVolume.throughputMiBps", volume.throughputMiBps, 125],
  ] as const) {
    if (value === undefined) continue;
    check(Number.isInteger(value) && value >= minimum, {
      path,
      subject: key,
      value,
      rule: `gp3 starts at ${minimum}`,
      fix: `use ${minimum} or more`,
    });
  }
  const capacity = props.capacity ?? { minSize: 1, maxSize: 3 };
  validateCapacity(path, "capacity", capacity);
  const scaling = props.jobSlotScaling !== false;
  if (scaling) {
    check(capacity.minSize >= 1 || capacity.maxSize === 0, {
      path,
      subject: "capacity.minSize",
      value: capacity.minSize,
      rule: "with job-slot scaling the group must keep at least one host: at zero hosts nobody publishes the utilisation metric, so it could never scale out again",
      fix: "set minSize ≥ 1 and use schedules (e.g. officeHours) with minSize = maxSize = 0 for off periods, or set jobSlotScaling: false",
    });
    const target = props.jobSlotScaling ? props.jobSlotScaling.targetUtilizationPercent : undefined;
    if (target !== undefined) {
      check(target > 0 && target <= 100, {
        path,
        subject: "jobSlotScaling.targetUtilizationPercent",
        value: target,
        rule: "a percentage above 0 and at most 100",
        fix: "use e.g. 70: about a third of the job slots stay free for new jobs",
      });
    }
    const namespace = props.jobSlotScaling ? props.jobSlotScaling.metricNamespace : undefined;
    if (namespace !== undefined) {
      check(/^[0-9A-Za-z.\-_/#:]{1,255}$/.test(namespace) && !namespace.startsWith("AWS/"), {
        path,
        subject: "jobSlotScaling.metricNamespace",
        value: namespace,
        rule: "a CloudWatch namespace: 1-255 of letters, digits and . - _ / # :, not starting with AWS/",
        fix: "use e.g. GitLab/RunnerFleet",
      });
    }
  }
  const names = new Set<string>();
  (props.schedules ?? []).forEach((schedule, i) => {
    const at = `${path}/schedules[${i}]`;
    validateSchedule(at, schedule, scaling);
    check(!names.has(schedule.name), {
      path: at,
      subject: "schedule name",
      value: schedule.name,
      rule: "schedule names are unique in a fleet",
      fix: "rename one of the schedules",
    });
    names.add(schedule.name);
  });
  const purchase = props.purchase ?? {};
  check(Number.isInteger(purchase.onDemandBaseCapacity ?? 0) && (purchase.onDemandBaseCapacity ?? 0) >= 0, {
    path,
    subject: "purchase.onDemandBaseCapacity",
    value: purchase.onDemandBaseCapacity,
    rule: "a whole number ≥ 0",
    fix: "use 0 for all spot, or the number of hosts that must never be interrupted",
  });
  const percent = purchase.onDemandPercentageAboveBaseCapacity ?? 0;
  check(Number.isInteger(percent) && percent >= 0 && percent <= 100, {
    path,
    subject: "purchase.onDemandPercentageAboveBaseCapacity",
    value: percent,
    rule: "a whole percentage from 0 to 100",
    fix: "use 0 (spot above the base) or 100 (all on-demand)",
  });
  if (props.instanceRefresh) {
    const min = props.instanceRefresh.minHealthyPercentage ?? 100;
    const max = props.instanceRefresh.maxHealthyPercentage ?? 200;
    check(min >= 0 && min <= 100 && max >= 100 && max <= 200 && max - min <= 100, {
      path,
      subject: "instanceRefresh",
      value: { minHealthyPercentage: min, maxHealthyPercentage: max },
      rule: "minHealthyPercentage 0-100, maxHealthyPercentage 100-200, at most 100 apart",
      fix: "use 100 and 200 (launch replacements before draining the old hosts)",
    });
  }
  const retention = props.logRetentionDays ?? 30;
  check(LOG_RETENTION_DAYS.includes(retention), {
    path,
    subject: "logRetentionDays",
    value: retention,
    rule: `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    fix: "use e.g. 30",
  });
  (props.additionalEgress ?? []).forEach((rule, i) => {
    const to = rule.toPort ?? rule.port;
    check(Number.isInteger(rule.port) && Number.isInteger(to) && rule.port >= 0 && rule.port <= to && to <= 65535 && parseCidr(rule.cidrIpv4) !== undefined, {
      path,
      subject: `additionalEgress[${i}]`,
      value: rule,
      rule: "ports 0-65535 with port ≤ toPort, and an IPv4 CIDR destination",
      fix: 'use e.g. { description: "git over ssh", port: 22, cidrIpv4: "0.0.0.0/0" }',
    });
  });
  validateVersions(path, { ...DEFAULT_RUNNER_HOST_VERSIONS, ...props.versions });
}
