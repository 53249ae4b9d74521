/*
 * Job volumes of a docker-executor runner (`[runners.docker] volumes`, docker's
 * `-v` syntax): their form, the host paths no job may mount, the allowlist for
 * runners that take unprotected jobs, and the volumes a docker access mode adds.
 */
import { check } from "../core/errors";
import { NAMED_VOLUME, untrustedJobVolumeProblem, validateHostMount } from "../core/host-path";
import { isUnresolved } from "../core/tokens";
import { type DockerExecutorSettings } from "./runner-config-model";

/** The docker socket volume that `socket-binding` adds. */
export const DOCKER_SOCKET_VOLUME = "/var/run/docker.sock:/var/run/docker.sock";
/** The TLS certificate volume that `dind` adds (docker:dind with DOCKER_TLS_CERTDIR=/certs). */
export const DIND_CERTS_VOLUME = "/certs/client";

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
 * Checks the volumes of a runner whose jobs may be untrusted against the allowlist
 * ({@link hostSensitiveVolume}): each must be a container path (`/cache`) or a named
 * docker volume. Unresolved tokens are not checked.
 * @param path construct or config path of the runner's docker settings
 * @throws ValidationError naming `path`, the volume's index and value, the rule and the fix
 */
export function validateUntrustedJobVolumes(path: string, volumes: readonly string[]): void {
  volumes.forEach((volume, i) => {
    if (isUnresolved(volume)) return;
    const problem = hostSensitiveVolume(volume);
    check(problem === undefined, {
      path,
      subject: `volumes[${i}]`,
      value: volume,
      rule: `a runner taking unprotected jobs must not give them host paths that control the host; this volume ${problem ?? ""}`,
      fix: "remove the volume, or use a named docker volume (e.g. gomod:/go/pkg/mod) or the S3 cache and artifacts to share files between jobs",
    });
  });
}

/**
 * Checks the form of `[runners.docker] volumes` (an absolute container path, with a source that
 * is an absolute host path or a named docker volume, `ro`/`rw` options: the forms GitLab Runner's
 * volume parser takes, whose source is `<dir>` or `<volume name>`), that
 * the docker socket comes only through `dockerAccess`, that no host path in
 * `FORBIDDEN_HOST_PATHS` is mounted, and that each container path is mounted once.
 * @throws ValidationError naming `path` and `volumes[i]`
 */
export function validateDockerVolumes(path: string, volumes: readonly string[]): void {
  const destinations = new Set<string>();
  volumes.forEach((volume, i) => {
    if (isUnresolved(volume)) return;
    const parts = volume.split(":");
    const source = parts[0]!;
    const sourceForm = source.startsWith("/") || (parts.length >= 2 && NAMED_VOLUME.test(source));
    const targetForm = parts.length < 2 || parts[1]!.startsWith("/");
    check(parts.length <= 3 && sourceForm && targetForm && (parts.length < 3 || /^(ro|rw)(,[a-z]+)*$/.test(parts[2]!)), {
      path,
      subject: `volumes[${i}]`,
      value: volume,
      rule: "a volume is /container/path, or /host/path or a named docker volume ([a-zA-Z0-9][a-zA-Z0-9_.-]+) then :/container/path, optionally :ro or :rw (GitLab Runner 18.11.2 executors/docker/internal/volumes/parser/linux_parser.go)",
      fix: "use e.g. /cache, gomod:/go/pkg/mod or /srv/data:/data:ro",
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
}

/** The volumes of a runner: the given ones plus what its docker access mode needs. */
export function effectiveVolumes(docker: DockerExecutorSettings): string[] {
  const volumes = [...(docker.volumes ?? ["/cache"])];
  if (docker.dockerAccess === "socket-binding") volumes.push(DOCKER_SOCKET_VOLUME);
  if (docker.dockerAccess === "dind") volumes.push(DIND_CERTS_VOLUME);
  return volumes;
}
