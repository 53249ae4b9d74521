import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { gzipSync } from "node:zlib";
import { dnsSuffixOf, parseSecretArn, partitionOf, ssmParameterArn, validateAccountId, validateRegion, validateSsmParameterName } from "../core/aws";
import { check, ValidationError } from "../core/errors";
import { isIpv4Network } from "../core/net";
import { escapeTerraformTemplate } from "../core/terraform-text";
import { isUnresolved } from "../core/tokens";
import { serviceTrustPolicy } from "../identity/role-policy";
import { InstanceRole } from "../identity/instance-role";
import { type NetworkRef } from "../network/network-ref";
import { type NexusJvmMemory, nexusJvmMemory, resolveInstanceMemory } from "./instance-memory";
import { DEFAULT_HELPER_IMAGE_TAG, type MirrorEndpoint, RUNNER_HELPER_IMAGE_PATH } from "./mirror-endpoint";
import {
  NEXUS_DOCKER_GROUP,
  NEXUS_DOCKER_HUB_PROXY,
  NEXUS_GITLAB_PROXY,
  NEXUS_HTTP_PORT,
  type NexusProvisioningConfig,
  nexusProvisioningConfig,
  type RawProxyOptions,
} from "./nexus-provisioning";
import { renderCloudConfig } from "../core/cloud-config";
import { nexusCloudConfig } from "./nexus-user-data";

/** The Nexus image the mirror runs: the official image, pinned. Bump deliberately (read the release notes). */
export const NEXUS_IMAGE = "docker.io/sonatype/nexus3:3.93.1";
/** The default instance type: 2 vCPU, 8 GiB (Sonatype's minimum memory). */
export const DEFAULT_MIRROR_INSTANCE_TYPE = "m7i.large";
/** The smallest data volume accepted, in GiB (see {@link NexusDataVolumeOptions.sizeGiB}). */
export const MIN_DATA_VOLUME_GIB = 50;
/** The user-data limit of EC2 (16 KB, before base64; here the gzip-compressed cloud-config). */
export const USER_DATA_MAX_BYTES = 16_384;
/** The device name the data volume is attached as (`/dev/sdf`; udev links it to the NVMe device on Nitro types). */
export const DATA_VOLUME_DEVICE = "/dev/sdf";
/** The tag that selects volumes for the snapshot policy. */
export const SNAPSHOT_TAG_KEY = "nexus-mirror-snapshots";
/** AWS's public SSM parameter with the latest Amazon Linux 2023 x86_64 AMI. */
export const AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/** The separate volume holding `/nexus-data`. */
export interface NexusDataVolumeOptions {
  /**
   * Size in GiB. At least {@link MIN_DATA_VOLUME_GIB}: images are hundreds of MB
   * each, Nexus keeps its database, logs and blob store on this volume, and a
   * CI mirror for Docker Hub and registry.gitlab.com holds tens of GB within weeks.
   * @default 200
   */
  readonly sizeGiB?: number;
  /**
   * Provisioned IOPS (gp3: 3000-16000).
   * @default 3000 (gp3 baseline, no extra cost)
   */
  readonly iops?: number;
  /**
   * Throughput in MiB/s (gp3: 125-1000).
   * @default 125 (gp3 baseline, no extra cost)
   */
  readonly throughputMiBps?: number;
  /**
   * Customer-managed KMS key ARN for the volume.
   * @default the account's default EBS key (aws/ebs)
   */
  readonly kmsKeyArn?: string;
  /**
   * Terraform `prevent_destroy` on the volume: no plan can delete the cached
   * data. Set false only to tear a mirror down on purpose.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * Daily snapshots kept by the DLM policy.
   * @default 7
   */
  readonly snapshotRetentionCount?: number;
  /**
   * Time of the daily snapshot, `HH:MM` in UTC.
   * @default "03:00"
   */
  readonly snapshotTimeUtc?: string;
}

/** The private DNS name of the mirror. */
export interface MirrorDnsOptions {
  /**
   * Name of the Route53 private hosted zone.
   * @default "ci.internal"
   */
  readonly zoneName?: string;
  /**
   * Host name inside the zone.
   * @default "mirror"
   */
  readonly hostName?: string;
  /**
   * Use this existing private hosted zone (associated with the VPC) instead of creating one; `zoneName` must be its name.
   * @default a new private hosted zone associated with the network's VPC
   */
  readonly existingZoneId?: string;
}

/** Docker connector ports of the proxies, besides the group's. */
export interface DockerProxyPorts {
  /**
   * A connector of its own for the Docker Hub proxy.
   * @default none (served through the group)
   */
  readonly dockerHub?: number;
  /**
   * A connector of its own for the registry.gitlab.com proxy; when set, GitLab images and the helper image use it.
   * @default none (served through the group)
   */
  readonly gitlab?: number;
}

/** Props of a {@link NexusMirror}. */
export interface NexusMirrorProps {
  /** Name prefix of the mirror's resources (role, security group, tags, parameter), e.g. `acme-ci-production-mirror`; 1-50 of `a-z0-9-`. */
  readonly name: string;
  /** Account the mirror is deployed to (for the ARNs it grants itself). */
  readonly accountId: string;
  /** Region the mirror is deployed to. */
  readonly region: string;
  /** The network: the host goes into a private subnet of it. */
  readonly network: NetworkRef;
  /**
   * Security groups of the runner hosts admitted to 8081 and the docker connectors. More can be added with {@link NexusMirror.allowClients}.
   * @default none
   */
  readonly clientSecurityGroupIds?: readonly string[];
  /**
   * An IPv4 CIDR admitted to the UI and REST API on 8081 (e.g. a VPN range).
   * @default none
   */
  readonly adminCidr?: string;
  /**
   * The private subnet of the host (one of `network.privateSubnetIds`).
   * @default the first private subnet
   */
  readonly subnetId?: string;
  /**
   * Give the host a public IP. Not needed with a NAT gateway or VPC endpoints.
   * @default false
   */
  readonly associatePublicIpAddress?: boolean;
  /**
   * EC2 instance type (x86_64).
   * @default "m7i.large" (2 vCPU, 8 GiB)
   */
  readonly instanceType?: string;
  /**
   * The instance type's memory in MiB; required for types not in INSTANCE_MEMORY_MIB. The heap is derived from it.
   * @default from INSTANCE_MEMORY_MIB
   */
  readonly memoryMiB?: number;
  /**
   * Accept an instance type with less than 8 GiB of memory (at least 4 GiB).
   * @default false
   */
  readonly allowSmallInstance?: boolean;
  /**
   * AMI id (Amazon Linux 2023 x86_64 or compatible: dnf, systemd, AWS CLI).
   * @default the latest Amazon Linux 2023 AMI at first deploy; later AMI releases do not replace the host (`ignore_changes`)
   */
  readonly amiId?: string;
  /**
   * Root volume size in GiB (OS and the docker image; Nexus data is on the data volume).
   * @default 30
   */
  readonly rootVolumeSizeGiB?: number;
  /**
   * The data volume.
   * @default 200 GiB gp3, encrypted, prevent_destroy, 7 daily snapshots at 03:00 UTC
   */
  readonly dataVolume?: NexusDataVolumeOptions;
  /**
   * The Nexus image, pinned to a version tag or digest.
   * @default NEXUS_IMAGE
   */
  readonly nexusImage?: string;
  /**
   * Port of the docker group connector (Docker Hub and registry.gitlab.com, anonymous pull).
   * @default 8082
   */
  readonly dockerGroupPort?: number;
  /**
   * Connectors of their own for the proxies.
   * @default none
   */
  readonly dockerProxyPorts?: DockerProxyPorts;
  /**
   * Secrets Manager secret (same account and region; keys `username`, `accessToken`) with Docker Hub credentials for the Docker Hub proxy. The host reads it; it never passes through Terraform.
   * @default anonymous Docker Hub pulls (low rate limits)
   */
  readonly dockerHubCredentialSecretArn?: string;
  /**
   * Raw (file download) proxies, e.g. buildpack download hosts.
   * @default none
   */
  readonly rawProxies?: readonly RawProxyOptions[];
  /**
   * The private DNS name.
   * @default mirror.ci.internal in a new private hosted zone
   */
  readonly dns?: MirrorDnsOptions;
  /**
   * SSM SecureString parameter the host creates for the admin password.
   * @default `/<name>/admin-password`
   */
  readonly adminPasswordParameterName?: string;
  /**
   * ARN of a customer-managed KMS key the host creates the admin password parameter with
   * (`aws ssm put-parameter --key-id`). The host role gets `kms:Decrypt`, `kms:Encrypt` and
   * `kms:GenerateDataKey` on it through SSM only; the key's policy must allow the host role too
   * (`SecretsKey.allowParameters` with `write: true`).
   * @default the AWS-managed `aws/ssm` key (readable by any principal with `ssm:GetParameter` on the parameter)
   */
  readonly adminPasswordKmsKeyArn?: string;
  /**
   * What the host passes as `--key-id` for that key, e.g. its alias `alias/acme-ci-production-secrets`
   * (SSM's PutParameter takes a key id, key ARN, alias name or alias ARN): a literal keeps the key's
   * ARN, a value known only after apply, out of the user data.
   * @default adminPasswordKmsKeyArn
   */
  readonly adminPasswordKmsKeyAlias?: string;
  /**
   * Tag of the runner helper image in {@link MirrorEndpoint.helperImage}.
   * @default DEFAULT_HELPER_IMAGE_TAG (`x86_64-v${CI_RUNNER_VERSION}`, expanded by gitlab-runner)
   */
  readonly helperImageTag?: string;
  /**
   * Permissions boundary of the host role.
   * @default none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Resource tags.
   * @default none (the provider's default tags still apply)
   */
  readonly tags?: Readonly<Record<string, string>>;
}

const NAME = /^[a-z][a-z0-9-]{0,49}$/;
const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const AMI_ID = /^ami-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})+$`);
const HOST_LABEL = new RegExp(`^${DNS_LABEL}$`);
const REPOSITORY_NAME = /^[A-Za-z0-9-][A-Za-z0-9_.-]{0,199}$/;
const PINNED_IMAGE = /^[a-z0-9.-]+(?::\d+)?\/(?:[a-z0-9._-]+\/)*[a-z0-9._-]+(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;
const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/**
 * A Nexus Repository 3 host that mirrors Docker Hub and registry.gitlab.com
 * for the runners (a docker group on one connector with anonymous pull, for
 * the docker daemon's `registry-mirrors`) and proxies build downloads (raw
 * proxies). An EC2 instance in a private subnet (IMDSv2, SSM, no SSH, no
 * public IP, encrypted root), with a separate encrypted gp3 data volume that
 * survives instance replacement (prevent_destroy, daily DLM snapshots), an
 * auto-recovery alarm, a private DNS name, and first-boot provisioning that
 * keeps the admin password out of Terraform state.
 *
 * @example
 * const mirror = new NexusMirror(this, "mirror", { name: "acme-ci-prod-mirror", accountId, region, network });
 * mirror.allowClients(fleet.securityGroupId);
 * // fleet: daemon.json from mirror.endpoint.registryMirrors / insecureRegistries, helper image from mirror.endpoint.helperImage
 */
export class NexusMirror extends Construct {
  /** What the runner fleet and the GitLab side consume. */
  public readonly endpoint: MirrorEndpoint;
  /** The mirror's private DNS name, e.g. `mirror.ci.internal`. */
  public readonly hostName: string;
  /** The UI and REST API base URL, `http://<hostName>:8081`. */
  public readonly url: string;
  /** The host's role (SSM access, its admin-password parameter, the Docker Hub secret). */
  public readonly role: InstanceRole;
  /** The mirror's security group. */
  public readonly securityGroup: SecurityGroup;
  /** The EC2 instance. */
  public readonly instance: Instance;
  /** The `/nexus-data` volume. */
  public readonly dataVolume: EbsVolume;
  /** The daily snapshot policy of the data volume. */
  public readonly snapshotPolicy: DlmLifecyclePolicy;
  /** The EC2 auto-recovery alarm. */
  public readonly recoveryAlarm: CloudwatchMetricAlarm;
  /** The SSM parameter (created by the host) holding the admin password. */
  public readonly adminPasswordParameterName: string;
  /** Its ARN. */
  public readonly adminPasswordParameterArn: string;
  /** The Nexus state the first-boot script converges to (/etc/nexus-mirror/provision.json). */
  public readonly provisioningConfig: NexusProvisioningConfig;
  /** The host's memory in MiB. */
  public readonly memoryMiB: number;
  /** The Nexus JVM memory derived from it. */
  public readonly jvm: NexusJvmMemory;
  /** The rendered cloud-config, as the host receives it (gzip-compressed). */
  public readonly userData: string;
  /** The size of the gzip-compressed user data (Node's zlib, level 6, as an estimate of Terraform's base64gzip). */
  public readonly userDataGzipBytes: number;
  /** The docker connector ports (group first). */
  public readonly dockerPorts: readonly number[];
  private clientCount = 0;

  public constructor(scope: Construct, id: string, props: NexusMirrorProps) {
    super(scope, id);
    const path = this.node.path;
    validateProps(path, props);
    const { name, region, accountId, network } = props;
    const tags = { ...(props.tags ?? {}), Name: name };

    // Sizing.
    const instanceType = props.instanceType ?? DEFAULT_MIRROR_INSTANCE_TYPE;
    this.memoryMiB = resolveInstanceMemory(path, { instanceType, memoryMiB: props.memoryMiB, allowSmallInstance: props.allowSmallInstance });
    this.jvm = nexusJvmMemory(this.memoryMiB);
    const volume = resolveDataVolume(`${path}/dataVolume`, props.dataVolume ?? {});

    // Ports and repositories.
    const groupPort = props.dockerGroupPort ?? 8082;
    const proxyPorts = props.dockerProxyPorts ?? {};
    this.dockerPorts = validatePorts(path, groupPort, proxyPorts);
    const rawProxies = props.rawProxies ?? [];
    validateRawProxies(path, rawProxies);

    // Identity: the admin password and upstream credentials are read and written on the host only.
    this.adminPasswordParameterName = props.adminPasswordParameterName ?? `/${name}/admin-password`;
    validateSsmParameterName(path, "adminPasswordParameterName", this.adminPasswordParameterName, "/acme-ci/production/mirror/admin-password");
    this.adminPasswordParameterArn = ssmParameterArn(region, accountId, this.adminPasswordParameterName);
    this.role = new InstanceRole(this, "host-role", {
      roleName: `${name}-host`,
      description: "Nexus mirror host: SSM access, its admin-password parameter, the Docker Hub credential secret",
      ...(props.permissionsBoundaryArn ? { permissionsBoundaryArn: props.permissionsBoundaryArn } : {}),
      tags,
    });
    this.role.addToPrincipalPolicy({ actions: ["ssm:GetParameter", "ssm:PutParameter"], resources: [this.adminPasswordParameterArn] });
    if (props.adminPasswordKmsKeyArn) {
      this.role.addToPrincipalPolicy({
        actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        resources: [props.adminPasswordKmsKeyArn],
        conditions: { StringEquals: { "kms:ViaService": `ssm.${region}.${dnsSuffixOf(region)}` } },
      });
    }
    if (props.dockerHubCredentialSecretArn) {
      this.role.addToPrincipalPolicy({ actions: ["secretsmanager:GetSecretValue"], resources: [props.dockerHubCredentialSecretArn] });
    }

    // Network: private subnet, reachable only from the runners (and the admin CIDR).
    const subnetId = props.subnetId ?? network.privateSubnetIds[0]!;
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name,
      description: "Nexus mirror: UI/API and docker connectors from the runner hosts only",
      vpcId: network.vpcId,
      tags,
    });
    // HTTPS out (upstreams, dnf, AWS APIs); plain HTTP only when a raw proxy needs it.
    const egressPorts = rawProxies.some((r) => r.remoteUrl.startsWith("http://")) ? [80, 443] : [443];
    for (const port of egressPorts) {
      new VpcSecurityGroupEgressRule(this, `egress-${port}`, {
        securityGroupId: this.securityGroup.id,
        description: port === 443 ? "HTTPS to upstream registries, package repositories and AWS APIs" : "HTTP to raw proxy upstreams",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: "0.0.0.0/0",
      });
    }
    if (props.adminCidr) {
      new VpcSecurityGroupIngressRule(this, "admin-ui", {
        securityGroupId: this.securityGroup.id,
        description: "Nexus UI and REST API from the admin network",
        ipProtocol: "tcp",
        fromPort: NEXUS_HTTP_PORT,
        toPort: NEXUS_HTTP_PORT,
        cidrIpv4: props.adminCidr,
      });
    }
    (props.clientSecurityGroupIds ?? []).forEach((sg) => this.allowClients(sg));

    // Data: a volume that outlives the instance.
    const subnet = new DataAwsSubnet(this, "subnet", { id: subnetId });
    this.dataVolume = new EbsVolume(this, "data-volume", {
      availabilityZone: subnet.availabilityZone,
      size: volume.sizeGiB,
      type: "gp3",
      iops: volume.iops,
      throughput: volume.throughputMiBps,
      encrypted: true,
      ...(volume.kmsKeyArn ? { kmsKeyId: volume.kmsKeyArn } : {}),
      tags: { ...tags, Name: `${name}-data`, [SNAPSHOT_TAG_KEY]: name },
      ...(volume.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });

    // The host.
    this.provisioningConfig = nexusProvisioningConfig({
      region,
      adminPasswordParameter: this.adminPasswordParameterName,
      ...(props.adminPasswordKmsKeyArn ? { adminPasswordKmsKeyArn: props.adminPasswordKmsKeyAlias ?? props.adminPasswordKmsKeyArn } : {}),
      dockerGroupPort: groupPort,
      dockerProxyPorts: proxyPorts,
      ...(props.dockerHubCredentialSecretArn ? { dockerHubCredentialSecretArn: props.dockerHubCredentialSecretArn } : {}),
      rawProxies,
    });
    this.userData = renderCloudConfig(
      nexusCloudConfig({
        image: props.nexusImage ?? NEXUS_IMAGE,
        jvm: this.jvm,
        ports: [NEXUS_HTTP_PORT, ...this.dockerPorts],
        provisioning: this.provisioningConfig,
      }),
    );
    // EC2 takes 16 KB of user data; the cloud-config goes gzip-compressed (cloud-init unpacks it).
    this.userDataGzipBytes = gzipSync(this.userData, { level: 6 }).byteLength;
    check(this.userDataGzipBytes <= USER_DATA_MAX_BYTES, {
      path,
      subject: "user data size",
      value: `${this.userDataGzipBytes} bytes gzip-compressed`,
      rule: `EC2 accepts at most ${USER_DATA_MAX_BYTES} bytes of user data`,
      fix: "configure fewer raw proxies",
    });
    // The readable cloud-config is a Terraform local (reviewers see it in the plan and the
    // snapshots); Terraform compresses it. Escaped: the scripts contain ${...} and %{...}.
    const userDataText = new TerraformLocal(this, "user-data", escapeTerraformTemplate(this.userData));
    const ami = props.amiId ?? new DataAwsSsmParameter(this, "ami", { name: AL2023_AMI_PARAMETER }).insecureValue;
    this.instance = new Instance(this, "instance", {
      ami,
      instanceType,
      subnetId,
      vpcSecurityGroupIds: [this.securityGroup.id],
      associatePublicIpAddress: props.associatePublicIpAddress ?? false,
      iamInstanceProfile: this.role.instanceProfileName,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      rootBlockDevice: { volumeType: "gp3", volumeSize: props.rootVolumeSizeGiB ?? 30, encrypted: true, deleteOnTermination: true },
      maintenanceOptions: { autoRecovery: "default" },
      // cloud-init runs once per instance: a changed configuration means a new host (the data volume moves over).
      userDataBase64: Fn.base64gzip(userDataText.asString),
      userDataReplaceOnChange: true,
      tags,
      ...(props.amiId ? {} : { lifecycle: { ignoreChanges: ["ami"] } }),
    });
    new VolumeAttachment(this, "data-volume-attachment", {
      deviceName: DATA_VOLUME_DEVICE,
      volumeId: this.dataVolume.id,
      instanceId: this.instance.id,
      // Stop the host (Nexus shuts down cleanly) before the volume moves to a replacement.
      stopInstanceBeforeDetaching: true,
    });

    // Operations: daily snapshots, auto-recovery.
    this.snapshotPolicy = snapshotPolicy(this, name, region, volume, tags);
    this.recoveryAlarm = new CloudwatchMetricAlarm(this, "recovery-alarm", {
      alarmName: `${name}-auto-recovery`,
      alarmDescription: "Recover the Nexus mirror host when the EC2 system status check fails",
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed_System",
      dimensions: { InstanceId: this.instance.id },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 2,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      alarmActions: [`arn:${partitionOf(region)}:automate:${region}:ec2:recover`],
      tags,
    });

    // DNS and the endpoint.
    const dns = props.dns ?? {};
    const zoneName = dns.zoneName ?? "ci.internal";
    this.hostName = `${dns.hostName ?? "mirror"}.${zoneName}`;
    const zoneId = dns.existingZoneId ?? new Route53Zone(this, "zone", { name: zoneName, comment: "Private names of the CI platform", vpc: [{ vpcId: network.vpcId }], tags }).zoneId;
    new Route53Record(this, "record", { zoneId, name: this.hostName, type: "A", ttl: 60, records: [this.instance.privateIp] });
    this.url = `http://${this.hostName}:${NEXUS_HTTP_PORT}`;
    const group = `${this.hostName}:${groupPort}`;
    const gitlab = proxyPorts.gitlab !== undefined ? `${this.hostName}:${proxyPorts.gitlab}` : group;
    this.endpoint = {
      registryMirrors: [`http://${group}`],
      insecureRegistries: [...new Set([group, ...this.dockerPorts.slice(1).map((p) => `${this.hostName}:${p}`)])],
      imagePrefixes: { "registry-1.docker.io": `${group}/`, "registry.gitlab.com": `${gitlab}/` },
      helperImage: `${gitlab}/${RUNNER_HELPER_IMAGE_PATH}:${props.helperImageTag ?? DEFAULT_HELPER_IMAGE_TAG}`,
      rawProxyUrls: Object.fromEntries(rawProxies.map((r) => [r.name, `${this.url}/repository/${r.name}/`])),
      securityGroupId: this.securityGroup.id,
    };
  }

  /**
   * Admits a security group (the runner hosts') to the UI/API port 8081 and
   * every docker connector. Rule ids are `clients-<n>-<port>` in call order
   * (props first): keep the order stable.
   */
  public allowClients(securityGroupId: string): void {
    validateId(`${this.node.path}/clientSecurityGroupIds[${this.clientCount}]`, "security group id", securityGroupId, SECURITY_GROUP_ID, "sg-0a1b2c3d4e5f60718");
    const n = this.clientCount++;
    for (const port of [NEXUS_HTTP_PORT, ...this.dockerPorts]) {
      new VpcSecurityGroupIngressRule(this, `clients-${n}-${port}`, {
        securityGroupId: this.securityGroup.id,
        description: port === NEXUS_HTTP_PORT ? "Nexus API and raw proxies from runner hosts" : "Docker connector from runner hosts",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        referencedSecurityGroupId: securityGroupId,
      });
    }
  }
}

interface ResolvedDataVolume {
  readonly sizeGiB: number;
  readonly iops: number;
  readonly throughputMiBps: number;
  readonly kmsKeyArn?: string;
  readonly preventDestroy: boolean;
  readonly snapshotRetentionCount: number;
  readonly snapshotTimeUtc: string;
}

function resolveDataVolume(path: string, options: NexusDataVolumeOptions): ResolvedDataVolume {
  const resolved = {
    sizeGiB: options.sizeGiB ?? 200,
    iops: options.iops ?? 3000,
    throughputMiBps: options.throughputMiBps ?? 125,
    preventDestroy: options.preventDestroy ?? true,
    snapshotRetentionCount: options.snapshotRetentionCount ?? 7,
    snapshotTimeUtc: options.snapshotTimeUtc ?? "03:00",
    ...(options.kmsKeyArn ? { kmsKeyArn: options.kmsKeyArn } : {}),
  };
  const literal = (n: number) => !isUnresolved(n);
  check(!literal(resolved.sizeGiB) || (Number.isInteger(resolved.sizeGiB) && resolved.sizeGiB >= MIN_DATA_VOLUME_GIB && resolved.sizeGiB <= 16384), {
    path,
    subject: "sizeGiB",
    value: resolved.sizeGiB,
    rule: `the data volume holds the whole cache, blob store and database: at least ${MIN_DATA_VOLUME_GIB} GiB (a gp3 volume is at most 16384 GiB)`,
    fix: `use ${MIN_DATA_VOLUME_GIB} GiB or more (default 200); gp3 costs about $0.08 per GiB-month`,
  });
  check(!literal(resolved.iops) || (Number.isInteger(resolved.iops) && resolved.iops >= 3000 && resolved.iops <= 16000), {
    path,
    subject: "iops",
    value: resolved.iops,
    rule: "gp3 volumes take 3000-16000 IOPS",
    fix: "use 3000 (the free baseline) or more",
  });
  check(!literal(resolved.throughputMiBps) || (Number.isInteger(resolved.throughputMiBps) && resolved.throughputMiBps >= 125 && resolved.throughputMiBps <= 1000), {
    path,
    subject: "throughputMiBps",
    value: resolved.throughputMiBps,
    rule: "gp3 volumes take 125-1000 MiB/s",
    fix: "use 125 (the free baseline) or more",
  });
  check(!literal(resolved.snapshotRetentionCount) || (Number.isInteger(resolved.snapshotRetentionCount) && resolved.snapshotRetentionCount >= 1 && resolved.snapshotRetentionCount <= 1000), {
    path,
    subject: "snapshotRetentionCount",
    value: resolved.snapshotRetentionCount,
    rule: "DLM keeps 1-1000 snapshots per schedule",
    fix: "keep e.g. 7 daily snapshots",
  });
  check(isUnresolved(resolved.snapshotTimeUtc) || HH_MM.test(resolved.snapshotTimeUtc), {
    path,
    subject: "snapshotTimeUtc",
    value: resolved.snapshotTimeUtc,
    rule: "the snapshot time is HH:MM in 24-hour UTC",
    fix: 'use e.g. "03:00"',
  });
  return resolved;
}

function snapshotPolicy(scope: Construct, name: string, region: string, volume: ResolvedDataVolume, tags: Record<string, string>): DlmLifecyclePolicy {
  const role = new IamRole(scope, "snapshot-role", {
    name: `${name}-snapshots`,
    description: "Data Lifecycle Manager: daily snapshots of the Nexus data volume",
    assumeRolePolicy: serviceTrustPolicy("dlm.amazonaws.com"),
    tags,
  });
  // AWS's managed policy for DLM's service role (the one `aws dlm create-default-role` uses).
  new IamRolePolicyAttachment(scope, "snapshot-role-policy", {
    role: role.name,
    policyArn: `arn:${partitionOf(region)}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole`,
  });
  return new DlmLifecyclePolicy(scope, "snapshot-policy", {
    description: `Daily snapshots of ${name}-data`,
    executionRoleArn: role.arn,
    state: "ENABLED",
    policyDetails: {
      resourceTypes: ["VOLUME"],
      targetTags: { [SNAPSHOT_TAG_KEY]: name },
      schedule: [
        {
          name: "daily",
          createRule: { interval: 24, intervalUnit: "HOURS", times: [volume.snapshotTimeUtc] },
          retainRule: { count: volume.snapshotRetentionCount },
          copyTags: true,
          tagsToAdd: { "snapshot-of": `${name}-data` },
        },
      ],
    },
    tags,
  });
}

function validateId(path: string, subject: string, value: string, pattern: RegExp, example: string): void {
  if (isUnresolved(value)) return;
  check(pattern.test(value), {
    path,
    subject,
    value,
    rule: `a ${subject} looks like ${example}`,
    fix: `copy the id from the console or the construct that creates it`,
  });
}

function validateProps(path: string, props: NexusMirrorProps): void {
  check(isUnresolved(props.name) || NAME.test(props.name), {
    path,
    subject: "name",
    value: props.name,
    rule: "the mirror name is 1-50 lower-case letters, digits and '-', starting with a letter (it prefixes role, security group and parameter names)",
    fix: "use a name such as acme-ci-production-mirror",
  });
  validateAccountId(path, "accountId", props.accountId);
  validateRegion(path, "region", props.region);
  validateId(`${path}/network`, "vpc id", props.network.vpcId, VPC_ID, "vpc-0a1b2c3d4e5f60718");
  if (!isUnresolved(props.network.privateSubnetIds)) {
    check(props.network.privateSubnetIds.length >= 1, {
      path: `${path}/network`,
      subject: "privateSubnetIds",
      value: props.network.privateSubnetIds,
      rule: "the mirror host goes into a private subnet, so the network needs at least one",
      fix: "add a private subnet (with a NAT gateway or VPC endpoints for egress)",
    });
    props.network.privateSubnetIds.forEach((id, i) => validateId(`${path}/network/privateSubnetIds[${i}]`, "subnet id", id, SUBNET_ID, "subnet-0a1b2c3d4e5f60718"));
    if (props.subnetId !== undefined && !isUnresolved(props.subnetId)) {
      check(props.network.privateSubnetIds.includes(props.subnetId), {
        path,
        subject: "subnetId",
        value: props.subnetId,
        rule: "the mirror host goes into one of the network's private subnets",
        fix: `use one of ${props.network.privateSubnetIds.join(", ")}`,
      });
    }
  }
  if (props.adminCidr !== undefined && !isUnresolved(props.adminCidr)) {
    check(isIpv4Network(props.adminCidr) && !props.adminCidr.endsWith("/0"), {
      path,
      subject: "adminCidr",
      value: props.adminCidr,
      rule: "the admin CIDR is an IPv4 network (no host bits set) narrower than the whole internet",
      fix: "use your VPN or office range, e.g. 10.8.0.0/16",
    });
  }
  if (props.amiId !== undefined) validateId(path, "amiId", props.amiId, AMI_ID, "ami-0a1b2c3d4e5f60718");
  if (props.rootVolumeSizeGiB !== undefined && !isUnresolved(props.rootVolumeSizeGiB)) {
    check(Number.isInteger(props.rootVolumeSizeGiB) && props.rootVolumeSizeGiB >= 20, {
      path,
      subject: "rootVolumeSizeGiB",
      value: props.rootVolumeSizeGiB,
      rule: "the root volume holds the OS and the Nexus image: at least 20 GiB",
      fix: "use 30 (the default)",
    });
  }
  const image = props.nexusImage ?? NEXUS_IMAGE;
  check(isUnresolved(image) || (PINNED_IMAGE.test(image) && (/:[^/]+$/.test(image) || image.includes("@sha256:"))), {
    path,
    subject: "nexusImage",
    value: image,
    rule: "the Nexus image is a full reference pinned to a version tag (not latest) or a digest",
    fix: `use e.g. ${JSON.stringify(NEXUS_IMAGE)}`,
  });
  const secret = props.dockerHubCredentialSecretArn;
  if (secret !== undefined && !isUnresolved(secret)) {
    const parts = parseSecretArn(secret);
    if (!parts) {
      throw new ValidationError({
        path,
        subject: "dockerHubCredentialSecretArn",
        value: secret,
        rule: "the Docker Hub credentials are a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>); the host role is granted exactly that ARN",
        fix: "pass the secret's full ARN (aws secretsmanager describe-secret --secret-id <name> --query ARN), not its name",
      });
    }
    check(parts.region === props.region && parts.accountId === props.accountId, {
      path,
      subject: "dockerHubCredentialSecretArn",
      value: secret,
      rule: `the secret must be in the mirror's account and region (${props.accountId}, ${props.region})`,
      fix: `create the secret in ${props.region} of account ${props.accountId}`,
    });
  }
  const dns = props.dns ?? {};
  if (dns.zoneName !== undefined && !isUnresolved(dns.zoneName)) {
    check(DNS_NAME.test(dns.zoneName), {
      path: `${path}/dns`,
      subject: "zoneName",
      value: dns.zoneName,
      rule: "a private zone name is a lower-case DNS name with at least two labels, without a trailing dot",
      fix: 'use e.g. "ci.internal"',
    });
  }
  if (dns.hostName !== undefined && !isUnresolved(dns.hostName)) {
    check(HOST_LABEL.test(dns.hostName), {
      path: `${path}/dns`,
      subject: "hostName",
      value: dns.hostName,
      rule: "the host name is one lower-case DNS label",
      fix: 'use e.g. "mirror"',
    });
  }
  if (dns.existingZoneId !== undefined) validateId(`${path}/dns`, "existingZoneId", dns.existingZoneId, ZONE_ID, "Z0123456789ABCDEFGHIJ");
}

/** Checks the connector ports and returns them, group first. */
function validatePorts(path: string, groupPort: number, proxyPorts: DockerProxyPorts): number[] {
  const named: Array<[string, number | undefined]> = [
    ["dockerGroupPort", groupPort],
    ["dockerProxyPorts.dockerHub", proxyPorts.dockerHub],
    ["dockerProxyPorts.gitlab", proxyPorts.gitlab],
  ];
  const used = new Map<number, string>([[NEXUS_HTTP_PORT, "Nexus's own HTTP port"]]);
  const ports: number[] = [];
  for (const [subject, port] of named) {
    if (port === undefined) continue;
    check(Number.isInteger(port) && port >= 1024 && port <= 65535, {
      path,
      subject,
      value: port,
      rule: "a docker connector port is an unprivileged TCP port (1024-65535)",
      fix: "use e.g. 8082",
    });
    const clash = used.get(port);
    check(clash === undefined, {
      path,
      subject,
      value: port,
      rule: `each docker connector needs its own port, but ${port} is already ${clash}`,
      fix: `use a free port such as ${Math.max(...used.keys(), 8082) + 1}`,
    });
    used.set(port, `the ${subject} connector`);
    ports.push(port);
  }
  return ports;
}

function validateRawProxies(path: string, rawProxies: readonly RawProxyOptions[]): void {
  const names = new Set<string>([NEXUS_DOCKER_HUB_PROXY, NEXUS_GITLAB_PROXY, NEXUS_DOCKER_GROUP]);
  rawProxies.forEach((raw, i) => {
    const where = `${path}/rawProxies[${i}]`;
    check(REPOSITORY_NAME.test(raw.name), {
      path: where,
      subject: "name",
      value: raw.name,
      rule: "a Nexus repository name is letters, digits, '-', '_' and '.', not starting with '_' or '.' (it is also a URL path part)",
      fix: "use a name such as buildpack-registry",
    });
    check(!names.has(raw.name), {
      path: where,
      subject: "name",
      value: raw.name,
      rule: `repository names are unique in Nexus, and ${JSON.stringify(raw.name)} is already used (${[...names].join(", ")})`,
      fix: "rename the raw proxy",
    });
    names.add(raw.name);
    let url: URL | undefined;
    try {
      url = new URL(raw.remoteUrl);
    } catch {
      url = undefined;
    }
    check(
      url !== undefined &&
        (url.protocol === "https:" || url.protocol === "http:") &&
        url.hostname !== "" &&
        url.username === "" &&
        url.password === "" &&
        url.search === "" &&
        url.hash === "",
      {
        path: where,
        subject: "remoteUrl",
        value: raw.remoteUrl,
        rule: "a raw proxy upstream is an http(s) URL with a host and no credentials, query or fragment",
        fix: "use the upstream's base URL, e.g. https://lang-common.s3.amazonaws.com",
      },
    );
  });
}
