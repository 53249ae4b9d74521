/**
 * The network a host-based construct (runner fleet, mirror host) is placed
 * in: an existing VPC given by ids, or one created by the network construct.
 */
export interface NetworkRef {
  /** VPC id. */
  readonly vpcId: string;
  /** Private subnets (no public IPs), at least one; two or more across AZs for a fleet. */
  readonly privateSubnetIds: readonly string[];
  /**
   * The VPC's IPv4 CIDR, when known (for security group rules and docs).
   * @default unknown
   */
  readonly vpcCidr?: string;
  /**
   * Whether hosts in the private subnets reach the regional EC2 Instance
   * Connect API (`ec2-instance-connect.<region>.amazonaws.com`, which the
   * docker-autoscaler manager calls to push a key before each SSH connection
   * to a worker): through a NAT gateway, a proxy or a VPC endpoint.
   * @default unknown (a construct that needs it asks for it)
   */
  readonly reachesEc2InstanceConnectApi?: boolean;
}
