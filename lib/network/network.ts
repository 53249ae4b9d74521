import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DataAwsVpcEndpointService } from "@cdktf/provider-aws/lib/data-aws-vpc-endpoint-service";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { check, checkOneOf } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { type Ipv4Cidr, formatCidr, parseCidr, subnetOf } from "./cidr";
import { type FlowLogOptions, VpcFlowLogs } from "./flow-logs";
import { type NetworkRef } from "./network-ref";

/** How many NAT gateways a {@link Network} runs. */
export type NatGatewayMode = "single" | "per-az";

/** Every {@link NatGatewayMode} (for run-time checks of plain-JavaScript input). */
export const NAT_GATEWAY_MODES: readonly NatGatewayMode[] = ["single", "per-az"];

/** Props of a {@link Network}. */
export interface NetworkProps {
  /** Name prefix for the `Name` tags, e.g. `acme-ci-dev`. */
  readonly name: string;
  /**
   * The VPC's IPv4 CIDR, /16 to /24.
   * @default "10.0.0.0/16"
   */
  readonly cidr?: string;
  /**
   * Availability zones, 2 or 3, e.g. `["eu-central-1a", "eu-central-1b"]`.
   * @default the region's first two available zones
   */
  readonly availabilityZones?: readonly string[];
  /**
   * `single`: one NAT gateway for all zones (cheaper; outbound traffic of the
   * other zone crosses zones and stops if that zone fails); `per-az`: one per zone.
   * @default "single"
   */
  readonly natGateways?: NatGatewayMode;
  /**
   * VPC flow logs into CloudWatch Logs (an audit trail of every connection; see
   * {@link FlowLogOptions} for what it costs). `false` turns them off.
   * @default on: all traffic, 90 days retention, CloudWatch Logs' own encryption
   */
  readonly flowLogs?: FlowLogOptions | false;
  /**
   * Resource tags.
   * @default none (the provider's default tags still apply)
   */
  readonly tags?: Readonly<Record<string, string>>;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,47}$/;
const DEFAULT_AZ_COUNT = 2;

/**
 * A small VPC for runner hosts: private subnets in two (or three) zones with
 * outbound access through NAT, tiny public subnets that hold only the NAT
 * gateways, an S3 gateway endpoint on the private route tables (cache and ECR
 * layer traffic bypasses NAT, free of charge), and the VPC's default security
 * group emptied so nothing uses it by accident. Nothing in it accepts inbound
 * connections from the internet.
 *
 * Layout of the CIDR (/p): private subnet i = block i of /(p+2) (i < 3), public
 * subnet i = block i of /(p+4) inside the last /(p+2).
 */
export class Network extends Construct implements NetworkRef {
  /** The VPC id. */
  public readonly vpcId: string;
  /** The private subnets the hosts run in. */
  public readonly privateSubnetIds: readonly string[];
  /** The VPC's IPv4 CIDR. */
  public readonly vpcCidr: string;
  /** Public subnet ids (NAT gateways only). */
  public readonly publicSubnetIds: readonly string[];
  /** The S3 gateway endpoint's id. */
  public readonly s3EndpointId: string;
  /** The `aws_vpc`. */
  public readonly vpc: Vpc;
  /** The NAT gateways (one, or one per zone). */
  public readonly natGateways: readonly NatGateway[];
  /** The VPC flow logs, unless `flowLogs: false`. */
  public readonly flowLogs?: VpcFlowLogs;
  /** The private subnets reach every regional AWS API, EC2 Instance Connect's included, through NAT. */
  public readonly reachesEc2InstanceConnectApi = true;

  public constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const path = this.node.path;
    const cidr = validateNetworkProps(path, props);
    const tags = (name: string) => ({ ...props.tags, Name: `${props.name}-${name}` });

    this.vpc = new Vpc(this, "vpc", { cidrBlock: formatCidr(cidr), enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") });
    // One reference per attribute: each access of a resource attribute creates a new token.
    const vpcId = this.vpc.id;
    new DefaultSecurityGroup(this, "default-security-group", { vpcId, ingress: [], egress: [], tags: tags("default-unused") });
    if (props.flowLogs !== false) {
      this.flowLogs = new VpcFlowLogs(this, "flow-logs", { ...(props.flowLogs ?? {}), vpcId, name: props.name, ...(props.tags ? { tags: props.tags } : {}) });
    }

    const zoneCount = props.availabilityZones?.length ?? DEFAULT_AZ_COUNT;
    const zones = props.availabilityZones ? [...props.availabilityZones] : firstZones(this, zoneCount);

    const igw = new InternetGateway(this, "internet-gateway", { vpcId, tags: tags("igw") });
    const publicTable = new RouteTable(this, "public-route-table", { vpcId, tags: tags("public") });
    const publicTableId = publicTable.id;
    new Route(this, "public-default-route", { routeTableId: publicTableId, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });

    const publicSubnets = zones.map((zone, i) => {
      const subnet = new Subnet(this, `public-subnet-${i}`, {
        vpcId,
        availabilityZone: zone,
        cidrBlock: formatCidr(subnetOf(subnetOf(cidr, cidr.prefix + 2, 3), cidr.prefix + 4, i)),
        mapPublicIpOnLaunch: false,
        tags: tags(`public-${i}`),
      });
      const subnetId = subnet.id;
      new RouteTableAssociation(this, `public-route-table-association-${i}`, { subnetId, routeTableId: publicTableId });
      return subnetId;
    });

    const natCount = (props.natGateways ?? "single") === "single" ? 1 : zoneCount;
    const natIds: string[] = [];
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new Eip(this, `nat-eip-${i}`, { domain: "vpc", tags: tags(`nat-${i}`) });
      const nat = new NatGateway(this, `nat-gateway-${i}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i]!,
        tags: tags(`nat-${i}`),
        dependsOn: [igw],
      });
      natIds.push(nat.id);
      return nat;
    });

    const privateTableIds: string[] = [];
    const privateSubnets = zones.map((zone, i) => {
      const subnet = new Subnet(this, `private-subnet-${i}`, {
        vpcId,
        availabilityZone: zone,
        cidrBlock: formatCidr(subnetOf(cidr, cidr.prefix + 2, i)),
        mapPublicIpOnLaunch: false,
        tags: tags(`private-${i}`),
      });
      const tableId = new RouteTable(this, `private-route-table-${i}`, { vpcId, tags: tags(`private-${i}`) }).id;
      new Route(this, `private-default-route-${i}`, {
        routeTableId: tableId,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: natIds[Math.min(i, natCount - 1)]!,
      });
      const subnetId = subnet.id;
      new RouteTableAssociation(this, `private-route-table-association-${i}`, { subnetId, routeTableId: tableId });
      privateTableIds.push(tableId);
      return subnetId;
    });

    const s3 = new DataAwsVpcEndpointService(this, "s3-service", { service: "s3", serviceType: "Gateway" });
    const endpoint = new VpcEndpoint(this, "s3-endpoint", {
      vpcId,
      serviceName: s3.serviceName,
      vpcEndpointType: "Gateway",
      routeTableIds: privateTableIds,
      tags: tags("s3"),
    });

    this.vpcId = vpcId;
    this.vpcCidr = formatCidr(cidr);
    this.privateSubnetIds = privateSubnets;
    this.publicSubnetIds = publicSubnets;
    this.s3EndpointId = endpoint.id;
  }
}

/** The region's first `count` available zones, as tokens (one data source). */
function firstZones(scope: Construct, count: number): string[] {
  const data = new DataAwsAvailabilityZones(scope, "zones", { state: "available" });
  return Array.from({ length: count }, (_, i) => Fn.element(data.names, i));
}

/**
 * The rules of a created network's `cidr` and `natGateways`, shared by {@link Network} (with its
 * construct path) and the platform's configuration check (with a config path such as
 * `config/environments[0]/runners/network`).
 *
 * @returns the parsed CIDR, when it is valid
 * @throws ValidationError when the CIDR is not an IPv4 network from /16 to /24, or natGateways is not one of {@link NAT_GATEWAY_MODES}
 */
export function validateNetworkAddressing(path: string, props: Pick<NetworkProps, "cidr" | "natGateways">): Ipv4Cidr | undefined {
  checkOneOf(path, "natGateways", props.natGateways ?? "single", NAT_GATEWAY_MODES);
  const text = props.cidr ?? "10.0.0.0/16";
  const cidr = typeof text === "string" ? parseCidr(text) : undefined;
  check(cidr !== undefined && cidr.prefix >= 16 && cidr.prefix <= 24, {
    path,
    subject: "cidr",
    value: text,
    rule: "an IPv4 network a.b.c.d/p with no host bits set and a prefix from /16 to /24 (AWS allows /16-/28; /24 leaves the smallest public subnets at /28)",
    fix: "use e.g. 10.0.0.0/16 or 10.20.0.0/20",
  });
  return cidr;
}

function validateNetworkProps(path: string, props: NetworkProps): Ipv4Cidr {
  check(isUnresolved(props.name) || NAME.test(props.name), {
    path,
    subject: "name",
    value: props.name,
    rule: "1-48 letters, digits and '-', starting with a letter or digit (it prefixes Name tags)",
    fix: "use a short name such as acme-ci-dev",
  });
  const cidr = validateNetworkAddressing(path, props);
  const zones = props.availabilityZones;
  if (zones) {
    check(zones.length >= 2 && zones.length <= 3, {
      path,
      subject: "availabilityZones",
      value: zones,
      rule: "2 or 3 availability zones (the CIDR layout has room for 3)",
      fix: "list two zones, e.g. [\"eu-central-1a\", \"eu-central-1b\"]",
    });
    const duplicate = zones.find((z, i) => zones.indexOf(z) !== i);
    check(duplicate === undefined, {
      path,
      subject: "availabilityZones",
      value: duplicate,
      rule: "each zone is listed once",
      fix: "remove the duplicate zone",
    });
  }
  return cidr!;
}
