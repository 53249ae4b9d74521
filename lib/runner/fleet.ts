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
import { escapeForFunctionArgument } from "../core/tokens";
import { RunnerHostRole } from "../identity/runner-host-role";
import { type RunnerManagerConfig, renderRunnerConfig, sumOfLimits } from "./config-toml";
import { renderDaemonJson } from "./daemon-json";
import {
  DEFAULT_RUNNER_HOST_VERSIONS,
  type RunnerHostArchitecture,
  type RunnerHostInput,
  renderRunnerHostUserData,
  validateUserDataSize,
} from "./user-data";
import { al2023AmiParameter, fleetArchitecture, validateImageIdArchitecture } from "./architecture";
import { claimMetricNamespace } from "./metric-namespace";
import { dindDaemonConfig } from "./image-mirror";
import { tokenRevision } from "./token-revision";
import { type RunnerCacheAccess } from "../cache/runner-cache-settings";
import { DEFAULT_METRIC_NAMESPACE, GROUP_METRICS, JOB_SLOT_METRIC_NAME } from "./fleet-metrics";
import { DEFAULT_DISK_CLEANUP_THRESHOLD_PERCENT, DRAIN_MARGIN_SECONDS, MAX_HEARTBEAT_TIMEOUT_SECONDS, type RunnerFleetProps, SYSTEM_DISK_GIB, TOKEN_REVISION_TAG } from "./fleet-props";
import { instanceTypes, validateFleetProps, validateTokenLifetimes } from "./fleet-validation";
import { mirrorPorts, runnerEntry } from "./fleet-runner-entry";
import { deliverHostScript } from "./host-script-delivery";
import { fleetCache, fleetTrustLevel } from "./fleet-cache";
import { type TrustLevel } from "../core/trust";

export * from "./fleet-props";
export { mirrorPorts } from "./fleet-runner-entry";

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
  /** The hosts' CPU architecture (derived from the instance types). */
  public readonly architecture: RunnerHostArchitecture;
  /** The CloudWatch namespace the hosts publish their metrics to (theirs alone). */
  public readonly metricNamespace: string;
  /** Percent of the docker disk above which the hourly clean-up removes unused images. */
  public readonly diskCleanupThresholdPercent: number;
  /** The longest drain: the longest job plus {@link DRAIN_MARGIN_SECONDS}. */
  public readonly drainTimeoutSeconds: number;
  /** Which jobs the hosts run (`trustLevel` prop, else from the runners' token sources); undefined when unknown. */
  public readonly trustLevel?: TrustLevel;
  /** The cache the hosts use: a cache bucket's part of {@link trustLevel}, or the cache as given. */
  public readonly cache?: RunnerCacheAccess;

  public constructor(scope: Construct, id: string, props: RunnerFleetProps) {
    super(scope, id);
    const path = this.node.path;
    validateFleetProps(path, props);
    this.trustLevel = fleetTrustLevel(path, props.trustLevel, props.runners);
    this.cache = fleetCache(path, props.cache, this.trustLevel);
    props = { ...props, cache: this.cache };
    const name = props.fleetName;
    const architecture = fleetArchitecture(path, instanceTypes(props), props.architecture);
    this.architecture = architecture;
    validateImageIdArchitecture(path, props.imageId, architecture, instanceTypes(props));
    this.metricNamespace = (props.jobSlotScaling ? props.jobSlotScaling.metricNamespace : undefined) ?? `${DEFAULT_METRIC_NAMESPACE}/${name}`;
    const commitNamespace = claimMetricNamespace(this, path, this.metricNamespace, name);
    this.diskCleanupThresholdPercent = props.diskCleanupThresholdPercent ?? DEFAULT_DISK_CLEANUP_THRESHOLD_PERCENT;
    const scaling = props.jobSlotScaling === false ? undefined : { targetUtilizationPercent: 70, ...props.jobSlotScaling, metricNamespace: this.metricNamespace };
    const capacity = props.capacity ?? { minSize: 1, maxSize: 3 };
    const maxJobTimeout = props.maxJobTimeoutSeconds ?? 3600;
    const drainTimeout = maxJobTimeout + DRAIN_MARGIN_SECONDS;
    this.drainTimeoutSeconds = drainTimeout;
    validateTokenLifetimes(path, props.runners, drainTimeout);
    this.maxJobTimeoutSeconds = maxJobTimeout;
    this.heartbeatTimeoutSeconds = Math.min(MAX_HEARTBEAT_TIMEOUT_SECONDS, drainTimeout);
    this.autoScalingGroupName = `${name}-runners`;
    this.lifecycleHookName = `${name}-drain`;
    this.logGroupName = `/gitlab-runner/${name}`;

    this.hostRole = props.hostRole ?? new RunnerHostRole(this, "host-role", { roleName: `${name}-runner-host`, tags: props.tags });

    // config.toml and daemon.json, validated by their models.
    const registryHosts = [...new Set([...(props.repositories ?? []).map((repo) => repo.registryHost), ...(props.mirror?.ecrRegistryHosts ?? [])])];
    const dindMirror = (props.mirror?.registryMirrors.length ?? 0) > 0 && props.runners.some((r) => r.docker.dockerAccess === "dind");
    this.runnerConfig = {
      concurrent: props.concurrent,
      checkInterval: props.checkInterval,
      logFormat: props.logFormat ?? "json",
      shutdownTimeout: props.shutdownTimeoutSeconds,
      runners: props.runners.map((r, i) => runnerEntry(`${path}/runners[${i}]`, r, i, props, registryHosts, architecture)),
    };
    const runnerConfigToml = renderRunnerConfig(path, this.runnerConfig);
    this.concurrent = this.runnerConfig.concurrent ?? sumOfLimits(this.runnerConfig);
    const daemonJson = renderDaemonJson(`${path}/mirror`, {
      ...props.daemon,
      registryMirrors: props.mirror?.registryMirrors,
      insecureRegistries: props.mirror?.insecureRegistries,
    });
    // docker:dind services run their own daemon: give it the mirrors (and nothing else of the host's settings).
    const dindDaemonJson = dindMirror ? dindDaemonConfig(props.mirror!) : undefined;

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
    // Pull-through: only hosts of protected jobs may create a cache repository on a first pull (EcrPullThroughMirror).
    props.mirror?.grantHostAccess?.(this.hostRole, this.trustLevel);
    this.hostRole.addToPrincipalPolicy({
      actions: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
      // The group's ARN from its name (not its attribute), so the policy does not wait for the group.
      resources: [`arn:${partition.partition}:autoscaling:${region.region}:${account.accountId}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroupName}`],
    });
    this.hostRole.addToPrincipalPolicy({
      actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      resources: [logGroupArn, `${logGroupArn}:*`],
    });
    // The host script: in SSM String parameters, read and checked against its SHA-256 at boot,
    // so user data carries only the installer and the settings.
    const script = deliverHostScript(this, {
      fleetName: name,
      hostRole: this.hostRole,
      parameterArnPrefix: `arn:${partition.partition}:ssm:${region.region}:${account.accountId}:parameter`,
      ...(props.tags ? { tags: props.tags } : {}),
    });
    // PutMetricData has no resource and no dimension condition key; the namespace is its
    // condition (cloudwatch:namespace), so every fleet publishes to a namespace of its own.
    this.hostRole.addToPrincipalPolicy({
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      conditions: { StringEquals: { "cloudwatch:namespace": this.metricNamespace } },
    });

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
      metric: { namespace: this.metricNamespace, name: JOB_SLOT_METRIC_NAME },
      logGroupName: this.logGroupName,
      versions: { ...DEFAULT_RUNNER_HOST_VERSIONS, ...props.versions },
      architecture,
      rebalanceWaitSeconds: props.rebalanceWaitSeconds ?? (props.instanceWarmupSeconds ?? 300) + 300,
      ...(props.diskCleanupThresholdPercent !== undefined ? { diskHighPercent: props.diskCleanupThresholdPercent } : {}),
      ...(dindDaemonJson !== undefined ? { dindDaemonJson } : {}),
      scriptDelivery: { sha256: script.sha256, parameterNames: script.parameterNames },
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

    const tags = {
      ...props.tags,
      Name: `${name}-runner`,
      "gitlab-runner-fleet": name,
      "gitlab-runners": props.runners.map((r) => r.name).join(" "),
      // A new token (a replaced registration, a rotated value) changes the launch template,
      // so an instance refresh rolls the fleet through the drain.
      [TOKEN_REVISION_TAG]: tokenRevision(props.runners),
    };
    const volume = props.rootVolume ?? {};
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: `${name}-runner-host`,
      description: `GitLab runner hosts of ${name}`,
      imageId: props.imageId ?? `resolve:ssm:${al2023AmiParameter(architecture)}`,
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
      // Group metrics for the dashboard: hosts in service, draining (Terminating:Wait), launching.
      metricsGranularity: "1Minute",
      enabledMetrics: [...GROUP_METRICS],
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
      // Tokens and the host script are read at boot: let the role's policy and the script's
      // parameters exist before the first host starts.
      dependsOn: [...(this.hostRole.grants.policyResource ? [this.hostRole.grants.policyResource] : []), ...script.parameters],
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
    commitNamespace();
  }
}
