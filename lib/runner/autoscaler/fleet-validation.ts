import { check } from "../../core/errors";
import { validateLogRetention } from "../../core/log-retention";
import { isUnresolved } from "../../core/tokens";
import { TRUST_LEVELS } from "../../core/trust";
import { validateUntrustedJobVolumes } from "../docker-volumes";
import { type RunnerCacheAccess } from "../fleet";
import { validateMaxJobTimeout } from "../fleet-validation";
import { DEFAULT_RUNNER_HOST_VERSIONS, validateVersions } from "../user-data";
import { validateWorkerCapacity } from "./capacity";
import { type AutoscalerRunnerDefinition, DEFAULT_MAX_USE_COUNT, type DockerAutoscalerFleetProps } from "./fleet-props";
import { validatePluginVersion, DEFAULT_FLEETING_AWS_PLUGIN_VERSION } from "./plugin";
import { managerInstanceTypeOf, workerArchitectureOf, workerHelperImage, workerInstanceTypes } from "./worker-architecture";

export { workerInstanceTypes } from "./worker-architecture";

const FLEET_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

/** `max_use_count` of a runner: given, or the trust level's default. */
export function maxUseCountOf(runner: AutoscalerRunnerDefinition): number {
  return runner.maxUseCount ?? DEFAULT_MAX_USE_COUNT[runner.trustLevel];
}

/** The manager group's name of a fleet. */
export function managerGroupNameOf(fleetName: string): string {
  return `${fleetName}-manager`;
}

/** The worker group name of a runner. */
export function workerGroupNameOf(fleetName: string, runner: AutoscalerRunnerDefinition): string {
  return runner.workerGroupName ?? `${fleetName}-${runner.name}-workers`;
}

/**
 * Checks the fleet's props: names, network and connector, the drain bounds,
 * and each runner's trust rules and worker sizing.
 * @throws ValidationError naming the first problem
 */
export function validateAutoscalerFleetProps(path: string, props: DockerAutoscalerFleetProps): void {
  check(FLEET_NAME.test(props.fleetName), {
    path,
    subject: "fleetName",
    value: props.fleetName,
    rule: "1-40 lower-case letters, digits and '-', starting with a letter (it names the manager, its role and the worker groups)",
    fix: "use a short name such as acme-ci-dev",
  });
  check(isUnresolved(props.network.privateSubnetIds) || props.network.privateSubnetIds.length >= 1, {
    path,
    subject: "network.privateSubnetIds",
    value: props.network.privateSubnetIds,
    rule: "the manager and workers need at least one private subnet",
    fix: "pass a Network or an ExistingNetwork with private subnets",
  });
  const architecture = props.architecture ?? "x86_64";
  check(architecture === "x86_64" || architecture === "arm64", {
    path,
    subject: "architecture",
    value: architecture,
    rule: "one of x86_64, arm64 (Amazon Linux 2023's names)",
    fix: 'use "x86_64" or "arm64"',
  });
  const connector = props.connector ?? { kind: "instance-connect" };
  check(connector.kind === "instance-connect" || connector.kind === "static-key", {
    path,
    subject: "connector.kind",
    value: (connector as { kind: unknown }).kind,
    rule: "one of instance-connect, static-key",
    fix: 'use { kind: "instance-connect" }',
  });
  if (connector.kind === "instance-connect") {
    check(props.network.reachesEc2InstanceConnectApi === true, {
      path,
      subject: "network.reachesEc2InstanceConnectApi",
      value: props.network.reachesEc2InstanceConnectApi,
      rule: "with EC2 Instance Connect the manager calls the regional EC2 Instance Connect API before each SSH connection to a worker; a network with no route to it makes every job hang in preparation",
      fix: "give the private subnets a NAT gateway or a VPC endpoint and set reachesEc2InstanceConnectApi: true on the ExistingNetwork, or use connector { kind: \"static-key\" }",
    });
  } else {
    check(isUnresolved(connector.publicKey) || PUBLIC_KEY.test(connector.publicKey.trim()), {
      path,
      subject: "connector.publicKey",
      value: connector.publicKey.includes("PRIVATE") ? "(a private key, not shown)" : connector.publicKey,
      rule: "an OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp*); the private key stays in SSM",
      fix: "pass the content of the .pub file made by ssh-keygen -t ed25519",
    });
  }
  validatePluginVersion(path, props.pluginVersion ?? DEFAULT_FLEETING_AWS_PLUGIN_VERSION);
  // The manager drains like a fleet host: the same rule as RunnerFleet's.
  validateMaxJobTimeout(path, props.maxJobTimeoutSeconds ?? 3600);
  const retention = props.logRetentionDays ?? 30;
  validateLogRetention(path, "logRetentionDays", retention);
  const managerType = managerInstanceTypeOf(props);
  check(INSTANCE_TYPE.test(managerType), {
    path,
    subject: "managerInstanceType",
    value: managerType,
    rule: "an EC2 instance type such as t3.small",
    fix: "fix the spelling",
  });
  check(props.runners.length >= 1, { path, subject: "runners", value: [], rule: "a manager runs at least one runner", fix: "add a runner" });
  const groups = new Map<string, string>();
  const managerGroup = managerGroupNameOf(props.fleetName);
  props.runners.forEach((runner, i) => {
    const at = `${path}/runners[${i}]`;
    validateRunnerDefinition(at, props, runner);
    const group = workerGroupNameOf(props.fleetName, runner);
    check(isUnresolved(group) || group !== managerGroup, {
      path: at,
      subject: "workerGroupName",
      value: group,
      rule: `a worker group cannot take the name of the fleet's manager group (${managerGroup}): Auto Scaling group names are unique per account and region, and the plugin would scale and terminate the manager`,
      fix: "remove workerGroupName (the default is <fleetName>-<runner>-workers) or choose a name no other group uses",
    });
    check(isUnresolved(group) || !groups.has(group), {
      path: at,
      subject: "workerGroupName",
      value: group,
      rule: `each runner needs a worker group of its own, but runner ${groups.get(group)} already uses it (two taskscalers setting one group's desired capacity fight each other; GitLab Runner docs, docker_autoscaler.md "Dedicated autoscaling groups for each runner configuration")`,
      fix: "remove workerGroupName or give each runner a different one",
    });
    groups.set(group, runner.name);
  });
  validateSharedCacheTrust(path, props);
  validateSingleTrustLevel(path, props);
  validateVersions(path, { ...DEFAULT_RUNNER_HOST_VERSIONS, ...props.versions });
}

/**
 * The cache a runner uses: its own, the fleet's, or none; of a cache bucket
 * given as is, the part of the runner's trust level (`forTrustLevel`).
 */
export function cacheOf(props: DockerAutoscalerFleetProps, runner: AutoscalerRunnerDefinition): RunnerCacheAccess | undefined {
  if (runner.useCache === false) return undefined;
  const cache = runner.cache ?? props.cache;
  return cache?.forTrustLevel ? cache.forTrustLevel(runner.trustLevel) : cache;
}

/**
 * A shared cache (`Shared = true`: keys `<Path>/project/<id>/<key>`, the same
 * for every runner) used by pools of both trust levels would let an untrusted
 * job write cache entries that protected jobs restore.
 */
function validateSharedCacheTrust(path: string, props: DockerAutoscalerFleetProps): void {
  const seen: Array<{ bucket: string; prefix: string; trust: string; name: string }> = [];
  props.runners.forEach((runner, i) => {
    const settings = cacheOf(props, runner)?.settings;
    if (!settings || !settings.shared || isUnresolved(settings.bucketName) || isUnresolved(settings.path)) return;
    // Equal or nested prefixes overlap (an empty Path is the whole bucket).
    const prefix = settings.path === "" ? "" : `${settings.path}/`;
    const other = seen.find((o) => o.bucket === settings.bucketName && o.trust !== runner.trustLevel && (o.prefix.startsWith(prefix) || prefix.startsWith(o.prefix)));
    check(other === undefined, {
      path: `${path}/runners[${i}]`,
      subject: "cache",
      value: { bucket: settings.bucketName, path: settings.path, shared: true },
      rule: `runner ${other?.name} (${other?.trust}) uses this cache prefix or one nested with it, and a shared cache has the same keys for every runner, so ${runner.trustLevel === "unprotected" ? "this runner's" : `${other?.name}'s`} untrusted jobs could plant cache entries that protected jobs restore`,
      fix: "give each trust level its own cache prefix (cachePathOf(environment, trustLevel)) through the runner's cache",
    });
    seen.push({ bucket: settings.bucketName, prefix, trust: runner.trustLevel, name: runner.name });
  });
}

/**
 * One manager serves one trust level. What a manager holds is fleet-wide: it
 * pulls images with its own role for every runner (the ECR credential
 * helper), and DOCKER_AUTH_CONFIG's `credHelpers` name every registry of the
 * fleet in every job; so a merge-request job on a fleet that also serves
 * protected runners could pull protected images with the manager's role.
 */
function validateSingleTrustLevel(path: string, props: DockerAutoscalerFleetProps): void {
  const first = props.runners[0];
  if (first === undefined) return;
  props.runners.forEach((runner, i) => {
    check(runner.trustLevel === first.trustLevel, {
      path: `${path}/runners[${i}]`,
      subject: "trustLevel",
      value: runner.trustLevel,
      rule: `one fleet serves one trust level, but runner ${first.name} is ${first.trustLevel} and ${runner.name} is ${runner.trustLevel}: image pulls (the manager's role through the ECR credential helper) and DOCKER_AUTH_CONFIG credHelpers are fleet-wide, so an unprotected job could pull the protected pool's images`,
      fix: "build one DockerAutoscalerFleet per trust level (e.g. <name>-protected and <name>-unprotected), each with only that level's runners and repositories",
    });
  });
}

function validateRunnerDefinition(path: string, props: DockerAutoscalerFleetProps, runner: AutoscalerRunnerDefinition): void {
  check((TRUST_LEVELS as readonly string[]).includes(runner.trustLevel), {
    path,
    subject: "trustLevel",
    value: runner.trustLevel,
    rule: `one of ${TRUST_LEVELS.join(", ")} (which jobs the runner takes)`,
    fix: 'use "unprotected" for merge requests, forks and other unprotected refs, "protected" for protected branches and tags',
  });
  const maxUse = maxUseCountOf(runner);
  if (runner.trustLevel === "unprotected" && Number.isInteger(maxUse) && maxUse > 1) {
    check(runner.maxUseCountReason !== undefined && runner.maxUseCountReason.trim().length >= 10, {
      path,
      subject: "maxUseCount",
      value: maxUse,
      rule: "a pool that takes unprotected jobs (merge requests, forks) uses a fresh VM per job (max_use_count 1), or one untrusted job can leave a backdoor, a poisoned image or a credential stealer for the next",
      fix: "remove maxUseCount (1 is the default here), or state in maxUseCountReason (10 characters or more) why reuse is acceptable",
    });
    const docker = runner.docker;
    check(docker.dockerAccess !== "socket-binding" && docker.privileged !== true, {
      path,
      subject: "docker access on reused untrusted workers",
      value: { maxUseCount: maxUse, dockerAccess: docker.dockerAccess, privileged: docker.privileged ?? false },
      rule: "socket binding or privileged containers make a job root on its worker; that is only acceptable where every job is trusted or the worker is single-use",
      fix: "keep maxUseCount 1 on this pool, or use dockerAccess: \"none\" without privileged",
    });
  }
  // docker-autoscaler is the docker executor with its client tunnelled to the worker's daemon
  // (GitLab Runner 18.11.2 main.go: "docker-autoscaler": autoscaler.NewProvider(dockerProvider);
  // executors/docker/docker.go dials through the acquired instance), so [runners.docker] volumes
  // bind the worker's directories: the same allowlist as a docker-executor host taking unprotected jobs.
  if (runner.trustLevel === "unprotected") validateUntrustedJobVolumes(`${path}/docker`, runner.docker.volumes ?? []);
  const capacity = runner.capacityPerInstance ?? 1;
  check(runner.trustLevel !== "unprotected" || !Number.isInteger(capacity) || capacity <= 1, {
    path,
    subject: "capacityPerInstance",
    value: capacity,
    rule: "a runner that takes unprotected jobs runs one job per worker (capacity_per_instance 1): with more, the taskscaler places several jobs on one instance at once before max_use_count counts them, so untrusted jobs share a VM (GitLab Runner docs, docker_autoscaler.md: max_use_count counts jobs started on an instance, capacity_per_instance jobs run on it concurrently)",
    fix: "remove capacityPerInstance (1 is the default) and raise maxInstances for more parallel jobs",
  });
  const types = workerInstanceTypes(props, runner);
  check(types.length >= 1 && types.length <= 40 && types.every((t, j) => INSTANCE_TYPE.test(t) && types.indexOf(t) === j), {
    path,
    subject: "workerInstanceTypes",
    value: types,
    rule: "1 to 40 EC2 instance types such as m7i.large, each listed once",
    fix: 'list e.g. ["m7i.large", "m6i.large"]',
  });
  // One architecture per worker group; the helper image follows it.
  workerHelperImage(path, runner, props.mirror, workerArchitectureOf(path, props, runner));
  validateWorkerCapacity(path, {
    instanceTypes: types,
    workerMemoryMiB: runner.workerMemoryMiB,
    jobMemoryMiB: runner.jobMemoryMiB ?? 2048,
    capacityPerInstance: runner.capacityPerInstance ?? 1,
  });
  const volume = runner.workerVolumeGiB ?? 40;
  check(Number.isInteger(volume) && volume >= 8 && volume <= 16384, {
    path,
    subject: "workerVolumeGiB",
    value: volume,
    rule: "a whole number of GiB from 8 (Amazon Linux 2023's root) to 16384",
    fix: "use e.g. 40",
  });
  check(runner.workerPurchase === undefined || runner.workerPurchase === "on-demand" || runner.workerPurchase === "spot", {
    path,
    subject: "workerPurchase",
    value: runner.workerPurchase,
    rule: "one of on-demand, spot",
    fix: 'use "on-demand"',
  });
}
