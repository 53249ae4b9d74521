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

describe("example stacks: runner fleets", () => {
  test("every environment gets a network and one fleet named <project>-<environment>", () => {
    for (const env of ["dev", "staging", "production"]) {
      expect(stacks.environments.get(env)!.runnerFleet!.autoScalingGroupName).toBe(`acme-ci-${env}-runners`);
      expect(stacks.environments.get(env)!.network).toBeDefined();
    }
    expect(onlyResource(dev, "aws_vpc").cidr_block).toBe("10.10.0.0/16");
  });

  test("dev: all spot, off outside office hours in Berlin", () => {
    const group = onlyResource(dev, "aws_autoscaling_group") as { mixed_instances_policy: { instances_distribution: Record<string, unknown> }; min_size: number; max_size: number };
    expect(group.mixed_instances_policy.instances_distribution).toEqual(expect.objectContaining({ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 0 }));
    expect({ min: group.min_size, max: group.max_size }).toEqual({ min: 1, max: 4 });
    const schedules = Object.values(resourcesOf(dev, "aws_autoscaling_schedule")).map((s) => [s.recurrence, s.time_zone, s.min_size, s.max_size]).sort();
    expect(schedules).toEqual([
      ["0 20 * * MON-FRI", "Europe/Berlin", 0, 0],
      ["0 7 * * MON-FRI", "Europe/Berlin", 1, 4],
    ]);
    expect(Object.keys(resourcesOf(dev, "aws_nat_gateway"))).toHaveLength(1);
  });

  test("production: an on-demand base, always on, a NAT gateway per zone, a 2 h job timeout", () => {
    const group = onlyResource(production, "aws_autoscaling_group") as { mixed_instances_policy: { instances_distribution: Record<string, unknown> } };
    expect(group.mixed_instances_policy.instances_distribution.on_demand_base_capacity).toBe(1);
    expect(resourcesOf(production, "aws_autoscaling_schedule")).toEqual({});
    expect(Object.keys(resourcesOf(production, "aws_nat_gateway"))).toHaveLength(2);
    expect(onlyResource(production, "aws_autoscaling_lifecycle_hook").heartbeat_timeout).toBe(7200);
  });

  test("hosts read tokens from /<project>/<env>/runner/<name>/token and pull from the environment's repositories", () => {
    const policy = JSON.parse(onlyResource(dev, "aws_iam_role_policy").policy as string) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
    expect(policy.Statement.find((s) => s.Action.includes("ssm:GetParameter"))!.Resource).toEqual([
      "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/build/token",
      "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/test/token",
    ]);
    expect(policy.Statement.find((s) => s.Action.includes("ecr:BatchGetImage"))!.Resource).toHaveLength(3);
  });

  test("an existing VPC instead of a new one", () => {
    const existing = { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"] } };
    const app = new App();
    const built = buildPlatform(app, withRunners({ ...exampleConfig.environments[0]!.runners!, network: existing }));
    const j = JSON.parse(Testing.synth(built.environments.get("dev")!)) as SynthJson;
    expect(resourcesOf(j, "aws_vpc")).toEqual({});
    expect(onlyResource(j, "aws_autoscaling_group").vpc_zone_identifier).toEqual(["subnet-0a1b2c3d", "subnet-4e5f6a7b"]);
  });
});

describe("runner configuration validation", () => {
  const runners = exampleConfig.environments[0]!.runners!;

  test("duplicate runner names", () => {
    const error = violationOf(() => validateConfig(withRunners({ ...runners, runners: [runners.runners[0]!, runners.runners[0]!] })));
    expect(error.message).toMatch(/^config\/environments\[0\]\/runners\/runners\[1\]: invalid runner name "build"\. Rule: runner names are unique in a fleet/);
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
