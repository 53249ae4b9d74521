import { type HelperImageArchitecture } from "./mirror-endpoint";
import { type NetworkRef } from "../network/network-ref";
import { type NexusDataVolumeOptions } from "./nexus-data-volume";
import { type RawProxyOptions } from "./nexus-provisioning";
import { type ISecretsKey } from "../secrets/secrets-key-ref";

/** The Nexus image the mirror runs: the official image, pinned. Bump deliberately (read the release notes). */
export const NEXUS_IMAGE = "docker.io/sonatype/nexus3:3.93.1";

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
   * An IPv4 CIDR admitted to the UI and REST API on 8081 (e.g. a VPN range), at most a /16.
   * Job networks never are: runner security groups reach only the docker connectors and the
   * raw-proxy gateway. Without it, reach the UI by Session Manager port forwarding:
   * `aws ssm start-session --target <instance id> --document-name AWS-StartPortForwardingSession --parameters portNumber=8081,localPortNumber=8081`.
   * @default none (Session Manager port forwarding only)
   */
  readonly adminCidr?: string;
  /**
   * The private subnet of the host (one of `network.privateSubnetIds`).
   * @default the first private subnet
   */
  readonly subnetId?: string;
  /**
   * Give the host a public IP. Refused when true: the host serves anonymous pulls and plain
   * HTTP, and a private subnet with NAT or VPC endpoints needs none. Kept for plain-JavaScript
   * callers, who get a clear error instead of a silently public mirror.
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
   * Anonymous pull through a credentialed Docker Hub upstream: required (with a written reason)
   * when `dockerHubCredentialSecretArn` is set, because the docker group serves anonymous pulls
   * and the proxy pulls as the credential's account. Use a token whose access is "Public Repo
   * Read-only" and say so. The construct also reports a warning at synth.
   * @default none (a credential without this is refused)
   */
  readonly credentialedAnonymousPull?: { readonly reason: string };
  /**
   * Raw (file download) proxies, e.g. buildpack download hosts. Upstreams are https URLs of
   * public hosts (no link-local, loopback, private or internal names).
   * @default none
   */
  readonly rawProxies?: readonly RawProxyOptions[];
  /**
   * Port of the raw-proxy gateway (nginx on the host: GET/HEAD under `/repository/<raw proxy>/`
   * only), which runner hosts use instead of Nexus's 8081. Only with raw proxies.
   * @default 8090
   */
  readonly rawProxyPort?: number;
  /**
   * The gateway's nginx image, pinned.
   * @default RAW_GATEWAY_IMAGE
   */
  readonly rawGatewayImage?: string;
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
   * `kms:GenerateDataKey` on it through SSM only; the key's policy must allow the host role too,
   * which cannot be done from an ARN, and nothing checks it (neither for an unresolved token nor
   * for a `SecretsKey`'s ARN).
   * @deprecated pass `adminPasswordSecretsKey`: the mirror then also names its host role in the
   *   key policy (read and write, this parameter only).
   * @default the AWS-managed `aws/ssm` key (readable by any principal with `ssm:GetParameter` on the parameter)
   */
  readonly adminPasswordKmsKeyArn?: string;
  /**
   * The customer-managed key (e.g. a `SecretsKey`) the host creates the admin password
   * parameter with: the host role gets the IAM statements of `adminPasswordKmsKeyArn`, and the
   * key policy names it (`allowParameters` with `write: true`, this parameter only).
   * @default the AWS-managed `aws/ssm` key (or `adminPasswordKmsKeyArn`)
   */
  readonly adminPasswordSecretsKey?: ISecretsKey;
  /**
   * What the host passes as `--key-id` for that key, e.g. its alias `alias/acme-ci-production-secrets`
   * (SSM's PutParameter takes a key id, key ARN, alias name or alias ARN): a literal keeps the key's
   * ARN, a value known only after apply, out of the user data.
   * @default the secrets key's `aliasName` when it has one, else its ARN (or adminPasswordKmsKeyArn)
   */
  readonly adminPasswordKmsKeyAlias?: string;
  /**
   * Tag of the runner helper image in {@link MirrorEndpoint.helperImage}.
   * @default helperImageTag(runnerArchitecture) (`x86_64-v${CI_RUNNER_VERSION}` or `arm64-v${CI_RUNNER_VERSION}`, expanded by gitlab-runner)
   */
  readonly helperImageTag?: string;
  /**
   * CPU architecture of the runner hosts whose helper image {@link MirrorEndpoint.helperImage}
   * names (fleets build their own tag from {@link MirrorEndpoint.helperImageRepository}).
   * @default "x86_64"
   */
  readonly runnerArchitecture?: HelperImageArchitecture;
  /**
   * Percent of the data volume in use at which the disk alarm fires.
   * @default 80
   */
  readonly diskAlarmPercent?: number;
  /**
   * Actions of the disk alarm (e.g. an SNS topic ARN).
   * @default none (the alarm shows on the dashboard and in the console)
   */
  readonly alarmActions?: readonly string[];
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
