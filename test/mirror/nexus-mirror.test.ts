import { TerraformOutput, TerraformVariable } from "cdktf";
import { gzipSync } from "node:zlib";
import YAML from "yaml";
import { allowedOnAnyResource } from "../../lib/core/iam";
import { escapeTerraformTemplate } from "../../lib/core/terraform-text";
import { NEXUS_IMAGE, NexusMirror, type NexusMirrorProps, USER_DATA_MAX_BYTES } from "../../lib/mirror/nexus-mirror";
import { type CloudConfigDocument as CloudConfig } from "../../lib/core/cloud-config";
import { NEXUS_HOST_PATHS } from "../../lib/mirror/nexus-user-data";
import { onlyResource, resourcesOf, synth, type SynthJson, testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

const NETWORK = { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f9e8d7c6b5a40312"] };
const RUNNERS = "sg-0123456789abcdef0";
const SECRET = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ci/docker-hub-AbCdEf";
const PUBLIC_ONLY = { reason: "the test token's access is Public Repo Read-only" };
const PARAMETER_ARN = "arn:aws:ssm:eu-central-1:222222222222:parameter/acme-mirror/admin-password";

function build(props: Partial<NexusMirrorProps> = {}) {
  const stack = testStack();
  const mirror = new NexusMirror(stack, "mirror", {
    name: "acme-mirror",
    accountId: "222222222222",
    region: "eu-central-1",
    network: NETWORK,
    clientSecurityGroupIds: [RUNNERS],
    ...props,
  });
  return { stack, mirror, json: synth(stack).json };
}

const ingress = (json: SynthJson) =>
  Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"))
    .map((r) => `${String(r.referenced_security_group_id ?? r.cidr_ipv4)} -> ${String(r.from_port)}-${String(r.to_port)}/${String(r.ip_protocol)}`)
    .sort();
const cloudConfigOf = (mirror: NexusMirror) => YAML.parse(mirror.userData.replace(/^#cloud-config\n/, "")) as CloudConfig;
const fileOf = (mirror: NexusMirror, path: string) => cloudConfigOf(mirror).write_files.find((f) => f.path === path)!.content;

describe("NexusMirror", () => {
  const { json, mirror } = build({ dockerHubCredentialSecretArn: SECRET, credentialedAnonymousPull: PUBLIC_ONLY, rawProxies: [{ name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" }] });

  test("the host: private subnet, no public IP, IMDSv2 with hop limit 1, encrypted root, SSM profile, auto-recovery", () => {
    const instance = onlyResource(json, "aws_instance");
    expect(instance).toEqual(
      expect.objectContaining({
        instance_type: "m7i.large",
        subnet_id: NETWORK.privateSubnetIds[0],
        associate_public_ip_address: false,
        metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" },
        root_block_device: { volume_type: "gp3", volume_size: 30, encrypted: true, delete_on_termination: true },
        maintenance_options: { auto_recovery: "default" },
        user_data_replace_on_change: true,
        lifecycle: { ignore_changes: ["ami"] },
      }),
    );
    expect(instance.iam_instance_profile).toMatch(/^\$\{aws_iam_instance_profile\.mirror_host-role_profile_[0-9A-F]+\.name\}$/);
    expect(instance.ami).toMatch(/^\$\{data\.aws_ssm_parameter\.mirror_ami_[0-9A-F]+\.insecure_value\}$/);
    expect(onlyResource(json, "aws_iam_role_policy_attachment").policy_arn).toBe("arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole");
  });

  test("security group: the runner hosts reach the docker connector and the raw-proxy gateway, never 8081 (UI, REST API); HTTPS out", () => {
    expect(ingress(json)).toEqual([`${RUNNERS} -> 8082-8082/tcp`, `${RUNNERS} -> 8090-8090/tcp`]);
    expect(ingress(json).some((rule) => rule.includes("8081"))).toBe(false);
    expect(Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule")).map((r) => [r.from_port, r.cidr_ipv4])).toEqual([[443, "0.0.0.0/0"]]);
    expect(Object.values(resourcesOf(json, "aws_security_group"))[0]).not.toHaveProperty("ingress");
  });

  test("only the admin CIDR reaches the UI on 8081; more clients and connectors get every connector and the gateway; HTTPS egress only", () => {
    const { json: other, mirror: m } = build({
      adminCidr: "10.8.0.0/16",
      dockerProxyPorts: { gitlab: 8083 },
      rawProxies: [{ name: "legacy", remoteUrl: "https://downloads.example.com" }],
      rawProxyPort: 8091,
    });
    m.allowClients("sg-0fedcba9876543210");
    const rules = ingress(synth(m.node.scope as never).json);
    expect(rules).toEqual([
      "10.8.0.0/16 -> 8081-8081/tcp",
      `${RUNNERS} -> 8082-8082/tcp`,
      `${RUNNERS} -> 8083-8083/tcp`,
      `${RUNNERS} -> 8091-8091/tcp`,
      "sg-0fedcba9876543210 -> 8082-8082/tcp",
      "sg-0fedcba9876543210 -> 8083-8083/tcp",
      "sg-0fedcba9876543210 -> 8091-8091/tcp",
    ]);
    expect(Object.values(resourcesOf(other, "aws_vpc_security_group_egress_rule")).map((r) => Number(r.from_port))).toEqual([443]);
  });

  test("the data volume: encrypted gp3 in the subnet's AZ, prevent_destroy by default, attached as /dev/sdf", () => {
    expect(onlyResource(json, "aws_ebs_volume")).toEqual(
      expect.objectContaining({
        type: "gp3",
        size: 200,
        iops: 3000,
        throughput: 125,
        encrypted: true,
        lifecycle: { prevent_destroy: true },
        tags: { Name: "acme-mirror-data", "nexus-mirror-snapshots": "acme-mirror" },
      }),
    );
    expect(onlyResource(json, "aws_ebs_volume").availability_zone).toMatch(/^\$\{data\.aws_subnet\.mirror_subnet_[0-9A-F]+\.availability_zone\}$/);
    expect(onlyResource(json, "aws_volume_attachment")).toEqual(expect.objectContaining({ device_name: "/dev/sdf", stop_instance_before_detaching: true }));
  });

  test("destroy protection of the data volume is an explicit opt-out", () => {
    expect(onlyResource(build({ dataVolume: { preventDestroy: false } }).json, "aws_ebs_volume")).not.toHaveProperty("lifecycle");
  });

  test("daily DLM snapshots of the tagged volume with a retention count", () => {
    const policy = onlyResource(json, "aws_dlm_lifecycle_policy");
    expect(policy.state).toBe("ENABLED");
    expect(policy.policy_details).toEqual({
      resource_types: ["VOLUME"],
      target_tags: { "nexus-mirror-snapshots": "acme-mirror" },
      schedule: [
        {
          name: "daily",
          create_rule: { interval: 24, interval_unit: "HOURS", times: ["03:00"] },
          retain_rule: { count: 7 },
          copy_tags: true,
          tags_to_add: { "snapshot-of": "acme-mirror-data" },
        },
      ],
    });
    const custom = onlyResource(build({ dataVolume: { snapshotRetentionCount: 14, snapshotTimeUtc: "22:30" } }).json, "aws_dlm_lifecycle_policy");
    expect((custom.policy_details as { schedule: Array<Record<string, unknown>> }).schedule[0]).toEqual(
      expect.objectContaining({ create_rule: { interval: 24, interval_unit: "HOURS", times: ["22:30"] }, retain_rule: { count: 14 } }),
    );
    const trust = JSON.parse(String(Object.values(resourcesOf(json, "aws_iam_role")).find((r) => r.name === "acme-mirror-snapshots")!.assume_role_policy));
    expect(trust.Statement[0].Principal).toEqual({ Service: "dlm.amazonaws.com" });
  });

  test("an EC2 auto-recovery alarm on the system status check", () => {
    const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
    expect(alarms.find((a) => a.namespace === "AWS/EC2")).toEqual(
      expect.objectContaining({
        namespace: "AWS/EC2",
        metric_name: "StatusCheckFailed_System",
        comparison_operator: "GreaterThanThreshold",
        threshold: 0,
        evaluation_periods: 2,
        alarm_actions: ["arn:aws:automate:eu-central-1:ec2:recover"],
      }),
    );
  });

  test("a disk alarm on the data volume's use, which the host publishes to the mirror's own namespace", () => {
    const disk = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => a.metric_name === "DataVolumeUsedPercent");
    expect(disk).toEqual(
      expect.objectContaining({ namespace: "GitLab/Mirror/acme-mirror", dimensions: { Mirror: "acme-mirror" }, statistic: "Maximum", comparison_operator: "GreaterThanThreshold", threshold: 80 }),
    );
    expect(cloudConfigOf(mirror).write_files.map((f: { path: string }) => f.path)).toContain("/etc/systemd/system/nexus-disk-metric.timer");
    expect(fileOf(mirror, "/etc/systemd/system/nexus-disk-metric.service")).toContain(
      "ExecStart=/usr/local/sbin/nexus-disk-metric GitLab/Mirror/acme-mirror acme-mirror",
    );
    const alarmed = Object.values(resourcesOf(build({ diskAlarmPercent: 70, alarmActions: ["arn:aws:sns:eu-central-1:222222222222:ops"] }).json, "aws_cloudwatch_metric_alarm")).find((a) => a.metric_name === "DataVolumeUsedPercent");
    expect([alarmed?.threshold, alarmed?.alarm_actions]).toEqual([70, ["arn:aws:sns:eu-central-1:222222222222:ops"]]);
  });

  test("the host role: SSM Session Manager, exactly its admin-password parameter, exactly the Docker Hub secret", () => {
    const policy = JSON.parse(String(onlyResource(json, "aws_iam_role_policy").policy)) as { Statement: Array<{ Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, unknown>> }> };
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ssm:UpdateInstanceInformation"], Resource: [expect.stringMatching(/:ec2:\*:\$\{data\.aws_caller_identity\.[^}]+\.account_id\}:instance\/\*$/)] },
        {
          Effect: "Allow",
          Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
          Resource: ["*"],
        },
        { Effect: "Allow", Action: ["ssm:GetParameter", "ssm:PutParameter"], Resource: [PARAMETER_ARN] },
        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [SECRET] },
        // Its disk metric, in its own namespace only.
        { Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: ["*"], Condition: { StringEquals: { "cloudwatch:namespace": "GitLab/Mirror/acme-mirror" } } },
      ],
    });
    for (const s of policy.Statement.filter((st) => st.Resource.includes("*"))) {
      // An action on "*" is fine where IAM has no resource for it, or where it is scoped by its condition keys.
      const conditionKeys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
      expect(s.Action.filter((a) => !allowedOnAnyResource(a, conditionKeys))).toEqual([]);
    }
    expect(JSON.parse(String(onlyResource(build().json, "aws_iam_role_policy").policy)).Statement).toHaveLength(4);
  });

  test("a private DNS name in a private hosted zone of the VPC, or in an existing zone", () => {
    expect(onlyResource(json, "aws_route53_zone")).toEqual(expect.objectContaining({ name: "ci.internal", vpc: [{ vpc_id: NETWORK.vpcId }] }));
    expect(onlyResource(json, "aws_route53_record")).toEqual(expect.objectContaining({ name: "mirror.ci.internal", type: "A", ttl: 60 }));
    const existing = build({ dns: { zoneName: "corp.internal", hostName: "nexus", existingZoneId: "Z0123456789ABCDEFGHIJ" } });
    expect(resourcesOf(existing.json, "aws_route53_zone")).toEqual({});
    expect(onlyResource(existing.json, "aws_route53_record")).toEqual(expect.objectContaining({ zone_id: "Z0123456789ABCDEFGHIJ", name: "nexus.corp.internal" }));
    expect(existing.mirror.endpoint.registryMirrors).toEqual(["http://nexus.corp.internal:8082"]);
  });

  test("the mirror endpoint for the runner fleet and the GitLab side", () => {
    const stack = mirror.node.scope as never;
    new TerraformOutput(stack, "endpoint", { value: mirror.endpoint });
    const endpoint = synth(stack).json.output!.endpoint!.value as Record<string, unknown>;
    expect(endpoint).toEqual({
      registryMirrors: ["http://mirror.ci.internal:8082"],
      insecureRegistries: ["mirror.ci.internal:8082"],
      imagePrefixes: { "registry-1.docker.io": "mirror.ci.internal:8082/", "registry.gitlab.com": "mirror.ci.internal:8082/" },
      // Nothing escapes the runner's own ${...} on the way into Terraform JSON: consumers must (escapeTerraformTemplate).
      helperImage: "mirror.ci.internal:8082/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v${CI_RUNNER_VERSION}",
      helperImageRepository: "mirror.ci.internal:8082/gitlab-org/gitlab-runner/gitlab-runner-helper",
      rawProxyUrls: { "lang-common": "http://mirror.ci.internal:8090/repository/lang-common/" },
      securityGroupId: expect.stringMatching(/^\$\{aws_security_group\.mirror_security-group_[0-9A-F]+\.id\}$/),
    });
    expect(escapeTerraformTemplate(mirror.endpoint.helperImage!)).toBe(
      "mirror.ci.internal:8082/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v$${CI_RUNNER_VERSION}",
    );
    const own = build({ dockerProxyPorts: { gitlab: 8083 } }).mirror.endpoint;
    expect(own.imagePrefixes["registry.gitlab.com"]).toBe("mirror.ci.internal:8083/");
    expect(own.helperImage).toMatch(/^mirror\.ci\.internal:8083\/gitlab-org\//);
    expect(own.insecureRegistries).toEqual(["mirror.ci.internal:8082", "mirror.ci.internal:8083"]);
    // The helper tag follows the runners' architecture (an x86_64 helper cannot run on Graviton hosts).
    expect(build({ runnerArchitecture: "arm64" }).mirror.endpoint.helperImage).toMatch(/:arm64-v\$\{CI_RUNNER_VERSION\}$/);
  });

  describe("user data", () => {
    test("a gzip-compressed cloud-config from a Terraform local, escaped for Terraform, within 16 KB", () => {
      const [localName, local] = Object.entries((json as SynthJson & { locals?: Record<string, string> }).locals ?? {})[0]!;
      expect(onlyResource(json, "aws_instance").user_data_base64).toBe(`\${base64gzip(local.${localName})}`);
      expect(local).toBe(escapeTerraformTemplate(mirror.userData));
      expect(mirror.userData.startsWith("#cloud-config\n")).toBe(true);
      // Plain, the cloud-config would not fit EC2's 16 KB; compressed it leaves room for many raw proxies.
      expect(Buffer.byteLength(mirror.userData)).toBeGreaterThan(USER_DATA_MAX_BYTES);
      expect(mirror.userDataGzipBytes).toBe(gzipSync(mirror.userData, { level: 6 }).byteLength);
      expect(mirror.userDataGzipBytes).toBeLessThanOrEqual(USER_DATA_MAX_BYTES / 2);
    });

    test("Nexus: the pinned image, heap -Xms = -Xmx from the instance memory, nofile 65536, restart policy, only on the mounted volume", () => {
      const unit = fileOf(mirror, NEXUS_HOST_PATHS.unit);
      expect(unit).toContain(`--ulimit nofile=65536:65536`);
      expect(unit).toContain(`--publish 8081:8081 --publish 8082:8082 --volume /nexus-data:/nexus-data ${NEXUS_IMAGE}\n`);
      expect(unit).toMatch(/^Restart=always$/m);
      expect(unit).toMatch(/^RequiresMountsFor=\/nexus-data$/m);
      expect(fileOf(mirror, NEXUS_HOST_PATHS.environment)).toBe(
        "INSTALL4J_ADD_VM_PARAMS=-Xms2730m -Xmx2730m -XX:MaxDirectMemorySize=2730m -Djava.util.prefs.userRoot=/nexus-data/javaprefs -Dfile.encoding=UTF-8\n",
      );
      expect(build({ instanceType: "r7i.large" }).mirror.jvm).toEqual({ heapMiB: 5461, directMemoryMiB: 5461 });
      expect(build({ instanceType: "t3.medium", allowSmallInstance: true }).mirror.jvm).toEqual({ heapMiB: 2703, directMemoryMiB: 369 });
    });

    test("first boot order: mount the data volume, start docker and Nexus, provision; jq from the distribution", () => {
      const cloudConfig = cloudConfigOf(mirror);
      expect(cloudConfig.packages).toEqual(["docker", "jq"]);
      expect(cloudConfig.runcmd).toEqual([
        ["/usr/local/sbin/nexus-data-volume"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "docker.service", "nexus.service", "nexus-raw-gateway.service", "nexus-disk-metric.timer"],
        ["/usr/local/sbin/nexus-provision"],
      ]);
      expect(JSON.parse(fileOf(mirror, NEXUS_HOST_PATHS.provisionConfig))).toEqual(mirror.provisioningConfig);
    });

    test("no secret in the user data: only the parameter name and the secret ARN", () => {
      const config = mirror.provisioningConfig;
      expect(config.adminPasswordParameter).toBe("/acme-mirror/admin-password");
      expect(config.repositories[0]!.credentialSecretArn).toBe(SECRET);
      expect(mirror.userData).not.toMatch(/password"\s*:\s*"|accessToken"\s*:/);
    });
  });

  describe("bad input", () => {
    test("an instance type with less than 8 GiB without an explicit override", () => {
      expectViolation(() => build({ instanceType: "t3.medium" }), {
        path: "test/mirror",
        subject: "instanceType",
        value: "t3.medium",
        rule: /at least 8 GiB of memory, t3\.medium has 4096 MiB/,
        fix: /use m7i\.large or larger, or set allowSmallInstance: true/,
      });
    });

    test("an instance type missing from the memory table without memoryMiB", () => {
      expectViolation(() => build({ instanceType: "x2idn.16xlarge" }), {
        path: "test/mirror",
        subject: "instanceType",
        value: "x2idn.16xlarge",
        rule: /not in the table of known x86_64 types \(INSTANCE_MEMORY_MIB\)/,
        fix: /pass memoryMiB/,
      });
      expect(build({ instanceType: "x2idn.16xlarge", memoryMiB: 1_048_576 }).mirror.jvm.heapMiB).toBe(31744);
    });

    test("memoryMiB that contradicts the table", () => {
      expectViolation(() => build({ instanceType: "m7i.large", memoryMiB: 16384 }), {
        path: "test/mirror",
        subject: "memoryMiB",
        value: 16384,
        rule: /m7i\.large has 8192 MiB/,
        fix: /remove memoryMiB for listed instance types/,
      });
    });

    test("less than 4 GiB even with allowSmallInstance", () => {
      expectViolation(() => build({ instanceType: "t3.small", memoryMiB: 2048, allowSmallInstance: true }), {
        path: "test/mirror",
        subject: "instanceType",
        value: "t3.small",
        rule: /no Nexus fits in 2048 MiB/,
        fix: /at least 8 GiB/,
      });
    });

    test("a data volume below the 50 GiB floor", () => {
      expectViolation(() => build({ dataVolume: { sizeGiB: 20 } }), {
        path: "test/mirror/dataVolume",
        subject: "sizeGiB",
        value: 20,
        rule: /at least 50 GiB/,
        fix: /use 50 GiB or more \(default 200\)/,
      });
    });

    test("a snapshot retention of 0 and a snapshot time that is not HH:MM", () => {
      expectViolation(() => build({ dataVolume: { snapshotRetentionCount: 0 } }), {
        path: "test/mirror/dataVolume",
        subject: "snapshotRetentionCount",
        value: 0,
        rule: /DLM keeps 1-1000 snapshots/,
        fix: /keep e\.g\. 7/,
      });
      expectViolation(() => build({ dataVolume: { snapshotTimeUtc: "3am" } }), {
        path: "test/mirror/dataVolume",
        subject: "snapshotTimeUtc",
        value: "3am",
        rule: /HH:MM in 24-hour UTC/,
        fix: /"03:00"/,
      });
    });

    test("a docker connector port that clashes with 8081", () => {
      expectViolation(() => build({ dockerGroupPort: 8081 }), {
        path: "test/mirror",
        subject: "dockerGroupPort",
        value: 8081,
        rule: /each docker connector needs its own port, but 8081 is already Nexus's own HTTP port/,
        fix: /use a free port such as 8083/,
      });
    });

    test("a docker connector port that clashes with another connector", () => {
      expectViolation(() => build({ dockerProxyPorts: { gitlab: 8082 } }), {
        path: "test/mirror",
        subject: "dockerProxyPorts.gitlab",
        value: 8082,
        rule: /8082 is already the dockerGroupPort connector/,
        fix: /use a free port such as 8083/,
      });
    });

    test("a privileged connector port", () => {
      expectViolation(() => build({ dockerGroupPort: 443 }), {
        path: "test/mirror",
        subject: "dockerGroupPort",
        value: 443,
        rule: /unprivileged TCP port \(1024-65535\)/,
        fix: /use e\.g\. 8082/,
      });
    });

    test("a raw proxy with an invalid URL", () => {
      expectViolation(() => build({ rawProxies: [{ name: "lang-common", remoteUrl: "lang-common.s3.amazonaws.com" }] }), {
        path: "test/mirror/rawProxies[0]",
        subject: "remoteUrl",
        value: "lang-common.s3.amazonaws.com",
        rule: /a proxy upstream is a URL with a host and no credentials, query or fragment/,
        fix: /use the upstream's https base URL/,
      });
    });

    test("a raw proxy with a duplicate name, or the name of a docker repository", () => {
      const raw = { name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" };
      expectViolation(() => build({ rawProxies: [raw, { ...raw, remoteUrl: "https://other.example.com" }] }), {
        path: "test/mirror/rawProxies[1]",
        subject: "name",
        value: "lang-common",
        rule: /repository names are unique in Nexus, and "lang-common" is already used/,
        fix: /rename the raw proxy/,
      });
      expectViolation(() => build({ rawProxies: [{ ...raw, name: "docker-hub" }] }), {
        path: "test/mirror/rawProxies[0]",
        subject: "name",
        value: "docker-hub",
        rule: /"docker-hub" is already used/,
        fix: /rename the raw proxy/,
      });
    });

    test("a raw proxy name that is not a Nexus repository name", () => {
      expectViolation(() => build({ rawProxies: [{ name: "lang common", remoteUrl: "https://lang-common.s3.amazonaws.com" }] }), {
        path: "test/mirror/rawProxies[0]",
        subject: "name",
        value: "lang common",
        rule: /letters, digits, '-', '_' and '\.'/,
        fix: /buildpack-registry/,
      });
    });

    test("a Docker Hub credential secret that is not a Secrets Manager ARN", () => {
      expectViolation(() => build({ dockerHubCredentialSecretArn: "ci/docker-hub", credentialedAnonymousPull: PUBLIC_ONLY }), {
        path: "test/mirror",
        subject: "dockerHubCredentialSecretArn",
        value: "ci/docker-hub",
        rule: /a Secrets Manager secret ARN .*granted exactly that ARN/,
        fix: /pass the secret's full ARN/,
      });
    });

    test("a Docker Hub credential secret in another region", () => {
      const other = SECRET.replace("eu-central-1", "us-east-1");
      expectViolation(() => build({ dockerHubCredentialSecretArn: other, credentialedAnonymousPull: PUBLIC_ONLY }), {
        path: "test/mirror",
        subject: "dockerHubCredentialSecretArn",
        value: other,
        rule: /in the mirror's account and region \(222222222222, eu-central-1\)/,
        fix: /create the secret in eu-central-1 of account 222222222222/,
      });
    });

    test("an admin CIDR open to the world", () => {
      expectViolation(() => build({ adminCidr: "0.0.0.0/0" }), {
        path: "test/mirror",
        subject: "adminCidr",
        value: "0.0.0.0/0",
        rule: /at most a \/16 .*0\.0\.0\.0\/1, half the internet/,
        fix: /VPN's client range .*Session Manager port forwarding/,
      });
    });

    test("a subnet outside the network's private subnets", () => {
      expectViolation(() => build({ subnetId: "subnet-0aaaaaaaaaaaaaaaa" }), {
        path: "test/mirror",
        subject: "subnetId",
        value: "subnet-0aaaaaaaaaaaaaaaa",
        rule: /one of the network's private subnets/,
        fix: /use one of subnet-0a1b2c3d4e5f60718, subnet-0f9e8d7c6b5a40312/,
      });
    });

    test("a network without private subnets", () => {
      expectViolation(() => build({ network: { vpcId: NETWORK.vpcId, privateSubnetIds: [] } }), {
        path: "test/mirror/network",
        subject: "privateSubnetIds",
        value: [],
        rule: /needs at least one/,
        fix: /add a private subnet/,
      });
    });

    test("an unpinned Nexus image", () => {
      expectViolation(() => build({ nexusImage: "sonatype/nexus3:latest" }), {
        path: "test/mirror",
        subject: "nexusImage",
        value: "sonatype/nexus3:latest",
        rule: /pinned to a version tag \(not latest\) or a digest/,
        fix: /docker\.io\/sonatype\/nexus3:/,
      });
    });

    test("a client security group that is not an id", () => {
      expectViolation(() => build().mirror.allowClients("runners"), {
        path: "test/mirror/clientSecurityGroupIds[1]",
        subject: "security group id",
        value: "runners",
        rule: /looks like sg-0a1b2c3d4e5f60718/,
        fix: /copy the id/,
      });
    });

    test("a mirror name that cannot prefix resource names", () => {
      expectViolation(() => build({ name: "Acme_Mirror" }), {
        path: "test/mirror",
        subject: "name",
        value: "Acme_Mirror",
        rule: /1-50 lower-case letters, digits and '-'/,
        fix: /acme-ci-production-mirror/,
      });
    });

    test("a private zone name with a trailing dot", () => {
      expectViolation(() => build({ dns: { zoneName: "ci.internal." } }), {
        path: "test/mirror/dns",
        subject: "zoneName",
        value: "ci.internal.",
        rule: /without a trailing dot/,
        fix: /"ci\.internal"/,
      });
    });
  });
});

describe("NexusMirror with unresolved tokens", () => {
  test("tokens are not validated, and reach the user data as Terraform references", () => {
    const stack = testStack();
    const size = new TerraformVariable(stack, "data-size", { type: "number" });
    const secret = new TerraformVariable(stack, "docker-hub-secret", { type: "string" });
    const mirror = new NexusMirror(stack, "mirror", {
      name: "acme-mirror",
      accountId: "222222222222",
      region: "eu-central-1",
      network: NETWORK,
      dataVolume: { sizeGiB: size.numberValue },
      dockerHubCredentialSecretArn: secret.stringValue,
      credentialedAnonymousPull: PUBLIC_ONLY,
    });
    const json = synth(stack).json as SynthJson & { locals: Record<string, string> };
    expect(onlyResource(json, "aws_ebs_volume").size).toBe("${var.data-size}");
    expect(Object.values(json.locals)[0]).toContain('"credentialSecretArn": "${var.docker-hub-secret}"');
    expect(JSON.parse(String(onlyResource(json, "aws_iam_role_policy").policy)).Statement[3]).toEqual({
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: ["${var.docker-hub-secret}"],
    });
    expect(mirror.userData).toContain("credentialSecretArn");
  });
});
