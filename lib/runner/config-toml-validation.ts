/*
 * The checks of a runner host's config.toml model: the runner's own rules
 * (names, limits, `concurrent`) and the platform's safety rules for
 * `[runners.docker]` (docker access, privileged mode, volumes, security options).
 */
import { check, checkOneOf } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { validateDockerVolumes } from "./docker-volumes";
import {
  DOCKER_ACCESS_MODES,
  type DockerExecutorSettings,
  type PullPolicy,
  RUNNER_METRICS_ADDRESS,
  type RunnerEntry,
  type RunnerLogFormat,
  type RunnerLogLevel,
  type RunnerManagerConfig,
  sumOfLimits,
} from "./runner-config-model";

const RUNNER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECURITY_OPT = /^(?:seccomp|apparmor|label|no-new-privileges):\S+$/;
const PULL_POLICIES: readonly PullPolicy[] = ["always", "if-not-present", "never"];
const LOG_FORMATS: readonly RunnerLogFormat[] = ["runner", "text", "json"];
const LOG_LEVELS: readonly RunnerLogLevel[] = ["debug", "info", "warn", "error", "fatal", "panic"];

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

/**
 * The rule of a runner's `limit` (config.toml `[[runners]] limit`): a whole number ≥ 1, since 0
 * means unlimited in GitLab Runner. Shared by the fleet's config.toml check and the platform's
 * configuration check.
 * @throws ValidationError naming `path`
 */
export function validateRunnerLimit(path: string, limit: number): void {
  check(Number.isInteger(limit) && limit >= 1, {
    path,
    subject: "limit",
    value: limit,
    rule: "limit is a whole number ≥ 1 (0 would mean unlimited, which makes concurrent impossible to size)",
    fix: "set the number of jobs this runner may run at once on one host",
  });
}

function validateRunnerEntry(path: string, runner: RunnerEntry): void {
  validateRunnerLimit(path, runner.limit);
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
  validateDockerVolumes(path, docker.volumes ?? ["/cache"]);
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
