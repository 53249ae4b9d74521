import { check } from "../core/errors";
import { PLATFORM_VARIABLES } from "../gitlab/platform-variables";
import { BUILDKIT_ROOTLESS_SECURITY_OPT, type DockerAccess } from "./config-toml";
import { DOCKER_ACCESS_MODES } from "./runner-config-model";

/**
 * How jobs on a runner build container images, published to every job as
 * {@link IMAGE_BUILDER_VARIABLE} so that CI templates pick the matching commands:
 * - `docker`: the docker CLI against a daemon (socket binding or docker:dind);
 *   needs `dockerAccess` `socket-binding` or `dind`, so only trusted (protected) jobs.
 * - `buildkit-rootless`: `moby/buildkit:rootless` with `buildctl-daemonless.sh`, no
 *   daemon, no socket, no privileged mode; the runner sets the security options and
 *   `BUILDKITD_FLAGS` it needs (GitLab, "Build Docker images with BuildKit",
 *   https://docs.gitlab.com/ci/docker/using_buildkit/, section "BuildKit rootless").
 * - `none`: the runner offers no image builds.
 */
export type ImageBuilder = "docker" | "buildkit-rootless" | "none";

/** The image builders, for run-time checks of plain-JavaScript input. */
export const IMAGE_BUILDERS: readonly ImageBuilder[] = ["docker", "buildkit-rootless", "none"];

/**
 * The job variable naming a runner's image builder (`docker`, `buildkit-rootless` or `none`):
 * `PLATFORM_IMAGE_BUILDER`, the platform CI/CD variable name the templates read ({@link PLATFORM_VARIABLES}).
 */
export const IMAGE_BUILDER_VARIABLE = PLATFORM_VARIABLES.imageBuilder;

/**
 * The BuildKit daemon flag rootless BuildKit needs in an unprivileged container: no
 * process sandbox (the runner cannot unmask /proc, `systempaths=unconfined` is not
 * supported by `security_opt`). Source: the GitLab page above ("Includes
 * `BUILDKITD_FLAGS: --oci-worker-no-process-sandbox` for rootless operation").
 */
export const BUILDKITD_ROOTLESS_FLAGS = "--oci-worker-no-process-sandbox";

/** What a builder adds to a runner: `[runners.docker] security_opt` and job environment variables. */
export interface ImageBuilderSettings {
  /** `security_opt` entries. */
  readonly securityOpt: readonly string[];
  /** Job environment variables (`environment`), including {@link IMAGE_BUILDER_VARIABLE}. */
  readonly environment: Readonly<Record<string, string>>;
}

/** The builder a runner offers when none is configured: `docker` with a daemon, else `none`. */
export function defaultImageBuilder(dockerAccess: DockerAccess): ImageBuilder {
  return dockerAccess === "none" ? "none" : "docker";
}

/**
 * Checks that a builder fits the runner's docker access: `docker` needs a daemon
 * (socket binding or dind); `buildkit-rootless` runs without one and never privileged.
 * @throws ValidationError naming `path`
 */
export function validateImageBuilder(path: string, builder: ImageBuilder, dockerAccess: DockerAccess, privileged: boolean): void {
  check(IMAGE_BUILDERS.includes(builder), {
    path,
    subject: "builder",
    value: builder,
    rule: `one of ${IMAGE_BUILDERS.join(", ")}`,
    fix: 'use "buildkit-rootless" for runners without a docker daemon',
  });
  // A dockerAccess that is not one of the modes is reported by its own check: the builder is not compared with it.
  if (!(DOCKER_ACCESS_MODES as readonly unknown[]).includes(dockerAccess)) return;
  if (builder === "docker") {
    check(dockerAccess !== "none", {
      path,
      subject: "builder",
      value: { builder, dockerAccess },
      rule: "the docker builder needs a docker daemon: dockerAccess socket-binding or dind",
      fix: 'use builder "buildkit-rootless", or give the runner docker access (protected pools only)',
    });
  }
  if (builder === "buildkit-rootless") {
    check(dockerAccess === "none" && !privileged, {
      path,
      subject: "builder",
      value: { builder, dockerAccess, privileged },
      rule: "rootless BuildKit is the builder for runners without a docker socket and without privileged mode",
      fix: 'set dockerAccess "none" and privileged false, or use builder "docker"',
    });
  }
}

/** The runner settings a builder needs (validate first). */
export function imageBuilderSettings(builder: ImageBuilder): ImageBuilderSettings {
  if (builder === "buildkit-rootless") {
    return {
      securityOpt: [...BUILDKIT_ROOTLESS_SECURITY_OPT],
      environment: { [IMAGE_BUILDER_VARIABLE]: builder, BUILDKITD_FLAGS: BUILDKITD_ROOTLESS_FLAGS },
    };
  }
  return { securityOpt: [], environment: { [IMAGE_BUILDER_VARIABLE]: builder } };
}
