import { statSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { RUNNER_FLEET_SCRIPT, renderEnvironmentFile } from "../../lib/runner/host-files";
import { DEFAULT_RUNNER_HOST_VERSIONS, type RunnerHostInput, runnerHostEnvironment } from "../../lib/runner/user-data";
import { FAIL, FakeHost } from "../support/fake-host";

const script = path.resolve(__dirname, "../../lib/runner/assets/runner-fleet.sh");
const STATE = "latest/meta-data/autoscaling/target-lifecycle-state";
const SPOT = "latest/meta-data/spot/instance-action";
const REBALANCE = "latest/meta-data/events/recommendations/rebalance";

/** Prometheus text with the given running-job counts (one series each) and a counter that must not count. */
const metrics = (...jobs: number[]) =>
  [
    "# HELP gitlab_runner_jobs The number of running builds",
    "# TYPE gitlab_runner_jobs gauge",
    ...jobs.map((n, i) => `gitlab_runner_jobs{executor_stage="docker_run",runner="r${i}",stage="step_script",state="running",system_id="s_1"} ${n}`),
    "gitlab_runner_jobs_total 41",
    "gitlab_runner_concurrent 4",
    "",
  ].join("\n");

/** The settings a fleet renders for its hosts (lib/runner/user-data.ts). */
const hostInput: RunnerHostInput = {
  runnerConfigTemplate: "",
  daemonJson: "",
  tokenParameterNames: ["/acme-ci/dev/runner/build/token", "/acme-ci/dev/runner/test/token"],
  autoScalingGroupName: "acme-ci-dev-runners",
  lifecycleHookName: "acme-ci-dev-drain",
  concurrent: 4,
  drainTimeoutSeconds: 30,
  heartbeatIntervalSeconds: 15,
  metric: { namespace: "GitLab/RunnerFleet", name: "JobSlotUtilization" },
  logGroupName: "/gitlab-runner/acme-ci-dev",
  versions: DEFAULT_RUNNER_HOST_VERSIONS,
  architecture: "x86_64",
};

test("the fleet's environment file provides every setting the script requires", () => {
  const required = [...RUNNER_FLEET_SCRIPT.matchAll(/\$\{([A-Z_]+):\?\}/g)].map((m) => m[1]!);
  const dynamic = [...RUNNER_FLEET_SCRIPT.matchAll(/_var="([A-Z_]+)\$i"/g)].flatMap((m) => [0, 1].map((i) => `${m[1]}${i}`));
  expect(required.length).toBeGreaterThan(5);
  expect(dynamic).toEqual(["RUNNER_TOKEN_PARAMETER_0", "RUNNER_TOKEN_PARAMETER_1", "RUNNER_TOKEN_PLACEHOLDER_0", "RUNNER_TOKEN_PLACEHOLDER_1"]);
  const provided = Object.keys(runnerHostEnvironment(hostInput));
  expect([...new Set([...required, ...dynamic])].filter((name) => !provided.includes(name))).toEqual([]);
});

let host: FakeHost;
beforeEach(() => {
  host = new FakeHost()
    .respond("latest/meta-data/instance-id", "i-0123456789abcdef0")
    .respond("latest/meta-data/placement/region", "eu-central-1");
});
afterEach(() => host.dispose());

function run(command: string, overrides: Record<string, string | number> = {}) {
  const envFile = host.file(
    "fleet.env",
    renderEnvironmentFile("test", {
      ...runnerHostEnvironment(hostInput),
      // The fakes: the metrics endpoint, files in the fake host's directory, short timings.
      METRICS_URL: "http://metrics.invalid/metrics",
      RUNNER_CONFIG: path.join(host.dir, "config.toml"),
      RUNNER_CONFIG_TEMPLATE: path.join(host.dir, "config.toml.template"),
      HEARTBEAT_INTERVAL: 0,
      ...overrides,
    }),
  );
  return host.run(script, [command], {
    RUNNER_FLEET_ENV: envFile,
    POLL_INTERVAL: "0",
    DRAIN_POLL_INTERVAL: "0",
    MAX_ITERATIONS: "3",
    TOKEN_FETCH_DELAY: "0",
  });
}

/** The calls that change something (stop services, lifecycle and metric calls), in order. */
const actions = () => host.calls().filter((c) => /^systemctl stop|^aws (autoscaling|cloudwatch)/.test(c));

describe("drain watcher", () => {
  test("an instance in service with no notices: polls and does nothing", () => {
    host.respond(STATE, "InService");
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(actions()).toEqual([]);
    expect(host.calls().filter((c) => c.includes(STATE))).toHaveLength(3);
  });

  test("Terminating:Wait: stops taking jobs, waits while gitlab_runner_jobs > 0, then completes the lifecycle action", () => {
    host
      .respond(STATE, "InService", "Terminated")
      .respond("state", "deactivating")
      .respond("metrics", metrics(2, 1), metrics(1), metrics(0, 0));
    const result = run("watch");
    expect(result.status).toBe(0);
    const lifecycle =
      "--region eu-central-1 --auto-scaling-group-name acme-ci-dev-runners --lifecycle-hook-name acme-ci-dev-drain --instance-id i-0123456789abcdef0";
    expect(actions()).toEqual([
      "systemctl stop --no-block gitlab-runner.service",
      "systemctl stop --no-block runner-fleet-metrics.timer",
      `aws autoscaling record-lifecycle-action-heartbeat ${lifecycle}`,
      `aws autoscaling record-lifecycle-action-heartbeat ${lifecycle}`,
      `aws autoscaling complete-lifecycle-action ${lifecycle} --lifecycle-action-result CONTINUE`,
    ]);
    expect(result.stderr).toMatch(/waiting for 3 running job\(s\)[\s\S]*waiting for 1 running job\(s\)[\s\S]*no job is running/);
  });

  test("completes as soon as the runner process has exited, without reading metrics", () => {
    host.respond(STATE, "Terminated").respond("state", "inactive");
    expect(run("watch").status).toBe(0);
    expect(actions().at(-1)).toMatch(/^aws autoscaling complete-lifecycle-action /);
    expect(host.calls().some((c) => c.includes("metrics.invalid"))).toBe(false);
  });

  test("keeps waiting while the runner runs but its metrics do not answer", () => {
    host.respond(STATE, "Terminated").respond("state", "deactivating").respond("metrics", FAIL, FAIL, metrics(0));
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(result.stderr.match(/waiting for unknown running job\(s\)/g)).toHaveLength(2);
    expect(result.stderr).toMatch(/no job is running/);
    expect(actions().at(-1)).toMatch(/^aws autoscaling complete-lifecycle-action /);
  });

  test("completes the lifecycle action at the drain timeout even if jobs still run (AWS would terminate anyway)", () => {
    host.respond(STATE, "Terminated").respond("state", "deactivating").respond("metrics", metrics(1));
    const result = run("watch", { DRAIN_TIMEOUT: 0 });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/drain timeout \(0s\) with jobs=1: completing the lifecycle action anyway/);
    expect(actions().filter((c) => c.startsWith("aws"))).toEqual([expect.stringMatching(/^aws autoscaling complete-lifecycle-action /)]);
  });

  test.each([
    ["a spot interruption notice", SPOT, '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}'],
    ["a rebalance recommendation", REBALANCE, '{"noticeTime": "2026-11-22T10:00:00Z"}'],
  ])("%s: stops taking jobs at once, and only once", (_, key, body) => {
    host.respond(STATE, "InService").respond(key, body);
    expect(run("watch").status).toBe(0);
    expect(actions()).toEqual(["systemctl stop --no-block gitlab-runner.service", "systemctl stop --no-block runner-fleet-metrics.timer"]);
  });
});

describe("job-slot metric", () => {
  test("publishes running jobs / concurrent in percent for the group", () => {
    host.respond("metrics", metrics(2, 1));
    expect(run("publish-metric").status).toBe(0);
    expect(actions()).toEqual([
      "aws cloudwatch put-metric-data --region eu-central-1 --namespace GitLab/RunnerFleet --metric-name JobSlotUtilization --unit Percent --value 75.0 --dimensions AutoScalingGroupName=acme-ci-dev-runners",
    ]);
  });

  test("publishes nothing while the runner's metrics endpoint does not answer (a booting host must not look idle)", () => {
    const result = run("publish-metric");
    expect(result.status).toBe(0);
    expect(actions()).toEqual([]);
    expect(result.stderr).toMatch(/does not answer: nothing published/);
  });
});

describe("configure (token at boot)", () => {
  const template = 'concurrent = 6\n\n[[runners]]\nname = "build"\ntoken = "@@RUNNER_TOKEN_0@@"\n\n[[runners]]\nname = "test"\ntoken = "@@RUNNER_TOKEN_1@@"\n';
  const tokens = ["glrt-t1_AAAAbbbbCCCCdddd1234", "glrt-t1_ZZZZyyyyXXXXwwww9876"];

  test("reads each token with --with-decryption and writes config.toml with mode 0600, never printing a token", () => {
    host.file("config.toml.template", template);
    host.respond("aws ssm get-parameter", ...tokens);
    const result = run("configure");
    expect(result.status).toBe(0);
    const config = readFileSync(path.join(host.dir, "config.toml"), "utf8");
    expect(config).toBe(template.replace("@@RUNNER_TOKEN_0@@", tokens[0]!).replace("@@RUNNER_TOKEN_1@@", tokens[1]!));
    expect(statSync(path.join(host.dir, "config.toml")).mode & 0o777).toBe(0o600);
    expect(host.calls().filter((c) => c.startsWith("aws"))).toEqual([
      "aws ssm get-parameter --region eu-central-1 --name /acme-ci/dev/runner/build/token --with-decryption --query Parameter.Value --output text",
      "aws ssm get-parameter --region eu-central-1 --name /acme-ci/dev/runner/test/token --with-decryption --query Parameter.Value --output text",
    ]);
    for (const token of tokens) expect(result.stdout + result.stderr + host.calls().join("\n")).not.toContain(token);
  });

  test("refuses a parameter value that is not a token (it would break config.toml) and writes nothing", () => {
    host.file("config.toml.template", template);
    host.respond("aws ssm get-parameter", 'x" \n[evil]');
    const result = run("configure");
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/does not hold a runner authentication token/);
    expect(existsSync(path.join(host.dir, "config.toml"))).toBe(false);
  });

  test("retries a failing read (IAM propagation), then gives up", () => {
    host.file("config.toml.template", template);
    host.respond("aws ssm get-parameter", FAIL);
    const result = run("configure", { TOKEN_FETCH_ATTEMPTS: 3 });
    expect(result.status).not.toBe(0);
    expect(host.calls().filter((c) => c.startsWith("aws ssm"))).toHaveLength(3);
    expect(existsSync(path.join(host.dir, "config.toml"))).toBe(false);
  });

  test("a template without the runner's placeholder is an error", () => {
    host.file("config.toml.template", "concurrent = 1\n");
    expect(run("configure").stderr).toMatch(/has no @@RUNNER_TOKEN_0@@/);
  });
});
