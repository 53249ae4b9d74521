import { type CloudConfigDocument, renderCloudConfig } from "../../core/cloud-config";
import { HOST_PATHS } from "../user-data";

/** What a worker needs: docker with the mirror, and the login user in the docker group. No gitlab-runner, no secret. */
export interface WorkerHostInput {
  /** daemon.json (registry mirror, logs), from the shared model. */
  readonly daemonJson: string;
  /** Amazon Linux 2023 `docker` package version. */
  readonly dockerVersion: string;
  /** The login user the manager connects as; it joins the `docker` group. */
  readonly username: string;
}

/**
 * The `instance_ready_command` of the workers: waits until cloud-init has
 * finished (docker installed and started, the user in the docker group) and
 * fails if it reported errors, so a worker is used only when it is complete
 * and a broken one is removed instead of taking jobs. A command that ran
 * before the boot finished (e.g. `docker info`) would fail on every new
 * worker and churn instances (GitLab Runner docs, advanced-configuration.md:
 * "If the instance_ready_command frequently fails ... instances might be
 * removed and created faster than the runner accepts jobs").
 */
export const WORKER_READY_COMMAND = "cloud-init status --wait";

/**
 * The cloud-config of a worker: the pinned docker package, daemon.json with
 * the registry mirror, docker started at boot and the login user in the
 * docker group (the docker-autoscaler executor reaches the daemon's socket
 * over SSH as that user; GitLab Runner docs, docker_autoscaler.md
 * prerequisites). gitlab-runner is not installed: workers never register.
 * SSH access comes from EC2 Instance Connect (preinstalled on Amazon Linux
 * 2023) or the launch template's key pair.
 */
export function workerCloudConfig(input: WorkerHostInput): CloudConfigDocument {
  return {
    package_update: false,
    packages: [["docker", input.dockerVersion]],
    write_files: [{ path: HOST_PATHS.daemonJson, content: input.daemonJson, permissions: "0644", owner: "root:root" }],
    runcmd: [
      ["usermod", "--append", "--groups", "docker", input.username],
      ["systemctl", "enable", "--now", "docker.service"],
    ],
  };
}

/** Renders a worker's user data (cloud-config YAML). */
export function renderWorkerUserData(input: WorkerHostInput): string {
  return renderCloudConfig(workerCloudConfig(input));
}
