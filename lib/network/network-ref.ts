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
}
