import { gzipSync } from "node:zlib";
import { check } from "../core/errors";
import { type CloudConfigDocument, type CloudConfigFile, renderCloudConfig } from "../core/cloud-config";
import { RUNNER_METRICS_ADDRESS } from "./config-toml";
import { DIND_DAEMON_JSON_PATH } from "./image-mirror";
import { INSTALL_SCRIPT, RUNNER_FLEET_LOGROTATE, RUNNER_FLEET_SCRIPT, renderEnvironmentFile, renderSystemdUnit } from "./host-files";

/** CPU architecture of the runner hosts. */
export type RunnerHostArchitecture = "x86_64" | "arm64";

/** Pinned versions of what the hosts install. */
export interface RunnerHostVersions {
  /** Amazon Linux 2023 `docker` package version, e.g. `25.0.16`. */
  readonly docker: string;
  /** GitLab Runner version, e.g. `18.11.2` (RPMs from GitLab's S3 download bucket). */
  readonly gitlabRunner: string;
  /** Amazon Linux 2023 `amazon-ecr-credential-helper` package version. */
  readonly ecrCredentialHelper: string;
  /** Amazon Linux 2023 `amazon-cloudwatch-agent` package version. */
  readonly cloudwatchAgent: string;
}

/**
 * Default pins. The Amazon Linux versions are ones the AL2023 release notes
 * list (docker 25.0.16 in 2023.12, the ECR credential helper 0.9.0 and the
 * CloudWatch agent 1.300044.0 since 2023.6); AL2023 locks each AMI to its
 * repository release, so check `dnf list --showduplicates <package>` on your
 * AMI and override them when you pin an older AMI.
 */
export const DEFAULT_RUNNER_HOST_VERSIONS: RunnerHostVersions = {
  docker: "25.0.16",
  gitlabRunner: "18.11.2",
  ecrCredentialHelper: "0.9.0",
  cloudwatchAgent: "1.300044.0",
};

/** AWS's limit for EC2 user data: 16 KB (of the raw bytes, before the launch template's base64). */
export const USER_DATA_LIMIT_BYTES = 16_384;

/** Paths on a runner host. */
export const HOST_PATHS = {
  script: "/usr/local/bin/runner-fleet",
  /** The installer that writes `script` from SSM (when the script is delivered that way). */
  installScript: "/usr/local/bin/install-runner-fleet",
  environment: "/etc/runner-fleet/fleet.env",
  configTemplate: "/etc/runner-fleet/config.toml.template",
  config: "/etc/gitlab-runner/config.toml",
  daemonJson: "/etc/docker/daemon.json",
  runnerDropIn: "/etc/systemd/system/gitlab-runner.service.d/10-runner-fleet.conf",
  watcherUnit: "/etc/systemd/system/runner-fleet-watcher.service",
  metricsService: "/etc/systemd/system/runner-fleet-metrics.service",
  metricsTimer: "/etc/systemd/system/runner-fleet-metrics.timer",
  cleanDiskService: "/etc/systemd/system/runner-fleet-clean-disk.service",
  cleanDiskTimer: "/etc/systemd/system/runner-fleet-clean-disk.timer",
  /**
   * Outside the agent's own directories: `amazon-cloudwatch-agent-ctl -a fetch-config`
   * deletes /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json after
   * translating it (aws/amazon-cloudwatch-agent issues 594 and 1218).
   */
  cloudwatchAgentConfig: "/etc/runner-fleet/cloudwatch-agent.json",
  dindDaemonJson: DIND_DAEMON_JSON_PATH,
  logrotate: "/etc/logrotate.d/runner-fleet",
  logDirectory: "/var/log/runner-fleet",
} as const;

/** systemd units on a runner host. */
export const HOST_UNITS = {
  runner: "gitlab-runner.service",
  watcher: "runner-fleet-watcher.service",
  metricsTimer: "runner-fleet-metrics.timer",
  cleanDiskTimer: "runner-fleet-clean-disk.timer",
} as const;

/** The placeholder of runner `index`'s token in the config.toml template. */
export function tokenPlaceholder(index: number): string {
  return `@@RUNNER_TOKEN_${index}@@`;
}

/** What a runner host needs to know, all of it rendered into user data (no secret among it). */
export interface RunnerHostInput {
  /** config.toml with a {@link tokenPlaceholder} as each runner's token. */
  readonly runnerConfigTemplate: string;
  /** daemon.json. */
  readonly daemonJson: string;
  /** SSM parameter name of each runner's token, in runner order. */
  readonly tokenParameterNames: readonly string[];
  /** The Auto Scaling group's name. */
  readonly autoScalingGroupName: string;
  /** The termination lifecycle hook's name. */
  readonly lifecycleHookName: string;
  /** The host's `concurrent`. */
  readonly concurrent: number;
  /** How long a drain may take: the longest job plus a margin (also systemd's stop timeout for the runner). */
  readonly drainTimeoutSeconds: number;
  /** Seconds between lifecycle heartbeats while draining. */
  readonly heartbeatIntervalSeconds: number;
  /**
   * The job-slot utilisation metric the host publishes every minute.
   * @default none: no publisher
   */
  readonly metric?: { readonly namespace: string; readonly name: string };
  /** CloudWatch log group for the host's logs. */
  readonly logGroupName: string;
  /** Pinned versions. */
  readonly versions: RunnerHostVersions;
  /** CPU architecture. */
  readonly architecture: RunnerHostArchitecture;
  /**
   * Seconds a host that got a rebalance recommendation waits for the group to
   * replace it before it takes jobs again.
   * @default 600
   */
  readonly rebalanceWaitSeconds?: number;
  /**
   * Disk hygiene: above this percentage of the docker disk, the hourly clean-up
   * removes images no container uses and build cache older than `pruneMinAge`.
   * @default 75
   */
  readonly diskHighPercent?: number;
  /**
   * Whole hours (`<n>h`, e.g. `24h`): images tagged on the host less recently and build
   * cache unused for longer are removed (the script computes the image cut-off from the hours;
   * build cache takes it as a docker `until` filter).
   * @default "24h"
   */
  readonly pruneMinAge?: string;
  /**
   * Where the host reads its script from: SSM String parameters and the script's SHA-256
   * (see `deliverHostScript`). User data then carries the installer, not the script.
   * @default the script itself in user data
   */
  readonly scriptDelivery?: { readonly sha256: string; readonly parameterNames: readonly string[] };
  /**
   * daemon.json for `docker:dind` service containers (mounted read-only into
   * job and service containers): the registry mirrors, so dind pulls through them too.
   * @default none
   */
  readonly dindDaemonJson?: string;
}

/** The GitLab Runner RPMs of a version and architecture (helper images first: the runner package needs it). */
export function gitlabRunnerPackageUrls(version: string, architecture: RunnerHostArchitecture): string[] {
  const base = `https://s3.dualstack.us-east-1.amazonaws.com/gitlab-runner-downloads/v${version}/rpm`;
  return [`${base}/gitlab-runner-helper-images.rpm`, `${base}/gitlab-runner_${architecture === "x86_64" ? "amd64" : "arm64"}.rpm`];
}

/** The environment file the on-host script reads (names, numbers and paths; no secret). */
export function runnerHostEnvironment(input: RunnerHostInput): Record<string, string | number> {
  return {
    ASG_NAME: input.autoScalingGroupName,
    LIFECYCLE_HOOK_NAME: input.lifecycleHookName,
    CONCURRENT: input.concurrent,
    DRAIN_TIMEOUT: input.drainTimeoutSeconds,
    HEARTBEAT_INTERVAL: input.heartbeatIntervalSeconds,
    ...(input.metric ? { METRIC_NAMESPACE: input.metric.namespace, METRIC_NAME: input.metric.name } : {}),
    METRICS_URL: `http://${RUNNER_METRICS_ADDRESS}/metrics`,
    RUNNER_SERVICE: HOST_UNITS.runner,
    METRICS_TIMER: HOST_UNITS.metricsTimer,
    RUNNER_CONFIG: HOST_PATHS.config,
    RUNNER_CONFIG_TEMPLATE: HOST_PATHS.configTemplate,
    RUNNER_COUNT: input.tokenParameterNames.length,
    REBALANCE_WAIT: input.rebalanceWaitSeconds ?? 600,
    DISK_HIGH_PERCENT: input.diskHighPercent ?? 75,
    PRUNE_MIN_AGE: input.pruneMinAge ?? "24h",
    ...(input.scriptDelivery
      ? {
          SCRIPT_SHA256: input.scriptDelivery.sha256,
          SCRIPT_PARAMETER_COUNT: input.scriptDelivery.parameterNames.length,
          ...Object.fromEntries(input.scriptDelivery.parameterNames.map((name, i) => [`SCRIPT_PARAMETER_${i}`, name])),
        }
      : {}),
    ...Object.fromEntries(
      input.tokenParameterNames.flatMap((name, i) => [
        [`RUNNER_TOKEN_PARAMETER_${i}`, name],
        [`RUNNER_TOKEN_PLACEHOLDER_${i}`, tokenPlaceholder(i)],
      ]),
    ),
  };
}

/** The CloudWatch agent's configuration: the host's log files to the fleet's log group. */
export function cloudwatchAgentConfig(logGroupName: string): Record<string, unknown> {
  const file = (filePath: string, stream: string) => ({
    file_path: filePath,
    log_group_name: logGroupName,
    log_stream_name: `{instance_id}/${stream}`,
  });
  return {
    // root reads cloud-init's and the runner's logs whatever their modes.
    agent: { run_as_user: "root" },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            file("/var/log/cloud-init-output.log", "cloud-init"),
            file(`${HOST_PATHS.logDirectory}/gitlab-runner.log`, "gitlab-runner"),
            file(`${HOST_PATHS.logDirectory}/runner-fleet.log`, "runner-fleet"),
          ],
        },
      },
    },
  };
}

const logTo = (file: string) => ({ StandardOutput: `append:${HOST_PATHS.logDirectory}/${file}`, StandardError: "inherit" });

/** The cloud-config document of a runner host. */
export function runnerHostCloudConfig(input: RunnerHostInput): CloudConfigDocument {
  const v = input.versions;
  const file = (path: string, content: string, permissions = "0644"): CloudConfigFile => ({ path, content, permissions, owner: "root:root" });
  const files: CloudConfigFile[] = [
    input.scriptDelivery ? file(HOST_PATHS.installScript, INSTALL_SCRIPT, "0755") : file(HOST_PATHS.script, RUNNER_FLEET_SCRIPT, "0755"),
    file(HOST_PATHS.environment, renderEnvironmentFile(HOST_PATHS.environment, runnerHostEnvironment(input))),
    file(HOST_PATHS.configTemplate, input.runnerConfigTemplate, "0600"),
    file(HOST_PATHS.daemonJson, input.daemonJson),
    file(
      HOST_PATHS.runnerDropIn,
      renderSystemdUnit({
        Unit: { Wants: "docker.service", After: "docker.service" },
        Service: {
          // may-start first: no start (the package's post-install, runcmd, Restart=) undoes a drain.
          ExecStartPre: [`${HOST_PATHS.script} may-start`, `${HOST_PATHS.script} configure`],
          // Reading the tokens retries while IAM propagates.
          TimeoutStartSec: 900,
          // Graceful stop: the runner takes no new jobs and exits when its jobs are done.
          KillSignal: "SIGQUIT",
          TimeoutStopSec: input.drainTimeoutSeconds,
          ...logTo("gitlab-runner.log"),
        },
      }),
    ),
    file(
      HOST_PATHS.watcherUnit,
      renderSystemdUnit({
        Unit: { Description: "Runner host drain watcher", After: "network-online.target", Wants: "network-online.target" },
        Service: { ExecStart: `${HOST_PATHS.script} watch`, Restart: "on-failure", RestartSec: 5, ...logTo("runner-fleet.log") },
        Install: { WantedBy: "multi-user.target" },
      }),
    ),
    ...(input.metric
      ? [
          file(
            HOST_PATHS.metricsService,
            renderSystemdUnit({
              Unit: { Description: "Publish runner host metrics" },
              Service: { Type: "oneshot", ExecStart: `${HOST_PATHS.script} publish-metric`, ...logTo("runner-fleet.log") },
            }),
          ),
          file(
            HOST_PATHS.metricsTimer,
            renderSystemdUnit({
              Unit: { Description: "Runner host metrics, every minute" },
              Timer: { OnActiveSec: 60, OnUnitActiveSec: 60, AccuracySec: 5 },
              Install: { WantedBy: "timers.target" },
            }),
          ),
        ]
      : []),
    file(
      HOST_PATHS.cleanDiskService,
      renderSystemdUnit({
        Unit: { Description: "Docker disk clean-up", After: "docker.service" },
        Service: { Type: "oneshot", ExecStart: `${HOST_PATHS.script} clean-disk`, Nice: 10, IOSchedulingClass: "idle", ...logTo("runner-fleet.log") },
      }),
    ),
    file(
      HOST_PATHS.cleanDiskTimer,
      renderSystemdUnit({
        Unit: { Description: "Docker disk clean-up, hourly" },
        Timer: { OnActiveSec: 900, OnUnitActiveSec: 3600, RandomizedDelaySec: 300 },
        Install: { WantedBy: "timers.target" },
      }),
    ),
    ...(input.dindDaemonJson !== undefined ? [file(HOST_PATHS.dindDaemonJson, input.dindDaemonJson)] : []),
    file(HOST_PATHS.cloudwatchAgentConfig, `${JSON.stringify(cloudwatchAgentConfig(input.logGroupName))}\n`),
    file(HOST_PATHS.logrotate, RUNNER_FLEET_LOGROTATE),
  ];
  return {
    package_update: false,
    packages: [
      ["docker", v.docker],
      ["amazon-ecr-credential-helper", v.ecrCredentialHelper],
      ["amazon-cloudwatch-agent", v.cloudwatchAgent],
      "logrotate",
    ],
    write_files: files,
    runcmd: [
      ["mkdir", "-p", HOST_PATHS.logDirectory],
      // The script from SSM, checked against its digest, before any unit that runs it starts.
      ...(input.scriptDelivery ? [[HOST_PATHS.installScript]] : []),
      ["systemctl", "daemon-reload"],
      // The watcher and the timers first: they must run before the runner can take a job
      // (a host terminated while booting drains, and its metric counts from the start).
      ["systemctl", "enable", "--now", HOST_UNITS.watcher, ...(input.metric ? [HOST_UNITS.metricsTimer] : []), HOST_UNITS.cleanDiskTimer],
      [
        "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
        ...["-a", "fetch-config", "-m", "ec2", "-s", "-c", `file:${HOST_PATHS.cloudwatchAgentConfig}`],
      ],
      ["systemctl", "enable", "--now", "docker.service"],
      // The package's post-install (packaging/root/usr/share/gitlab-runner/post-install) installs
      // the unit and runs `gitlab-runner start`; the drop-in written above makes that start
      // check may-start and configure first. No restart afterwards: with SIGQUIT as the stop
      // signal, a restart would wait for any job taken in between. `enable --now` only starts it
      // if it is not running. When the watcher drained the host while it booted, both starts fail
      // at may-start (the hold file): the runner never starts after the lifecycle action completed.
      // A runtime mask (`systemctl mask --runtime`) would not do: it lives in /run/systemd/system,
      // which /etc/systemd/system (where `gitlab-runner install` writes the unit) overrides.
      ["dnf", "install", "-y", ...gitlabRunnerPackageUrls(v.gitlabRunner, input.architecture)],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", HOST_UNITS.runner],
    ],
  };
}

/** Renders a runner host's user data (cloud-config YAML). */
export function renderRunnerHostUserData(input: RunnerHostInput): string {
  return renderCloudConfig(runnerHostCloudConfig(input));
}

/**
 * Bytes the launch template sends to EC2 for `userData`: gzip (as Terraform's
 * `base64gzip` does, default compression) then base64. cloud-init unpacks
 * gzip user data itself.
 */
export function compressedUserDataSize(userData: string): number {
  return gzipSync(Buffer.from(userData, "utf8")).toString("base64").length;
}

/** Checks that user data fits AWS's 16 KB limit once compressed. */
export function validateUserDataSize(path: string, userData: string): void {
  const size = compressedUserDataSize(userData);
  check(size <= USER_DATA_LIMIT_BYTES, {
    path,
    subject: "user data size",
    value: `${size} bytes gzip+base64 (${Buffer.byteLength(userData)} bytes uncompressed)`,
    rule: `EC2 user data is at most ${USER_DATA_LIMIT_BYTES} bytes`,
    fix: "use fewer runners per host or shorter settings (environment, allowed images)",
  });
}

/** Version strings dnf and the download URL accept (digits and dots, optionally a suffix). */
export function validateVersions(path: string, versions: RunnerHostVersions): void {
  for (const [key, value] of Object.entries(versions)) {
    check(/^\d+(\.\d+){1,3}(-[0-9A-Za-z.]+)?$/.test(value), {
      path,
      subject: `versions.${key}`,
      value,
      rule: "a package version such as 25.0.16 or 18.11.2",
      fix: "copy the version from `dnf list --showduplicates <package>` or the GitLab Runner releases",
    });
  }
}
