import { parse as parseToml } from "smol-toml";
import { allowedOnAnyResource } from "../../../lib/core/iam";
import { HOST_PATHS } from "../../../lib/runner/user-data";
import { MANAGER_PATHS } from "../../../lib/runner/autoscaler/manager-user-data";
import { checkStack } from "../../support/annotations";
import { onlyResource, resourcesOf, synth, testStack, type SynthJson } from "../../support/synth";
import { ExistingRunnerTokenParameter } from "../../../lib/gitlab/existing-runner-token";
import { DockerAutoscalerFleet } from "../../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { autoscalerProps, protectedRunner, writtenFile } from "./fixtures";

type Statement = { Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, string>> };
const statements = (json: SynthJson): Statement[] =>
  Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap((p) => (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement);
const groups = (json: SynthJson) => Object.values(resourcesOf(json, "aws_autoscaling_group")) as Array<Record<string, unknown>>;
const byName = (json: SynthJson, name: string) => groups(json).find((g) => g.name === name)!;

function build(patch = {}) {
  const stack = testStack();
  const fleet = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps(patch));
  return { stack, fleet, ...synth(stack) };
}

describe("worker groups", () => {
  const { json } = build();

  test("one dedicated group per [[runners]] entry, named after the runner", () => {
    expect(groups(json).map((g) => g.name).sort()).toEqual(["acme-ci-dev-fork-workers", "acme-ci-dev-manager", "acme-ci-dev-mr-workers"]);
  });

  test.each([
    ["acme-ci-dev-mr-workers", 10],
    ["acme-ci-dev-fork-workers", 4],
  ])("%s: min 0, desired 0 then owned by the runner, max = max_instances, scale-in protection, no rebalancing, AZRebalance suspended, no refresh, no force_delete", (name, maxInstances) => {
    const group = byName(json, name);
    expect(group).toMatchObject({
      min_size: 0,
      desired_capacity: 0,
      max_size: maxInstances,
      protect_from_scale_in: true,
      capacity_rebalance: false,
      suspended_processes: ["AZRebalance"],
      lifecycle: { ignore_changes: ["desired_capacity"] },
    });
    expect(group.instance_refresh).toBeUndefined();
    // No force_delete: the provider's own drain removes scale-in protection; force only skips the wait.
    expect(group.force_delete).toBeUndefined();
  });

  test("no scaling policy and no schedule exists for any group", () => {
    expect(resourcesOf(json, "aws_autoscaling_policy")).toEqual({});
    expect(resourcesOf(json, "aws_autoscaling_schedule")).toEqual({});
  });

  test("workers: IMDSv2 with hop limit 1, encrypted gp3, no instance profile (no AWS permissions at all)", () => {
    const templates = Object.values(resourcesOf(json, "aws_launch_template")).filter((t) => String(t.name).endsWith("-workers")) as Array<Record<string, unknown>>;
    expect(templates).toHaveLength(2);
    for (const t of templates) {
      expect(t.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
      expect(t.block_device_mappings).toEqual([{ device_name: "/dev/xvda", ebs: { volume_type: "gp3", volume_size: 40, encrypted: "true", delete_on_termination: "true" } }]);
      expect(t.iam_instance_profile).toBeUndefined();
      expect(t.key_name).toBeUndefined();
    }
  });

  test("worker security groups admit only the manager's group on SSH", () => {
    const sgs = Object.values(resourcesOf(json, "aws_security_group")) as Array<{ name: string; ingress: Array<Record<string, unknown>> }>;
    const workers = sgs.filter((s) => s.name.endsWith("-workers"));
    expect(workers).toHaveLength(2);
    for (const sg of workers) {
      expect(sg.ingress.map((r) => [r.from_port, r.to_port, r.protocol, r.cidr_blocks, r.security_groups])).toEqual([
        [22, 22, "tcp", [], [expect.stringMatching(/^\$\{aws_security_group\.autoscaler_manager-security-group_[0-9A-F]{8}\.id\}$/)]],
      ]);
    }
  });
});

describe("manager", () => {
  const { json, fleet } = build();
  const manager = byName(json, "acme-ci-dev-manager");

  test("an Auto Scaling group of exactly one on-demand instance, replaced by terminating first", () => {
    expect(manager).toMatchObject({ min_size: 1, max_size: 1, desired_capacity: 1 });
    expect(manager.mixed_instances_policy).toBeUndefined();
    expect(manager.instance_refresh).toEqual({ strategy: "Rolling", preferences: { min_healthy_percentage: 0, max_healthy_percentage: 100 } });
  });

  test("the manager's template: the pinned instance type, its role's profile, IMDSv2 hop limit 1, encrypted gp3", () => {
    const template = Object.values(resourcesOf(json, "aws_launch_template")).find((t) => t.name === "acme-ci-dev-runner-manager")!;
    expect(template).toMatchObject({
      instance_type: "t3.small",
      image_id: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" },
      block_device_mappings: [{ device_name: "/dev/xvda", ebs: { volume_type: "gp3", volume_size: 20, encrypted: "true", delete_on_termination: "true" } }],
      iam_instance_profile: { arn: expect.stringMatching(/aws_iam_instance_profile\.autoscaler_manager-role_profile/) },
    });
    expect(manager.launch_template).toEqual({ id: expect.stringMatching(/manager-launch-template/), version: expect.stringMatching(/\.latest_version\}$/) });
    expect(onlyResource(json, "aws_cloudwatch_log_group")).toMatchObject({ name: "/gitlab-runner/acme-ci-dev/manager", retention_in_days: 30 });
  });

  test("a termination lifecycle hook sized for the longest job plus the drain margin", () => {
    expect(onlyResource(json, "aws_autoscaling_lifecycle_hook")).toMatchObject({
      name: "acme-ci-dev-manager-drain",
      lifecycle_transition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeat_timeout: 3900,
      default_result: "CONTINUE",
    });
  });

  test("no inbound rule; outbound HTTPS and SSH to each worker group only", () => {
    const sg = Object.values(resourcesOf(json, "aws_security_group")).find((s) => s.name === "acme-ci-dev-runner-manager") as { ingress: unknown[]; egress?: unknown };
    expect(sg.ingress).toEqual([]);
    expect(sg.egress).toBeUndefined();
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule")).map((r) => [r.from_port, r.cidr_ipv4 ?? r.referenced_security_group_id]);
    expect(egress).toEqual([
      [443, "0.0.0.0/0"],
      [22, expect.stringMatching(/^\$\{aws_security_group\.autoscaler_workers-fork_security-group_[0-9A-F]{8}\.id\}$/)],
      [22, expect.stringMatching(/^\$\{aws_security_group\.autoscaler_workers-mr_security-group_[0-9A-F]{8}\.id\}$/)],
    ]);
  });

  test("the manager installs the pinned plugin at boot, reads tokens from SSM, and runs no docker", () => {
    const dropIn = writtenFile(fleet.managerUserData, HOST_PATHS.runnerDropIn);
    expect(dropIn).toContain(`Environment=FLEETING_PLUGIN_PATH=${MANAGER_PATHS.pluginDirectory}`);
    // The plugin's AWS SDK gets the region from the service's environment (the region data source's value).
    expect(dropIn).toMatch(/^Environment=AWS_REGION=\$\{TfToken\[TOKEN\.\d+\]\}$/m);
    expect(dropIn.split("\n").filter((l) => l.startsWith("ExecStartPre="))).toEqual([
      // Like a runner host: never started again once the watcher drained it.
      `ExecStartPre=${HOST_PATHS.script} may-start`,
      `ExecStartPre=${HOST_PATHS.script} configure`,
      `ExecStartPre=/usr/bin/gitlab-runner fleeting --config ${HOST_PATHS.config} install`,
    ]);
    expect(dropIn).toContain("KillSignal=SIGQUIT");
    expect(fleet.managerUserData).not.toContain("docker.service");
    expect(fleet.managerUserData).toContain("amazon-ecr-credential-helper");
    const toml = parseToml(writtenFile(fleet.managerUserData, HOST_PATHS.configTemplate)) as { runners: Array<{ token: string; autoscaler: { plugin: string } }> };
    expect(toml.runners.map((r) => [r.token, r.autoscaler.plugin])).toEqual([
      ["@@RUNNER_TOKEN_0@@", "aws:1.1.0"],
      ["@@RUNNER_TOKEN_1@@", "aws:1.1.0"],
    ]);
  });

  test("concurrent is the sum of max_instances x capacity_per_instance (10 x 1 + 4 x 1; a protected pool: 4 x 2)", () => {
    expect(fleet.concurrent).toBe(14);
    expect(fleet.runnerConfig.runners.map((r) => r.limit)).toEqual([10, 4]);
    const prot = new DockerAutoscalerFleet(testStack(), "autoscaler", autoscalerProps({ runners: [protectedRunner] }));
    expect([prot.concurrent, prot.runnerConfig.runners[0]!.limit]).toEqual([8, 8]);
  });

  test("an unprotected pool gets single-use workers, a protected one reuses them", () => {
    const prot = new DockerAutoscalerFleet(testStack(), "autoscaler", autoscalerProps({ runners: [protectedRunner] }));
    expect([...fleet.runnerConfig.runners, ...prot.runnerConfig.runners].map((r) => [r.name, r.autoscaler.maxUseCount])).toEqual([
      ["mr", 1],
      ["fork", 1],
      ["protected", 100],
    ]);
  });

  test("workers: docker with the registry mirror, the login user in the docker group, no gitlab-runner", () => {
    expect(JSON.parse(writtenFile(fleet.workerUserData, HOST_PATHS.daemonJson))["registry-mirrors"]).toEqual(["http://10.0.1.10:8082"]);
    expect(fleet.workerUserData).toContain("usermod");
    expect(fleet.workerUserData).not.toMatch(/gitlab-runner/);
  });

  test("no secret in any user data or the synthesized JSON", () => {
    for (const text of [fleet.managerUserData, fleet.workerUserData, JSON.stringify(json)]) {
      expect(text).not.toMatch(/glrt-|PRIVATE KEY|"auths"/);
    }
  });
});

describe("the manager role: exactly the fleeting plugin's documented policy per worker group, plus the runner's grants", () => {
  const { json, fleet } = build();
  const all = statements(json);
  const groupArn = (name: string) =>
    "arn:${data.aws_partition.autoscaler_partition_A6F1C7C2.partition}:autoscaling:${data.aws_region.autoscaler_region_52F2D3C1.region}:${data.aws_caller_identity.autoscaler_account_0B6A5F1B.account_id}:autoScalingGroup:*:autoScalingGroupName/" +
    name;

  test("SetDesiredCapacity and TerminateInstanceInAutoScalingGroup on the worker groups' ARNs only", () => {
    const scaling = all.filter((s) => s.Action.includes("autoscaling:SetDesiredCapacity"));
    expect(scaling).toHaveLength(1);
    expect(scaling[0]!.Action).toEqual(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]);
    expect(scaling[0]!.Resource.map((r) => r.replace(/_[0-9A-F]{8}\./g, "_X."))).toEqual(
      [groupArn("acme-ci-dev-mr-workers"), groupArn("acme-ci-dev-fork-workers")].map((r) => r.replace(/_[0-9A-F]{8}\./g, "_X.")),
    );
  });

  test("the describe calls on * (no resource types exist), and nothing else on * but what IAM allows only there", () => {
    const star = all.filter((s) => s.Resource.includes("*"));
    expect(star.flatMap((s) => s.Action).filter((a) => !allowedOnAnyResource(a))).toEqual([]);
    expect(star.flatMap((s) => s.Action)).toEqual(expect.arrayContaining(["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "ec2:DescribeSpotInstanceRequests"]));
  });

  test("SendSSHPublicKey only on instances tagged with a worker group's name, and only for the connector's OS user (ec2:osuser)", () => {
    const connect = all.filter((s) => s.Action.includes("ec2-instance-connect:SendSSHPublicKey"));
    expect(connect.map((s) => [s.Action, s.Condition])).toEqual([
      [["ec2-instance-connect:SendSSHPublicKey"], { StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": "acme-ci-dev-mr-workers", "ec2:osuser": "ec2-user" } }],
      [["ec2-instance-connect:SendSSHPublicKey"], { StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": "acme-ci-dev-fork-workers", "ec2:osuser": "ec2-user" } }],
    ]);
    // The user the condition names is the one the connector logs in as.
    const toml = parseToml(writtenFile(fleet.managerUserData, HOST_PATHS.configTemplate)) as { runners: Array<{ autoscaler: { connector_config: { username: string } } }> };
    expect(new Set(toml.runners.map((r) => r.autoscaler.connector_config.username))).toEqual(new Set(connect.map((s) => (s.Condition as { StringEquals: Record<string, string> }).StringEquals["ec2:osuser"])));
    for (const s of connect) expect(s.Resource).toEqual([expect.stringMatching(/:ec2:.*:instance\/\*$/)]);
  });

  test("no action that could launch, modify or pass a role to instances", () => {
    const actions = all.flatMap((s) => s.Action);
    expect(actions.filter((a) => /^(ec2:(Run|Terminate|Create|Modify)|iam:|autoscaling:(Update|Create|Delete|Put))/.test(a))).toEqual([]);
  });
});

describe("static-key connector", () => {
  const key = new ExistingRunnerTokenParameter("fixture/key", { parameterName: "/acme-ci/dev/runner/worker-ssh-key", accountId: "111111111111", region: "eu-central-1" });
  const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEexampleEXAMPLEexampleEXAMPLEexample ci@acme";
  const { json, fleet } = build({ connector: { kind: "static-key", privateKey: key, publicKey }, network: { ...autoscalerProps().network, reachesEc2InstanceConnectApi: false } });

  test("an EC2 key pair from the public key on the worker templates; the manager reads the private key from SSM", () => {
    expect(onlyResource(json, "aws_key_pair")).toMatchObject({ key_name: "acme-ci-dev-workers", public_key: publicKey });
    const workers = Object.values(resourcesOf(json, "aws_launch_template")).filter((t) => String(t.name).endsWith("-workers"));
    expect(workers.map((t) => t.key_name)).toEqual(["${aws_key_pair.autoscaler_worker-key_7A5C3B0F.key_name}", "${aws_key_pair.autoscaler_worker-key_7A5C3B0F.key_name}"].map(() => expect.stringMatching(/aws_key_pair\.autoscaler_worker-key/)));
    expect(statements(json).filter((s) => s.Action.includes("ssm:GetParameter")).flatMap((s) => s.Resource)).toContain(key.parameterArn);
    const toml = parseToml(writtenFile(fleet.managerUserData, HOST_PATHS.configTemplate)) as { runners: Array<{ autoscaler: { connector_config: Record<string, unknown> } }> };
    expect(toml.runners[0]!.autoscaler.connector_config).toMatchObject({ use_static_credentials: true, key_path: MANAGER_PATHS.sshKey });
    expect(writtenFile(fleet.managerUserData, HOST_PATHS.runnerDropIn)).toContain(`ExecStartPre=${MANAGER_PATHS.script} fetch-ssh-key`);
    expect(writtenFile(fleet.managerUserData, HOST_PATHS.environment)).toContain("SSH_KEY_PARAMETER=/acme-ci/dev/runner/worker-ssh-key\n");
  });

  test("no SendSSHPublicKey permission (the plugin needs it only for Instance Connect)", () => {
    expect(statements(json).flatMap((s) => s.Action)).not.toContain("ec2-instance-connect:SendSSHPublicKey");
  });
});

test("the security rule pack finds nothing to report on the fleet (wildcards, IMDS, volumes, ingress)", () => {
  const annotations = checkStack((stack) => new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps()));
  expect(annotations.filter((a) => a.level === "error")).toEqual([]);
  expect(annotations.filter((a) => /^[A-Z]+\d{3} /.test(a.message))).toEqual([]);
});

test("a bare fleet's manager role holds exactly: Session Manager, its tokens, its drain, its logs, and the plugin's documented policy for its one group", () => {
  const { json } = build({ runners: [{ ...autoscalerProps().runners[0]!, cache: undefined }], repositories: [], cache: undefined });
  const actions = statements(json).map((s) => ({ Action: s.Action, Resource: s.Resource.map((r) => r.replace(/\$\{[^}]+\}/g, "<ref>")), Condition: s.Condition }));
  expect(actions).toEqual([
    // Session Manager: the instance-level action on the account's instances, the rest on "*"
    // (merged with the plugin's describe calls, which take no resource type either).
    { Action: ["ssm:UpdateInstanceInformation"], Resource: ["arn:<ref>:ec2:*:<ref>:instance/*"], Condition: undefined },
    {
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:DescribeInstances",
        "ec2:DescribeSpotInstanceRequests",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: ["*"],
      Condition: undefined,
    },
    { Action: ["ssm:GetParameter"], Resource: ["arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/mr/token"], Condition: undefined },
    { Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"], Resource: ["arn:<ref>:autoscaling:<ref>:<ref>:autoScalingGroup:*:autoScalingGroupName/acme-ci-dev-manager"], Condition: undefined },
    { Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], Resource: ["<ref>", "<ref>:*"], Condition: undefined },
    { Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], Resource: ["arn:<ref>:autoscaling:<ref>:<ref>:autoScalingGroup:*:autoScalingGroupName/acme-ci-dev-mr-workers"], Condition: undefined },
    {
      Action: ["ec2-instance-connect:SendSSHPublicKey"],
      Resource: ["arn:<ref>:ec2:<ref>:<ref>:instance/*"],
      Condition: { StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": "acme-ci-dev-mr-workers", "ec2:osuser": "ec2-user" } },
    },
  ]);
});

describe("an untrusted job on a single-use worker reaches nothing of the protected pool", () => {
  // One fleet per trust level, side by side in one stack.
  const stack = testStack();
  const fleet = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps());
  const protectedFleet = new DockerAutoscalerFleet(stack, "protected-autoscaler", autoscalerProps({ fleetName: "acme-ci-dev-prot", runners: [protectedRunner] }));
  const { json } = synth(stack);
  const [mr] = fleet.runnerConfig.runners;
  const [prot] = protectedFleet.runnerConfig.runners;
  const templates = Object.values(resourcesOf(json, "aws_launch_template")) as Array<Record<string, unknown>>;
  const sgs = Object.values(resourcesOf(json, "aws_security_group")) as Array<{ name: string; ingress: Array<Record<string, unknown>> }>;

  test("its worker is used once, in a group of its own", () => {
    expect([mr!.autoscaler.maxUseCount, mr!.autoscaler.group.name, prot!.autoscaler.group.name]).toEqual([1, "acme-ci-dev-mr-workers", "acme-ci-dev-prot-protected-workers"]);
  });

  test("its worker holds no AWS credentials (no instance profile) and no secret (user data, job environment)", () => {
    expect(templates.find((t) => t.name === "acme-ci-dev-mr-workers")!.iam_instance_profile).toBeUndefined();
    expect(fleet.workerUserData).not.toMatch(/glrt-|PRIVATE KEY|"auths"|aws_secret/i);
    expect(Object.keys(mr!.environment ?? {})).toEqual(["DOCKER_AUTH_CONFIG"]);
    expect(JSON.parse(mr!.environment!.DOCKER_AUTH_CONFIG!)).toEqual({ credHelpers: { "111111111111.dkr.ecr.eu-central-1.amazonaws.com": "ecr-login" } });
  });

  test("it cannot open a connection to any worker (only the manager's group is admitted, never a worker group or itself)", () => {
    const workerGroupIds = sgs.filter((s) => s.name.endsWith("-workers")).map((s) => s.name);
    for (const sg of sgs.filter((s) => s.name.endsWith("-workers"))) {
      expect(sg.ingress.flatMap((r) => r.security_groups as string[])).toEqual([expect.stringMatching(/manager-security-group/)]);
      expect(sg.ingress.every((r) => r.self === false)).toBe(true);
    }
    expect(workerGroupIds).toHaveLength(3);
  });

  test("its cache prefix is not the protected pool's", () => {
    const [a, b] = [`${mr!.cache!.path}/`, `${prot!.cache!.path}/`];
    expect([a, b]).toEqual(["gitlab-runner/unprotected/", "gitlab-runner/protected/"]);
    expect(a.startsWith(b) || b.startsWith(a)).toBe(false);
  });
});
