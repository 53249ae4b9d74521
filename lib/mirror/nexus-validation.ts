import { parseSecretArn, validateAccountId, validateRegion } from "../core/aws";
import { check, ValidationError } from "../core/errors";
import { ipv4PrefixOf, isIpv4Network, nonPublicHostReason } from "../core/net";
import { isUnresolved } from "../core/tokens";
import { type DockerProxyPorts, NEXUS_IMAGE, type NexusMirrorProps } from "./nexus-mirror-props";
import { NEXUS_DOCKER_GROUP, NEXUS_DOCKER_HUB_PROXY, NEXUS_GITLAB_PROXY, NEXUS_HTTP_PORT, type RawProxyOptions } from "./nexus-provisioning";

/*
 * Construction-time checks of a NexusMirror's props.
 */

const NAME = /^[a-z][a-z0-9-]{0,49}$/;
const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
/** An EC2 security group id. */
export const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const AMI_ID = /^ami-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})+$`);
const HOST_LABEL = new RegExp(`^${DNS_LABEL}$`);
const REPOSITORY_NAME = /^[A-Za-z0-9-][A-Za-z0-9_.-]{0,199}$/;
/** A full image reference, optionally pinned by tag and/or digest. */
export const PINNED_IMAGE = /^[a-z0-9.-]+(?::\d+)?\/(?:[a-z0-9._-]+\/)*[a-z0-9._-]+(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;


/** Checks an AWS resource id against its pattern (tokens pass). */
export function validateId(path: string, subject: string, value: string, pattern: RegExp, example: string): void {
  if (isUnresolved(value)) return;
  check(pattern.test(value), {
    path,
    subject,
    value,
    rule: `a ${subject} looks like ${example}`,
    fix: `copy the id from the console or the construct that creates it`,
  });
}

/** Checks the props that need no derived value (name, account, region, network, sizes, image, secret, DNS). */
export function validateProps(path: string, props: NexusMirrorProps): void {
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
  if (props.adminCidr !== undefined) validateAdminCidr(path, props.adminCidr);
  check(props.associatePublicIpAddress !== true, {
    path,
    subject: "associatePublicIpAddress",
    value: props.associatePublicIpAddress,
    rule: "the mirror serves anonymous pulls and plain-HTTP connectors; a public IP puts them one security-group edit away from the internet, and the private subnet does not need one (egress goes through NAT or VPC endpoints)",
    fix: "remove associatePublicIpAddress (default false); give the subnet a NAT gateway or VPC endpoints for egress",
  });
  if (props.dockerHubCredentialSecretArn !== undefined) validateCredentialedAnonymousPull(path, props);
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
export function validatePorts(path: string, groupPort: number, proxyPorts: DockerProxyPorts): number[] {
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

/** Checks the raw proxies: unique Nexus repository names, and upstreams (see {@link validateUpstreamUrl}). */
export function validateRawProxies(path: string, rawProxies: readonly RawProxyOptions[]): void {
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
    validateUpstreamUrl(where, "remoteUrl", raw.remoteUrl, "https://lang-common.s3.amazonaws.com");
  });
}

/** The widest admin CIDR accepted for the Nexus UI: a /16. */
export const NEXUS_ADMIN_CIDR_MIN_PREFIX = 16;

/**
 * Checks a proxy upstream (raw or docker; tokens pass): an `https` URL of a
 * public internet host, without credentials, query or fragment. A proxy
 * repository fetches whatever path an anonymous client asks for, so an
 * upstream at a link-local address (the instance metadata service at
 * 169.254.169.254 or fd00:ec2::254), loopback, a private range or a private
 * DNS name turns the mirror into an anonymous proxy into the VPC (SSRF), and
 * plain `http` lets anyone on the path change what the mirror caches for
 * every job. The host's form is judged (see `nonPublicHostReason`); a public
 * DNS name that resolves to a private address cannot be seen at synth.
 */
export function validateUpstreamUrl(path: string, subject: string, remoteUrl: string, example: string): void {
  if (isUnresolved(remoteUrl)) return;
  let url: URL | undefined;
  try {
    url = new URL(remoteUrl);
  } catch {
    url = undefined;
  }
  const violation = (rule: string, fix = `use the upstream's https base URL, e.g. ${example}`) => ({ path, subject, value: remoteUrl, rule, fix });
  check(
    url !== undefined && url.hostname !== "" && url.username === "" && url.password === "" && url.search === "" && url.hash === "",
    violation("a proxy upstream is a URL with a host and no credentials, query or fragment (credentials belong in a Secrets Manager secret)"),
  );
  check(url.protocol === "https:", violation("a proxy upstream is fetched over https: over plain http anyone on the path can change what the mirror caches and serves to every job", `use ${JSON.stringify(`https://${url.host}${url.pathname === "/" ? "" : url.pathname}`)} if the upstream serves TLS, or another upstream that does`));
  const reason = nonPublicHostReason(url.hostname);
  check(
    reason === undefined,
    violation(
      `a proxy upstream is a public internet host, but ${url.hostname} is ${reason}: anonymous clients of the mirror could then read it through the proxy (instance metadata, internal services)`,
      `proxy only public upstreams, e.g. ${example}; serve internal files from an internal repository instead`,
    ),
  );
}

/**
 * Anonymous pull of a credentialed upstream: the docker daemon's
 * `registry-mirrors` never sends credentials, so the mirror's docker group
 * allows anonymous pulls; with a Docker Hub credential configured, every
 * client that can reach the connector pulls as that account, including its
 * private repositories. Allowed only with a reason (at least 20 characters),
 * e.g. that the token's access is "Public Repo Read-only" (Docker Hub personal
 * access tokens and organization access tokens have that scope), and then
 * reported as a warning at synth.
 */
export function validateCredentialedAnonymousPull(path: string, props: Pick<NexusMirrorProps, "credentialedAnonymousPull">): void {
  const reason = props.credentialedAnonymousPull?.reason ?? "";
  check(typeof reason === "string" && reason.trim().length >= 20, {
    path,
    subject: "credentialedAnonymousPull",
    value: props.credentialedAnonymousPull ?? "(not set)",
    rule: "with dockerHubCredentialSecretArn the Docker Hub proxy pulls as that account, and the mirror's docker group serves anonymous pulls: every job and host that reaches the connector gets the account's private images",
    fix: 'use a Docker Hub token whose access is "Public Repo Read-only" and say so: credentialedAnonymousPull: { reason: "token is public-repo read-only, no private images reachable" } (at least 20 characters), or drop the credential',
  });
}

/** Checks the raw-proxy gateway port: unprivileged, and neither 8081 nor a docker connector's. */
export function validateRawGatewayPort(path: string, port: number, dockerPorts: readonly number[]): void {
  check(Number.isInteger(port) && port >= 1024 && port <= 65535, {
    path,
    subject: "rawProxyPort",
    value: port,
    rule: "the raw-proxy gateway port is an unprivileged TCP port (1024-65535)",
    fix: "use e.g. 8090",
  });
  check(port !== NEXUS_HTTP_PORT && !dockerPorts.includes(port), {
    path,
    subject: "rawProxyPort",
    value: port,
    rule: `the raw-proxy gateway needs a port of its own, but ${port} is ${port === NEXUS_HTTP_PORT ? "Nexus's own HTTP port (UI and REST API, never reachable from job networks)" : "a docker connector's"}`,
    fix: `use a free port such as ${Math.max(NEXUS_HTTP_PORT, ...dockerPorts) + 8}`,
  });
}

/** Checks the admin CIDR of the Nexus UI (tokens pass): an IPv4 network of at most {@link NEXUS_ADMIN_CIDR_MIN_PREFIX} bits' width. */
export function validateAdminCidr(path: string, adminCidr: string): void {
  if (isUnresolved(adminCidr)) return;
  check(typeof adminCidr === "string" && isIpv4Network(adminCidr), {
    path,
    subject: "adminCidr",
    value: adminCidr,
    rule: "the admin CIDR is an IPv4 network with no host bits set, e.g. 10.8.0.0/16",
    fix: "use your VPN or office range, e.g. 10.8.0.0/16",
  });
  check(ipv4PrefixOf(adminCidr)! >= NEXUS_ADMIN_CIDR_MIN_PREFIX, {
    path,
    subject: "adminCidr",
    value: adminCidr,
    rule: `the Nexus UI and REST API (plain HTTP, the admin login) are admitted from at most a /${NEXUS_ADMIN_CIDR_MIN_PREFIX} (${2 ** (32 - NEXUS_ADMIN_CIDR_MIN_PREFIX)} addresses); a wider range (such as 0.0.0.0/1, half the internet) is not an admin network`,
    fix: "use your VPN's client range (e.g. 10.8.0.0/16 or narrower), or leave adminCidr unset and reach the UI by Session Manager port forwarding (AWS-StartPortForwardingSession, portNumber 8081)",
  });
}
