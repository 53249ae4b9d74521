/*
 * The config.toml model of a docker-executor runner host: `[[runners]]` and
 * `[runners.docker]` as typed data, and the constants the renderer, the checks
 * and the host scripts share. Rendering: config-toml.ts; checks:
 * config-toml-validation.ts; volume rules: docker-volumes.ts.
 */
import { type RunnerCacheSettings } from "../cache/runner-cache-settings";

/** When the docker executor pulls a job's image. */
export type PullPolicy = "always" | "if-not-present" | "never";

/**
 * How jobs get a docker daemon, an explicit choice because each has a cost:
 * - `socket-binding`: the host's `/var/run/docker.sock` is mounted into jobs, so
 *   `docker build` reuses the host's layer cache. A job can then control the
 *   host's docker daemon (start privileged or host-network containers): only
 *   for trusted projects.
 * - `dind`: jobs run a `docker:dind` service; needs `privileged = true` and
 *   starts with an empty layer cache every job.
 * - `none`: jobs cannot run docker.
 */
export type DockerAccess = "socket-binding" | "dind" | "none";

/** Every {@link DockerAccess} mode (for run-time checks of plain-JavaScript input). */
export const DOCKER_ACCESS_MODES: readonly DockerAccess[] = ["socket-binding", "dind", "none"];

/** The runner's log format (`log_format`). */
export type RunnerLogFormat = "runner" | "text" | "json";

/** The runner's log level (`log_level`). */
export type RunnerLogLevel = "debug" | "info" | "warn" | "error" | "fatal" | "panic";

/** A service container every job of the runner gets (`[[runners.docker.services]]`, common/config.go `Service`). */
export interface DockerServiceSettings {
  /** The service image (`name`), e.g. `docker:27-dind`. */
  readonly name: string;
  /**
   * Host names the job reaches it by (`alias`, space or comma separated).
   * @default the image name's derived alias
   */
  readonly alias?: string;
  /**
   * Command of the service container (`command`).
   * @default the image's
   */
  readonly command?: readonly string[];
}

/** `[runners.docker]` settings. */
export interface DockerExecutorSettings {
  /** Default image for jobs that name none (`image`), e.g. `alpine:3.20`. */
  readonly image: string;
  /** How jobs reach a docker daemon (see {@link DockerAccess}). */
  readonly dockerAccess: DockerAccess;
  /**
   * Run job containers privileged (`privileged`). Required for `dind`.
   * @default false
   */
  readonly privileged?: boolean;
  /**
   * Allow `privileged = true` together with socket binding. Both together make
   * every job root on the host; refused unless set.
   * @default false
   */
  readonly allowPrivilegedWithSocketBinding?: boolean;
  /**
   * Extra volumes (`volumes`, docker -v syntax with absolute paths). The docker
   * socket is added by `dockerAccess: "socket-binding"`, `/certs/client` by `dind`.
   * @default ["/cache"]
   */
  readonly volumes?: readonly string[];
  /**
   * Pull policies, tried in order (`pull_policy`). `always` still reuses cached
   * layers (it only re-checks the manifest) and keeps a job from using a private
   * image that another project pulled; `if-not-present` saves that request.
   * @default ["always"]
   */
  readonly pullPolicy?: readonly PullPolicy[];
  /**
   * Helper image (`helper_image`), e.g. through a registry mirror.
   * @default none (the runner's default, from registry.gitlab.com)
   */
  readonly helperImage?: string;
  /**
   * Images jobs may use (`allowed_images`, globs such as `registry.example.com/**`).
   * @default none (any image)
   */
  readonly allowedImages?: readonly string[];
  /**
   * `/dev/shm` size of job containers in bytes (`shm_size`).
   * @default docker's default (64 MB)
   */
  readonly shmSizeBytes?: number;
  /**
   * Security options of job containers (`security_opt`, docker's `--security-opt`), as
   * `key:value` (GitLab Runner 18.11 `common/config.go` `DockerConfig.SecurityOpt`; the runner
   * does not support `systempaths`). Rootless BuildKit needs
   * {@link BUILDKIT_ROOTLESS_SECURITY_OPT}; see `lib/runner/image-builder.ts`.
   * @default none (docker's default seccomp and AppArmor profiles)
   */
  readonly securityOpt?: readonly string[];
  /**
   * Turn off the docker executor's local cache volumes (`disable_cache`): the automatically
   * created volumes that keep `/cache` of a project between jobs on one host. The S3
   * distributed cache is not affected (GitLab Runner advanced configuration, `disable_cache`).
   * @default false
   */
  readonly disableCache?: boolean;
  /**
   * Services every job gets (`[[runners.docker.services]]`), besides those the job names.
   * @default none
   */
  readonly services?: readonly DockerServiceSettings[];
}

/** One `[[runners]]` entry. */
export interface RunnerEntry {
  /** Name (`name`), 1-63 of `a-z0-9-`. */
  readonly name: string;
  /** GitLab instance URL (`url`), https. */
  readonly url: string;
  /** Authentication token (`token`). On fleet hosts a placeholder that the boot script replaces. */
  readonly token: string;
  /** Jobs this runner runs at once on one host (`limit`), ≥ 1. */
  readonly limit: number;
  /**
   * Concurrent requests for new jobs (`request_concurrency`), 1..limit.
   * @default 1
   */
  readonly requestConcurrency?: number;
  /**
   * Maximum job log size in kilobytes (`output_limit`).
   * @default the runner's default (4096)
   */
  readonly outputLimitKb?: number;
  /**
   * Environment variables for every job (`environment`).
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Shell run in the job container before each job (`pre_build_script`).
   * @default none
   */
  readonly preBuildScript?: string;
  /** `[runners.docker]`. */
  readonly docker: DockerExecutorSettings;
  /**
   * S3 distributed cache (`[runners.cache]`), written exactly from the shared settings.
   * @default no distributed cache
   */
  readonly cache?: RunnerCacheSettings;
}

/** A runner host's `config.toml`: global settings and its `[[runners]]`. */
export interface RunnerManagerConfig {
  /**
   * Jobs at once on the host across all runners (`concurrent`), ≥ the sum of the runners' limits.
   * @default the sum of the runners' limits
   */
  readonly concurrent?: number;
  /**
   * Seconds between requests for new jobs (`check_interval`).
   * @default 3
   */
  readonly checkInterval?: number;
  /**
   * Log format (`log_format`).
   * @default "json"
   */
  readonly logFormat?: RunnerLogFormat;
  /**
   * Log level (`log_level`).
   * @default "info"
   */
  readonly logLevel?: RunnerLogLevel;
  /**
   * Prometheus metrics address (`listen_address`): loopback only, so job containers cannot reach it.
   * @default "127.0.0.1:9252"
   */
  readonly listenAddress?: string;
  /**
   * Seconds a forceful shutdown (SIGTERM/SIGINT) waits for jobs to abort (`shutdown_timeout`).
   * A graceful stop (SIGQUIT, used by the drain) waits for jobs to finish instead.
   * @default 30
   */
  readonly shutdownTimeout?: number;
  /** The runners, one or more. */
  readonly runners: readonly RunnerEntry[];
}

/** The Prometheus address every fleet host uses; the drain watcher and the metric publisher read it. */
export const RUNNER_METRICS_ADDRESS = "127.0.0.1:9252";
/**
 * The runner `security_opt` that rootless BuildKit (`moby/buildkit:rootless`) needs in an
 * unprivileged docker executor container: the default seccomp profile blocks the `unshare`
 * and `mount` calls of rootlesskit, AppArmor blocks the mounts. Source: GitLab's "Build
 * Docker images with BuildKit" page (https://docs.gitlab.com/ci/docker/using_buildkit/,
 * troubleshooting for unprivileged Docker executors, gitlab-org/gitlab!244172) and moby's
 * docs/rootless.md ("Justification of the --security-opt flags"). `systempaths=unconfined`
 * is not settable through the runner, hence `--oci-worker-no-process-sandbox`.
 */
export const BUILDKIT_ROOTLESS_SECURITY_OPT: readonly string[] = ["seccomp:unconfined", "apparmor:unconfined"];

/** The sum of the runners' limits: the default, and the minimum, of `concurrent`. */
export function sumOfLimits(config: Pick<RunnerManagerConfig, "runners">): number {
  return config.runners.reduce((sum, r) => sum + r.limit, 0);
}
