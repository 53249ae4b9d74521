import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { type DockerServiceSettings } from "./config-toml";

/** Docker Hub's registry host, as pull-through rules and mirrors name it. */
export const DOCKER_HUB_HOST = "registry-1.docker.io";

/** An image reference split into its registry host and repository path (with tag or digest). */
export interface ImageLocation {
  /** Registry host, `registry-1.docker.io` for Docker Hub. */
  readonly host: string;
  /** Repository path with tag or digest, `library/alpine:3.20` for an official image. */
  readonly path: string;
}

/**
 * Where an image reference points, by docker's normalisation
 * (distribution/reference `ParseNormalizedNamed`): the first component is a
 * registry host when it contains `.` or `:` or is `localhost`; otherwise the
 * image is on Docker Hub, and a single-component name is an official image
 * under `library/`.
 */
export function imageLocation(image: string): ImageLocation {
  const slash = image.indexOf("/");
  const first = slash < 0 ? "" : image.slice(0, slash);
  if (first !== "" && (first.includes(".") || first.includes(":") || first === "localhost")) {
    const host = first === "docker.io" || first === "index.docker.io" ? DOCKER_HUB_HOST : first;
    const path = image.slice(slash + 1);
    return { host, path: host === DOCKER_HUB_HOST && !path.includes("/") ? `library/${path}` : path };
  }
  return { host: DOCKER_HUB_HOST, path: slash < 0 ? `library/${image}` : image };
}

/**
 * True when jobs must name images through the mirror to use it: a mirror
 * without daemon `registry-mirrors` (ECR pull-through renames images and needs
 * ECR credentials, so it cannot be one). Images are then rewritten to the
 * mirror's prefixes. A host mirror (Nexus) serves Docker Hub as a daemon
 * mirror instead, where dockerd falls back to Docker Hub when the mirror
 * fails (moby registry/service_v2.go `lookupV2Endpoints`: the mirrors first,
 * then the official registry; the pull tries the endpoints in order), so its
 * images are left as they are.
 */
export function rewritesImages(mirror: MirrorEndpoint | undefined): mirror is MirrorEndpoint {
  return mirror !== undefined && mirror.registryMirrors.length === 0 && Object.keys(mirror.imagePrefixes).length > 0;
}

/**
 * `image` through the mirror's pull-through prefix for its registry, e.g.
 * `docker:27` to `<account>.dkr.ecr.<region>.amazonaws.com/docker-hub/library/docker:27`,
 * when the mirror {@link rewritesImages} and has a prefix for that registry;
 * otherwise `image` unchanged (also for tokens and images already under a prefix).
 */
export function imageThroughMirror(image: string, mirror: MirrorEndpoint | undefined): string {
  if (!rewritesImages(mirror) || isUnresolved(image)) return image;
  if (Object.values(mirror.imagePrefixes).some((prefix) => image.startsWith(prefix))) return image;
  const location = imageLocation(image);
  const prefix = mirror.imagePrefixes[location.host];
  return prefix === undefined ? image : `${prefix}${location.path}`;
}

/** Where the fleet writes the daemon.json of `docker:dind` services on a host. */
export const DIND_DAEMON_JSON_PATH = "/etc/runner-fleet/dind-daemon.json";

/**
 * The volume that gives `docker:dind` services the mirrors: the runner mounts
 * `[runners.docker] volumes` into service containers too (executors/docker/docker.go,
 * createHostConfigForService: `Binds: e.volumesManager.Binds()`), and dockerd
 * reads /etc/docker/daemon.json at start.
 */
export const DIND_DAEMON_JSON_VOLUME = `${DIND_DAEMON_JSON_PATH}:/etc/docker/daemon.json:ro`;

/**
 * The dockerd flags that the mounted daemon.json sets as directives, for a
 * mirror: `--registry-mirror` (`registry-mirrors`) and, when the mirror has
 * any, `--insecure-registry` (`insecure-registries`). dockerd refuses to start
 * when a directive is given both as a flag and in the configuration file ("the
 * following directives are specified both as a flag and in the configuration
 * file", moby daemon/config/config.go, findConfigurationConflicts), so a dind
 * service whose command passes one of these flags fails while the file is mounted.
 */
export function dindConflictingFlags(mirror: MirrorEndpoint): readonly string[] {
  return ["--registry-mirror", ...(mirror.insecureRegistries.length > 0 ? ["--insecure-registry"] : [])];
}

/**
 * Refuses service commands that pass a flag of {@link dindConflictingFlags}
 * (`--registry-mirror x` or `--registry-mirror=x`) while the fleet mounts the
 * mirror's daemon.json into its services.
 * @param path the runner's construct path
 * @throws ValidationError naming the service's command, the flag, the rule and the fix
 */
export function validateDindServiceCommands(path: string, services: readonly DockerServiceSettings[], mirror: MirrorEndpoint): void {
  const conflicting = dindConflictingFlags(mirror);
  services.forEach((service, i) => {
    const flag = (service.command ?? []).find((arg) => conflicting.some((f) => arg === f || arg.startsWith(`${f}=`)));
    check(flag === undefined, {
      path,
      subject: `docker.services[${i}].command`,
      value: service.command,
      rule: `the fleet mounts the mirror's daemon.json into dind services (registry-mirrors${conflicting.length > 1 ? ", insecure-registries" : ""}), and dockerd refuses to start when a directive is given both as a flag (${flag ?? ""}) and in the configuration file (moby daemon/config/config.go)`,
      fix: "remove the flag: the dind service already uses the mirror from the mounted daemon.json",
    });
  });
}

/** The daemon.json of `docker:dind` services: only the mirror's registry mirrors and insecure registries. */
export function dindDaemonConfig(mirror: MirrorEndpoint): string {
  return `${JSON.stringify(
    {
      "registry-mirrors": [...mirror.registryMirrors],
      ...(mirror.insecureRegistries.length > 0 ? { "insecure-registries": [...mirror.insecureRegistries] } : {}),
    },
    null,
    2,
  )}\n`;
}
