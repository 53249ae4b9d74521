import { stringify } from "smol-toml";
import { type RunnerCacheSettings } from "../cache/runner-cache-settings";
import { check, checkOneOf } from "../core/errors";
import { untrustedJobVolumeProblem, validateHostMount } from "../core/host-path";
import { isUnresolved } from "../core/tokens";

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
/** The docker socket volume that `socket-binding` adds. */
export const DOCKER_SOCKET_VOLUME = "/var/run/docker.sock:/var/run/docker.sock";
/** The TLS certificate volume that `dind` adds (docker:dind with DOCKER_TLS_CERTDIR=/certs). */
export const DIND_CERTS_VOLUME = "/certs/client";

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

/**
 * What is wrong with a volume of a runner that takes untrusted jobs, or undefined when
 * it is allowed: the allowlist {@link untrustedJobVolumeProblem} (a container path such
 * as `/cache` or a named docker volume; every host directory, the root, `/usr`, `/home`,
 * `/opt`, the runtime sockets and the kernel's pseudo file systems included, is refused).
 */
export function hostSensitiveVolume(volume: string): string | undefined {
  return untrustedJobVolumeProblem(volume);
}

/**
 * The seed pipelines' `pre_build_script`: write the `auths` part of a static
 * `DOCKER_AUTH_CONFIG` (one with `auths`, e.g. from a CI/CD variable) to the job's
 * `~/.docker/config.json`, so the docker CLI inside the job can pull and push. Only
 * `auths` is written: a `credHelpers` entry (`ecr-login`) names a binary that lives on
 * the runner host, not in the job image, and with it `docker login` to that registry
 * fails in the job ("docker-credential-ecr-login: executable file not found"; the docker
 * CLI consults `credHelpers` for the registry before storing credentials: docker CLI
 * reference, "Credential helpers"). ECR access in jobs goes through the job's own role
 * (`aws ecr get-login-password | docker login`). A credHelpers-only value is not written.
 * With `jq` the object is rebuilt; without it, the compact form Terraform's `jsonencode`
 * writes (keys sorted: `auths` before `credHelpers`) is cut after `auths`; any other form
 * with helpers is left unwritten with a message.
 */
export const STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT = [
  'case "${DOCKER_AUTH_CONFIG:-}" in',
  '  *\'"auths"\'*)',
  '    mkdir -p "$HOME/.docker"',
  "    if command -v jq > /dev/null 2>&1; then",
  '      printf \'%s\' "$DOCKER_AUTH_CONFIG" | jq -c \'{auths: .auths}\' > "$HOME/.docker/config.json"',
  "    else",
  '      auths_only=${DOCKER_AUTH_CONFIG%,\\"credHelpers\\":*}',
  '      if [ "$auths_only" != "$DOCKER_AUTH_CONFIG" ]; then auths_only="$auths_only}"; fi',
  '      case $auths_only in',
  "        *credHelpers* | *credsStore*) echo \"pre_build_script: DOCKER_AUTH_CONFIG holds credential helpers in a form this script cannot remove; ~/.docker/config.json not written\" >&2 ;;",
  '        *) printf \'%s\' "$auths_only" > "$HOME/.docker/config.json" ;;',
  "      esac",
  "    fi",
  "    ;;",
  "esac",
  "",
].join("\n");

const RUNNER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECURITY_OPT = /^(?:seccomp|apparmor|label|no-new-privileges):\S+$/;
const PULL_POLICIES: readonly PullPolicy[] = ["always", "if-not-present", "never"];
const LOG_FORMATS: readonly RunnerLogFormat[] = ["runner", "text", "json"];
const LOG_LEVELS: readonly RunnerLogLevel[] = ["debug", "info", "warn", "error", "fatal", "panic"];

/** The sum of the runners' limits: the default, and the minimum, of `concurrent`. */
export function sumOfLimits(config: Pick<RunnerManagerConfig, "runners">): number {
  return config.runners.reduce((sum, r) => sum + r.limit, 0);
}

/**
 * Checks a config.toml model against the runner's rules and our safety rules;
 * throws a ValidationError naming `path` (plus `/runners[i]`) for the first problem.
 */
export function validateRunnerConfig(path: string, config: RunnerManagerConfig): void {
  check(config.runners.length >= 1, {
    path,
    subject: "runners",
    value: [],
    rule: "a runner host runs at least one [[runners]] entry",
    fix: "add a runner",
  });
  positiveInteger(path, "checkInterval", config.checkInterval, "seconds between job requests", "3");
  positiveInteger(path, "shutdownTimeout", config.shutdownTimeout, "seconds a forceful shutdown waits", "30");
  oneOf(path, "logFormat", config.logFormat, LOG_FORMATS);
  oneOf(path, "logLevel", config.logLevel, LOG_LEVELS);
  if (config.listenAddress !== undefined) {
    check(/^127\.0\.0\.1:\d{1,5}$/.test(config.listenAddress), {
      path,
      subject: "listenAddress",
      value: config.listenAddress,
      rule: "the metrics endpoint listens on loopback only (127.0.0.1:<port>), so job containers and the network cannot reach it",
      fix: `use ${RUNNER_METRICS_ADDRESS}`,
    });
  }
  const names = new Set<string>();
  config.runners.forEach((runner, i) => {
    const at = `${path}/runners[${i}]`;
    check(RUNNER_NAME.test(runner.name), {
      path: at,
      subject: "runner name",
      value: runner.name,
      rule: "1-63 lower-case letters, digits and '-', not starting or ending with '-'",
      fix: "use a name such as build or test",
    });
    check(!names.has(runner.name), {
      path: at,
      subject: "runner name",
      value: runner.name,
      rule: "runner names are unique on a host",
      fix: "rename one of the runners",
    });
    names.add(runner.name);
    validateRunnerEntry(at, runner);
  });
  const concurrent = config.concurrent ?? sumOfLimits(config);
  check(Number.isInteger(concurrent) && concurrent >= 1, {
    path,
    subject: "concurrent",
    value: concurrent,
    rule: "concurrent is a whole number ≥ 1 (jobs at once on one host)",
    fix: "set concurrent to 1 or more, or leave it unset to use the sum of the runners' limits",
  });
  const sum = sumOfLimits(config);
  check(concurrent >= sum, {
    path,
    subject: "concurrent",
    value: concurrent,
    rule: `concurrent is at least the sum of the runners' limits (${config.runners.map((r) => `${r.name}: ${r.limit}`).join(" + ")} = ${sum}), or some runners can never reach their limit`,
    fix: `raise concurrent to ${sum} (and size the instance for it) or lower the limits`,
  });
}

function validateRunnerEntry(path: string, runner: RunnerEntry): void {
  check(Number.isInteger(runner.limit) && runner.limit >= 1, {
    path,
    subject: "limit",
    value: runner.limit,
    rule: "limit is a whole number ≥ 1 (0 would mean unlimited, which makes concurrent impossible to size)",
    fix: "set the number of jobs this runner may run at once on one host",
  });
  const requests = runner.requestConcurrency ?? 1;
  check(Number.isInteger(requests) && requests >= 1 && requests <= runner.limit, {
    path,
    subject: "requestConcurrency",
    value: requests,
    rule: `request_concurrency is a whole number from 1 to limit (${runner.limit}): more parallel job requests than job slots only waits`,
    fix: `set requestConcurrency between 1 and ${runner.limit}`,
  });
  if (!isUnresolved(runner.url)) validateGitLabInstanceUrl(path, runner.url);
  positiveInteger(path, "outputLimitKb", runner.outputLimitKb, "kilobytes of job log", "4096");
  for (const key of Object.keys(runner.environment ?? {})) {
    check(ENV_KEY.test(key), {
      path,
      subject: "environment variable name",
      value: key,
      rule: "letters, digits and '_', not starting with a digit",
      fix: "rename the variable",
    });
  }
  validateDockerSettings(`${path}/docker`, runner.docker);
  if (runner.cache?.serverSideEncryption === "KMS") {
    check(runner.cache.kmsKeyArn !== undefined && runner.cache.kmsKeyArn !== "", {
      path: `${path}/cache`,
      subject: "kmsKeyArn",
      value: runner.cache.kmsKeyArn,
      rule: "ServerSideEncryption KMS needs ServerSideEncryptionKeyID",
      fix: "pass the cache bucket's KMS key ARN, or use S3 encryption",
    });
  }
}

function validateDockerSettings(path: string, docker: DockerExecutorSettings): void {
  check(isUnresolved(docker.image) || /^\S+$/.test(docker.image), {
    path,
    subject: "image",
    value: docker.image,
    rule: "an image reference without spaces, e.g. alpine:3.20",
    fix: "set the default job image",
  });
  checkOneOf(path, "dockerAccess", docker.dockerAccess, DOCKER_ACCESS_MODES);
  const privileged = docker.privileged ?? false;
  check(typeof privileged === "boolean", { path, subject: "privileged", value: privileged, rule: "privileged is true or false", fix: "pass a boolean" });
  check(!privileged || docker.dockerAccess !== "none", {
    path,
    subject: "privileged",
    value: { dockerAccess: docker.dockerAccess, privileged },
    rule: 'privileged job containers are root on the host (every device, every capability, no seccomp or AppArmor); with dockerAccess "none" nothing needs it',
    fix: 'drop privileged: true, or choose dockerAccess: "dind" if the jobs really run docker-in-docker',
  });
  if (docker.dockerAccess === "socket-binding") {
    check(!privileged || docker.allowPrivilegedWithSocketBinding === true, {
      path,
      subject: "privileged with socket binding",
      value: { dockerAccess: docker.dockerAccess, privileged },
      rule: "socket binding together with privileged = true makes every job root on the host; it is refused unless explicitly allowed",
      fix: "set privileged: false (socket binding does not need it), or set allowPrivilegedWithSocketBinding: true if every project on this runner is trusted",
    });
  }
  if (docker.dockerAccess === "dind") {
    check(privileged, {
      path,
      subject: "privileged",
      value: privileged,
      rule: "docker-in-docker (the docker:dind service) only runs in privileged containers",
      fix: 'set privileged: true, or use dockerAccess: "socket-binding"',
    });
  }
  const volumes = docker.volumes ?? ["/cache"];
  const destinations = new Set<string>();
  volumes.forEach((volume, i) => {
    if (isUnresolved(volume)) return;
    const parts = volume.split(":");
    check(parts.length <= 3 && parts.slice(0, 2).every((p) => p.startsWith("/")) && (parts.length < 3 || /^(ro|rw)(,[a-z]+)*$/.test(parts[2]!)), {
      path,
      subject: `volumes[${i}]`,
      value: volume,
      rule: "a volume is /container/path, /host/path:/container/path or /host/path:/container/path:ro|rw",
      fix: "use absolute paths, e.g. /cache or /srv/data:/data:ro",
    });
    check(!volume.includes("docker.sock"), {
      path,
      subject: `volumes[${i}]`,
      value: volume,
      rule: "the docker socket is mounted only through dockerAccess, so that socket binding is an explicit, checked choice",
      fix: 'remove the volume and set dockerAccess: "socket-binding"',
    });
    validateHostMount(path, `volumes[${i}]`, volume);
    const destination = parts.length === 1 ? parts[0]! : parts[1]!;
    check(!destinations.has(destination), {
      path,
      subject: `volumes[${i}]`,
      value: volume,
      rule: "each container path is mounted once",
      fix: "remove the duplicate volume",
    });
    destinations.add(destination);
  });
  const policies = docker.pullPolicy ?? ["always"];
  check(policies.length >= 1 && policies.every((p) => PULL_POLICIES.includes(p)) && new Set(policies).size === policies.length, {
    path,
    subject: "pullPolicy",
    value: policies,
    rule: `one or more distinct pull policies of ${PULL_POLICIES.join(", ")}`,
    fix: 'use e.g. ["always"] or ["if-not-present"]',
  });
  positiveInteger(path, "shmSizeBytes", docker.shmSizeBytes, "bytes of /dev/shm", "268435456");
  (docker.securityOpt ?? []).forEach((opt, i) => {
    if (isUnresolved(opt)) return;
    check(SECURITY_OPT.test(opt), {
      path,
      subject: `securityOpt[${i}]`,
      value: opt,
      rule: "a security option is <key>:<value> with key seccomp, apparmor, label or no-new-privileges (GitLab Runner takes ':'-separated options and does not support systempaths)",
      fix: 'use e.g. "no-new-privileges:true", or ["seccomp:unconfined", "apparmor:unconfined"] for rootless BuildKit',
    });
  });
  (docker.services ?? []).forEach((service, i) => {
    check(isUnresolved(service.name) || /^\S+$/.test(service.name), {
      path,
      subject: `services[${i}].name`,
      value: service.name,
      rule: "a service is an image reference without spaces, e.g. docker:27-dind",
      fix: "set the service image",
    });
  });
}

/** Checks a GitLab instance URL for `[[runners]] url`: https, a host, optionally a path; no query, fragment or credentials. */
export function validateGitLabInstanceUrl(path: string, url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  check(parsed !== undefined && parsed.protocol === "https:" && parsed.search === "" && parsed.hash === "" && parsed.username === "" && parsed.password === "", {
    path,
    subject: "GitLab URL",
    value: url,
    rule: "an https URL of the GitLab instance without query, fragment or credentials",
    fix: "use e.g. https://gitlab.com or https://gitlab.example.com",
  });
}

function positiveInteger(path: string, subject: string, value: number | undefined, meaning: string, example: string): void {
  if (value === undefined || isUnresolved(value)) return;
  check(Number.isInteger(value) && value >= 1, {
    path,
    subject,
    value,
    rule: `${subject} is a whole number ≥ 1 (${meaning})`,
    fix: `use e.g. ${example}, or leave it unset for the default`,
  });
}

function oneOf<T extends string>(path: string, subject: string, value: T | undefined, allowed: readonly T[]): void {
  if (value === undefined) return;
  check(allowed.includes(value), {
    path,
    subject,
    value,
    rule: `one of ${allowed.join(", ")}`,
    fix: `use ${allowed[0]}`,
  });
}

/** The volumes of a runner: the given ones plus what its docker access mode needs. */
export function effectiveVolumes(docker: DockerExecutorSettings): string[] {
  const volumes = [...(docker.volumes ?? ["/cache"])];
  if (docker.dockerAccess === "socket-binding") volumes.push(DOCKER_SOCKET_VOLUME);
  if (docker.dockerAccess === "dind") volumes.push(DIND_CERTS_VOLUME);
  return volumes;
}

/**
 * The config.toml document with the runner's exact keys and every default
 * filled in (validate first). Keys of `[runners.cache]` are written as GitLab
 * Runner spells them (`Type`, `Path`, `Shared`, `BucketName` ...).
 */
export function runnerConfigDocument(config: RunnerManagerConfig): Record<string, unknown> {
  return {
    concurrent: config.concurrent ?? sumOfLimits(config),
    check_interval: config.checkInterval ?? 3,
    log_level: config.logLevel ?? "info",
    log_format: config.logFormat ?? "json",
    listen_address: config.listenAddress ?? RUNNER_METRICS_ADDRESS,
    shutdown_timeout: config.shutdownTimeout ?? 30,
    runners: config.runners.map((r) => ({
      name: r.name,
      url: r.url,
      token: r.token,
      executor: "docker",
      limit: r.limit,
      request_concurrency: r.requestConcurrency ?? 1,
      ...(r.outputLimitKb !== undefined ? { output_limit: r.outputLimitKb } : {}),
      ...(r.environment && Object.keys(r.environment).length > 0
        ? { environment: Object.entries(r.environment).map(([k, v]) => `${k}=${v}`) }
        : {}),
      ...(r.preBuildScript !== undefined ? { pre_build_script: r.preBuildScript } : {}),
      docker: {
        image: r.docker.image,
        privileged: r.docker.privileged ?? false,
        volumes: effectiveVolumes(r.docker),
        pull_policy: [...(r.docker.pullPolicy ?? ["always"])],
        ...(r.docker.helperImage !== undefined ? { helper_image: r.docker.helperImage } : {}),
        ...(r.docker.allowedImages !== undefined ? { allowed_images: [...r.docker.allowedImages] } : {}),
        ...(r.docker.shmSizeBytes !== undefined ? { shm_size: r.docker.shmSizeBytes } : {}),
        ...(r.docker.securityOpt !== undefined && r.docker.securityOpt.length > 0 ? { security_opt: [...r.docker.securityOpt] } : {}),
        ...(r.docker.disableCache ? { disable_cache: true } : {}),
        ...(r.docker.services && r.docker.services.length > 0
          ? {
              services: r.docker.services.map((service) => ({
                name: service.name,
                ...(service.alias !== undefined ? { alias: service.alias } : {}),
                ...(service.command !== undefined ? { command: [...service.command] } : {}),
              })),
            }
          : {}),
      },
      ...(r.cache ? { cache: cacheSection(r.cache) } : {}),
    })),
  };
}

function cacheSection(c: RunnerCacheSettings): Record<string, unknown> {
  return {
    Type: "s3",
    Path: c.path,
    Shared: c.shared,
    s3: {
      ServerAddress: c.serverAddress,
      BucketName: c.bucketName,
      BucketLocation: c.bucketRegion,
      AuthenticationType: "iam",
      ServerSideEncryption: c.serverSideEncryption,
      ...(c.serverSideEncryption === "KMS" && c.kmsKeyArn ? { ServerSideEncryptionKeyID: c.kmsKeyArn } : {}),
    },
  };
}

/** Validates `config` and renders it with a TOML serializer (smol-toml). */
export function renderRunnerConfig(path: string, config: RunnerManagerConfig): string {
  validateRunnerConfig(path, config);
  return stringify(runnerConfigDocument(config));
}
