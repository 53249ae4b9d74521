import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { KeyPair } from "@cdktf/provider-aws/lib/key-pair";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { Annotations, Fn, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { check } from "../../core/errors";
import { escapeForFunctionArgument } from "../../core/tokens";
import { RunnerHostRole } from "../../identity/runner-host-role";
import { al2023AmiParameter, validateImageIdArchitecture } from "../architecture";
import { renderDaemonJson } from "../daemon-json";
import { DRAIN_MARGIN_SECONDS, MAX_HEARTBEAT_TIMEOUT_SECONDS } from "../fleet";
import { DEFAULT_RUNNER_HOST_VERSIONS, type RunnerHostArchitecture, tokenPlaceholder, validateUserDataSize } from "../user-data";
import { type AutoscalerManagerConfig, type AutoscalerRunnerEntry, autoscalerLimit, renderAutoscalerConfig } from "./autoscaler-toml";
import { type AutoscalerRunnerDefinition, type DockerAutoscalerFleetProps, SCALE_TO_ZERO_POLICY } from "./fleet-props";
import { cacheOf, managerGroupNameOf, maxUseCountOf, validateAutoscalerFleetProps, workerGroupNameOf, workerInstanceTypes } from "./fleet-validation";
import { MANAGER_PATHS, renderManagerUserData } from "./manager-user-data";
import { DEFAULT_FLEETING_AWS_PLUGIN_VERSION } from "./plugin";
import { fleetingAwsPluginStatements } from "./plugin-policy";
import { jobEnvironment } from "./runner-environment";
import { WORKER_SSH_PORT, WorkerGroup } from "./worker-group";
import { WORKER_READY_COMMAND, renderWorkerUserData } from "./worker-user-data";
import { managerArchitectureOf, managerInstanceTypeOf, workerArchitectureOf, workerHelperImage } from "./worker-architecture";

/** The login user of Amazon Linux 2023 workers. */
export const WORKER_USERNAME = "ec2-user";
/** SSH keepalive to workers: a vanished (e.g. reclaimed spot) worker fails its job after a few missed keepalives, not after hours. */
export const CONNECTOR_KEEPALIVE_SECONDS = 30;
/** SSH connection timeout to workers (covers EC2 Instance Connect's key push). */
export const CONNECTOR_TIMEOUT_SECONDS = 120;

/** Worker group names already owned in a stack, so that two fleets cannot share one. */
const OWNED_GROUPS = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * GitLab Runner's docker-autoscaler executor on AWS: a small always-on
 * manager (an Auto Scaling group of exactly one on-demand instance, drained
 * on termination like the runner fleet's hosts) runs gitlab-runner with the
 * pinned fleeting AWS plugin and scales one dedicated worker group per
 * `[[runners]]` entry from zero. Pending jobs start workers; workers of
 * unprotected pools run exactly one job (`max_use_count = 1`).
 *
 * The manager reads runner tokens (and the static SSH key, if used) from SSM
 * at boot, resolves registry credentials with the ECR credential helper and
 * signs cache URLs, so only it holds grants; workers have no IAM role. The
 * manager's role may change only its own worker groups (the fleeting plugin's
 * documented policy; {@link fleetingAwsPluginStatements}).
 *
 * @example
 * new DockerAutoscalerFleet(this, "autoscaler", {
 *   fleetName: "acme-ci-dev",
 *   network,
 *   gitlabUrl: "https://gitlab.example.com",
 *   runners: [{ name: "mr", trustLevel: "unprotected", tokenSource, maxInstances: 10, docker: { image: "alpine:3.20", dockerAccess: "none" } }],
 * });
 */
export class DockerAutoscalerFleet extends Construct {
  /** The manager's role. */
  public readonly managerRole: RunnerHostRole;
  /** The manager's security group (no inbound rules). */
  public readonly managerSecurityGroupId: string;
  /** The manager group's name. */
  public readonly managerAutoScalingGroupName: string;
  /** The manager's drain lifecycle hook name. */
  public readonly lifecycleHookName: string;
  /** The manager's log group. */
  public readonly logGroupName: string;
  /** The worker group of each runner, by runner name. */
  public readonly workerGroups: Readonly<Record<string, WorkerGroup>>;
  /** `concurrent` of the manager. */
  public readonly concurrent: number;
  /** The config.toml model (tokens are placeholders). */
  public readonly runnerConfig: AutoscalerManagerConfig;
  /** The manager's cloud-config (before gzip). */
  public readonly managerUserData: string;
  /** The workers' cloud-config (before gzip). */
  public readonly workerUserData: string;
  /** The manager's `aws_autoscaling_group`. */
  public readonly managerGroup: AutoscalingGroup;
  /** The manager's CPU architecture (its instance type's). */
  public readonly managerArchitecture: RunnerHostArchitecture;
  /** The CPU architecture of each runner's workers (their instance types'), by runner name. */
  public readonly workerArchitectures: Readonly<Record<string, RunnerHostArchitecture>>;

  public constructor(scope: Construct, id: string, props: DockerAutoscalerFleetProps) {
    super(scope, id);
    const path = this.node.path;
    validateAutoscalerFleetProps(path, props);
    const name = props.fleetName;
    // The manager's architecture follows its instance type; each runner's workers follow theirs.
    this.managerArchitecture = managerArchitectureOf(props);
    validateImageIdArchitecture(path, props.managerImageId, this.managerArchitecture, [managerInstanceTypeOf(props)], "managerImageId");
    const workerArchitectures = props.runners.map((r, i) => workerArchitectureOf(`${path}/runners[${i}]`, props, r));
    this.workerArchitectures = Object.fromEntries(props.runners.map((r, i) => [r.name, workerArchitectures[i]!]));
    const versions = { ...DEFAULT_RUNNER_HOST_VERSIONS, ...props.versions };
    const connector = props.connector ?? { kind: "instance-connect" as const };
    const staticKey = connector.kind === "static-key" ? connector : undefined;
    const drainTimeout = (props.maxJobTimeoutSeconds ?? 3600) + DRAIN_MARGIN_SECONDS;
    const heartbeatTimeout = Math.min(MAX_HEARTBEAT_TIMEOUT_SECONDS, drainTimeout);
    this.managerAutoScalingGroupName = managerGroupNameOf(name);
    this.lifecycleHookName = `${name}-manager-drain`;
    // Not the runner fleet's `/gitlab-runner/<name>`: both modes may share a fleet name.
    this.logGroupName = `/gitlab-runner/${name}/manager`;
    this.claimWorkerGroups(props);

    const account = new DataAwsCallerIdentity(this, "account");
    const partition = new DataAwsPartition(this, "partition");
    const region = new DataAwsRegion(this, "region");

    // config.toml: one docker-autoscaler [[runners]] per definition, each with its own group.
    // The repositories' registries and an ECR pull-through mirror's (jobs pull through its prefixes).
    const registryHosts = [...new Set([...(props.repositories ?? []).map((repo) => repo.registryHost), ...(props.mirror?.ecrRegistryHosts ?? [])])];
    this.runnerConfig = {
      concurrent: props.concurrent,
      checkInterval: props.checkInterval,
      logFormat: props.logFormat ?? "json",
      runners: props.runners.map((r, i): AutoscalerRunnerEntry => {
        const capacityPerInstance = r.capacityPerInstance ?? 1;
        const helperImage = workerHelperImage(`${path}/runners[${i}]`, r, props.mirror, workerArchitectures[i]!);
        return {
          name: r.name,
          url: props.gitlabUrl,
          token: tokenPlaceholder(i),
          limit: autoscalerLimit({ maxInstances: r.maxInstances, capacityPerInstance }),
          requestConcurrency: r.requestConcurrency,
          outputLimitKb: r.outputLimitKb,
          environment: jobEnvironment(`${path}/runners[${i}]`, r.environment, registryHosts),
          docker: { ...r.docker, ...(helperImage !== undefined ? { helperImage } : {}) },
          ...(cacheOf(props, r) ? { cache: cacheOf(props, r)!.settings } : {}),
          autoscaler: {
            pluginVersion: props.pluginVersion ?? DEFAULT_FLEETING_AWS_PLUGIN_VERSION,
            capacityPerInstance,
            maxUseCount: maxUseCountOf(r),
            maxInstances: r.maxInstances,
            group: { name: workerGroupNameOf(name, r) },
            connector: {
              username: WORKER_USERNAME,
              arch: workerArchitectures[i] === "x86_64" ? "amd64" : "arm64",
              useStaticCredentials: staticKey !== undefined,
              ...(staticKey ? { keyPath: MANAGER_PATHS.sshKey } : {}),
              keepaliveSeconds: CONNECTOR_KEEPALIVE_SECONDS,
              timeoutSeconds: CONNECTOR_TIMEOUT_SECONDS,
            },
            instanceReadyCommand: WORKER_READY_COMMAND,
            instanceAcquireTimeoutSeconds: r.instanceAcquireTimeoutSeconds ?? 900,
            // Workers must not outlive their manager: without state storage a new manager could not use them anyway.
            deleteInstancesOnShutdown: true,
            scaleThrottle: r.scaleThrottle ?? { limit: 5, burst: r.maxInstances },
            policies: r.policies ?? [SCALE_TO_ZERO_POLICY],
          },
        };
      }),
    };
    const configToml = renderAutoscalerConfig(path, this.runnerConfig);
    this.concurrent = this.runnerConfig.concurrent ?? this.runnerConfig.runners.reduce((sum, r) => sum + r.limit, 0);
    props.runners.forEach((r, i) => warnAboutPitfalls(this, i, r));

    // The manager's identity: tokens, pulls, cache, its own drain and logs, and the plugin's policy per group.
    this.managerRole = props.managerRole ?? new RunnerHostRole(this, "manager-role", { roleName: `${name}-runner-manager`, tags: props.tags });
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: this.logGroupName,
      retentionInDays: props.logRetentionDays ?? 30,
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    props.runners.forEach((r) => r.tokenSource.grantRead(this.managerRole));
    props.repositories?.forEach((r) => r.grantPull(this.managerRole));
    // Each distinct cache once (runners may share the fleet's).
    [...new Set(props.runners.map((r) => cacheOf(props, r)))].forEach((cache) => cache?.grantReadWrite(this.managerRole));
    // Each runner's trust level is recorded with its cache, which refuses to serve both from one prefix.
    props.runners.forEach((r, i) => cacheOf(props, r)?.claim?.(r.trustLevel, `${path}/runners[${i}]`));
    staticKey?.privateKey.grantRead(this.managerRole);
    const scopeOf = (groupName: string) => ({ partition: partition.partition, region: region.region, accountId: account.accountId, groupName });
    this.managerRole.addToPrincipalPolicy({
      actions: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
      resources: [`arn:${partition.partition}:autoscaling:${region.region}:${account.accountId}:autoScalingGroup:*:autoScalingGroupName/${this.managerAutoScalingGroupName}`],
    });
    this.managerRole.addToPrincipalPolicy({ actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], resources: [logGroup.arn, `${logGroup.arn}:*`] });
    props.runners.forEach((r) => fleetingAwsPluginStatements(scopeOf(workerGroupNameOf(name, r)), staticKey === undefined, WORKER_USERNAME).forEach((s) => this.managerRole.addToPrincipalPolicy(s)));
    // What pulling through the mirror needs (ECR pull-through: pull and import on its repositories; creating a cache
    // repository on a first pull only when every runner of the manager takes protected jobs).
    props.mirror?.grantHostAccess?.(this.managerRole, props.runners.every((r) => r.trustLevel === "protected") ? "protected" : "unprotected");

    // Network: the manager takes no inbound traffic; it reaches HTTPS and the workers' SSH port.
    const managerSg = new SecurityGroup(this, "manager-security-group", {
      name: `${name}-runner-manager`,
      description: `docker-autoscaler manager of ${name}: no inbound; outbound HTTPS and SSH to its workers`,
      vpcId: props.network.vpcId,
      ingress: [],
      tags: { ...props.tags, Name: `${name}-runner-manager` },
    });
    this.managerSecurityGroupId = managerSg.id;
    new VpcSecurityGroupEgressRule(this, "manager-egress-https", {
      securityGroupId: managerSg.id,
      description: "HTTPS: GitLab, AWS APIs, the plugin registry, package repositories",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });

    const keyPair = staticKey
      ? new KeyPair(this, "worker-key", { keyName: `${name}-workers`, publicKey: staticKey.publicKey.trim(), tags: { ...props.tags } })
      : undefined;
    const daemonJson = renderDaemonJson(`${path}/mirror`, { ...props.daemon, registryMirrors: props.mirror?.registryMirrors, insecureRegistries: props.mirror?.insecureRegistries });
    this.workerUserData = renderWorkerUserData({ daemonJson, dockerVersion: versions.docker, username: WORKER_USERNAME });
    validateUserDataSize(`${path}/workers`, this.workerUserData);
    const groups: Record<string, WorkerGroup> = {};
    props.runners.forEach((r, i) => {
      const group = new WorkerGroup(this, `workers-${r.name}`, {
        groupName: workerGroupNameOf(name, r),
        network: props.network,
        managerSecurityGroupId: managerSg.id,
        maxInstances: r.maxInstances,
        instanceTypes: workerInstanceTypes(props, r),
        architecture: workerArchitectures[i]!,
        imageId: r.workerImageId,
        purchase: r.workerPurchase ?? "on-demand",
        userData: this.workerUserData,
        volumeSizeGiB: r.workerVolumeGiB ?? 40,
        keyName: keyPair?.keyName,
        mirror: props.mirror,
        tags: { ...props.tags, "gitlab-runner-fleet": name, "gitlab-runner": r.name },
      });
      new VpcSecurityGroupEgressRule(this, `manager-egress-ssh-${r.name}`, {
        securityGroupId: managerSg.id,
        description: `SSH to the workers of ${r.name}`,
        ipProtocol: "tcp",
        fromPort: WORKER_SSH_PORT,
        toPort: WORKER_SSH_PORT,
        referencedSecurityGroupId: group.securityGroupId,
      });
      groups[r.name] = group;
    });
    this.workerGroups = groups;

    // The manager: one on-demand instance, drained on termination.
    this.managerUserData = renderManagerUserData({
      runnerConfigTemplate: configToml,
      daemonJson,
      tokenParameterNames: props.runners.map((r) => r.tokenSource.parameterName),
      autoScalingGroupName: this.managerAutoScalingGroupName,
      lifecycleHookName: this.lifecycleHookName,
      concurrent: this.concurrent,
      drainTimeoutSeconds: drainTimeout,
      heartbeatIntervalSeconds: Math.max(30, Math.floor(heartbeatTimeout / 2)),
      logGroupName: this.logGroupName,
      region: region.region,
      versions,
      architecture: this.managerArchitecture,
      ...(staticKey ? { sshKeyParameterName: staticKey.privateKey.parameterName } : {}),
    });
    validateUserDataSize(path, this.managerUserData);
    const tags = { ...props.tags, Name: `${name}-runner-manager`, "gitlab-runner-fleet": name };
    const template = new LaunchTemplate(this, "manager-launch-template", {
      name: `${name}-runner-manager`,
      description: `docker-autoscaler manager of ${name}`,
      imageId: props.managerImageId ?? `resolve:ssm:${al2023AmiParameter(this.managerArchitecture)}`,
      instanceType: managerInstanceTypeOf(props),
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: this.managerRole.instanceProfileArn },
      vpcSecurityGroupIds: [managerSg.id],
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" } }],
      userData: Fn.base64gzip(escapeForFunctionArgument(this.managerUserData)),
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags })),
      tags: { ...props.tags, Name: `${name}-runner-manager` },
    });
    this.managerGroup = new AutoscalingGroup(this, "manager-group", {
      name: this.managerAutoScalingGroupName,
      minSize: 1,
      maxSize: 1,
      desiredCapacity: 1,
      vpcZoneIdentifier: [...props.network.privateSubnetIds],
      healthCheckType: "EC2",
      launchTemplate: { id: template.id, version: Token.asString(template.latestVersion) },
      // Replace by terminating first: the old manager drains (and deletes its workers) before a new
      // one starts, so two managers never drive the same worker groups.
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 0, maxHealthyPercentage: 100 } },
      dependsOn: this.managerRole.grants.policyResource ? [this.managerRole.grants.policyResource] : [],
    });
    new AutoscalingLifecycleHook(this, "manager-drain-hook", {
      name: this.lifecycleHookName,
      autoscalingGroupName: this.managerGroup.name,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout,
      defaultResult: "CONTINUE",
    });
  }

  /**
   * Records this fleet's group names (manager and workers) in the stack. A
   * worker group name that another fleet's manager or worker group, or any
   * Auto Scaling group already defined in the stack (e.g. a runner fleet's or
   * the mirror's), uses is refused: names are unique per account and region,
   * and the manager's role may scale and terminate every instance of its
   * worker groups.
   */
  private claimWorkerGroups(props: DockerAutoscalerFleetProps): void {
    const stack = TerraformStack.of(this);
    const owned = OWNED_GROUPS.get(stack) ?? new Map<string, string>();
    OWNED_GROUPS.set(stack, owned);
    const others = new Map<string, string>();
    for (const c of stack.node.findAll()) {
      if (c instanceof AutoscalingGroup && typeof c.nameInput === "string" && !Token.isUnresolved(c.nameInput)) others.set(c.nameInput, c.node.path);
    }
    const managerGroup = managerGroupNameOf(props.fleetName);
    props.runners.forEach((r, i) => {
      const group = workerGroupNameOf(props.fleetName, r);
      const owner = owned.get(group) ?? others.get(group);
      check(owner === undefined, {
        path: `${this.node.path}/runners[${i}]`,
        subject: "workerGroupName",
        value: group,
        rule: `a worker group belongs to one runner of one manager, but ${owner} already uses the name (Auto Scaling group names are unique per account and region; GitLab Runner docs, docker_autoscaler.md: do not share autoscaling groups across runner managers or [[runners]] entries)`,
        fix: "give this runner its own workerGroupName (or leave it unset)",
      });
    });
    owned.set(managerGroup, `${this.node.path} (manager group)`);
    props.runners.forEach((r) => owned.set(workerGroupNameOf(props.fleetName, r), `${this.node.path} runner ${r.name}`));
  }
}

/** Known upstream pitfalls that a valid configuration can still run into: warnings at synth. */
function warnAboutPitfalls(fleet: Construct, index: number, r: AutoscalerRunnerDefinition): void {
  const capacity = r.capacityPerInstance ?? 1;
  const policies = r.policies ?? [SCALE_TO_ZERO_POLICY];
  if (capacity > 1 && policies.some((p) => p.idleCount === 0)) {
    Annotations.of(fleet).addWarning(
      `runners[${index}] (${r.name}): capacity_per_instance ${capacity} with idle_count 0: groups with several jobs per worker have been reported never to reach zero workers (https://gitlab.com/gitlab-org/fleeting/plugins/aws/-/issues/64); check the group at night, or use capacityPerInstance 1 where scale-to-zero matters`,
    );
  }
}
