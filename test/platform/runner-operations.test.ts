import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { type EnvironmentConfig } from "../../lib/platform/config";
import { GitLabCiPlatform } from "../../lib/platform/platform";
import { RegistrySettings } from "../../lib/registry/registry-settings";
import { RunnerFleetDashboard } from "../../lib/runner/dashboard";
import { resourcesOf, type SynthJson, violationOf } from "../support/synth";

// The environment configuration reaches the fleet's operational settings, and every fleet gets a dashboard.

const environment: EnvironmentConfig = {
  name: "sandbox",
  accountId: "111111111111",
  region: "eu-central-1",
  gitlab: { url: "https://gitlab.example.com", group: "acme", projects: ["acme/app"] },
  registry: { repositories: [{ id: "app", description: "The application image" }] },
  mirror: { kind: "ecr-pull-through" },
  runners: {
    runners: [{ name: "build", limit: 2, dockerAccess: "socket-binding", image: "docker:27" }],
    instanceTypes: ["c7g.xlarge", "m7g.xlarge"],
    versions: { gitlabRunner: "18.11.3" },
    imageId: "ami-0123456789abcdef0",
    concurrent: 3,
    logRetentionDays: 90,
    alarmActions: ["arn:aws:sns:eu-central-1:111111111111:ops"],
  },
};

function build(env: EnvironmentConfig) {
  const stack = new TerraformStack(Testing.app(), "plain");
  new AwsProvider(stack, "aws", { region: "eu-central-1" });
  new GitlabProvider(stack, "gitlab", { baseUrl: "https://gitlab.example.com/api/v4/" });
  const registry = new RegistrySettings(stack, "registry", { accountId: "111111111111", region: "eu-central-1", pullThroughCache: [{ upstream: "gitlab-container-registry", credentialSecretArn: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:ecr-pullthroughcache/gitlab-AbCdEf" }] });
  const platform = new GitLabCiPlatform(stack, "ci", { platform: { project: "acme" }, environment: env, registrySettings: registry });
  return { platform, json: JSON.parse(Testing.synth(stack)) as SynthJson };
}

test("versions, AMI, concurrent and log retention from RunnersConfig reach the fleet", () => {
  const { platform, json } = build(environment);
  const fleet = platform.runnerFleet!;
  expect(fleet.userData).toContain("gitlab-runner-downloads/v18.11.3/rpm/gitlab-runner_arm64.rpm");
  expect(fleet.concurrent).toBe(3);
  expect(Object.values(resourcesOf(json, "aws_launch_template"))[0]!.image_id).toBe("ami-0123456789abcdef0");
  const hostLogs = Object.values(resourcesOf(json, "aws_cloudwatch_log_group")).filter((g) => String(g.name).startsWith("/gitlab-runner/"));
  expect(hostLogs.map((g) => g.retention_in_days)).toEqual([90]);
});

test("the mirror's helper tag follows the runners' architecture (arm64 instance types)", () => {
  const { platform } = build(environment);
  expect(platform.mirrorEndpoint?.helperImage).toMatch(/:arm64-v\$\{CI_RUNNER_VERSION\}$/);
});

test("every fleet gets a dashboard whose alarms notify the configured actions", () => {
  const { platform, json } = build(environment);
  const dashboard = platform.runnerDashboards.get("runner-fleet");
  expect(dashboard).toBeInstanceOf(RunnerFleetDashboard);
  expect(dashboard!.dashboardName).toBe("acme-sandbox-runners");
  expect([...platform.runnerDashboards.keys()]).toEqual(["runner-fleet"]);
  const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
  expect(alarms.length).toBeGreaterThanOrEqual(3);
  expect(alarms.every((a) => JSON.stringify(a.alarm_actions) === '["arn:aws:sns:eu-central-1:111111111111:ops"]')).toBe(true);
});

test("office hours that end before they start are refused at their configuration path", () => {
  const env: EnvironmentConfig = { ...environment, runners: { ...environment.runners!, officeHours: { timeZone: "Europe/Berlin", minSize: 1, maxSize: 2, startHour: 19, endHour: 8 } } };
  const e = violationOf(() => build(env));
  expect(e.path).toMatch(/runners\/officeHours$/);
  expect(e.subject).toBe("startHour and endHour");
});

describe("the AMI per pool and architecture", () => {
  const ARM_AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";
  const imageIds = (json: SynthJson) => Object.fromEntries(Object.values(resourcesOf(json, "aws_launch_template")).map((t) => [String(t.name), t.image_id]));

  test("a Graviton protected pool's arm64 imageId never reaches the x86_64 deploy or unprotected pools; pools of its architecture inherit it", () => {
    const env: EnvironmentConfig = {
      ...environment,
      runners: {
        ...environment.runners!,
        imageId: ARM_AMI,
        unprotected: { runners: [{ name: "mr-build", limit: 1, dockerAccess: "none", image: "alpine:3.20" }], instanceTypes: ["m7g.large"], concurrent: 2 },
        deploy: {},
      },
    };
    const { platform, json } = build(env);
    expect(imageIds(json)).toEqual({
      "acme-sandbox-runner-host": ARM_AMI,
      "acme-sandbox-unprotected-runner-host": ARM_AMI,
      "acme-sandbox-deploy-runner-host": "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    });
    expect(platform.unprotectedFleet?.concurrent).toBe(2);
  });

  test("a pool's own imageId wins", () => {
    const env: EnvironmentConfig = { ...environment, runners: { ...environment.runners!, imageId: ARM_AMI, deploy: { imageId: "ami-0fedcba9876543210" } } };
    expect(imageIds(build(env).json)["acme-sandbox-deploy-runner-host"]).toBe("ami-0fedcba9876543210");
  });

  test("an x86_64 AMI parameter with Graviton instance types is refused at the pool's configuration path", () => {
    const x86 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    const e = violationOf(() => build({ ...environment, runners: { ...environment.runners!, imageId: x86 } }));
    expect(e.subject).toBe("imageId");
    expect(e.value).toBe(x86);
    expect(e.path).toMatch(/runners$/);
    expect(e.message).toMatch(/are arm64: EC2 refuses/);
  });
});
