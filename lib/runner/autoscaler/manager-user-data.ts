import { readFileSync } from "node:fs";
import path from "node:path";
import { type CloudConfigDocument, type CloudConfigFile, renderCloudConfig } from "../../core/cloud-config";
import { renderEnvironmentFile, renderSystemdUnit } from "../host-files";
import { HOST_PATHS, type RunnerHostInput, runnerHostCloudConfig, runnerHostEnvironment } from "../user-data";

/** The manager's own script (`autoscaler-manager fetch-ssh-key`), shipped in `lib/runner/assets/`. */
export const AUTOSCALER_MANAGER_SCRIPT: string = readFileSync(path.join(__dirname, "..", "assets", "autoscaler-manager.sh"), "utf8");

/** Paths on a manager besides the runner host's ({@link HOST_PATHS}). */
export const MANAGER_PATHS = {
  script: "/usr/local/bin/autoscaler-manager",
  /** Where `gitlab-runner fleeting install` puts the plugin and the runner finds it (`FLEETING_PLUGIN_PATH`). */
  pluginDirectory: "/var/lib/gitlab-runner/fleeting-plugins",
  /** The workers' SSH private key (static-key connector only), 0600. */
  sshKey: "/etc/gitlab-runner/fleeting/worker-ssh-key",
  gitlabRunner: "/usr/bin/gitlab-runner",
} as const;

/** Units of a runner host that work on its own docker daemon (disk clean-up): a manager has none. */
const DOCKER_HOUSEKEEPING = /runner-fleet-clean-disk\.(service|timer)$/;

/** What a manager needs on top of a runner host's input. */
export interface ManagerHostInput extends Omit<RunnerHostInput, "metric"> {
  /** The region of the worker groups, for the plugin's AWS SDK (`AWS_REGION`). */
  readonly region: string;
  /**
   * SSM SecureString parameter with the workers' SSH private key.
   * @default none (EC2 Instance Connect)
   */
  readonly sshKeyParameterName?: string;
}

/**
 * The systemd drop-in of gitlab-runner.service on a manager. Like a runner
 * host's, it refuses to start while the watcher holds the runner or the
 * instance is terminating (`runner-fleet may-start`), writes config.toml with
 * the tokens and stops gracefully
 * (SIGQUIT, bounded by the drain timeout); then it reads the static SSH key
 * if there is one, and installs the pinned fleeting plugin
 * (`gitlab-runner fleeting install` reads the `plugin` of every
 * `[runners.autoscaler]` and skips a plugin that is already installed:
 * GitLab Runner 18.11 commands/fleeting/fleeting.go). `FLEETING_PLUGIN_PATH`
 * fixes where the plugin lives for both the install and the runner (the
 * default, `~/.config/fleeting/plugins`, depends on HOME, which a system
 * service has not: GitLab Runner docs, fleet_scaling/fleeting.md).
 * `AWS_REGION` gives the plugin's AWS SDK the worker groups' region (the
 * instance profile gives it credentials; neither needs a file under HOME).
 */
export function managerRunnerDropIn(input: ManagerHostInput): string {
  return renderSystemdUnit({
    Unit: { Wants: "network-online.target", After: "network-online.target" },
    Service: {
      Environment: [`FLEETING_PLUGIN_PATH=${MANAGER_PATHS.pluginDirectory}`, `AWS_REGION=${input.region}`],
      ExecStartPre: [
        `${HOST_PATHS.script} may-start`,
        `${HOST_PATHS.script} configure`,
        ...(input.sshKeyParameterName ? [`${MANAGER_PATHS.script} fetch-ssh-key`] : []),
        `${MANAGER_PATHS.gitlabRunner} fleeting --config ${HOST_PATHS.config} install`,
      ],
      TimeoutStartSec: 900,
      KillSignal: "SIGQUIT",
      TimeoutStopSec: input.drainTimeoutSeconds,
      StandardOutput: `append:${HOST_PATHS.logDirectory}/gitlab-runner.log`,
      StandardError: "inherit",
    },
  });
}

/**
 * The manager's cloud-config: the runner host's document (pinned
 * gitlab-runner, ECR credential helper, CloudWatch agent, token script,
 * drain watcher) without docker, which a manager does not need (jobs run in
 * the workers' daemons), with the manager's drop-in and, for a static key,
 * its script and parameter. The host document is reused rather than copied;
 * {@link assertHostDocumentShape} fails loudly if it changes shape.
 */
export function managerCloudConfig(input: ManagerHostInput): CloudConfigDocument {
  const host = runnerHostCloudConfig(input);
  assertHostDocumentShape(host);
  const environment = {
    ...runnerHostEnvironment(input),
    ...(input.sshKeyParameterName ? { SSH_KEY_PARAMETER: input.sshKeyParameterName, SSH_KEY_PATH: MANAGER_PATHS.sshKey } : {}),
  };
  const files: CloudConfigFile[] = host.write_files
    .filter((f) => f.path !== HOST_PATHS.daemonJson && !DOCKER_HOUSEKEEPING.test(f.path))
    .map((f) => {
      if (f.path === HOST_PATHS.runnerDropIn) return { ...f, content: managerRunnerDropIn(input) };
      if (f.path === HOST_PATHS.environment) return { ...f, content: renderEnvironmentFile(HOST_PATHS.environment, environment) };
      return f;
    });
  if (input.sshKeyParameterName) files.splice(1, 0, { path: MANAGER_PATHS.script, content: AUTOSCALER_MANAGER_SCRIPT, permissions: "0755", owner: "root:root" });
  return {
    ...host,
    packages: host.packages.filter((p) => (typeof p === "string" ? p : p[0]) !== "docker"),
    write_files: files,
    runcmd: host.runcmd.filter((c) => !c.includes("docker.service")).map((c) => c.filter((arg) => !DOCKER_HOUSEKEEPING.test(arg))),
  };
}

/** Checks that the runner host document still has what the manager replaces (fails at synth, not on a host). */
export function assertHostDocumentShape(host: CloudConfigDocument): void {
  const paths = host.write_files.map((f) => f.path);
  for (const required of [HOST_PATHS.runnerDropIn, HOST_PATHS.environment, HOST_PATHS.daemonJson, HOST_PATHS.script]) {
    if (!paths.includes(required)) throw new Error(`the runner host cloud-config no longer writes ${required}; update managerCloudConfig`);
  }
  if (!host.runcmd.some((c) => c.includes("docker.service"))) throw new Error("the runner host cloud-config no longer starts docker.service; update managerCloudConfig");
}

/** Renders a manager's user data (cloud-config YAML). */
export function renderManagerUserData(input: ManagerHostInput): string {
  return renderCloudConfig(managerCloudConfig(input));
}
