import { App, Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { onlyResource, resourcesOf, type SynthJson, violationOf } from "../support/synth";

const stacks = buildPlatform(Testing.app(), exampleConfig);
const json = (env: string) => JSON.parse(Testing.synth(stacks.environments.get(env)!)) as SynthJson;
const dev = json("dev");
const production = json("production");
const withRunners = (runners: EnvironmentConfig["runners"], index = 0): PlatformConfig => ({
  ...exampleConfig,
  environments: exampleConfig.environments.map((e, i) => (i === index ? { ...e, runners } : e)),
});

type Group = { name: string; mixed_instances_policy: { instances_distribution: Record<string, unknown> } };
const groupNamed = (json: SynthJson, name: string) => Object.values(resourcesOf(json, "aws_autoscaling_group")).find((g) => g.name === name) as Group;

describe("example stacks: runner fleets", () => {
  test("every environment gets a network and one fleet named <project>-<environment>", () => {
    for (const env of ["dev", "staging", "production"]) {
      expect(stacks.environments.get(env)!.runnerFleet!.autoScalingGroupName).toBe(`acme-ci-${env}-runners`);
      expect(stacks.environments.get(env)!.network).toBeDefined();
    }
    expect(onlyResource(dev, "aws_vpc").cidr_block).toBe("10.10.0.0/16");
  });

  test("dev: all spot, off outside office hours in Berlin", () => {
    const group = groupNamed(dev, "acme-ci-dev-runners") as unknown as { mixed_instances_policy: { instances_distribution: Record<string, unknown> }; min_size: number; max_size: number };
    expect(group.mixed_instances_policy.instances_distribution).toEqual(expect.objectContaining({ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 0 }));
    expect({ min: group.min_size, max: group.max_size }).toEqual({ min: 1, max: 4 });
    const schedules = Object.values(resourcesOf(dev, "aws_autoscaling_schedule")).map((s) => [s.recurrence, s.time_zone, s.min_size, s.max_size]).sort();
    // The unprotected pool is a docker-autoscaler manager: its office hours are idle policies (below).
    expect(schedules).toEqual([
      ["0 20 * * MON-FRI", "Europe/Berlin", 0, 0],
      ["0 7 * * MON-FRI", "Europe/Berlin", 1, 4],
    ]);
    expect(Object.keys(resourcesOf(dev, "aws_nat_gateway"))).toHaveLength(1);
  });

  const hooksOf = (json: SynthJson) => Object.values(resourcesOf(json, "aws_autoscaling_lifecycle_hook"));

  test("production: an on-demand base, always on, a NAT gateway per zone, a 2 h job timeout", () => {
    const group = groupNamed(production, "acme-ci-production-runners");
    expect(group.mixed_instances_policy.instances_distribution.on_demand_base_capacity).toBe(1);
    expect(resourcesOf(production, "aws_autoscaling_schedule")).toEqual({});
    expect(Object.keys(resourcesOf(production, "aws_nat_gateway"))).toHaveLength(2);
    expect(hooksOf(production).map((h) => h.heartbeat_timeout)).toEqual([7200, 7200]);
  });

  test("production's deploy fleet: its own hosts and host role, all on-demand, no docker socket, no shared cache", () => {
    const group = groupNamed(production, "acme-ci-production-deploy-runners");
    expect(group.mixed_instances_policy.instances_distribution).toEqual(
      expect.objectContaining({ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 100 }),
    );
    const built = buildPlatform(new App(), exampleConfig).environments.get("production")!;
    const deploy = built.deployFleet!;
    expect(deploy.hostRole).not.toBe(built.runnerFleet!.hostRole);
    const [deployRunner] = deploy.runnerConfig.runners;
    expect(deployRunner!.docker.dockerAccess).toBe("none");
    expect(deployRunner).not.toHaveProperty("cache");
    expect(built.runnerFleet!.runnerConfig.runners.map((r) => r.docker.dockerAccess)).toEqual(["socket-binding", "none"]);
    // One registry, one credHelpers entry (a literal host, not a token per repository).
    expect(JSON.parse(deployRunner!.environment!.DOCKER_AUTH_CONFIG!)).toEqual({
      credHelpers: { "222222222222.dkr.ecr.eu-central-1.amazonaws.com": "ecr-login" },
    });
  });

  test("hosts read tokens from their registrations' parameters and pull the protected repositories of the tenants they serve", () => {
    const hostPolicy = Object.values(resourcesOf(dev, "aws_iam_role_policy")).find((p) => String(p.role).includes("identity_runner-host"))!;
    const policy = JSON.parse(hostPolicy.policy as string) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
    // ... and the parts of the fleet's host script (String parameters of its own).
    const script = Object.values(resourcesOf(dev, "aws_ssm_parameter")).map((p) => String(p.name)).filter((n) => n.startsWith("/runner-fleet/acme-ci-dev/"));
    expect(script.length).toBeGreaterThan(0);
    expect(policy.Statement.find((s) => s.Action.includes("ssm:GetParameter"))!.Resource).toEqual([
      expect.stringMatching(/^\$\{aws_ssm_parameter\.platform_gitlab_runner-build_token_[A-F0-9]+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_ssm_parameter\.platform_gitlab_runner-test_token_[A-F0-9]+\.arn\}$/),
      ...script.map((name) => expect.stringMatching(new RegExp(`:ssm:.*:parameter${name}$`))),
    ]);
    // The protected pool serves every tenant: their seven protected repositories (app and web with three
    // each, toolbox with one), each once; never the unprotected copies (protected jobs never run them).
    const pulls = policy.Statement.find((s) => s.Action.includes("ecr:BatchGetImage") && !s.Action.includes("ecr:BatchImportUpstreamImage"))!;
    expect(pulls.Resource).toHaveLength(7);
    expect(pulls.Resource.every((r) => /^\$\{aws_ecr_repository\./.test(r) && !r.includes("-unprotected-"))).toBe(true);
    // Pulling through dev's ECR mirror: exactly the account's three pull-through prefixes.
    const pullThrough = policy.Statement.find((s) => s.Action.includes("ecr:BatchImportUpstreamImage"))!;
    expect([...pullThrough.Resource].sort()).toEqual(
      ["ecr-public", "k8s", "quay"].map((prefix) => `arn:aws:ecr:eu-central-1:111111111111:repository/${prefix}/*`),
    );
  });

  test("dev's unprotected pool: a docker-autoscaler manager, single-use workers from zero, one ready in office hours and none at night", () => {
    const autoscaler = stacks.environments.get("dev")!.platform.unprotectedAutoscaler!;
    expect(stacks.environments.get("dev")!.platform.unprotectedFleet).toBeUndefined();
    const [mr] = autoscaler.runnerConfig.runners;
    expect({ name: mr!.name, maxUseCount: mr!.autoscaler.maxUseCount, maxInstances: mr!.autoscaler.maxInstances, cache: mr!.cache!.path }).toEqual({
      name: "mr",
      maxUseCount: 1,
      maxInstances: 12,
      cache: expect.stringMatching(/unprotected$/),
    });
    expect(mr!.autoscaler.policies).toEqual([
      { timeZone: "Europe/Berlin", idleCount: 0, idleTimeSeconds: 600 },
      { periods: ["* 7-19 * * MON-FRI"], timeZone: "Europe/Berlin", idleCount: 1, idleTimeSeconds: 1200 },
    ]);
    const workers = groupNamed(dev, "acme-ci-dev-unprotected-mr-workers") as unknown as { min_size: number; max_size: number; protect_from_scale_in: boolean };
    expect([workers.min_size, workers.max_size, workers.protect_from_scale_in]).toEqual([0, 12, true]);
    // The only scaling policy is the protected fleet's job-slot tracking; none targets the workers.
    expect(Object.values(resourcesOf(dev, "aws_autoscaling_policy")).map((p) => p.name)).toEqual(["acme-ci-dev-job-slots"]);
  });

  test("an existing VPC instead of a new one (which says whether it reaches the EC2 Instance Connect API)", () => {
    const existing = { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"], reachesEc2InstanceConnectApi: true } };
    const app = new App();
    const built = buildPlatform(app, withRunners({ ...exampleConfig.environments[0]!.runners!, network: existing }));
    const j = JSON.parse(Testing.synth(built.environments.get("dev")!)) as SynthJson;
    expect(resourcesOf(j, "aws_vpc")).toEqual({});
    for (const group of Object.values(resourcesOf(j, "aws_autoscaling_group"))) expect(group.vpc_zone_identifier).toEqual(["subnet-0a1b2c3d", "subnet-4e5f6a7b"]);
  });
});

describe("runner configuration validation", () => {
  const runners = exampleConfig.environments[0]!.runners!;

  test("an unprotected pool mode outside the model (plain JavaScript)", () => {
    const error = violationOf(() => validateConfig(withRunners({ ...runners, unprotected: { ...runners.unprotected!, mode: "autoscaler" as never } })));
    expect(error.message).toMatch(/^config\/environments\[0\]\/runners\/unprotected: invalid mode "autoscaler"\. Rule: one of fleet, docker-autoscaler/);
  });

  test("duplicate runner names", () => {
    const error = violationOf(() => validateConfig(withRunners({ ...runners, runners: [runners.runners[0]!, runners.runners[0]!] })));
    expect(error.message).toMatch(/^config\/environments\[0\]\/runners\/runners\[1\]: invalid runner name "build"\. Rule: runner names are unique in an environment, across its pools/);
  });

  test("an office-hours time zone that does not exist", () => {
    const error = violationOf(() => validateConfig(withRunners({ ...runners, officeHours: { timeZone: "Europe/Berlinn", minSize: 1, maxSize: 2 } })));
    expect(error.message).toMatch(/^config\/environments\[0\]\/runners\/officeHours\[0\]: invalid time zone "Europe\/Berlinn"/);
  });

  test("min > max", () => {
    expect(violationOf(() => validateConfig(withRunners({ ...runners, capacity: { minSize: 3, maxSize: 1 } }))).message).toMatch(
      /^config\/environments\[0\]\/runners: invalid capacity minSize > maxSize/,
    );
  });

  test("a fleet name over 40 characters", () => {
    const error = violationOf(() => validateConfig({ ...withRunners(runners), project: "acme-continuous-intg", environments: [{ ...exampleConfig.environments[0]!, name: "development-sandbox1" }] }));
    expect(error.message).toMatch(/invalid fleet name "acme-continuous-intg-development-sandbox1"\. Rule: the fleet name <project>-<environment> is at most 40 characters/);
  });
});
