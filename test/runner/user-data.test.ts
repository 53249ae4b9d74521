import { parse } from "yaml";
import { replaceTokens } from "../../lib/core/tokens";
import { RunnerFleet } from "../../lib/runner/fleet";
import { officeHours } from "../../lib/runner/schedule";
import {
  DEFAULT_RUNNER_HOST_VERSIONS,
  HOST_PATHS,
  HOST_UNITS,
  USER_DATA_LIMIT_BYTES,
  cloudwatchAgentConfig,
  compressedUserDataSize,
  renderRunnerHostUserData,
  validateUserDataSize,
} from "../../lib/runner/user-data";
import { decodeFunctionCall } from "../support/hcl";
import { onlyResource, resourcesOf, type SynthJson, synth, testStack, violationOf } from "../support/synth";
import { fakeCache, fakeMirror, fleetProps, literalFleet, token } from "./fixtures";

/** A deliberately large fleet: three runners with long settings, cache, mirror, many registries. */
function largeFleet() {
  const stack = testStack();
  const base = fleetProps(stack, { cache: fakeCache, mirror: fakeMirror, schedules: officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 8 }) });
  const registries = Array.from({ length: 6 }, (_, i) => ({ registryHost: `12345678901${i}.dkr.ecr.eu-central-1.amazonaws.com`, grantPull: () => [] }));
  const docker = {
    image: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/acme/production/toolbox:latest",
    dockerAccess: "socket-binding" as const,
    allowedImages: Array.from({ length: 10 }, (_, i) => `123456789012.dkr.ecr.eu-central-1.amazonaws.com/acme/team-${i}/**`),
    volumes: ["/cache", "/srv/gradle:/root/.gradle", "/srv/npm:/root/.npm"],
  };
  const runners = ["build-and-package-images", "integration-tests-with-services", "static-analysis-and-linting"].map((name, i) => ({
    name,
    tokenSource: token(`a-rather-long-runner-token-parameter-name-${name}`),
    limit: 4,
    requestConcurrency: 2,
    docker,
    environment: { GRADLE_OPTS: "-Dorg.gradle.daemon=false", NPM_CONFIG_CACHE: "/root/.npm", BUILDPACK_STDLIB_URL: "http://10.0.1.10:8081/repository/buildpacks", RUNNER_INDEX: String(i) },
    writeStaticDockerAuthForJobs: true,
  }));
  return new RunnerFleet(stack, "fleet", { ...base, runners, repositories: registries });
}

describe("user data", () => {
  test("what Terraform's base64gzip() receives decodes to exactly the rendered cloud-config", () => {
    const stack = testStack();
    const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack, { cache: fakeCache, mirror: fakeMirror }));
    const userData = onlyResource(synth(stack).json, "aws_launch_template").user_data as string;
    expect(decodeFunctionCall(userData, "base64gzip")).toBe(replaceTokens(fleet.userData, "<TOKEN>"));
  });

  test(`a large fleet's user data stays within ${USER_DATA_LIMIT_BYTES} bytes once gzip+base64 encoded`, () => {
    const fleet = largeFleet();
    const size = compressedUserDataSize(fleet.userData);
    expect(size).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    // The margin is large: the uncompressed text alone would not fit.
    expect(Buffer.byteLength(fleet.userData)).toBeGreaterThan(size * 2);
  });

  test("the typical fleet leaves more than half of the limit free", () => {
    const stack = testStack();
    expect(compressedUserDataSize(new RunnerFleet(stack, "fleet", fleetProps(stack)).userData)).toBeLessThan(USER_DATA_LIMIT_BYTES / 2);
  });

  test("user data over the limit is refused with its size", () => {
    let seed = 7;
    const noise = Array.from({ length: 30_000 }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(seed = (seed * 48271) % 2147483647) % 62]).join("");
    const error = violationOf(() => validateUserDataSize("test/fleet", `#cloud-config\n# ${noise}\n`));
    expect(error.message).toMatch(/^test\/fleet: invalid user data size "\d+ bytes gzip\+base64 \(\d+ bytes uncompressed\)"\. Rule: EC2 user data is at most 16384 bytes\. Fix: /);
  });

  test("no token or secret literal in user data or in the synthesized stack; hosts get parameter names only", () => {
    const fleet = largeFleet();
    const text = synth(fleet.node.scope as never).text;
    for (const output of [fleet.userData, text]) {
      expect(output.match(/glrt-[A-Za-z0-9_.-]{8,}|AKIA[0-9A-Z]{16}|"auths"\s*:\s*\{\s*"/g)).toBeNull();
    }
    const tokenLines = fleet.userData.split("\n").filter((l) => /^\s*token = /.test(l));
    expect(tokenLines.map((l) => l.trim())).toEqual(['token = "@@RUNNER_TOKEN_0@@"', 'token = "@@RUNNER_TOKEN_1@@"', 'token = "@@RUNNER_TOKEN_2@@"']);
    expect(fleet.userData).toContain("RUNNER_TOKEN_PARAMETER_0=/acme-ci/dev/runner/a-rather-long-runner-token-parameter-name-build-and-package-images/token");
    // Terraform holds no token: the only parameters it creates carry the host script (String, not secret).
    const parameters = Object.values(resourcesOf(JSON.parse(text) as SynthJson, "aws_ssm_parameter"));
    expect(parameters.length).toBeGreaterThan(0);
    for (const parameter of parameters) {
      expect(parameter).toMatchObject({ type: "String", name: expect.stringMatching(/^\/runner-fleet\/[a-z0-9-]+\/script-[0-9a-f]{12}\/\d+$/) });
      expect(parameter.value).toBeUndefined();
    }
  });

  test("pins every package: docker, the ECR credential helper, the CloudWatch agent and GitLab Runner", () => {
    const text = renderRunnerHostUserData({
      runnerConfigTemplate: "concurrent = 1\n",
      daemonJson: "{}\n",
      tokenParameterNames: ["/p"],
      autoScalingGroupName: "g",
      lifecycleHookName: "h",
      concurrent: 1,
      drainTimeoutSeconds: 3900,
      heartbeatIntervalSeconds: 1950,
      logGroupName: "/l",
      versions: DEFAULT_RUNNER_HOST_VERSIONS,
      architecture: "x86_64",
    });
    expect(text).toContain("  - - docker\n    - 25.0.16\n  - - amazon-ecr-credential-helper\n    - 0.9.0\n  - - amazon-cloudwatch-agent\n    - 1.300044.0\n");
    expect(text).toContain("gitlab-runner-downloads/v18.11.2/rpm/gitlab-runner_amd64.rpm");
  });
});

describe("boot order", () => {
  const document = () => parse(literalFleet().userData) as { runcmd: string[][]; write_files: Array<{ path: string; content: string }> };
  const indexOf = (runcmd: string[][], predicate: (command: string[]) => boolean) => runcmd.findIndex(predicate);

  test("no restart of gitlab-runner after the package's post-install started it (a job taken in between would block boot)", () => {
    const { runcmd } = document();
    expect(runcmd.filter((c) => c.includes("restart") || (c.includes("stop") && c.some((a) => a.startsWith("gitlab-runner"))))).toEqual([]);
    const install = indexOf(runcmd, (c) => c[0] === "dnf" && c.some((a) => a.endsWith("gitlab-runner_amd64.rpm")));
    expect(install).toBeGreaterThan(0);
    // After the install, only an idempotent start (no-op when the post-install already started it).
    expect(runcmd.slice(install + 1).filter((c) => c.includes(HOST_UNITS.runner))).toEqual([["systemctl", "enable", "--now", HOST_UNITS.runner]]);
  });

  test("the watcher and the metrics and disk timers are started before the runner package can start the runner", () => {
    const { runcmd } = document();
    const watcher = indexOf(runcmd, (c) => c.includes(HOST_UNITS.watcher));
    const install = indexOf(runcmd, (c) => c[0] === "dnf");
    expect(watcher).toBeGreaterThanOrEqual(0);
    expect(watcher).toBeLessThan(install);
    expect(runcmd[watcher]).toEqual(["systemctl", "enable", "--now", HOST_UNITS.watcher, HOST_UNITS.metricsTimer, HOST_UNITS.cleanDiskTimer]);
  });

  test("the runner's drop-in (written before the package) makes every start read the tokens first", () => {
    const dropIn = document().write_files.find((f) => f.path === HOST_PATHS.runnerDropIn)!.content;
    expect(dropIn).toContain(`ExecStartPre=${HOST_PATHS.script} configure`);
    expect(dropIn).toContain("KillSignal=SIGQUIT");
  });

  test("the CloudWatch agent's configuration lives where fetch-config does not delete it", () => {
    const { runcmd, write_files } = document();
    expect(HOST_PATHS.cloudwatchAgentConfig.startsWith("/opt/aws/amazon-cloudwatch-agent/")).toBe(false);
    expect(write_files.map((f) => f.path)).toContain(HOST_PATHS.cloudwatchAgentConfig);
    expect(runcmd.find((c) => c.includes("fetch-config"))).toContain(`file:${HOST_PATHS.cloudwatchAgentConfig}`);
  });
});

describe("CloudWatch agent configuration", () => {
  test("ships cloud-init, runner and watcher logs to the fleet's log group, one stream per instance and file", () => {
    expect(cloudwatchAgentConfig("/gitlab-runner/acme-ci-dev")).toEqual({
      agent: { run_as_user: "root" },
      logs: {
        logs_collected: {
          files: {
            collect_list: [
              { file_path: "/var/log/cloud-init-output.log", log_group_name: "/gitlab-runner/acme-ci-dev", log_stream_name: "{instance_id}/cloud-init" },
              { file_path: "/var/log/runner-fleet/gitlab-runner.log", log_group_name: "/gitlab-runner/acme-ci-dev", log_stream_name: "{instance_id}/gitlab-runner" },
              { file_path: "/var/log/runner-fleet/runner-fleet.log", log_group_name: "/gitlab-runner/acme-ci-dev", log_stream_name: "{instance_id}/runner-fleet" },
            ],
          },
        },
      },
    });
  });
});
