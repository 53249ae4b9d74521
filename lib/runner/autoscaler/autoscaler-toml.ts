import { stringify } from "smol-toml";
import { check } from "../../core/errors";
import { isUnresolved } from "../../core/tokens";
import { type RunnerEntry, type RunnerManagerConfig, runnerConfigDocument, validateRunnerConfig } from "../config-toml";
import { cronProblem, validateTimeZone } from "../schedule";
import { fleetingAwsPluginReference, validatePluginVersion } from "./plugin";

/**
 * One `[[runners.autoscaler.policy]]`: how much idle capacity the runner keeps
 * during some periods. GitLab Runner uses the last policy whose period
 * matches, so list the general one first (GitLab Runner 18.11
 * advanced-configuration.md, "The [[runners.autoscaler.policy]] sections").
 */
export interface AutoscalerPolicy {
  /**
   * Periods the policy applies to, five-field cron expressions read as time
   * ranges (`* 7-19 * * MON-FRI` = every minute from 07:00 to 19:59 on working
   * days), checked with the schedule model's cron rules (`periods`).
   * @default ["* * * * *"] (always)
   */
  readonly periods?: readonly string[];
  /** IANA time zone the periods are read in (`timezone`), e.g. `Europe/Berlin`; the runner's default would be the manager's local time. */
  readonly timeZone: string;
  /** Idle job slots kept ready (`idle_count`): jobs, not instances. 0 lets the group scale to zero. */
  readonly idleCount: number;
  /** Seconds an unused instance stays before it is removed (`idle_time`), ≥ 1 (the runner's schema minimum). */
  readonly idleTimeSeconds: number;
  /**
   * Extra idle slots as a factor of the slots in use (`scale_factor`), ≥ 0.
   * @default 0
   */
  readonly scaleFactor?: number;
  /**
   * Most idle slots `scaleFactor` may add (`scale_factor_limit`).
   * @default unset (no limit beyond max_instances)
   */
  readonly scaleFactorLimit?: number;
  /**
   * Whether the runner asks GitLab for a job only while an idle slot is ready
   * (`preemptive_mode` of `[[runners.autoscaler.policy]]`; GitLab Runner
   * 18.11.2 `common/config.go` `AutoscalerPolicyConfig.PreemptiveMode *bool`).
   * Left unset, GitLab Runner turns it on whenever `idle_count > 0`
   * (`PreemptiveModeEnabled()` returns `IdleCount > 0` for nil;
   * gitlab-org/gitlab-runner#38326, MR !5565): with single-use workers a burst
   * of jobs then starts one at a time, each waiting for the idle worker the
   * previous one consumed. Written explicitly, so the behaviour does not follow
   * `idle_count`.
   * @default false (request jobs at once; a job without an idle slot waits for a new worker)
   */
  readonly preemptiveMode?: boolean;
}

/** `[runners.autoscaler.connector_config]`: how the manager reaches a worker (SSH). */
export interface AutoscalerConnectorSettings {
  /** Login user on the worker (`username`). */
  readonly username: string;
  /** Worker architecture (`arch`): `amd64` or `arm64`, as the runner names them. */
  readonly arch: "amd64" | "arm64";
  /** Use the static key at `keyPath` instead of EC2 Instance Connect (`use_static_credentials`). */
  readonly useStaticCredentials: boolean;
  /** Private key file on the manager (`key_path`), for the static key. */
  readonly keyPath?: string;
  /** SSH keepalive interval in seconds (`keepalive`): a reclaimed spot worker is noticed after a few missed keepalives. */
  readonly keepaliveSeconds: number;
  /** Connection timeout in seconds (`timeout`). */
  readonly timeoutSeconds: number;
}

/** `[runners.autoscaler]` of one runner. */
export interface AutoscalerSettings {
  /** The exact fleeting AWS plugin version (`plugin = "aws:<version>"`). */
  readonly pluginVersion: string;
  /** Jobs at once on one worker (`capacity_per_instance`), ≥ 1. */
  readonly capacityPerInstance: number;
  /** Jobs a worker runs before it is removed (`max_use_count`), ≥ 1; 1 = a fresh VM per job. */
  readonly maxUseCount: number;
  /** Most workers (`max_instances`), ≥ 1, in every state (pending, running, deleting). */
  readonly maxInstances: number;
  /**
   * The worker Auto Scaling group (`[runners.autoscaler.plugin_config]` `name`, the one
   * key GitLab's AWS example sets; the plugin takes the region from the AWS SDK's
   * environment, which the manager's service sets: `AWS_REGION`).
   */
  readonly group: { readonly name: string };
  /** `[runners.autoscaler.connector_config]`. */
  readonly connector: AutoscalerConnectorSettings;
  /** Command that must succeed on a new worker before it takes jobs (`instance_ready_command`). */
  readonly instanceReadyCommand: string;
  /** Seconds a job waits for a worker (`instance_acquire_timeout`). */
  readonly instanceAcquireTimeoutSeconds: number;
  /** Remove every worker when the runner stops (`delete_instances_on_shutdown`). */
  readonly deleteInstancesOnShutdown: boolean;
  /** New workers per second and burst (`[runners.autoscaler.scale_throttle]` `limit`, `burst`). */
  readonly scaleThrottle: { readonly limit: number; readonly burst: number };
  /** The policies, at least one. */
  readonly policies: readonly AutoscalerPolicy[];
}

/** A `[[runners]]` entry with the docker-autoscaler executor. */
export interface AutoscalerRunnerEntry extends RunnerEntry {
  /** `[runners.autoscaler]`. */
  readonly autoscaler: AutoscalerSettings;
}

/** A manager's config.toml: the global settings and its docker-autoscaler runners. */
export interface AutoscalerManagerConfig extends Omit<RunnerManagerConfig, "runners"> {
  /** The runners, each with its own worker group. */
  readonly runners: readonly AutoscalerRunnerEntry[];
}

/** `limit` of a docker-autoscaler runner: every slot of every worker, `max_instances × capacity_per_instance`. */
export function autoscalerLimit(settings: Pick<AutoscalerSettings, "maxInstances" | "capacityPerInstance">): number {
  return settings.maxInstances * settings.capacityPerInstance;
}

/** A Go duration string (`time.ParseDuration`) of whole seconds, as GitLab's examples write them (`20m0s`). */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${s}s`;
}

const wholeAtLeast = (value: number, minimum: number) => Number.isInteger(value) && value >= minimum;

/** Checks one policy: cron periods and time zone by the schedule model's rules, counts and durations. */
export function validatePolicy(path: string, policy: AutoscalerPolicy): void {
  const periods = policy.periods ?? ["* * * * *"];
  check(periods.length >= 1, {
    path,
    subject: "periods",
    value: periods,
    rule: "a policy applies to at least one period",
    fix: 'leave periods unset for "always", or list cron ranges such as "* 7-19 * * MON-FRI"',
  });
  periods.forEach((period, i) => {
    const problem = cronProblem(period);
    check(problem === undefined, {
      path,
      subject: `periods[${i}]`,
      value: period,
      rule: `a five-field cron expression read as a time range, but ${problem}`,
      fix: 'write e.g. "* 7-19 * * MON-FRI" (07:00 to 19:59 on working days)',
    });
  });
  validateTimeZone(path, "timeZone", policy.timeZone);
  check(wholeAtLeast(policy.idleCount, 0), {
    path,
    subject: "idleCount",
    value: policy.idleCount,
    rule: "idle_count is a whole number of idle job slots ≥ 0",
    fix: "use 0 to scale to zero, or the number of jobs that should start without waiting for a worker",
  });
  check(wholeAtLeast(policy.idleTimeSeconds, 1), {
    path,
    subject: "idleTimeSeconds",
    value: policy.idleTimeSeconds,
    rule: "idle_time is a whole number of seconds ≥ 1 (GitLab Runner's schema minimum is 1 s)",
    fix: "use e.g. 1200 (20 minutes)",
  });
  if (policy.scaleFactor !== undefined) {
    check(Number.isFinite(policy.scaleFactor) && policy.scaleFactor >= 0, {
      path,
      subject: "scaleFactor",
      value: policy.scaleFactor,
      rule: "scale_factor is a number ≥ 0 (idle slots per slot in use)",
      fix: "use e.g. 0.5, or leave it unset",
    });
  }
  check(policy.preemptiveMode === undefined || typeof policy.preemptiveMode === "boolean", {
    path,
    subject: "preemptiveMode",
    value: policy.preemptiveMode,
    rule: "preemptive_mode is true or false (GitLab Runner reads it as a TOML boolean)",
    fix: "use false (request jobs at once) or true (only while an idle slot is ready), or leave it unset for false",
  });
  if (policy.scaleFactorLimit !== undefined) {
    check(wholeAtLeast(policy.scaleFactorLimit, 1), {
      path,
      subject: "scaleFactorLimit",
      value: policy.scaleFactorLimit,
      rule: "scale_factor_limit is a whole number of job slots ≥ 1",
      fix: "use e.g. 10, or leave it unset",
    });
  }
}

/** Checks `[runners.autoscaler]` of one runner (the entry's `limit` is checked against it). */
export function validateAutoscalerSettings(path: string, entry: AutoscalerRunnerEntry): void {
  const a = entry.autoscaler;
  validatePluginVersion(path, a.pluginVersion);
  for (const [subject, value, minimum, meaning] of [
    ["capacityPerInstance", a.capacityPerInstance, 1, "jobs at once on one worker"],
    ["maxUseCount", a.maxUseCount, 1, "jobs per worker before it is replaced (1 = a fresh VM per job)"],
    ["maxInstances", a.maxInstances, 1, "most workers"],
    ["instanceAcquireTimeoutSeconds", a.instanceAcquireTimeoutSeconds, 1, "seconds a job waits for a worker"],
    ["connector.keepaliveSeconds", a.connector.keepaliveSeconds, 1, "seconds between SSH keepalives"],
    ["connector.timeoutSeconds", a.connector.timeoutSeconds, 1, "seconds to connect"],
    ["scaleThrottle.limit", a.scaleThrottle.limit, 1, "new workers per second"],
    ["scaleThrottle.burst", a.scaleThrottle.burst, 1, "new workers at once"],
  ] as const) {
    check(wholeAtLeast(value, minimum), {
      path,
      subject,
      value,
      rule: `${subject} is a whole number ≥ ${minimum} (${meaning})`,
      fix: `set ${subject} to ${minimum} or more`,
    });
  }
  check(a.connector.useStaticCredentials === (a.connector.keyPath !== undefined), {
    path,
    subject: "connector.keyPath",
    value: { useStaticCredentials: a.connector.useStaticCredentials, keyPath: a.connector.keyPath },
    rule: "a static key needs its key_path, and EC2 Instance Connect uses none (the plugin creates a key per connection)",
    fix: "set keyPath exactly when useStaticCredentials is true",
  });
  check(a.instanceReadyCommand.trim() !== "" && !/[\r\n]/.test(a.instanceReadyCommand), {
    path,
    subject: "instanceReadyCommand",
    value: a.instanceReadyCommand,
    rule: "a single-line command that succeeds once the worker finished booting",
    fix: 'use "cloud-init status --wait"',
  });
  check(entry.limit === autoscalerLimit(a), {
    path,
    subject: "limit",
    value: entry.limit,
    rule: `a docker-autoscaler runner's limit is max_instances × capacity_per_instance (${a.maxInstances} × ${a.capacityPerInstance} = ${autoscalerLimit(a)}): lower wastes workers, higher queues jobs no worker can take`,
    fix: `set limit to ${autoscalerLimit(a)}, or change maxInstances or capacityPerInstance`,
  });
  check(a.policies.length >= 1, {
    path,
    subject: "policies",
    value: [],
    rule: "a docker-autoscaler runner has at least one [[runners.autoscaler.policy]]",
    fix: "add a policy, e.g. { timeZone: \"UTC\", idleCount: 0, idleTimeSeconds: 600 }",
  });
  a.policies.forEach((policy, i) => validatePolicy(`${path}/policies[${i}]`, policy));
  if (!isUnresolved(a.group.name)) {
    check(/^[\w.:/-]{1,255}$/.test(a.group.name), {
      path,
      subject: "group name",
      value: a.group.name,
      rule: "an Auto Scaling group name of 1-255 letters, digits and _ . : / -",
      fix: "use the worker group's name",
    });
  }
}

/** Checks the whole manager config: the base runner rules (limits, concurrent ≥ Σ limit, docker) and each autoscaler table. */
export function validateAutoscalerConfig(path: string, config: AutoscalerManagerConfig): void {
  validateRunnerConfig(path, config);
  const groups = new Map<string, string>();
  config.runners.forEach((runner, i) => {
    const at = `${path}/runners[${i}]`;
    validateAutoscalerSettings(at, runner);
    const name = runner.autoscaler.group.name;
    check(isUnresolved(name) || !groups.has(name), {
      path: at,
      subject: "worker group",
      value: name,
      rule: `each [[runners]] entry needs its own Auto Scaling group, but ${groups.get(name)} already uses it (the taskscaler of each entry owns its group's desired capacity; GitLab Runner 18.11 docs, docker_autoscaler.md "Dedicated autoscaling groups for each runner configuration")`,
      fix: "give every runner its own worker group",
    });
    groups.set(name, runner.name);
  });
}

function policySection(p: AutoscalerPolicy): Record<string, unknown> {
  return {
    periods: [...(p.periods ?? ["* * * * *"])],
    timezone: p.timeZone,
    idle_count: p.idleCount,
    idle_time: goDuration(p.idleTimeSeconds),
    scale_factor: p.scaleFactor ?? 0,
    ...(p.scaleFactorLimit !== undefined ? { scale_factor_limit: p.scaleFactorLimit } : {}),
    // Explicit: unset means "on whenever idle_count > 0" (GitLab Runner 18.11 PreemptiveModeEnabled()).
    preemptive_mode: p.preemptiveMode ?? false,
  };
}

function autoscalerSection(a: AutoscalerSettings): Record<string, unknown> {
  const c = a.connector;
  return {
    plugin: fleetingAwsPluginReference(a.pluginVersion),
    capacity_per_instance: a.capacityPerInstance,
    max_use_count: a.maxUseCount,
    max_instances: a.maxInstances,
    instance_ready_command: a.instanceReadyCommand,
    instance_acquire_timeout: goDuration(a.instanceAcquireTimeoutSeconds),
    delete_instances_on_shutdown: a.deleteInstancesOnShutdown,
    plugin_config: { name: a.group.name },
    connector_config: {
      os: "linux",
      arch: c.arch,
      protocol: "ssh",
      username: c.username,
      use_static_credentials: c.useStaticCredentials,
      ...(c.keyPath !== undefined ? { key_path: c.keyPath } : {}),
      keepalive: goDuration(c.keepaliveSeconds),
      timeout: goDuration(c.timeoutSeconds),
      use_external_addr: false,
    },
    scale_throttle: { limit: a.scaleThrottle.limit, burst: a.scaleThrottle.burst },
    policy: a.policies.map(policySection),
  };
}

/**
 * The manager's config.toml document: the docker executor's document from
 * the shared model with `executor = "docker-autoscaler"` and each runner's
 * `[runners.autoscaler]` (validate first). Keys as GitLab Runner 18.11.2's
 * `common/config.go` spells them (`AutoscalerConfig`, `ConnectorConfig`,
 * `AutoscalerPolicyConfig`, `AutoscalerScaleThrottle`); durations as Go
 * duration strings, as GitLab's own examples write them (`idle_time = "20m0s"`).
 */
export function autoscalerConfigDocument(config: AutoscalerManagerConfig): Record<string, unknown> {
  const base = runnerConfigDocument(config);
  const runners = base.runners as Array<Record<string, unknown>>;
  return {
    ...base,
    runners: runners.map((r, i) => ({ ...r, executor: "docker-autoscaler", autoscaler: autoscalerSection(config.runners[i]!.autoscaler) })),
  };
}

/** Validates `config` and renders it with a TOML serializer (smol-toml). */
export function renderAutoscalerConfig(path: string, config: AutoscalerManagerConfig): string {
  validateAutoscalerConfig(path, config);
  return stringify(autoscalerConfigDocument(config));
}
