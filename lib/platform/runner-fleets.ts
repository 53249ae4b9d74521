import { TerraformOutput } from "cdktf";
import { type Construct } from "constructs";
import { type RunnerCacheBucket } from "../cache/cache-bucket";
import { dnsSuffixOf } from "../core/aws";
import { isUnresolved } from "../core/tokens";
import { type IGrantable } from "../core/iam";
import { ExistingRunnerTokenParameter } from "../gitlab/existing-runner-token";
import { type RunnerTokenSource } from "../gitlab/runner-token-source";
import { type RunnerHostRole } from "../identity/runner-host-role";
import { type EcrPullThroughMirror } from "../mirror/ecr-pull-through-mirror";
import { NexusMirror } from "../mirror/nexus-mirror";
import { type NetworkRef } from "../network/network-ref";
import { type MirrorMetricsSource, RunnerFleetDashboard } from "../runner/dashboard";
import { architectureOfInstanceType } from "../runner/architecture";
import { type DockerAutoscalerFleet } from "../runner/autoscaler/docker-autoscaler-fleet";
import { type RunnerDefinition, RunnerFleet } from "../runner/fleet";
import { imageBuilderSettings } from "../runner/image-builder";
import { officeHours } from "../runner/schedule";
import { type SecretsKey } from "../secrets/secrets-key";
import { DEPLOY_RUNNER, type EnvironmentConfig, imageRolesOf, type PlatformInfo, type RunnerConfigEntry, runnerFleetName, runnerTokenParameterName } from "./config";
import { type TenantRepositories } from "./environment-identity";
import { type PoolRunner, type RunnerPoolName } from "./runner-pools";
import { hostPullsOf } from "./runner-tenants";
import { type TrustLevel } from "./tenancy";
import { type PullableRepository } from "../runner/fleet";
import { buildUnprotectedAutoscaler } from "./unprotected-autoscaler";

/** What {@link buildRunnerFleets} wires together (the platform's pieces). */
export interface RunnerFleetsProps {
  readonly platform: PlatformInfo;
  readonly env: EnvironmentConfig;
  readonly network: NetworkRef;
  /** The environment's pool runners (`runnerPoolsOf`). */
  readonly pools: readonly PoolRunner[];
  /** Token sources by runner name (the GitLab side's registrations). */
  readonly runnerTokens: ReadonlyMap<string, RunnerTokenSource>;
  /** The protected pool's host role (the identity's runner host role). */
  readonly protectedHostRole: RunnerHostRole;
  readonly cache: RunnerCacheBucket;
  /**
   * Every tenant's repositories: each pool's host role may pull those of the tenants its
   * runners serve, at its trust level, and the toolbox image (`hostPullsOf`).
   */
  readonly tenantRepositories: ReadonlyMap<string, TenantRepositories>;
  /** @default none */
  readonly mirror?: NexusMirror | EcrPullThroughMirror;
  /** @default none (tokens under the AWS-managed key) */
  readonly secretsKey?: SecretsKey;
  /** Adds a `role-arn-<name>` output. */
  readonly roleArn: (name: string, value: string, description: string) => void;
}

/** The fleets of an environment's pools, each with its dashboard. */
export interface RunnerFleets {
  /** The protected pool (construct id `runner-fleet`). */
  readonly runnerFleet: RunnerFleet;
  /** The unprotected pool (`unprotected-fleet`), if configured in `fleet` mode. */
  readonly unprotectedFleet?: RunnerFleet;
  /** The unprotected pool (`unprotected-autoscaler`), if configured in `docker-autoscaler` mode. */
  readonly unprotectedAutoscaler?: DockerAutoscalerFleet;
  /** The deploy pool (`deploy-fleet`), if configured. */
  readonly deployFleet?: RunnerFleet;
  /** The dashboards and alarms by fleet construct id (`runner-fleet`, `unprotected-fleet`, `deploy-fleet`). */
  readonly dashboards: ReadonlyMap<string, RunnerFleetDashboard>;
}

/**
 * Builds the fleets of an environment's runner pools in `scope` (the platform):
 * the protected pool on the identity's runner host role with the protected cache
 * prefix, the unprotected pool and the deploy pool each with a host role of their
 * own; each pool's host role may decrypt only its own runners' tokens and pull only
 * the repositories of the tenants its runners serve (`hostPullsOf`).
 */
export function buildRunnerFleets(scope: Construct, props: RunnerFleetsProps): RunnerFleets {
  const { platform, env, network, pools, secretsKey, roleArn } = props;
  const runners = env.runners!;
  // Every repository of the environment lives in one registry: name it once, as a literal,
  // so DOCKER_AUTH_CONFIG gets one credHelpers entry (not one token per repository).
  const registryHost = `${env.accountId}.dkr.ecr.${env.region}.${dnsSuffixOf(env.region)}`;
  // What each pool's hosts pull: the repositories of the tenants its runners serve (the runners of
  // a pool serve the same tenants, validateRunnerTenants), at its trust level, and the toolbox image.
  const toolboxId = imageRolesOf(env).toolbox;
  const pullableBy = (pool: RunnerPoolName): PullableRepository[] => {
    const served = pools.find((p) => p.pool === pool)?.tenants ?? [];
    return hostPullsOf(env, pool === "unprotected" ? "unprotected" : "protected", served, toolboxId).flatMap((pull) => {
      const repository = props.tenantRepositories.get(pull.tenant)?.[pull.trust].get(pull.repositoryId);
      return repository ? [{ registryHost, grantPull: (grantee: IGrantable) => repository.grantPull(grantee) }] : [];
    });
  };
  const poolOf = (name: string): PoolRunner => pools.find((p) => p.name === name)!;
  // Tokens put in SSM by hand (no GitLab side in this stack): one importer per runner.
  const handMadeTokens = new Map<string, ExistingRunnerTokenParameter>();
  const handMadeToken = (runner: RunnerConfigEntry): ExistingRunnerTokenParameter => {
    const existing = handMadeTokens.get(runner.name);
    if (existing) return existing;
    const token = new ExistingRunnerTokenParameter(scope, `runner-token-${runner.name}`, {
      parameterName: runnerTokenParameterName(platform, env, runner),
      accountId: env.accountId,
      region: env.region,
      ...(secretsKey ? { secretsKey } : {}),
    });
    handMadeTokens.set(runner.name, token);
    return token;
  };
  const definition = (runner: RunnerConfigEntry): RunnerDefinition => {
    const pool = poolOf(runner.name);
    const builder = imageBuilderSettings(pool.builder);
    return {
      name: runner.name,
      limit: runner.limit,
      tokenSource: props.runnerTokens.get(runner.name) ?? handMadeToken(runner),
      docker: {
        image: runner.image,
        dockerAccess: runner.dockerAccess,
        privileged: runner.privileged ?? false,
        ...(runner.volumes ? { volumes: runner.volumes } : {}),
        ...(builder.securityOpt.length > 0 ? { securityOpt: builder.securityOpt } : {}),
        // Untrusted jobs keep nothing on the host between jobs (docker's local cache volumes).
        ...(pool.trust === "unprotected" ? { disableCache: true } : {}),
      },
      environment: builder.environment,
    };
  };
  const common = {
    network,
    gitlabUrl: env.gitlab.url,
    ...(props.mirror ? { mirror: props.mirror.endpoint } : {}),
    ...(runners.maxJobTimeoutSeconds ? { maxJobTimeoutSeconds: runners.maxJobTimeoutSeconds } : {}),
    // Host settings that pass through unchanged (versions, log retention); the AMI is per pool (imageIdOf).
    ...(runners.versions ? { versions: runners.versions } : {}),
    ...(runners.logRetentionDays !== undefined ? { logRetentionDays: runners.logRetentionDays } : {}),
  };
  const mirror = props.mirror;
  const mirrorMetrics: MirrorMetricsSource | undefined =
    mirror instanceof NexusMirror ? { metricNamespace: mirror.metricNamespace, mirrorName: mirror.mirrorName, instanceId: mirror.instance.id } : undefined;
  const dashboards = new Map<string, RunnerFleetDashboard>();
  // One dashboard per fleet; the mirror's status-check alarm once, on the protected pool's.
  const dashboard = (fleet: RunnerFleet, withMirrorAlarm: boolean) => {
    const fleetMirror = mirrorMetrics && !withMirrorAlarm ? { metricNamespace: mirrorMetrics.metricNamespace, mirrorName: mirrorMetrics.mirrorName } : mirrorMetrics;
    const id = fleet.node.id === "runner-fleet" ? "runner-dashboard" : `${fleet.node.id.replace(/-fleet$/, "")}-dashboard`;
    dashboards.set(fleet.node.id, new RunnerFleetDashboard(scope, id, { fleet, ...(fleetMirror ? { mirror: fleetMirror } : {}), ...(runners.alarmActions ? { alarmActions: runners.alarmActions } : {}) }));
  };
  // The cache bucket hands out the RunnerCacheAccess of each trust level's part of the cache.
  const cacheOf = (trust: TrustLevel) => props.cache.cacheAccessFor(trust);
  // A Nexus host admits each pool's hosts; the fleets grant themselves what an ECR pull-through mirror needs.
  const secure = (fleet: RunnerFleet) => {
    if (props.mirror instanceof NexusMirror) props.mirror.allowClients(fleet.securityGroupId);
  };

  // The protected pool: protected jobs only; may bind the docker socket.
  const protectedRunners = runners.runners.map(definition);
  const runnerFleet = new RunnerFleet(scope, "runner-fleet", {
    ...common,
    ...(runners.imageId ? { imageId: runners.imageId } : {}),
    fleetName: runnerFleetName(platform, env),
    hostRole: props.protectedHostRole,
    repositories: pullableBy("protected"),
    runners: protectedRunners,
    cache: cacheOf("protected"),
    ...(runners.instanceTypes ? { instanceTypes: runners.instanceTypes } : {}),
    ...(runners.capacity ? { capacity: runners.capacity } : {}),
    ...(runners.purchase ? { purchase: runners.purchase } : {}),
    ...(runners.officeHours ? { schedules: officeHours(runners.officeHours) } : {}),
    ...(runners.imageStorageGiB ? { imageStorageGiB: runners.imageStorageGiB } : {}),
    ...(runners.concurrent !== undefined ? { concurrent: runners.concurrent } : {}),
  });
  secure(runnerFleet);
  dashboard(runnerFleet, true);
  // A pool's AMI: its own, else the environment's when the pool has the protected pool's
  // architecture (an arm64 AMI of a Graviton protected pool never reaches x86_64 hosts).
  const imageIdOf = (own: string | undefined, types: readonly string[] | undefined): { imageId?: string } => {
    if (own !== undefined) return { imageId: own };
    const architecture = types && types.some((t) => !isUnresolved(t)) ? architectureOfInstanceType(types.find((t) => !isUnresolved(t))!) : "x86_64";
    return runners.imageId !== undefined && architecture === runnerFleet.architecture ? { imageId: runners.imageId } : {};
  };

  let unprotectedFleet: RunnerFleet | undefined;
  let unprotectedAutoscaler: DockerAutoscalerFleet | undefined;
  let deployFleet: RunnerFleet | undefined;
  // The unprotected pool as a docker-autoscaler manager with single-use workers, own cache prefix.
  if (runners.unprotected?.mode === "docker-autoscaler") {
    const definitions = runners.unprotected.runners.map(definition);
    unprotectedAutoscaler = buildUnprotectedAutoscaler(scope, {
      ...common,
      fleetName: `${runnerFleetName(platform, env)}-unprotected`,
      pool: runners.unprotected,
      repositories: pullableBy("unprotected"),
      definitions,
      cache: cacheOf("unprotected"),
      ...(runners.officeHours ? { officeHours: runners.officeHours } : {}),
    });
    const manager = unprotectedAutoscaler;
    if (props.mirror instanceof NexusMirror) Object.values(manager.workerGroups).forEach((g) => (props.mirror as NexusMirror).allowClients(g.securityGroupId));
    new TerraformOutput(scope, "unprotected-runner-group-name", {
      staticId: true,
      value: manager.managerAutoScalingGroupName,
      description: "Auto Scaling group of the unprotected pool's docker-autoscaler manager",
    });
    roleArn("unprotected-runner-host", manager.managerRole.roleArn, "Instance role of the unprotected pool's docker-autoscaler manager (workers have none)");
  } else if (runners.unprotected) {
    // The unprotected pool: own hosts and host role (created by the fleet), own cache prefix.
    const unprotected = runners.unprotected;
    const unprotectedRunners = unprotected.runners.map(definition);
    const capacity = unprotected.capacity ?? { minSize: 1, maxSize: 2 };
    unprotectedFleet = new RunnerFleet(scope, "unprotected-fleet", {
      ...common,
      fleetName: `${runnerFleetName(platform, env)}-unprotected`,
      repositories: pullableBy("unprotected"),
      runners: unprotectedRunners,
      cache: cacheOf("unprotected"),
      capacity,
      ...(unprotected.instanceTypes ? { instanceTypes: unprotected.instanceTypes } : {}),
      ...(unprotected.purchase ? { purchase: unprotected.purchase } : {}),
      // The environment's office hours, at the pool's own sizes.
      ...(runners.officeHours ? { schedules: officeHours({ ...runners.officeHours, minSize: capacity.minSize, maxSize: capacity.maxSize }) } : {}),
      ...((unprotected.imageStorageGiB ?? runners.imageStorageGiB) ? { imageStorageGiB: unprotected.imageStorageGiB ?? runners.imageStorageGiB } : {}),
      ...imageIdOf(unprotected.imageId, unprotected.instanceTypes),
      ...(unprotected.concurrent !== undefined ? { concurrent: unprotected.concurrent } : {}),
    });
    secure(unprotectedFleet);
    dashboard(unprotectedFleet, false);
    new TerraformOutput(scope, "unprotected-runner-group-name", {
      staticId: true,
      value: unprotectedFleet.autoScalingGroupName,
      description: "Auto Scaling group of the unprotected pool's runner hosts",
    });
    roleArn("unprotected-runner-host", unprotectedFleet.hostRole.roleArn, "Instance role of the unprotected pool's runner hosts");
  }

  // The deploy fleet: own hosts and host role (created by the fleet), no docker socket, no shared cache.
  if (runners.deploy) {
    const deploy = runners.deploy;
    const deployInstanceTypes = deploy.instanceTypes ?? ["m7i.large", "m6i.large", "m5.large"];
    const deployRunners: RunnerDefinition[] = [
      {
        name: DEPLOY_RUNNER,
        limit: deploy.limit ?? 2,
        tokenSource: props.runnerTokens.get(DEPLOY_RUNNER)!,
        docker: { image: deploy.image ?? "alpine:3.20", dockerAccess: "none", privileged: false },
        environment: imageBuilderSettings("none").environment,
        useCache: false,
      },
    ];
    deployFleet = new RunnerFleet(scope, "deploy-fleet", {
      ...common,
      fleetName: `${runnerFleetName(platform, env)}-${DEPLOY_RUNNER}`,
      repositories: pullableBy("deploy"),
      runners: deployRunners,
      capacity: deploy.capacity ?? { minSize: 1, maxSize: 2 },
      purchase: deploy.purchase ?? { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100 },
      instanceTypes: deployInstanceTypes,
      ...imageIdOf(deploy.imageId, deployInstanceTypes),
    });
    secure(deployFleet);
    dashboard(deployFleet, false);
    new TerraformOutput(scope, "deploy-runner-group-name", {
      staticId: true,
      value: deployFleet.autoScalingGroupName,
      description: "Auto Scaling group of the deploy runner hosts (protected refs only)",
    });
    roleArn("deploy-runner-host", deployFleet.hostRole.roleArn, "Instance role of the deploy runner hosts");
  }
  new TerraformOutput(scope, "runner-group-name", {
    staticId: true,
    value: runnerFleet.autoScalingGroupName,
    description: "Auto Scaling group of the runner hosts",
  });
  return { runnerFleet, ...(unprotectedFleet ? { unprotectedFleet } : {}), ...(unprotectedAutoscaler ? { unprotectedAutoscaler } : {}), ...(deployFleet ? { deployFleet } : {}), dashboards };
}
