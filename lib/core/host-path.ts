import { posix } from "node:path";
import { check } from "./errors";

/**
 * Host paths a job container must never mount: the whole host, the docker
 * socket under any of its names, the runner's own configuration (tokens), the
 * credentials of the host, and the kernel's interfaces. A mount of one of
 * these, or of a directory above one (`/`, `/var`, `/run`), gives a job the
 * host. Paths are compared after normalisation, so `//var/run/`,
 * `/var/lib/../run` and `/var/run/.` are the same path.
 */
export const FORBIDDEN_HOST_PATHS: readonly string[] = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/var/run/docker",
  "/run/docker",
  "/run/containerd",
  "/var/run/containerd",
  "/var/lib/docker",
  "/var/lib/containerd",
  "/etc/gitlab-runner",
  "/home/gitlab-runner",
  "/root",
  "/etc/shadow",
  "/etc/sudoers",
  "/etc/docker",
  "/proc",
  "/sys",
  "/dev",
  "/boot",
];

/** Normalises an absolute host path the way the kernel resolves it (`//`, `.`, `..`, trailing `/`), without following links. */
export function normaliseHostPath(path: string): string {
  const normalised = posix.normalize(path);
  return normalised.length > 1 ? normalised.replace(/\/+$/, "") : normalised;
}

/** The forbidden path that `hostPath` is, contains, or lies inside (after normalisation), if any. */
export function forbiddenHostPathOf(hostPath: string): string | undefined {
  const path = normaliseHostPath(hostPath);
  if (path === "/") return "/";
  return FORBIDDEN_HOST_PATHS.find((f) => f === path || f.startsWith(`${path}/`) || path.startsWith(`${f}/`));
}

/**
 * Refuses a docker volume (`[runners.docker] volumes`, docker `-v` syntax)
 * whose host part is, contains or lies inside a {@link FORBIDDEN_HOST_PATHS}
 * entry, whatever its spelling. A volume without a host part (`/cache`) is a
 * docker-managed volume and passes.
 */
export function validateHostMount(path: string, subject: string, volume: string): void {
  const parts = volume.split(":");
  if (parts.length < 2) return;
  const host = parts[0]!;
  const forbidden = forbiddenHostPathOf(host);
  check(forbidden === undefined, {
    path,
    subject,
    value: volume,
    rule: `a job container must not mount ${forbidden === "/" ? "the host's root" : forbidden} from the host (${JSON.stringify(host)} is ${JSON.stringify(normaliseHostPath(host))} after normalisation): it gives every job control of the host, its docker daemon or its runner tokens`,
    fix: forbidden?.includes("docker") ? 'remove the volume; for docker access set dockerAccess: "socket-binding" on a runner whose jobs are all trusted' : "mount a dedicated directory instead, e.g. /srv/ci-data:/data:ro",
  });
}

/**
 * A docker named volume's name (`name:/container/path`): docker's restricted name
 * characters, `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (moby `daemon/names`, `RestrictedNamePattern`,
 * which `docker volume create` and `-v name:/path` enforce for the local driver).
 */
export const NAMED_VOLUME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * The allowlist for the volumes of a runner that takes unprotected jobs (merge
 * requests, forks, unprotected branches and tags): only a container path without
 * a host part (`/cache`: a volume docker creates and the runner keeps per
 * project) or a docker named volume (`gomod:/go/pkg/mod`). Every host directory
 * is refused, not only a list of dangerous ones: a writable `/usr`, `/home`,
 * `/opt`, `/srv` or `/etc` mount lets a job plant code that root or the runner
 * runs on the host, and a read-only one leaks host files; a denylist misses the
 * next such directory. `[runners.docker] volumes` takes docker's `-v` syntax
 * (GitLab Runner docs, "The [runners.docker] section", `volumes`).
 *
 * Returns what is wrong with `volume`, or undefined when it is on the allowlist.
 */
export function untrustedJobVolumeProblem(volume: string): string | undefined {
  if (volume.includes("docker.sock") || volume.includes("containerd.sock")) return "mounts a container runtime socket";
  const parts = volume.split(":");
  const source = parts[0]!;
  if (parts.length < 2) {
    return source.startsWith("/") ? undefined : `is not an absolute container path (${JSON.stringify(source)})`;
  }
  if (source.startsWith("/")) {
    const host = normaliseHostPath(source);
    return host === "/" ? "mounts the host's root file system" : `mounts ${host} of the host (a host directory; only container paths such as /cache and named docker volumes are allowed)`;
  }
  return NAMED_VOLUME.test(source) ? undefined : `has a source ${JSON.stringify(source)} that is neither a named docker volume ([a-zA-Z0-9][a-zA-Z0-9_.-]+) nor allowed as a host path`;
}
