import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { type DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Annotations, Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { gzipSync } from "node:zlib";
import { dnsSuffixOf, partitionOf, ssmParameterArn, validatePermissionsBoundaryArn, validateSsmParameterName } from "../core/aws";
import { check } from "../core/errors";
import { escapeTerraformTemplate } from "../core/terraform-text";
import { InstanceRole } from "../identity/instance-role";
import { type NexusJvmMemory, nexusJvmMemory, resolveInstanceMemory } from "./instance-memory";
import { type MirrorEndpoint, RUNNER_HELPER_IMAGE_PATH, helperImageTag } from "./mirror-endpoint";
import { resolveDataVolume, SNAPSHOT_TAG_KEY, snapshotPolicy } from "./nexus-data-volume";
import { NEXUS_IMAGE, type NexusMirrorProps } from "./nexus-mirror-props";
import { NEXUS_HTTP_PORT, type NexusProvisioningConfig, nexusProvisioningConfig } from "./nexus-provisioning";
import { renderCloudConfig } from "../core/cloud-config";
import { NEXUS_DISK_METRIC_NAME, nexusCloudConfig } from "./nexus-user-data";
import {
  PINNED_IMAGE,
  SECURITY_GROUP_ID,
  validateId,
  validateProps,
  validatePorts,
  validateRawGatewayPort,
  validateRawProxies,
  validateUpstreamUrl,
} from "./nexus-validation";
import { DEFAULT_RAW_GATEWAY_PORT, RAW_GATEWAY_IMAGE } from "./raw-gateway";
import { checkAgainstAwsProvider } from "../core/provider-context";
import { checkParameterKey, grantParameters } from "../secrets/secrets-key-ref";

export { MIN_DATA_VOLUME_GIB, type NexusDataVolumeOptions, SNAPSHOT_TAG_KEY } from "./nexus-data-volume";
export { type DockerProxyPorts, type MirrorDnsOptions, NEXUS_IMAGE, type NexusMirrorProps } from "./nexus-mirror-props";
export { NEXUS_ADMIN_CIDR_MIN_PREFIX, validateUpstreamUrl } from "./nexus-validation";
export { DEFAULT_RAW_GATEWAY_PORT, RAW_GATEWAY_IMAGE } from "./raw-gateway";

/** The default instance type: 2 vCPU, 8 GiB (Sonatype's minimum memory). */
export const DEFAULT_MIRROR_INSTANCE_TYPE = "m7i.large";
/** The user-data limit of EC2 (16 KB, before base64; here the gzip-compressed cloud-config). */
export const USER_DATA_MAX_BYTES = 16_384;
/** The device name the data volume is attached as (`/dev/sdf`; udev links it to the NVMe device on Nitro types). */
export const DATA_VOLUME_DEVICE = "/dev/sdf";
/** The prefix of every mirror's metric namespace (`GitLab/Mirror/<name>`). */
export const MIRROR_METRIC_NAMESPACE = "GitLab/Mirror";

/** AWS's public SSM parameter with the latest Amazon Linux 2023 x86_64 AMI. */
export const AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
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
  /** The CloudWatch namespace the host publishes its data volume's use to (`GitLab/Mirror/<name>`). */
  public readonly metricNamespace: string;
  /** The name the host's metrics carry as their `Mirror` dimension. */
  public readonly mirrorName: string;
  /** Alarm when the data volume is fuller than {@link NexusMirrorProps.diskAlarmPercent} (cleanup or sizing is falling behind). */
  public readonly diskAlarm: CloudwatchMetricAlarm;
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
  /** The raw-proxy gateway port, when the mirror has raw proxies (runner hosts use it instead of 8081). */
  public readonly rawProxyPort?: number;
  private clientCount = 0;

  /**
   * @throws ValidationError for invalid props (see {@link NexusMirrorProps}), and for an
   *   `adminPasswordSecretsKey` of another account or region than the mirror's (the key policy
   *   names the password parameter by the key's account and region)
   */
  public constructor(scope: Construct, id: string, props: NexusMirrorProps) {
    super(scope, id);
    const path = this.node.path;
    validateProps(path, props);
    checkAgainstAwsProvider(this, path, { accountId: props.accountId, region: props.region });
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
    if (rawProxies.length > 0) {
      this.rawProxyPort = props.rawProxyPort ?? DEFAULT_RAW_GATEWAY_PORT;
      validateRawGatewayPort(path, this.rawProxyPort, this.dockerPorts);
    }
    const rawGatewayImage = props.rawGatewayImage ?? RAW_GATEWAY_IMAGE;
    check(PINNED_IMAGE.test(rawGatewayImage) && (/:[^/]+$/.test(rawGatewayImage) || rawGatewayImage.includes("@sha256:")), {
      path,
      subject: "rawGatewayImage",
      value: rawGatewayImage,
      rule: "the gateway image is a full reference pinned to a version tag (not latest) or a digest",
      fix: `use e.g. ${JSON.stringify(RAW_GATEWAY_IMAGE)}`,
    });
    if (props.permissionsBoundaryArn !== undefined) validatePermissionsBoundaryArn(path, props.permissionsBoundaryArn, region);

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
    const passwordKey = props.adminPasswordSecretsKey;
    checkParameterKey(path, {
      parameterName: this.adminPasswordParameterName,
      parameterArn: this.adminPasswordParameterArn,
      ...(passwordKey ? { secretsKey: passwordKey } : {}),
      ...(props.adminPasswordKmsKeyArn !== undefined ? { kmsKeyArn: props.adminPasswordKmsKeyArn } : {}),
      propNames: { secretsKey: "adminPasswordSecretsKey", kmsKeyArn: "adminPasswordKmsKeyArn" },
      describe: { parameter: "the admin password parameter", readers: "the host" },
      fix: "give the mirror the secrets key of its own account and region (accountId / region)",
    });
    const passwordKeyArn = passwordKey?.keyArn ?? props.adminPasswordKmsKeyArn;
    // The host reads and writes its own password parameter (with a secrets key: named in its policy too).
    grantParameters({
      path,
      grantee: this.role,
      ssmActions: ["ssm:GetParameter", "ssm:PutParameter"],
      parameterNames: [this.adminPasswordParameterName],
      parameterArns: [this.adminPasswordParameterArn],
      write: true,
      kmsConditions: { StringEquals: { "kms:ViaService": `ssm.${region}.${dnsSuffixOf(region)}` } },
      ...(passwordKey ? { secretsKey: passwordKey } : {}),
      ...(props.adminPasswordKmsKeyArn ? { kmsKeyArn: props.adminPasswordKmsKeyArn } : {}),
    });
    if (props.dockerHubCredentialSecretArn) {
      this.role.addToPrincipalPolicy({ actions: ["secretsmanager:GetSecretValue"], resources: [props.dockerHubCredentialSecretArn] });
    }
    // The data volume's use, published by the host to a namespace of its own.
    this.mirrorName = name;
    this.metricNamespace = `${MIRROR_METRIC_NAMESPACE}/${name}`;
    this.role.addToPrincipalPolicy({ actions: ["cloudwatch:PutMetricData"], resources: ["*"], conditions: { StringEquals: { "cloudwatch:namespace": this.metricNamespace } } });

    // Network: private subnet, reachable only from the runners (and the admin CIDR).
    const subnetId = props.subnetId ?? network.privateSubnetIds[0]!;
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name,
      // The description is kept as first deployed: changing it replaces the group (ForceNew). The rules below say what is admitted.
      description: "Nexus mirror: UI/API and docker connectors from the runner hosts only",
      vpcId: network.vpcId,
      tags,
    });
    // HTTPS out only (upstreams are https, dnf, AWS APIs).
    new VpcSecurityGroupEgressRule(this, "egress-443", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS to upstream registries, package repositories and AWS APIs",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
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
      ...(passwordKeyArn ? { adminPasswordKmsKeyArn: props.adminPasswordKmsKeyAlias ?? passwordKey?.aliasName ?? passwordKeyArn } : {}),
      dockerGroupPort: groupPort,
      dockerProxyPorts: proxyPorts,
      ...(props.dockerHubCredentialSecretArn ? { dockerHubCredentialSecretArn: props.dockerHubCredentialSecretArn } : {}),
      rawProxies,
    });
    // Every upstream the mirror proxies (the fixed docker ones too) is a public https host.
    this.provisioningConfig.repositories.forEach((repo, i) => {
      const remote = (repo.body as { proxy?: { remoteUrl?: string } }).proxy?.remoteUrl;
      if (remote !== undefined) validateUpstreamUrl(`${path}/repositories[${i}]`, `${repo.name} remoteUrl`, remote, "https://registry-1.docker.io");
    });
    if (props.dockerHubCredentialSecretArn !== undefined) {
      Annotations.of(this).addWarning(
        `anonymous pull through the credentialed Docker Hub proxy is on: every client of port ${groupPort} pulls as the credential's account (reason given: ${props.credentialedAnonymousPull?.reason ?? ""})`,
      );
    }
    this.userData = renderCloudConfig(
      nexusCloudConfig({
        image: props.nexusImage ?? NEXUS_IMAGE,
        jvm: this.jvm,
        ports: [NEXUS_HTTP_PORT, ...this.dockerPorts],
        provisioning: this.provisioningConfig,
        ...(this.rawProxyPort !== undefined
          ? { rawGateway: { image: rawGatewayImage, config: { listenPort: this.rawProxyPort, nexusPort: NEXUS_HTTP_PORT, repositories: rawProxies.map((r) => r.name) } } }
          : {}),
        diskMetric: { namespace: this.metricNamespace, mirrorName: name },
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
    const diskPercent = props.diskAlarmPercent ?? 80;
    this.diskAlarm = new CloudwatchMetricAlarm(this, "disk-alarm", {
      alarmName: `${name}-data-volume`,
      alarmDescription: `The Nexus data volume is more than ${diskPercent} % full: check the cleanup tasks (docker GC, compact blob store) or grow the volume`,
      namespace: this.metricNamespace,
      metricName: NEXUS_DISK_METRIC_NAME,
      dimensions: { Mirror: name },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 2,
      comparisonOperator: "GreaterThanThreshold",
      threshold: diskPercent,
      treatMissingData: "missing",
      ...(props.alarmActions ? { alarmActions: [...props.alarmActions] } : {}),
      tags,
    });

    // DNS and the endpoint.
    const dns = props.dns ?? {};
    const zoneName = dns.zoneName ?? "ci.internal";
    this.hostName = `${dns.hostName ?? "mirror"}.${zoneName}`;
    const zoneId = dns.existingZoneId ?? new Route53Zone(this, "zone", { name: zoneName, comment: "Private names of the CI platform", vpc: [{ vpcId: network.vpcId }], tags }).zoneId;
    new Route53Record(this, "record", { zoneId, name: this.hostName, type: "A", ttl: 60, records: [this.instance.privateIp] });
    this.url = `http://${this.hostName}:${NEXUS_HTTP_PORT}`;
    const rawBase = `http://${this.hostName}:${this.rawProxyPort ?? DEFAULT_RAW_GATEWAY_PORT}`;
    const group = `${this.hostName}:${groupPort}`;
    const gitlab = proxyPorts.gitlab !== undefined ? `${this.hostName}:${proxyPorts.gitlab}` : group;
    this.endpoint = {
      registryMirrors: [`http://${group}`],
      insecureRegistries: [...new Set([group, ...this.dockerPorts.slice(1).map((p) => `${this.hostName}:${p}`)])],
      imagePrefixes: { "registry-1.docker.io": `${group}/`, "registry.gitlab.com": `${gitlab}/` },
      helperImage: `${gitlab}/${RUNNER_HELPER_IMAGE_PATH}:${props.helperImageTag ?? helperImageTag(props.runnerArchitecture ?? "x86_64")}`,
      helperImageRepository: `${gitlab}/${RUNNER_HELPER_IMAGE_PATH}`,
      rawProxyUrls: Object.fromEntries(rawProxies.map((r) => [r.name, `${rawBase}/repository/${r.name}/`])),
      securityGroupId: this.securityGroup.id,
    };
  }

  /**
   * Admits a security group (the runner hosts') to every docker connector and,
   * with raw proxies, the raw-proxy gateway; never to 8081 (the UI, REST API
   * and admin login: admin CIDR or Session Manager only). Rule ids are
   * `clients-<n>-<port>` in call order (props first): keep the order stable.
   */
  public allowClients(securityGroupId: string): void {
    validateId(`${this.node.path}/clientSecurityGroupIds[${this.clientCount}]`, "security group id", securityGroupId, SECURITY_GROUP_ID, "sg-0a1b2c3d4e5f60718");
    const n = this.clientCount++;
    for (const port of [...this.dockerPorts, ...(this.rawProxyPort !== undefined ? [this.rawProxyPort] : [])]) {
      new VpcSecurityGroupIngressRule(this, `clients-${n}-${port}`, {
        securityGroupId: this.securityGroup.id,
        description: port === this.rawProxyPort ? "Raw-proxy gateway (GET/HEAD on raw proxies) from runner hosts" : "Docker connector from runner hosts",
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        referencedSecurityGroupId: securityGroupId,
      });
    }
  }
}
