import fc from "fast-check";
import { formatCidr, parseCidr, subnetOf } from "../../lib/network/cidr";
import { ExistingNetwork } from "../../lib/network/existing-network";
import { Network } from "../../lib/network/network";
import { onlyResource, resourcesOf, synthWith, violationOf, testStack } from "../support/synth";

describe("Network", () => {
  const json = synthWith((s) => new Network(s, "network", { name: "acme-ci-dev" }));

  test("a /16 with two private /18 subnets, two public /20 subnets and the layout documented", () => {
    expect(onlyResource(json, "aws_vpc")).toEqual(
      expect.objectContaining({ cidr_block: "10.0.0.0/16", enable_dns_hostnames: true, enable_dns_support: true }),
    );
    const subnets = resourcesOf(json, "aws_subnet");
    expect(Object.fromEntries(Object.entries(subnets).map(([k, v]) => [k.replace(/^network_/, "").replace(/_[0-9A-F]{8}$/, ""), v.cidr_block]))).toEqual({
      "private-subnet-0": "10.0.0.0/18",
      "private-subnet-1": "10.0.64.0/18",
      "public-subnet-0": "10.0.192.0/20",
      "public-subnet-1": "10.0.208.0/20",
    });
    for (const subnet of Object.values(subnets)) expect(subnet.map_public_ip_on_launch).toBe(false);
    // Zones come from one data source when not given.
    expect(Object.keys(json.data?.aws_availability_zones ?? {})).toHaveLength(1);
  });

  test("defaults to a single NAT gateway shared by both private route tables", () => {
    expect(Object.keys(resourcesOf(json, "aws_nat_gateway"))).toHaveLength(1);
    const routes = Object.values(resourcesOf(json, "aws_route")).filter((r) => "nat_gateway_id" in r);
    expect(routes).toHaveLength(2);
    expect(new Set(routes.map((r) => r.nat_gateway_id)).size).toBe(1);
  });

  test("an S3 gateway endpoint on every private route table", () => {
    const endpoint = onlyResource(json, "aws_vpc_endpoint");
    expect(endpoint.vpc_endpoint_type).toBe("Gateway");
    expect(endpoint.route_table_ids).toEqual([
      expect.stringMatching(/aws_route_table\.network_private-route-table-0_/),
      expect.stringMatching(/aws_route_table\.network_private-route-table-1_/),
    ]);
    expect(json.data?.aws_vpc_endpoint_service).toBeDefined();
  });

  test("the VPC's default security group is emptied and nothing admits inbound traffic", () => {
    expect(onlyResource(json, "aws_default_security_group")).toEqual(expect.objectContaining({ ingress: [], egress: [] }));
    expect(resourcesOf(json, "aws_security_group_rule")).toEqual({});
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
  });

  test("per-az NAT gateways, three given zones", () => {
    const j = synthWith(
      (s) => new Network(s, "network", { name: "n", natGateways: "per-az", availabilityZones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"], cidr: "10.20.0.0/20" }),
    );
    expect(Object.keys(resourcesOf(j, "aws_nat_gateway"))).toHaveLength(3);
    expect(Object.values(resourcesOf(j, "aws_subnet")).map((s) => s.availability_zone).sort()).toEqual([
      "eu-central-1a",
      "eu-central-1a",
      "eu-central-1b",
      "eu-central-1b",
      "eu-central-1c",
      "eu-central-1c",
    ]);
    expect(j.data?.aws_availability_zones).toBeUndefined();
  });

  test.each(["10.0.0.0/8", "10.0.0.0/25", "10.0.0.1/16", "10.0.0/16", "300.0.0.0/16"])("rejects the CIDR %p", (cidr) => {
    const error = violationOf(() => new Network(testStack(), "network", { name: "n", cidr }));
    expect(error.message).toMatch(/^test\/network: invalid cidr .*Rule: an IPv4 network a\.b\.c\.d\/p with no host bits set and a prefix from \/16 to \/24.*Fix: use e\.g\. 10\.0\.0\.0\/16/);
    expect(error.value).toBe(cidr);
  });

  test("rejects one zone, four zones and a repeated zone", () => {
    expect(violationOf(() => new Network(testStack(), "network", { name: "n", availabilityZones: ["eu-central-1a"] })).message).toMatch(
      /^test\/network: invalid availabilityZones \["eu-central-1a"\]\. Rule: 2 or 3 availability zones/,
    );
    expect(violationOf(() => new Network(testStack(), "network", { name: "n", availabilityZones: ["a", "b", "c", "d"] })).rule).toMatch(/2 or 3/);
    const error = violationOf(() => new Network(testStack(), "network", { name: "n", availabilityZones: ["eu-central-1a", "eu-central-1a"] }));
    expect(error.message).toMatch(/invalid availabilityZones "eu-central-1a"\. Rule: each zone is listed once\. Fix: remove the duplicate zone/);
  });

  test("rejects a name that cannot prefix Name tags", () => {
    expect(violationOf(() => new Network(testStack(), "network", { name: "-bad name" })).message).toMatch(
      /^test\/network: invalid name "-bad name"\. Rule: 1-48 letters, digits and '-'.*Fix: use a short name such as acme-ci-dev/,
    );
  });
});

describe("ExistingNetwork", () => {
  const good = { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b8c9d0e1f2"], vpcCidr: "10.1.0.0/16" };

  test("passes the ids through", () => {
    const network = new ExistingNetwork("cfg/network", good);
    const { vpcId, privateSubnetIds, vpcCidr, reachesEc2InstanceConnectApi } = network;
    expect({ vpcId, privateSubnetIds, vpcCidr, reachesEc2InstanceConnectApi }).toEqual({ vpcId: good.vpcId, privateSubnetIds: good.privateSubnetIds, vpcCidr: good.vpcCidr, reachesEc2InstanceConnectApi: undefined });
  });

  test.each([
    [{ vpcId: "vpc-123" }, /invalid vpcId "vpc-123"\. Rule: a VPC id is vpc- followed by 8 or 17 lower-case hex digits/],
    [{ privateSubnetIds: [] }, /invalid privateSubnetIds \[\]\. Rule: runner hosts need at least one private subnet/],
    [{ privateSubnetIds: ["subnet-XYZ"] }, /invalid privateSubnetIds\[0\] "subnet-XYZ"\. Rule: a subnet id is subnet-/],
    [{ privateSubnetIds: ["subnet-0a1b2c3d", "subnet-0a1b2c3d"] }, /invalid privateSubnetIds "subnet-0a1b2c3d"\. Rule: each subnet is listed once/],
    [{ vpcCidr: "10.1.0.0" }, /invalid vpcCidr "10\.1\.0\.0"\. Rule: an IPv4 CIDR block/],
  ])("rejects %p", (patch, message) => {
    const error = violationOf(() => new ExistingNetwork("cfg/network", { ...good, ...patch }));
    expect(error.message).toMatch(/^cfg\/network: /);
    expect(error.message).toMatch(message);
    expect(error.fix).not.toBe("");
  });
});

describe("CIDR helpers", () => {
  test("format and parse round-trip; subnets stay inside their parent and do not overlap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 28 }), fc.nat(), fc.integer({ min: 0, max: 4 }), (prefix, seed, extra) => {
        const parent = { address: (seed % 2 ** prefix) * 2 ** (32 - prefix), prefix };
        expect(parseCidr(formatCidr(parent))).toEqual(parent);
        const newPrefix = Math.min(32, prefix + extra);
        const count = Math.min(2 ** (newPrefix - prefix), 8);
        const blocks = Array.from({ length: count }, (_, i) => subnetOf(parent, newPrefix, i));
        blocks.forEach((b, i) => {
          expect(b.address).toBeGreaterThanOrEqual(parent.address);
          expect(b.address + 2 ** (32 - newPrefix)).toBeLessThanOrEqual(parent.address + 2 ** (32 - prefix));
          if (i > 0) expect(b.address).toBe(blocks[i - 1]!.address + 2 ** (32 - newPrefix));
        });
      }),
    );
  });

  test("rejects a block outside the parent", () => {
    expect(() => subnetOf(parseCidr("10.0.0.0/16")!, 18, 4)).toThrow(RangeError);
  });
});
