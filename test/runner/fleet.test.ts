import { Testing } from "cdktf";
import { allowedOnAnyResource } from "../../lib/core/iam";
import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { RunnerFleet, type RunnerFleetProps, mirrorPorts } from "../../lib/runner/fleet";
import { officeHours } from "../../lib/runner/schedule";
import { onlyResource, resourcesOf, synth, testStack, type SynthJson } from "../support/synth";
import { deliveredScript, fakeCache, fakeMirror, fleetProps } from "./fixtures";

function build(patch: Partial<RunnerFleetProps> = {}) {
  const stack = testStack();
  const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack, patch));
  return { stack, fleet, ...synth(stack) };
}

interface LaunchTemplateJson {
  readonly metadata_options: unknown;
  readonly block_device_mappings: unknown;
  readonly image_id: string;
  readonly iam_instance_profile: unknown;
  readonly tag_specifications: ReadonlyArray<{ resource_type: string; tags: Record<string, string> }>;
  readonly user_data: string;
}
interface GroupJson {
  readonly name: string;
  readonly min_size: number;
  readonly max_size: number;
  readonly desired_capacity: number;
  readonly vpc_zone_identifier: string[];
  readonly capacity_rebalance: boolean;
  readonly instance_refresh: unknown;
  readonly lifecycle: unknown;
  readonly depends_on: string[];
  readonly mixed_instances_policy: {
    instances_distribution: Record<string, unknown>;
    launch_template: { override: Array<{ instance_type: string }>; launch_template_specification: { version: string } };
  };
}
const groupOf = (json: SynthJson) => onlyResource(json, "aws_autoscaling_group") as unknown as GroupJson;

type Statement = { Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, string>> };
const statements = (json: SynthJson): Statement[] =>
  Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap((p) => (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement);

describe("RunnerFleet defaults", () => {
  const { json, fleet } = build({ cache: fakeCache, mirror: fakeMirror });
  const template = onlyResource(json, "aws_launch_template") as unknown as LaunchTemplateJson;
  const group = groupOf(json);

  test("IMDSv2 required with hop limit 1", () => {
    expect(template.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
  });

  test("an encrypted gp3 root volume sized for the system plus image storage (20 + 50 GiB)", () => {
    expect(template.block_device_mappings).toEqual([
      { device_name: "/dev/xvda", ebs: { volume_type: "gp3", volume_size: 70, iops: 3000, throughput: 125, encrypted: "true", delete_on_termination: "true" } },
    ]);
  });

  test("Amazon Linux 2023 from the public SSM parameter, the host role's instance profile, detailed tags", () => {
    expect(template.image_id).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
    expect(template.iam_instance_profile).toEqual({ arn: expect.stringMatching(/aws_iam_instance_profile\.fleet_host-role_profile/) });
    expect(template.tag_specifications.map((t) => t.resource_type)).toEqual(["instance", "volume", "network-interface"]);
    expect(template.tag_specifications[0]!.tags).toEqual({
      Name: "acme-ci-dev-runner",
      "gitlab-runner-fleet": "acme-ci-dev",
      "gitlab-runners": "build test",
      "gitlab-runner-token-revision": expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(template.user_data).toMatch(/^\$\{base64gzip\(".*"\)\}$/s);
  });

  test("no inbound rule anywhere; outbound only HTTPS, HTTP and the mirror's ports to its security group", () => {
    const sg = onlyResource(json, "aws_security_group") as { ingress: unknown[]; egress: Array<Record<string, unknown>> };
    expect(sg.ingress).toEqual([]);
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
    expect(resourcesOf(json, "aws_security_group_rule")).toEqual({});
    expect(sg.egress.map((r) => [r.from_port, r.to_port, r.protocol, r.cidr_blocks, r.security_groups])).toEqual([
      [443, 443, "tcp", ["0.0.0.0/0"], []],
      [80, 80, "tcp", ["0.0.0.0/0"], []],
      [8081, 8081, "tcp", [], ["sg-0123456789abcdef0"]],
      [8082, 8082, "tcp", [], ["sg-0123456789abcdef0"]],
    ]);
    // Inline rules are attributes in Terraform JSON: every field is present.
    for (const rule of sg.egress) {
      expect(Object.keys(rule).sort()).toEqual(["cidr_blocks", "description", "from_port", "ipv6_cidr_blocks", "prefix_list_ids", "protocol", "security_groups", "self", "to_port"]);
    }
    expect(fleet.securityGroupId).toMatch(/TOKEN/);
  });

  test("extra egress rules", () => {
    const sg = onlyResource(build({ additionalEgress: [{ description: "git over ssh", port: 22, cidrIpv4: "0.0.0.0/0" }] }).json, "aws_security_group") as { egress: Array<Record<string, unknown>> };
    expect(sg.egress.at(-1)).toEqual(expect.objectContaining({ description: "git over ssh", from_port: 22, to_port: 22, cidr_blocks: ["0.0.0.0/0"] }));
  });

  test("mixed instances: all spot above an on-demand base of 0, capacity-optimized, capacity rebalance", () => {
    expect(group.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_base_capacity: 0,
      on_demand_percentage_above_base_capacity: 0,
      on_demand_allocation_strategy: "prioritized",
      spot_allocation_strategy: "capacity-optimized",
    });
    expect(group.mixed_instances_policy.launch_template.override.map((o) => o.instance_type)).toEqual(["m7i.xlarge", "m6i.xlarge", "m5.xlarge"]);
    expect(group.mixed_instances_policy.launch_template.launch_template_specification.version).toMatch(/latest_version/);
    expect(group.capacity_rebalance).toBe(true);
    expect({ min: group.min_size, max: group.max_size, desired: group.desired_capacity, name: group.name }).toEqual({ min: 1, max: 3, desired: 1, name: "acme-ci-dev-runners" });
    expect(group.vpc_zone_identifier).toEqual(["subnet-0a1b2c3d", "subnet-4e5f6a7b"]);
  });

  test("instance refresh launches replacements first; desired capacity belongs to scaling after creation; hosts start after their policy and their script's parameters", () => {
    expect(group.instance_refresh).toEqual({
      strategy: "Rolling",
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200, instance_warmup: "300", skip_matching: true },
    });
    expect(group.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
    expect(group.depends_on).toEqual([
      expect.stringMatching(/^aws_iam_role_policy\.fleet_host-role_grants_policy/),
      ...Object.keys(resourcesOf(json, "aws_ssm_parameter")).map((id) => `aws_ssm_parameter.${id}`),
    ]);
    expect(Object.keys(resourcesOf(json, "aws_ssm_parameter")).length).toBeGreaterThan(1);
  });

  test("a termination lifecycle hook sized from the longest job (3600 s + 300 s drain margin)", () => {
    expect(onlyResource(json, "aws_autoscaling_lifecycle_hook")).toEqual(
      expect.objectContaining({
        name: "acme-ci-dev-drain",
        lifecycle_transition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeat_timeout: 3900,
        default_result: "CONTINUE",
      }),
    );
    expect(fleet.userData).toMatch(/DRAIN_TIMEOUT=3900\n\s+HEARTBEAT_INTERVAL=1950\n/);
    expect(fleet.userData).toMatch(/TimeoutStopSec=3900\n/);
  });

  test("target tracking keeps the average job-slot utilisation at 70 %", () => {
    expect(onlyResource(json, "aws_autoscaling_policy")).toEqual(
      expect.objectContaining({
        policy_type: "TargetTrackingScaling",
        target_tracking_configuration: {
          target_value: 70,
          customized_metric_specification: {
            namespace: "GitLab/RunnerFleet/acme-ci-dev",
            metric_name: "JobSlotUtilization",
            statistic: "Average",
            unit: "Percent",
            metric_dimension: [{ name: "AutoScalingGroupName", value: "acme-ci-dev-runners" }],
          },
        },
      }),
    );
  });

  test("the host role gets only what the fleet needs, scoped; wildcard only for actions without resources", () => {
    const all = statements(json);
    for (const s of all.filter((s) => s.Resource.includes("*"))) {
      expect(s.Action.filter((a) => !allowedOnAnyResource(a, Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c))))).toEqual([]);
    }
    const metric = all.find((s) => s.Action.includes("cloudwatch:PutMetricData"))!;
    // One namespace per fleet: a host cannot publish another fleet's utilisation.
    expect(metric.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "GitLab/RunnerFleet/acme-ci-dev" } });
    expect(all.find((s) => s.Action.includes("autoscaling:CompleteLifecycleAction"))).toEqual({
      Effect: "Allow",
      Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
      Resource: [expect.stringMatching(/:autoscaling:\$\{data\.aws_region\..*\}:\$\{data\.aws_caller_identity\..*\}:autoScalingGroup:\*:autoScalingGroupName\/acme-ci-dev-runners$/)],
    });
    // The runners' tokens, and the parts of the host script (its own parameters, by name).
    const scriptParameters = Object.values(resourcesOf(json, "aws_ssm_parameter")).map((p) => String(p.name));
    expect(all.find((s) => s.Action.includes("ssm:GetParameter"))!.Resource).toEqual([
      ...scriptParameters.map((name) => expect.stringMatching(new RegExp(`^arn:\\$\\{data\\.aws_partition\\..*:ssm:\\$\\{data\\.aws_region\\..*:parameter${name}$`))),
      "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/build/token",
      "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/test/token",
    ]);
    expect(all.find((s) => s.Action.includes("ecr:BatchGetImage"))!.Resource).toEqual([expect.stringMatching(/aws_ecr_repository\.app-repository.*\.arn/)]);
    expect(all.find((s) => s.Action.includes("s3:PutObject"))!.Resource).toEqual(["arn:aws:s3:::acme-ci-dev-runner-cache/gitlab-runner/*"]);
    expect(all.find((s) => s.Action.includes("logs:PutLogEvents"))!.Resource).toEqual([
      expect.stringMatching(/aws_cloudwatch_log_group\.fleet_log-group.*\.arn\}$/),
      expect.stringMatching(/aws_cloudwatch_log_group\.fleet_log-group.*\.arn\}:\*$/),
    ]);
    expect(all.flatMap((s) => s.Action).filter((a) => /^(ssm:GetParameters?ByPath|ssm:GetParameters|iam:|s3:\*|ec2:)/.test(a))).toEqual([]);
  });

  test("logs go to a log group with retention", () => {
    expect(onlyResource(json, "aws_cloudwatch_log_group")).toEqual(expect.objectContaining({ name: "/gitlab-runner/acme-ci-dev", retention_in_days: 30 }));
  });

  test("config.toml: DOCKER_AUTH_CONFIG with credHelpers ecr-login, the bundled helper image (not the mirror's), the S3 cache", () => {
    const build = fleet.runnerConfig.runners[0]!;
    const auth = JSON.parse(build.environment!.DOCKER_AUTH_CONFIG!) as { credHelpers: Record<string, string> };
    expect(Object.values(auth.credHelpers)).toEqual(["ecr-login"]);
    expect(build.docker.helperImage).toBeUndefined();
    expect(build.cache).toBe(fakeCache.settings);
    expect(fleet.concurrent).toBe(6);
  });

  test("daemon.json through the mirror", () => {
    expect(fleet.userData).toContain('"registry-mirrors": [\n          "http://10.0.1.10:8082"\n        ]');
  });

  test("snapshot of a fleet (Terraform JSON, and the user data as the host reads it, for readable diffs)", () => {
    const built = build({ cache: fakeCache, mirror: fakeMirror, schedules: officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 }) });
    expect(Testing.synth(built.stack)).toMatchSnapshot("terraform json");
    expect(built.fleet.userData).toMatchSnapshot("user data");
    // The script the hosts install from the parameters (base64 in the JSON above), readable.
    expect(deliveredScript(built.json)).toMatchSnapshot("host script");
  });
});

describe("RunnerFleet options", () => {
  test("schedules: a time zone, -1 for the sizes they leave alone, and Terraform leaves their sizes alone", () => {
    const { json } = build({ schedules: [...officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 }), { name: "weekend-cap", cron: "0 0 * * SAT", timeZone: "UTC", maxSize: 1 }] });
    const schedules = Object.values(resourcesOf(json, "aws_autoscaling_schedule"));
    expect(schedules.map((s) => [s.scheduled_action_name, s.recurrence, s.time_zone, s.min_size, s.max_size, s.desired_capacity]).sort()).toEqual([
      ["office-hours-end", "0 20 * * MON-FRI", "Europe/Berlin", 0, 0, 0],
      ["office-hours-start", "0 7 * * MON-FRI", "Europe/Berlin", 1, 4, -1],
      ["weekend-cap", "0 0 * * SAT", "UTC", -1, 1, -1],
    ]);
    expect(groupOf(json).lifecycle).toEqual({ ignore_changes: ["desired_capacity", "min_size", "max_size"] });
  });

  test("an on-demand base with spot above; all on-demand turns capacity rebalance off", () => {
    const base = build({ purchase: { onDemandBaseCapacity: 1 } }).json;
    expect(groupOf(base).mixed_instances_policy.instances_distribution.on_demand_base_capacity).toBe(1);
    expect(onlyResource(build({ purchase: { onDemandPercentageAboveBaseCapacity: 100 } }).json, "aws_autoscaling_group").capacity_rebalance).toBe(false);
  });

  test("jobs up to 3 h: heartbeat timeout at AWS's maximum 7200 s, heartbeats every hour", () => {
    const { json, fleet } = build({ maxJobTimeoutSeconds: 10_800 });
    expect(onlyResource(json, "aws_autoscaling_lifecycle_hook").heartbeat_timeout).toBe(7200);
    expect(fleet.userData).toMatch(/DRAIN_TIMEOUT=11100\n\s+HEARTBEAT_INTERVAL=3600\n/);
  });

  test("without job-slot scaling: no policy; the metrics (for the dashboard) stay in the fleet's namespace; minSize 0 is fine", () => {
    const { json, fleet } = build({ jobSlotScaling: false, capacity: { minSize: 0, maxSize: 2, desiredCapacity: 1 } });
    expect(resourcesOf(json, "aws_autoscaling_policy")).toEqual({});
    const metric = statements(json).find((s) => s.Action.includes("cloudwatch:PutMetricData"))!;
    expect(metric.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "GitLab/RunnerFleet/acme-ci-dev" } });
    expect(fleet.userData).toContain("METRIC_NAMESPACE=GitLab/RunnerFleet/acme-ci-dev\n");
  });

  test("a given host role is used instead of a new one", () => {
    const stack = testStack();
    const role = new RunnerHostRole(stack, "shared-role", { roleName: "shared-runner-host" });
    const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack, { hostRole: role }));
    expect(fleet.hostRole).toBe(role);
    expect(onlyResource(synth(stack).json, "aws_iam_role").name).toBe("shared-runner-host");
  });

  test("arm64 hosts get the arm64 AMI, Graviton types and the arm64 runner package", () => {
    const { json, fleet } = build({ architecture: "arm64" });
    expect(onlyResource(json, "aws_launch_template").image_id).toMatch(/al2023-ami-kernel-default-arm64$/);
    expect(fleet.userData).toContain("gitlab-runner_arm64.rpm");
  });

  test("a hop limit above 1 works but warns that jobs can reach the host role", () => {
    const { stack } = build({ imdsHopLimit: 2 });
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
    expect(warnings).toEqual([expect.stringMatching(/imdsHopLimit 2: job containers can reach the instance metadata service/)]);
  });

  test("mirror ports come from the literal parts of its URLs", () => {
    expect(mirrorPorts({ ...fakeMirror, registryMirrors: ["https://m.example.com"], insecureRegistries: [], rawProxyUrls: {}, helperImage: undefined })).toEqual([443]);
    expect(mirrorPorts(fakeMirror)).toEqual([8081, 8082]);
  });
});

