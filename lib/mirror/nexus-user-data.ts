import { readFileSync } from "node:fs";
import path from "node:path";
import { type CloudConfigDocument } from "../core/cloud-config";
import { type NexusJvmMemory } from "./instance-memory";
import { type NexusProvisioningConfig } from "./nexus-provisioning";
import { type RawGatewayConfig, renderRawGatewayConfig } from "./raw-gateway";

/** The first-boot provisioning script (scripts/nexus-provision.sh): idempotent, shellcheck-clean. */
export const NEXUS_PROVISION_SCRIPT = readFileSync(path.join(__dirname, "scripts", "nexus-provision.sh"), "utf8");
/** The data-volume script (scripts/nexus-data-volume.sh): format only when empty, mount by UUID, owned by uid 200. */
export const NEXUS_DATA_VOLUME_SCRIPT = readFileSync(path.join(__dirname, "scripts", "nexus-data-volume.sh"), "utf8");

/** The disk metric script (scripts/nexus-disk-metric.sh): percent used of /nexus-data to CloudWatch. */
export const NEXUS_DISK_METRIC_SCRIPT = readFileSync(path.join(__dirname, "scripts", "nexus-disk-metric.sh"), "utf8");

/** The metric the mirror host publishes about its data volume (dimension `Mirror`). */
export const NEXUS_DISK_METRIC_NAME = "DataVolumeUsedPercent";

/** Where the host keeps the mirror's files. */
export const NEXUS_HOST_PATHS = {
  provisionConfig: "/etc/nexus-mirror/provision.json",
  environment: "/etc/nexus-mirror/nexus.env",
  unit: "/etc/systemd/system/nexus.service",
  provisionScript: "/usr/local/sbin/nexus-provision",
  rawGatewayConfig: "/etc/nexus-mirror/raw-gateway.conf",
  rawGatewayUnit: "/etc/systemd/system/nexus-raw-gateway.service",
  dataVolumeScript: "/usr/local/sbin/nexus-data-volume",
  diskMetricScript: "/usr/local/sbin/nexus-disk-metric",
  diskMetricService: "/etc/systemd/system/nexus-disk-metric.service",
  diskMetricTimer: "/etc/systemd/system/nexus-disk-metric.timer",
  data: "/nexus-data",
} as const;

/** A systemd unit: sections of ordered key/value pairs (keys may repeat). */
export type SystemdUnit = Readonly<Record<string, ReadonlyArray<readonly [string, string]>>>;

/** Renders a systemd unit file; a value containing a line break is a programming error. */
export function renderSystemdUnit(unit: SystemdUnit): string {
  return Object.entries(unit)
    .map(([section, entries]) => [`[${section}]`, ...entries.map(([key, value]) => `${key}=${singleLine(value)}`)].join("\n"))
    .join("\n\n")
    .concat("\n");
}

/** Renders a docker `--env-file` (`KEY=value` lines, taken literally by docker). */
export function renderEnvFile(variables: Readonly<Record<string, string>>): string {
  return Object.entries(variables)
    .map(([key, value]) => `${key}=${singleLine(value)}`)
    .join("\n")
    .concat("\n");
}

function singleLine(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`a unit or env-file value must be one line: ${JSON.stringify(value)}`);
  return value;
}

/** What the mirror host's cloud-config is built from. */
export interface NexusHostOptions {
  /** The pinned Nexus image. */
  readonly image: string;
  /** JVM memory of the container. */
  readonly jvm: NexusJvmMemory;
  /** Container ports published on the host: 8081 and the docker connectors. */
  readonly ports: readonly number[];
  /** The desired Nexus state for the provisioning script. */
  readonly provisioning: NexusProvisioningConfig;
  /**
   * The raw-proxy gateway (nginx on the host network), when the mirror has raw proxies.
   * @default none
   */
  readonly rawGateway?: { readonly image: string; readonly config: RawGatewayConfig };
  /**
   * Publish the data volume's use every 5 minutes ({@link NEXUS_DISK_METRIC_NAME}, dimension `Mirror`).
   * @default no disk metric
   */
  readonly diskMetric?: { readonly namespace: string; readonly mirrorName: string };
}

/** The systemd unit of the raw-proxy gateway container. */
function rawGatewayUnit(image: string): string {
  const dockerRun = [
    "/usr/bin/docker",
    "run",
    "--rm",
    "--name",
    "nexus-raw-gateway",
    "--network",
    "host",
    "--security-opt",
    "no-new-privileges",
    "--volume",
    `${NEXUS_HOST_PATHS.rawGatewayConfig}:/etc/nginx/conf.d/default.conf:ro`,
    image,
  ];
  return renderSystemdUnit({
    Unit: [
      ["Description", "Raw-proxy gateway of the Nexus mirror (GET/HEAD on /repository/<raw proxy>/ only)"],
      ["Requires", "docker.service"],
      ["After", "docker.service nexus.service"],
    ],
    Service: [
      ["ExecStartPre", "-/usr/bin/docker rm --force nexus-raw-gateway"],
      ["ExecStart", dockerRun.join(" ")],
      ["ExecStop", "/usr/bin/docker stop nexus-raw-gateway"],
      ["Restart", "always"],
      ["RestartSec", "10"],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

/**
 * The mirror host's cloud-config: docker and jq from the distribution
 * (Amazon Linux 2023 ships curl and the AWS CLI), the data-volume and
 * provisioning scripts, Nexus as a systemd service that starts only once
 * /nexus-data is mounted and always restarts, and the first-boot order:
 * mount the data volume, start Nexus, provision it.
 */
export function nexusCloudConfig(options: NexusHostOptions): CloudConfigDocument {
  const { heapMiB, directMemoryMiB } = options.jvm;
  const environment = renderEnvFile({
    // The image's defaults (userRoot, encoding) plus the heap: -Xms = -Xmx.
    INSTALL4J_ADD_VM_PARAMS: [
      `-Xms${heapMiB}m`,
      `-Xmx${heapMiB}m`,
      `-XX:MaxDirectMemorySize=${directMemoryMiB}m`,
      `-Djava.util.prefs.userRoot=${NEXUS_HOST_PATHS.data}/javaprefs`,
      "-Dfile.encoding=UTF-8",
    ].join(" "),
  });
  const dockerRun = [
    "/usr/bin/docker",
    "run",
    "--rm",
    "--name",
    "nexus",
    "--ulimit",
    "nofile=65536:65536",
    "--env-file",
    NEXUS_HOST_PATHS.environment,
    ...options.ports.flatMap((port) => ["--publish", `${port}:${port}`]),
    "--volume",
    `${NEXUS_HOST_PATHS.data}:${NEXUS_HOST_PATHS.data}`,
    options.image,
  ];
  const unit = renderSystemdUnit({
    Unit: [
      ["Description", "Sonatype Nexus Repository (registry mirror)"],
      ["Requires", "docker.service"],
      ["After", "docker.service network-online.target"],
      ["Wants", "network-online.target"],
      // Never start on an unmounted /nexus-data (it would fill the root volume).
      ["RequiresMountsFor", NEXUS_HOST_PATHS.data],
    ],
    Service: [
      ["ExecStartPre", "-/usr/bin/docker rm --force nexus"],
      ["ExecStart", dockerRun.join(" ")],
      ["ExecStop", "/usr/bin/docker stop --time 120 nexus"],
      ["Restart", "always"],
      ["RestartSec", "10"],
      ["TimeoutStopSec", "150"],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
  const gateway = options.rawGateway;
  const metric = options.diskMetric;
  const metricFiles = metric
    ? [
        { path: NEXUS_HOST_PATHS.diskMetricScript, content: NEXUS_DISK_METRIC_SCRIPT, permissions: "0755" },
        {
          path: NEXUS_HOST_PATHS.diskMetricService,
          content: renderSystemdUnit({
            Unit: [["Description", "Publish the Nexus data volume's use to CloudWatch"]],
            Service: [
              ["Type", "oneshot"],
              ["ExecStart", `${NEXUS_HOST_PATHS.diskMetricScript} ${metric.namespace} ${metric.mirrorName}`],
            ],
          }),
          permissions: "0644",
        },
        {
          path: NEXUS_HOST_PATHS.diskMetricTimer,
          content: renderSystemdUnit({
            Unit: [["Description", "Publish the Nexus data volume's use every 5 minutes"]],
            Timer: [
              ["OnActiveSec", "60"],
              ["OnUnitActiveSec", "300"],
            ],
            Install: [["WantedBy", "timers.target"]],
          }),
          permissions: "0644",
        },
      ]
    : [];
  return {
    packages: ["docker", "jq"],
    write_files: [
      { path: NEXUS_HOST_PATHS.provisionConfig, content: `${JSON.stringify(options.provisioning, null, 2)}\n`, permissions: "0600" },
      { path: NEXUS_HOST_PATHS.environment, content: environment, permissions: "0644" },
      { path: NEXUS_HOST_PATHS.unit, content: unit, permissions: "0644" },
      { path: NEXUS_HOST_PATHS.dataVolumeScript, content: NEXUS_DATA_VOLUME_SCRIPT, permissions: "0755" },
      { path: NEXUS_HOST_PATHS.provisionScript, content: NEXUS_PROVISION_SCRIPT, permissions: "0755" },
      ...(gateway
        ? [
            { path: NEXUS_HOST_PATHS.rawGatewayConfig, content: renderRawGatewayConfig(gateway.config), permissions: "0644" },
            { path: NEXUS_HOST_PATHS.rawGatewayUnit, content: rawGatewayUnit(gateway.image), permissions: "0644" },
          ]
        : []),
      ...metricFiles,
    ],
    runcmd: [
      [NEXUS_HOST_PATHS.dataVolumeScript],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "docker.service", "nexus.service", ...(gateway ? ["nexus-raw-gateway.service"] : []), ...(metric ? ["nexus-disk-metric.timer"] : [])],
      [NEXUS_HOST_PATHS.provisionScript],
    ],
  };
}
