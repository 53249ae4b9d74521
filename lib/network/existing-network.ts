import { Construct } from "constructs";
import { constructArgs } from "../core/construct-args";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { parseCidr } from "./cidr";
import { type NetworkRef } from "./network-ref";

/** Props of {@link ExistingNetwork}. */
export interface ExistingNetworkProps {
  /** VPC id, e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
  /**
   * Private subnets (no public IPs, outbound through NAT or endpoints), at least one;
   * give two or more in different AZs so spot capacity can move between zones.
   */
  readonly privateSubnetIds: readonly string[];
  /**
   * The VPC's IPv4 CIDR.
   * @default unknown
   */
  readonly vpcCidr?: string;
  /**
   * Whether the private subnets reach the regional EC2 Instance Connect API
   * (a NAT gateway or proxy with a route to it, or a VPC endpoint).
   * @default unknown
   */
  readonly reachesEc2InstanceConnectApi?: boolean;
}

const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/**
 * An existing VPC and its private subnets, given by id. Nothing is created;
 * the VPC must already route the subnets' outbound traffic (NAT gateway,
 * proxy or VPC endpoints) to GitLab, the registries and the AWS APIs.
 *
 * @example
 * const network = new ExistingNetwork(stack, "network", { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"] });
 */
export class ExistingNetwork extends Construct implements NetworkRef {
  /** The VPC id. */
  public readonly vpcId: string;
  /** The private subnets the hosts run in. */
  public readonly privateSubnetIds: readonly string[];
  /** The VPC's IPv4 CIDR, when given. */
  public readonly vpcCidr?: string;
  /** Whether the private subnets reach the EC2 Instance Connect API, when given. */
  public readonly reachesEc2InstanceConnectApi?: boolean;

  /**
   * @deprecated Use `new ExistingNetwork(scope, id, props)`: errors then name the construct path.
   *   This form takes a hand-built path for error messages.
   * @param path where it is configured (construct or config path), for error messages
   */
  public constructor(path: string, props: ExistingNetworkProps);
  /**
   * @param scope the construct it belongs to
   * @param id construct id
   * @param props the VPC and its private subnets
   * @throws ValidationError for a malformed VPC or subnet id, no subnet, a duplicate subnet or an invalid CIDR
   */
  public constructor(scope: Construct, id: string, props: ExistingNetworkProps);
  public constructor(first: Construct | string, second: string | ExistingNetworkProps, third?: ExistingNetworkProps) {
    const args = constructArgs<ExistingNetworkProps>("ExistingNetwork", first, second, third, { vpcId: "", privateSubnetIds: [] });
    super(args.scope as Construct, args.id);
    const { props } = args;
    const path = args.legacyPath ?? this.node.path;
    if (!isUnresolved(props.vpcId)) {
      check(VPC_ID.test(props.vpcId), {
        path,
        subject: "vpcId",
        value: props.vpcId,
        rule: "a VPC id is vpc- followed by 8 or 17 lower-case hex digits",
        fix: "copy the id from `aws ec2 describe-vpcs --query 'Vpcs[].VpcId'`",
      });
    }
    check(isUnresolved(props.privateSubnetIds) || props.privateSubnetIds.length >= 1, {
      path,
      subject: "privateSubnetIds",
      value: props.privateSubnetIds,
      rule: "runner hosts need at least one private subnet",
      fix: "list the VPC's private subnet ids, ideally one per availability zone",
    });
    props.privateSubnetIds.forEach((id, i) => {
      if (isUnresolved(id)) return;
      check(SUBNET_ID.test(id), {
        path,
        subject: `privateSubnetIds[${i}]`,
        value: id,
        rule: "a subnet id is subnet- followed by 8 or 17 lower-case hex digits",
        fix: "copy the ids from `aws ec2 describe-subnets --filters Name=vpc-id,Values=<vpc>`",
      });
    });
    const duplicate = props.privateSubnetIds.find((id, i) => props.privateSubnetIds.indexOf(id) !== i);
    check(duplicate === undefined, {
      path,
      subject: "privateSubnetIds",
      value: duplicate,
      rule: "each subnet is listed once",
      fix: "remove the duplicate",
    });
    if (props.vpcCidr !== undefined && !isUnresolved(props.vpcCidr)) {
      check(parseCidr(props.vpcCidr) !== undefined, {
        path,
        subject: "vpcCidr",
        value: props.vpcCidr,
        rule: "an IPv4 CIDR block a.b.c.d/p without host bits",
        fix: "use the VPC's CIDR as shown by `aws ec2 describe-vpcs`, e.g. 10.0.0.0/16",
      });
    }
    this.vpcId = props.vpcId;
    this.privateSubnetIds = [...props.privateSubnetIds];
    this.vpcCidr = props.vpcCidr;
    this.reachesEc2InstanceConnectApi = props.reachesEc2InstanceConnectApi;
  }
}
