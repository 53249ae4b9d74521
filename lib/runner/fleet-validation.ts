import { check, checkOneOf } from "../core/errors";
import { validateLogRetention } from "../core/log-retention";
import { isUnresolved } from "../core/tokens";
import { parseCidr } from "../network/cidr";
import { type RunnerSchedule, validateCapacity, validateSchedule } from "./schedule";
import { DEFAULT_RUNNER_HOST_VERSIONS, type RunnerHostArchitecture, validateVersions } from "./user-data";

/** The helper image's architecture rule (kept with the other architecture rules in architecture.ts). */
export { architectureOfHelperImage, validateHelperImageArchitecture } from "./architecture";
import {
  DRAIN_MARGIN_SECONDS,
  MAX_LIFECYCLE_WAIT_SECONDS,
  type RunnerDefinition,
  type RunnerFleetCapacity,
  type RunnerFleetProps,
  type RunnerFleetPurchaseOptions,
  SPOT_ALLOCATION_STRATEGIES,
  SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS,
  SYSTEM_DISK_GIB,
} from "./fleet-props";

/**
 * gp3 limits (EC2 CreateVolume and Auto Scaling `Ebs` API reference): size
 * 1-16,384 GiB, 3,000-16,000 IOPS at most 500 per GiB, 125-1,000 MiB/s at
 * most 0.25 MiB/s per provisioned IOPS.
 */
export const GP3_LIMITS = { maxSizeGiB: 16_384, minIops: 3000, maxIops: 16_000, maxIopsPerGiB: 500, minThroughput: 125, maxThroughput: 1000, maxThroughputPerIops: 0.25 } as const;

export const DEFAULT_INSTANCE_TYPES: Readonly<Record<RunnerHostArchitecture, readonly string[]>> = {
  x86_64: ["m7i.xlarge", "m6i.xlarge", "m5.xlarge"],
  arm64: ["m7g.xlarge", "m6g.xlarge"],
};
const FLEET_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
export const SECRET_LITERAL = /glrt-[A-Za-z0-9_.-]{8,}|AKIA[0-9A-Z]{16}|"auths"/;

/** The fleet's instance types: the given ones, or the defaults of the given architecture. */
export function instanceTypes(props: RunnerFleetProps): readonly string[] {
  return props.instanceTypes ?? DEFAULT_INSTANCE_TYPES[props.architecture ?? "x86_64"] ?? DEFAULT_INSTANCE_TYPES.x86_64;
}

/**
 * The rules of a fleet's `maxJobTimeoutSeconds`: a whole number of seconds ≥ 60, and short enough
 * that the drain fits the termination lifecycle hook's 48 h global timeout (EC2 Auto Scaling
 * lifecycle hooks: the maximum is 48 hours or 100 × the heartbeat timeout, whichever is smaller).
 * Shared by {@link RunnerFleet} and the platform's configuration check.
 * @throws ValidationError naming `path`
 */
export function validateMaxJobTimeout(path: string, maxJob: number): void {
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
}

/**
 * The rule of a fleet's `imageStorageGiB`: a whole number of GiB ≥ 1. Shared by
 * {@link RunnerFleet} and the platform's configuration check.
 * @throws ValidationError naming `path`
 */
export function validateImageStorage(path: string, imageStorage: number): void {
  check(Number.isInteger(imageStorage) && imageStorage >= 1, {
    path,
    subject: "imageStorageGiB",
    value: imageStorage,
    rule: "a whole number of GiB ≥ 1",
    fix: "estimate the images' total size plus build cache, e.g. 50",
  });
}

/** Checks a fleet's props (besides the config.toml and daemon.json models, checked when rendered). */
export function validateFleetProps(path: string, props: RunnerFleetProps): void {
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
  validateMaxJobTimeout(path, maxJob);
  const imageStorage = props.imageStorageGiB ?? 50;
  validateImageStorage(path, imageStorage);
  validateRootVolume(path, props, imageStorage);
  const scaling = props.jobSlotScaling !== false;
  validateFleetCapacity(path, props.capacity ?? { minSize: 1, maxSize: 3 }, props.schedules ?? [], scaling);
  if (scaling) {
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
  if (props.rebalanceWaitSeconds !== undefined) {
    check(Number.isInteger(props.rebalanceWaitSeconds) && props.rebalanceWaitSeconds >= 0 && props.rebalanceWaitSeconds <= 86_400, {
      path,
      subject: "rebalanceWaitSeconds",
      value: props.rebalanceWaitSeconds,
      rule: "whole seconds from 0 to 86400 that a host with a rebalance recommendation waits for its replacement before it takes jobs again",
      fix: "use the instance warm-up plus a few minutes, e.g. 600",
    });
  }
  if (props.diskCleanupThresholdPercent !== undefined) {
    check(Number.isInteger(props.diskCleanupThresholdPercent) && props.diskCleanupThresholdPercent >= 1 && props.diskCleanupThresholdPercent <= 99, {
      path,
      subject: "diskCleanupThresholdPercent",
      value: props.diskCleanupThresholdPercent,
      rule: "a whole percentage from 1 to 99 of the root volume above which unused images are pruned",
      fix: "use e.g. 75",
    });
  }
  const spot = ((props.purchase ?? {}).onDemandPercentageAboveBaseCapacity ?? 0) < 100;
  if (spot && props.shutdownTimeoutSeconds !== undefined && !isUnresolved(props.shutdownTimeoutSeconds)) {
    check(props.shutdownTimeoutSeconds <= SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS, {
      path,
      subject: "shutdownTimeoutSeconds",
      value: props.shutdownTimeoutSeconds,
      rule: `the fleet can have spot hosts, which EC2 reclaims two minutes after the interruption notice; the forceful stop on the notice reports the running jobs as runner_system_failure (retryable) only if it finishes within that time, so shutdown_timeout is at most ${SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS} s`,
      fix: `use at most ${SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS} (the default is 30), or run the fleet on demand only (purchase.onDemandPercentageAboveBaseCapacity: 100)`,
    });
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
  validatePurchaseOptions(path, props.purchase ?? {});
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
  validateLogRetention(path, "logRetentionDays", retention);
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

function validateRootVolume(path: string, props: RunnerFleetProps, imageStorage: number): void {
  const volume = props.rootVolume ?? {};
  const needed = SYSTEM_DISK_GIB + imageStorage;
  const size = volume.sizeGiB ?? needed;
  if (volume.sizeGiB !== undefined) {
    check(Number.isInteger(volume.sizeGiB) && volume.sizeGiB >= needed, {
      path,
      subject: "rootVolume.sizeGiB",
      value: volume.sizeGiB,
      rule: `the root volume holds the system (${SYSTEM_DISK_GIB} GiB) and the chosen images and build cache (imageStorageGiB ${imageStorage}), so at least ${needed} GiB`,
      fix: `set sizeGiB to ${needed} or more, or lower imageStorageGiB if the images are smaller`,
    });
  }
  check(size <= GP3_LIMITS.maxSizeGiB, {
    path,
    subject: volume.sizeGiB !== undefined ? "rootVolume.sizeGiB" : "imageStorageGiB",
    value: volume.sizeGiB ?? imageStorage,
    rule: `the root volume is gp3, whose maximum size is ${GP3_LIMITS.maxSizeGiB} GiB, but it would be ${size} GiB`,
    fix: `keep the volume at most ${GP3_LIMITS.maxSizeGiB} GiB (imageStorageGiB at most ${GP3_LIMITS.maxSizeGiB - SYSTEM_DISK_GIB}); prune images more often instead`,
  });
  const iops = volume.iops ?? GP3_LIMITS.minIops;
  if (volume.iops !== undefined) {
    const max = Math.min(GP3_LIMITS.maxIops, GP3_LIMITS.maxIopsPerGiB * size);
    check(Number.isInteger(iops) && iops >= GP3_LIMITS.minIops && iops <= max, {
      path,
      subject: "rootVolume.iops",
      value: iops,
      rule: `gp3 provisions ${GP3_LIMITS.minIops} to ${GP3_LIMITS.maxIops} IOPS, at most ${GP3_LIMITS.maxIopsPerGiB} per GiB (${max} for ${size} GiB)`,
      fix: `use a value from ${GP3_LIMITS.minIops} to ${max}, or a larger volume`,
    });
  }
  if (volume.throughputMiBps !== undefined) {
    const t = volume.throughputMiBps;
    const max = Math.min(GP3_LIMITS.maxThroughput, Math.floor(GP3_LIMITS.maxThroughputPerIops * iops));
    check(Number.isInteger(t) && t >= GP3_LIMITS.minThroughput && t <= max, {
      path,
      subject: "rootVolume.throughputMiBps",
      value: t,
      rule: `gp3 provisions ${GP3_LIMITS.minThroughput} to ${GP3_LIMITS.maxThroughput} MiB/s, at most ${GP3_LIMITS.maxThroughputPerIops} MiB/s per IOPS (${max} for ${iops} IOPS)`,
      fix: `use a value from ${GP3_LIMITS.minThroughput} to ${max}, or provision more IOPS`,
    });
  }
}

/**
 * The rules of a fleet's group sizes, shared by {@link RunnerFleet} and the platform's
 * configuration check (at the config path of a pool's `capacity`): sizes whole numbers ≥ 0 with
 * min ≤ desired ≤ max ({@link validateCapacity}); with job-slot scaling at least one host unless
 * the group is off (maxSize 0), since at zero hosts nobody publishes the utilisation metric; and a
 * group that can start a host from its capacity or one of its schedules.
 * @param path construct path of the fleet, or the config path of the pool
 * @param capacity the group sizes, defaults applied
 * @param schedules the scheduled size changes (e.g. from office hours)
 * @param jobSlotScaling whether target tracking on job slots is on (the fleet's default)
 * @throws ValidationError naming `path`, the value, the rule and the fix
 */
export function validateFleetCapacity(path: string, capacity: RunnerFleetCapacity, schedules: readonly RunnerSchedule[], jobSlotScaling: boolean): void {
  validateCapacity(path, "capacity", capacity);
  if (jobSlotScaling) {
    check(capacity.minSize >= 1 || capacity.maxSize === 0, {
      path,
      subject: "capacity.minSize",
      value: capacity.minSize,
      rule: "with job-slot scaling the group must keep at least one host: at zero hosts nobody publishes the utilisation metric, so it could never scale out again",
      fix: "set minSize ≥ 1 and use schedules (e.g. officeHours) with minSize = maxSize = 0 for off periods, or set jobSlotScaling: false",
    });
  }
  validateCanStart(path, capacity, schedules, jobSlotScaling);
}

/**
 * The rules of a fleet's on-demand/spot mix, shared by {@link RunnerFleet} and the platform's
 * configuration check (at the config path of a pool's `purchase`): `onDemandBaseCapacity` a whole
 * number ≥ 0, `onDemandPercentageAboveBaseCapacity` a whole percentage 0-100 (Auto Scaling
 * `InstancesDistribution`), `spotAllocationStrategy` one of {@link SPOT_ALLOCATION_STRATEGIES},
 * `capacityRebalance` true or false.
 * @param path construct path of the fleet, or the config path of the pool
 * @throws ValidationError naming `path`, the value, the rule and the fix
 */
export function validatePurchaseOptions(path: string, purchase: RunnerFleetPurchaseOptions): void {
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
  if (purchase.spotAllocationStrategy !== undefined) checkOneOf(path, "purchase.spotAllocationStrategy", purchase.spotAllocationStrategy, SPOT_ALLOCATION_STRATEGIES);
  check(purchase.capacityRebalance === undefined || typeof purchase.capacityRebalance === "boolean", {
    path,
    subject: "purchase.capacityRebalance",
    value: purchase.capacityRebalance,
    rule: "capacityRebalance is true or false",
    fix: "write true (replace spot hosts at a rebalance recommendation) or false, or leave it unset",
  });
}

/**
 * A fleet that can never start a host is a mistake: with job-slot scaling the
 * group leaves zero hosts only through a minimum of at least 1 (nobody
 * publishes the metric at zero), from the capacity or a schedule; without it,
 * a minimum or desired capacity above zero must be set somewhere.
 */
function validateCanStart(path: string, capacity: RunnerFleetCapacity, schedules: readonly RunnerSchedule[], scaling: boolean): void {
  const starts = (c: { minSize?: number; desiredCapacity?: number }) => (c.minSize ?? 0) >= 1 || (!scaling && (c.desiredCapacity ?? 0) >= 1);
  if ([capacity.minSize, capacity.maxSize, ...schedules.flatMap((s) => [s.minSize, s.maxSize, s.desiredCapacity])].some((v) => isUnresolved(v))) return;
  check(starts(capacity) || schedules.some(starts), {
    path,
    subject: "capacity and schedules",
    value: { capacity, schedules: schedules.map((s) => ({ name: s.name, minSize: s.minSize, maxSize: s.maxSize, desiredCapacity: s.desiredCapacity })) },
    rule: scaling
      ? "with job-slot scaling a group at zero hosts never scales out (no host publishes the metric), and neither the capacity nor any schedule sets minSize ≥ 1: the fleet can never start a host"
      : "neither the capacity nor any schedule sets minSize or desiredCapacity ≥ 1: the fleet can never start a host",
    fix: "set capacity.minSize ≥ 1, or add a schedule that starts the fleet (e.g. officeHours with minSize ≥ 1)",
  });
}

/**
 * Tokens that expire sooner than a drain takes would stop a draining host
 * from finishing its jobs (uploads, job updates); they are refused.
 */
export function validateTokenLifetimes(path: string, runners: readonly RunnerDefinition[], drainTimeoutSeconds: number): void {
  runners.forEach((r, i) => {
    const lifetime = r.tokenLifetimeSeconds;
    if (lifetime === undefined || isUnresolved(lifetime)) return;
    check(Number.isInteger(lifetime) && lifetime > drainTimeoutSeconds, {
      path: `${path}/runners[${i}]`,
      subject: "tokenLifetimeSeconds",
      value: lifetime,
      rule: `a runner token must outlive the drain window (${drainTimeoutSeconds} s: the longest job plus the drain margin), or a draining host loses its token mid-job`,
      fix: `raise the instance's runner token expiration to more than ${drainTimeoutSeconds} s (days are usual), or lower maxJobTimeoutSeconds`,
    });
  });
}
