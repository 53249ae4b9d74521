import { check } from "../core/errors";
import { isUnresolved, replaceTokens } from "../core/tokens";

/**
 * Every top-level key of dockerd's `daemon.json` on Linux, from the "Daemon
 * configuration file" section of the dockerd reference (docker/cli,
 * docs/reference/dockerd.md). dockerd refuses to start on an unknown key.
 */
export const DOCKERD_CONFIG_KEYS: readonly string[] = [
  "allow-nondistributable-artifacts",
  "api-cors-header",
  "authorization-plugins",
  "bip",
  "bridge",
  "builder",
  "cgroup-parent",
  "containerd",
  "containerd-namespace",
  "containerd-plugin-namespace",
  "data-root",
  "debug",
  "default-address-pools",
  "default-cgroupns-mode",
  "default-gateway",
  "default-gateway-v6",
  "default-network-opts",
  "default-runtime",
  "default-shm-size",
  "default-ulimits",
  "dns",
  "dns-opts",
  "dns-search",
  "exec-opts",
  "exec-root",
  "experimental",
  "features",
  "fixed-cidr",
  "fixed-cidr-v6",
  "group",
  "host-gateway-ip",
  "hosts",
  "proxies",
  "icc",
  "init",
  "init-path",
  "insecure-registries",
  "ip",
  "ip-forward",
  "ip-masq",
  "iptables",
  "ip6tables",
  "ipv6",
  "labels",
  "live-restore",
  "log-driver",
  "log-format",
  "log-level",
  "log-opts",
  "max-concurrent-downloads",
  "max-concurrent-uploads",
  "max-download-attempts",
  "mtu",
  "no-new-privileges",
  "node-generic-resources",
  "oom-score-adjust",
  "pidfile",
  "raw-logs",
  "registry-mirrors",
  "runtimes",
  "seccomp-profile",
  "selinux-enabled",
  "shutdown-timeout",
  "storage-driver",
  "storage-opts",
  "swarm-default-advertise-addr",
  "tls",
  "tlscacert",
  "tlscert",
  "tlskey",
  "tlsverify",
  "userland-proxy",
  "userland-proxy-path",
  "userns-remap",
];

/** `log-opts` keys of the json-file and local log drivers (docker logging driver reference). */
export const LOG_OPT_KEYS: Readonly<Record<DockerLogDriver, readonly string[]>> = {
  "json-file": ["max-size", "max-file", "labels", "labels-regex", "env", "env-regex", "compress", "tag"],
  local: ["max-size", "max-file", "compress"],
};

/** Log drivers that keep logs on the host with rotation. */
export type DockerLogDriver = "json-file" | "local";

/** The docker daemon settings a runner host needs (`/etc/docker/daemon.json`). */
export interface DockerDaemonSettings {
  /**
   * Docker Hub mirrors (`registry-mirrors`): scheme + host[:port], no path.
   * @default none
   */
  readonly registryMirrors?: readonly string[];
  /**
   * Registries reached over plain HTTP (`insecure-registries`), `host:port`; an http mirror must be listed.
   * @default none
   */
  readonly insecureRegistries?: readonly string[];
  /**
   * Container log driver (`log-driver`).
   * @default "json-file"
   */
  readonly logDriver?: DockerLogDriver;
  /**
   * Size at which a container log rotates (`log-opts.max-size`), e.g. `10m`.
   * @default "10m"
   */
  readonly logMaxSize?: string;
  /**
   * Rotated log files kept per container (`log-opts.max-file`).
   * @default 3
   */
  readonly logMaxFiles?: number;
  /**
   * Storage driver (`storage-driver`).
   * @default "overlay2"
   */
  readonly storageDriver?: "overlay2";
  /**
   * Parallel layer downloads per pull (`max-concurrent-downloads`).
   * @default 6 (docker's own default is 3; CI images have many layers)
   */
  readonly maxConcurrentDownloads?: number;
}

const HOST_PORT = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/;

/**
 * Checks a registry mirror URL as dockerd does: http or https, a host and
 * optional port, no path, query, fragment or credentials. Token parts (e.g. a
 * mirror host's IP) are skipped; the literal parts around them are checked.
 */
export function validateMirrorUrl(path: string, subject: string, url: string): void {
  const literal = isUnresolved(url) ? replaceTokens(url, "token-host") : url;
  if (literal === "token-host") return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(literal);
  } catch {
    parsed = undefined;
  }
  check(
    parsed !== undefined &&
      (parsed.protocol === "http:" || parsed.protocol === "https:") &&
      parsed.hostname !== "" &&
      (parsed.pathname === "/" || parsed.pathname === "") &&
      parsed.search === "" &&
      parsed.hash === "" &&
      parsed.username === "" &&
      parsed.password === "",
    {
      path,
      subject,
      value: url,
      rule: "a registry mirror is scheme + host[:port] (http or https) with no path, query or credentials; dockerd ignores paths and the mirror serves Docker Hub at its root",
      fix: "use e.g. https://mirror.example.com or http://10.0.1.10:8082; put a Nexus docker group on its own connector port instead of a path",
    },
  );
}

/** Checks an `insecure-registries` entry: host[:port] or a CIDR, no scheme or path. */
export function validateInsecureRegistry(path: string, subject: string, entry: string): void {
  const literal = isUnresolved(entry) ? replaceTokens(entry, "token-host") : entry;
  check(HOST_PORT.test(literal) || /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(literal), {
    path,
    subject,
    value: entry,
    rule: "an insecure registry is host[:port] or a CIDR, without scheme or path",
    fix: "use e.g. 10.0.1.10:8082",
  });
}

/** Checks daemon settings; throws a ValidationError for the first problem. */
export function validateDaemonSettings(path: string, settings: DockerDaemonSettings): void {
  const mirrors = settings.registryMirrors ?? [];
  const insecure = settings.insecureRegistries ?? [];
  mirrors.forEach((m, i) => validateMirrorUrl(path, `registryMirrors[${i}]`, m));
  insecure.forEach((r, i) => validateInsecureRegistry(path, `insecureRegistries[${i}]`, r));
  for (const mirror of mirrors) {
    if (isUnresolved(mirror) || !mirror.startsWith("http://") || insecure.some(isUnresolved)) continue;
    const url = new URL(mirror);
    const hostPort = `${url.hostname}:${url.port || "80"}`;
    check(insecure.includes(url.host) || insecure.includes(hostPort), {
      path,
      subject: "registryMirrors",
      value: mirror,
      rule: "dockerd talks plain HTTP to a mirror only if its host:port is in insecure-registries",
      fix: `add "${hostPort}" to insecureRegistries, or serve the mirror over https`,
    });
  }
  if (settings.logMaxSize !== undefined) {
    check(/^\d+[kmg]$/.test(settings.logMaxSize), {
      path,
      subject: "logMaxSize",
      value: settings.logMaxSize,
      rule: "a size with unit k, m or g, e.g. 10m",
      fix: 'use e.g. "10m"',
    });
  }
  for (const [key, value] of [
    ["logMaxFiles", settings.logMaxFiles],
    ["maxConcurrentDownloads", settings.maxConcurrentDownloads],
  ] as const) {
    if (value === undefined) continue;
    check(Number.isInteger(value) && value >= 1, {
      path,
      subject: key,
      value,
      rule: `${key} is a whole number ≥ 1`,
      fix: "use a small positive number, or leave it unset",
    });
  }
}

/** The daemon.json document with every default filled in (validate first). */
export function daemonConfigDocument(settings: DockerDaemonSettings): Record<string, unknown> {
  const mirrors = settings.registryMirrors ?? [];
  const insecure = settings.insecureRegistries ?? [];
  return {
    ...(mirrors.length > 0 ? { "registry-mirrors": [...mirrors] } : {}),
    ...(insecure.length > 0 ? { "insecure-registries": [...insecure] } : {}),
    "log-driver": settings.logDriver ?? "json-file",
    "log-opts": { "max-size": settings.logMaxSize ?? "10m", "max-file": String(settings.logMaxFiles ?? 3) },
    "storage-driver": settings.storageDriver ?? "overlay2",
    "max-concurrent-downloads": settings.maxConcurrentDownloads ?? 6,
  };
}

/** Validates `settings` and renders daemon.json with JSON.stringify. */
export function renderDaemonJson(path: string, settings: DockerDaemonSettings): string {
  validateDaemonSettings(path, settings);
  return `${JSON.stringify(daemonConfigDocument(settings), null, 2)}\n`;
}
