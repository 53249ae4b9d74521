import { stringify } from "smol-toml";
import { type RunnerCacheSettings } from "../cache/runner-cache-settings";
import { validateRunnerConfig } from "./config-toml-validation";
import { effectiveVolumes } from "./docker-volumes";
import { RUNNER_METRICS_ADDRESS, type RunnerManagerConfig, sumOfLimits } from "./runner-config-model";

// The model, its checks and the volume rules live in files of their own; this module
// renders the document and keeps every name importable from here.
export * from "./runner-config-model";
export * from "./docker-volumes";
export * from "./config-toml-validation";

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
