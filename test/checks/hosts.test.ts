import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { Instance, type InstanceConfig } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate, type LaunchTemplateConfig } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn } from "cdktf";
import { type Construct } from "constructs";
import { checkStack, findingsOf, onlyFinding } from "../support/annotations";

const safeMetadata = { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" };

function launchTemplate(scope: Construct, id: string, overrides: Partial<LaunchTemplateConfig> = {}): LaunchTemplate {
  return new LaunchTemplate(scope, id, {
    imageId: "ami-0123456789abcdef0",
    instanceType: "m7i.large",
    metadataOptions: safeMetadata,
    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 100, volumeType: "gp3" } }],
    ...overrides,
  });
}

function instance(scope: Construct, id: string, overrides: Partial<InstanceConfig> = {}): Instance {
  return new Instance(scope, id, {
    ami: "ami-0123456789abcdef0",
    instanceType: "m7i.xlarge",
    metadataOptions: safeMetadata,
    rootBlockDevice: { encrypted: true, volumeSize: 50 },
    ...overrides,
  });
}

test("hosts with encrypted volumes, IMDSv2, hop limit 1 and no public IP pass", () => {
  const annotations = checkStack((s) => {
    launchTemplate(s, "runners");
    instance(s, "mirror-host", { ebsBlockDevice: [{ deviceName: "/dev/sdf", encrypted: true, volumeSize: 500 }] });
    // An instance launched from a template leaves volumes and metadata options to it.
    instance(s, "from-template", { launchTemplate: { name: "runners" }, metadataOptions: undefined, rootBlockDevice: undefined });
    new EbsVolume(s, "data", { availabilityZone: "eu-central-1a", size: 500, encrypted: true });
  });
  expect(annotations).toEqual([]);
});

describe("EC2001 unencrypted volumes", () => {
  test("fires on an unencrypted EBS volume", () => {
    const finding = onlyFinding(checkStack((s) => new EbsVolume(s, "data", { availabilityZone: "eu-central-1a", size: 500 })), "EC2001", "test/data");
    expect(finding.message).toContain("the volume is not encrypted");
    expect(finding.message).toContain("Fix: set encrypted = true on the volume");
  });

  test("fires on a launch template with an unencrypted or no block device mapping", () => {
    const annotations = checkStack((s) => launchTemplate(s, "runners", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 100 } }] }));
    expect(onlyFinding(annotations, "EC2001", "test/runners").message).toContain('block device /dev/xvda is not encrypted (ebs.encrypted is not "true")');

    const unmapped = checkStack((s) => launchTemplate(s, "runners", { blockDeviceMappings: [] }));
    expect(onlyFinding(unmapped, "EC2001", "test/runners").message).toContain("it maps no root device (/dev/xvda or /dev/sda1) and its AMI's root device is not known at synth");
  });

  test("fires on an instance's unencrypted root and data volumes", () => {
    const annotations = checkStack((s) => instance(s, "mirror-host", { rootBlockDevice: { volumeSize: 50 }, ebsBlockDevice: [{ deviceName: "/dev/sdf" }] }));
    expect(onlyFinding(annotations, "EC2001", "test/mirror-host").message).toContain(
      "the root volume is not encrypted (root_block_device.encrypted is not true); block device /dev/sdf is not encrypted",
    );
  });
});

describe("EC2002 IMDSv2", () => {
  test("fires on a launch template without metadata options and on optional tokens", () => {
    const annotations = checkStack((s) => launchTemplate(s, "runners", { metadataOptions: undefined }));
    const finding = onlyFinding(annotations, "EC2002", "test/runners");
    expect(finding.message).toContain("it sets no metadata_options, so IMDSv1 stays enabled");
    expect(finding.message).toContain('Fix: set metadata_options { http_tokens = "required" }');

    const optional = checkStack((s) => instance(s, "host", { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 } }));
    expect(onlyFinding(optional, "EC2002", "test/host").message).toContain('metadata_options.http_tokens is "optional"');
  });

  test("passes a disabled metadata endpoint", () => {
    expect(checkStack((s) => instance(s, "host", { metadataOptions: { httpEndpoint: "disabled" } }))).toEqual([]);
  });
});

describe("EC2003 metadata hop limit", () => {
  test("warns on a hop limit of 2 and on an unset one", () => {
    const annotations = checkStack((s) => launchTemplate(s, "runners", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } }));
    const finding = onlyFinding(annotations, "EC2003", "test/runners");
    expect(finding.level).toBe("warning");
    expect(finding.message).toContain("metadata_options.http_put_response_hop_limit is 2");

    const unset = checkStack((s) => instance(s, "host", { metadataOptions: { httpTokens: "required" } }));
    expect(onlyFinding(unset, "EC2003", "test/host").message).toContain("is not set, so the AMI's default applies");
  });
});

describe("NET001 open ingress", () => {
  test("fires on inline ingress, security group rules and VPC ingress rules from 0.0.0.0/0 or ::/0", () => {
    const annotations = checkStack((s) => {
      new SecurityGroup(s, "inline", { ingress: [{ fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] }] });
      new SecurityGroupRule(s, "rule", { type: "ingress", fromPort: 8081, toPort: 8082, protocol: "tcp", securityGroupId: "sg-1", ipv6CidrBlocks: ["::/0"] });
      new VpcSecurityGroupIngressRule(s, "vpc-rule", { securityGroupId: "sg-2", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" });
    });
    expect(findingsOf(annotations, "NET001").map((a) => a.path)).toEqual(["test/inline", "test/rule", "test/vpc-rule"]);
    expect(onlyFinding(annotations.filter((a) => a.path === "test/inline"), "NET001", "test/inline").message).toContain("inline ingress tcp 22 from 0.0.0.0/0");
    expect(findingsOf(annotations, "NET001")[1]!.message).toContain("ingress tcp 8081-8082 from ::/0");
    expect(findingsOf(annotations, "NET001")[2]!.message).toContain("ingress all traffic from 0.0.0.0/0");
  });

  test("passes ingress from the VPC, egress to anywhere and from security groups", () => {
    const annotations = checkStack((s) => {
      new SecurityGroup(s, "mirror", {
        ingress: [{ fromPort: 8082, toPort: 8082, protocol: "tcp", cidrBlocks: ["10.0.0.0/16"] }],
        egress: [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"] }],
      });
      new SecurityGroupRule(s, "from-runners", { type: "ingress", fromPort: 8082, toPort: 8082, protocol: "tcp", securityGroupId: "sg-1", sourceSecurityGroupId: "sg-2" });
      new SecurityGroupRule(s, "egress", { type: "egress", fromPort: 443, toPort: 443, protocol: "tcp", securityGroupId: "sg-1", cidrBlocks: ["0.0.0.0/0"] });
    });
    expect(annotations).toEqual([]);
  });
});

describe("NET002 public IP on a mirror host", () => {
  test("fires on a mirror instance with a public IP, found by its construct path", () => {
    const annotations = checkStack((s) => instance(s, "mirror", { associatePublicIpAddress: true }));
    const finding = onlyFinding(annotations, "NET002", "test/mirror");
    expect(finding.message).toContain('it serves a registry mirror (its construct path segment "mirror" matches /mirror|nexus/i) and gets a public IP: associate_public_ip_address = true');
    expect(finding.message).toContain("Fix: run the mirror in a private subnet without a public IP");
  });

  test("finds mirror hosts by tag or by Nexus in user data, and public IPs from Elastic IPs, public subnets and launch templates", () => {
    const annotations = checkStack((s) => {
      const tagged = instance(s, "host-a", { tags: { Name: "acme-ci-nexus" } });
      new Eip(s, "eip", { instance: tagged.id, domain: "vpc" });
      const subnet = new Subnet(s, "public", { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24", mapPublicIpOnLaunch: true });
      instance(s, "host-b", { subnetId: subnet.id, userData: "#!/bin/sh\ndocker run -d sonatype/nexus3:3.77.1\n" });
      launchTemplate(s, "host-c", {
        tagSpecifications: [{ resourceType: "instance", tags: { role: "registry-mirror" } }],
        networkInterfaces: [{ associatePublicIpAddress: "true" }],
        userData: Fn.base64encode("#!/bin/sh\necho mirror"),
      });
    });
    expect(findingsOf(annotations, "NET002").map((a) => [a.path, /its [^)]*\) and gets a public IP: .*?\. Construct/.exec(a.message)?.[0]])).toEqual([
      ["test/host-a", 'its tag Name="acme-ci-nexus" matches /mirror|nexus/i) and gets a public IP: Elastic IP aws_eip.eip. Construct'],
      ["test/host-b", "its user data runs sonatype/nexus) and gets a public IP: its subnet aws_subnet.public has map_public_ip_on_launch = true. Construct"],
      ["test/host-c", 'its tag role="registry-mirror" matches /mirror|nexus/i) and gets a public IP: network_interfaces.associate_public_ip_address = "true". Construct'],
    ]);
  });

  test("passes a mirror without a public IP and a public host that is no mirror", () => {
    const annotations = checkStack((s) => {
      instance(s, "mirror", { associatePublicIpAddress: false });
      instance(s, "bastion", { associatePublicIpAddress: true });
    });
    expect(annotations).toEqual([]);
  });
});
