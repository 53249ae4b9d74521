import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RUNNER_FLEET_SCRIPT, renderEnvironmentFile } from "../../lib/runner/host-files";
import { DEFAULT_RUNNER_HOST_VERSIONS, HOST_PATHS, type RunnerHostInput, runnerHostCloudConfig, runnerHostEnvironment } from "../../lib/runner/user-data";
import { FAIL, FakeHost, HANG, runnerMetricsText } from "../support/fake-host";

// The script exactly as hosts get it (comments stripped).
const scriptDir = mkdtempSync(path.join(tmpdir(), "runner-fleet-script-"));
const script = path.join(scriptDir, "runner-fleet");
writeFileSync(script, RUNNER_FLEET_SCRIPT);
afterAll(() => rmSync(scriptDir, { recursive: true, force: true }));
const STATE = "latest/meta-data/autoscaling/target-lifecycle-state";
const SPOT = "latest/meta-data/spot/instance-action";
const REBALANCE = "latest/meta-data/events/recommendations/rebalance";

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

function run(command: string, overrides: Record<string, string | number> = {}, processEnv: Record<string, string> = {}) {
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
    STATE_DIR: stateDir(),
    ...processEnv,
  });
}

/** The fake host's state directory (the hold file lives there). */
const stateDir = () => path.join(host.dir, "state");
const holdFile = () => path.join(stateDir(), "runner-held");

/** The calls that change something (services, lifecycle and metric calls), in order. */
const actions = () => host.calls().filter((c) => /^systemctl (stop|start|kill)|^aws (autoscaling|cloudwatch)/.test(c));
const LIFECYCLE =
  "--region eu-central-1 --auto-scaling-group-name acme-ci-dev-runners --lifecycle-hook-name acme-ci-dev-drain --instance-id i-0123456789abcdef0";
const HEARTBEAT = `aws autoscaling record-lifecycle-action-heartbeat ${LIFECYCLE}`;
const COMPLETE = `aws autoscaling complete-lifecycle-action ${LIFECYCLE} --lifecycle-action-result CONTINUE`;
const GRACEFUL_STOP = ["systemctl stop --no-block gitlab-runner.service", "systemctl stop --no-block runner-fleet-metrics.timer"];
const FORCEFUL_STOP = [...GRACEFUL_STOP, "systemctl kill --kill-who=main --signal=SIGTERM gitlab-runner.service"];
const RESUME = ["systemctl start --no-block gitlab-runner.service", "systemctl start --no-block runner-fleet-metrics.timer"];

describe("drain watcher", () => {
  test("an instance in service with no notices: polls and does nothing", () => {
    host.respond(STATE, "InService");
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(actions()).toEqual([]);
    expect(host.calls().filter((c) => c.includes(STATE))).toHaveLength(3);
  });

  test("Terminating:Wait: graceful stop, heartbeats while the runner runs jobs, completion once the process has exited", () => {
    host.respond(STATE, "InService", "Terminated").runner(
      { state: "deactivating", jobs: [2, 1] },
      { state: "deactivating", jobs: [1] },
      { state: "inactive" },
    );
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(actions()).toEqual([...GRACEFUL_STOP, HEARTBEAT, HEARTBEAT, expect.stringMatching(/put-metric-data .*--metric-name DrainDuration/), COMPLETE]);
    expect(result.stderr).toMatch(/running jobs, open job requests: 3 0[\s\S]*running jobs, open job requests: 1 0[\s\S]*the runner has exited/);
  });

  test("race: a job request open at the stop: no completion while the request or the job it receives is open, only after the process exits", () => {
    // An idle host (the usual scale-in target) has a long-poll request open when SIGQUIT arrives;
    // the runner still runs the job that request receives (gitlab_runner_jobs counts it only once started).
    host.respond(STATE, "Terminated").runner(
      { state: "deactivating", jobs: [0], requests: [1] },
      { state: "deactivating", jobs: [1], requests: [0] },
      { state: "deactivating", jobs: [0], requests: [0] },
      { state: "inactive" },
    );
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(host.runnerStep()).toBe(4);
    expect(actions().filter((c) => c.startsWith("aws autoscaling"))).toEqual([HEARTBEAT, HEARTBEAT, HEARTBEAT, COMPLETE]);
    expect(result.stderr).toMatch(/open job requests: 0 1[\s\S]*open job requests: 1 0[\s\S]*open job requests: 0 0[\s\S]*the runner has exited/);
  });

  test("race: a host terminated while it boots (the runner not installed yet) still completes its lifecycle action", () => {
    // The watcher starts before the runner package: stopping a unit that does not exist fails (exit 5).
    host.respond(STATE, "Terminated").respond("systemctl stop", FAIL).runner({ state: "inactive" });
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/stopping gitlab-runner\.service failed/);
    expect(actions().at(-1)).toBe(COMPLETE);
  });

  test("completes at once when the runner process has already exited, without reading metrics", () => {
    host.respond(STATE, "Terminated").runner({ state: "inactive" });
    expect(run("watch").status).toBe(0);
    expect(actions().at(-1)).toBe(COMPLETE);
    expect(host.calls().some((c) => c.includes("metrics.invalid"))).toBe(false);
  });

  test("keeps waiting while the runner process runs even if its metrics do not answer", () => {
    host.respond(STATE, "Terminated").respond("state", "deactivating", "deactivating", "inactive").respond("metrics", FAIL);
    const result = run("watch");
    expect(result.status).toBe(0);
    expect(result.stderr.match(/open job requests: unknown unknown/g)).toHaveLength(2);
    expect(actions().at(-1)).toBe(COMPLETE);
  });

  test("completes the lifecycle action at the drain timeout even if jobs still run (AWS would terminate anyway)", () => {
    host.respond(STATE, "Terminated").runner({ state: "deactivating", jobs: [1] });
    const result = run("watch", { DRAIN_TIMEOUT: 0 });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/drain timeout \(0s\) with jobs and open job requests 1 0: completing the lifecycle action anyway/);
    expect(actions().filter((c) => c.startsWith("aws autoscaling"))).toEqual([COMPLETE]);
  });

  test("race: a spot interruption notice: forceful stop (SIGTERM after the stop job), once, so jobs fail as runner_system_failure", () => {
    host.respond(STATE, "InService").respond(SPOT, '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}');
    expect(run("watch").status).toBe(0);
    expect(actions()).toEqual(FORCEFUL_STOP);
  });

  test("race: a spot interruption notice during a graceful drain switches it to the forceful stop", () => {
    host
      .respond(STATE, "Terminated")
      .respond(SPOT, FAIL, '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}')
      .runner({ state: "deactivating", jobs: [1] }, { state: "deactivating", jobs: [1] }, { state: "deactivating", jobs: [1] }, { state: "inactive" });
    expect(run("watch").status).toBe(0);
    const kills = actions().filter((c) => c.startsWith("systemctl kill"));
    expect(kills).toEqual(["systemctl kill --kill-who=main --signal=SIGTERM gitlab-runner.service"]);
    expect(actions().at(-1)).toBe(COMPLETE);
  });

  test("race: a spot notice, then termination: the forceful stop is sent once (a second signal is GitLab Runner's forced exit, which never reports the jobs)", () => {
    const notice = '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}';
    host
      .respond(STATE, "InService", "Terminated")
      .respond(SPOT, notice)
      .runner({ state: "deactivating", jobs: [1] }, { state: "deactivating", jobs: [1] }, { state: "inactive" });
    expect(run("watch").status).toBe(0);
    expect(host.runnerSignals()).toEqual(["SIGQUIT", "SIGTERM"]);
    expect(host.runnerShutdown()).toBe("jobs-fail-as-runner-system-failure");
    expect(actions().at(-1)).toBe(COMPLETE);
  });

  test("race: the watcher restarts after its forceful stop (systemd Restart=): the state file keeps it from signalling again", () => {
    const notice = '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}';
    host.respond(STATE, "InService").respond(SPOT, notice);
    expect(run("watch", {}, { MAX_ITERATIONS: "1" }).status).toBe(0);
    host.respond(STATE, "Terminated").runner({ state: "deactivating", jobs: [1] }, { state: "inactive" });
    expect(run("watch").status).toBe(0);
    expect(host.runnerSignals().filter((s) => s === "SIGTERM")).toEqual(["SIGTERM"]);
    expect(host.runnerShutdown()).toBe("jobs-fail-as-runner-system-failure");
  });

  test("race: a rebalance recommendation without replacement: stop taking jobs, then take jobs (and publish metrics) again after the wait", () => {
    host.respond(STATE, "InService").respond(REBALANCE, '{"noticeTime": "2026-11-22T10:00:00Z"}');
    const result = run("watch", { REBALANCE_WAIT: 0 });
    expect(result.status).toBe(0);
    // The recommendation stays in IMDS: the same notice is not acted on twice.
    expect(actions()).toEqual([...GRACEFUL_STOP, ...RESUME]);
    expect(result.stderr).toMatch(/no replacement within 0s of the rebalance recommendation/);
  });

  test("a rebalance recommendation followed by the replacement: the host drains and never resumes", () => {
    host
      .respond(STATE, "InService", "Terminated")
      .respond(REBALANCE, '{"noticeTime": "2026-11-22T10:00:00Z"}')
      .runner({ state: "deactivating", jobs: [1] }, { state: "inactive" });
    expect(run("watch", { REBALANCE_WAIT: 3600 }).status).toBe(0);
    expect(actions().filter((c) => c.startsWith("systemctl start"))).toEqual([]);
    expect(actions().at(-1)).toBe(COMPLETE);
  });

  test("job requests refused with 403 (token expired or replaced): reads the tokens again", () => {
    host.file("config.toml.template", 'token = "@@RUNNER_TOKEN_0@@"\ntoken = "@@RUNNER_TOKEN_1@@"\n');
    host
      .respond(STATE, "InService")
      .respond("metrics", runnerMetricsText({ jobs: [0], forbidden: 0 }), runnerMetricsText({ jobs: [0], forbidden: 0 }), runnerMetricsText({ jobs: [0], forbidden: 3 }))
      .respond("aws ssm get-parameter", "glrt-t1_NEWNEWNEWNEWtoken0001");
    const result = run("watch", { AUTH_CHECK_INTERVAL: 0 });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/refused with 403 \(3 new\): reading the tokens again/);
    expect(host.calls().filter((c) => c.startsWith("aws ssm get-parameter"))).toHaveLength(2);
    expect(readFileSync(path.join(host.dir, "config.toml"), "utf8")).toContain("glrt-t1_NEWNEWNEWNEWtoken0001");
  });

  test("race: the documented rotation order (reset in GitLab, then put-parameter): re-reads go on while SSM still holds config.toml's token, then the new token is written and the runner reloaded", () => {
    const oldToken = "glrt-t1_OLDOLDOLDOLDtoken0001";
    const newToken = "glrt-t1_NEWNEWNEWNEWtoken0002";
    host.file("config.toml.template", 'token = "@@RUNNER_TOKEN_0@@"\n');
    host.file("config.toml", `token = "${oldToken}"\n`);
    host
      .respond(STATE, "InService")
      // 403s, then the runner is unhealthy (unhealthy_requests_limit reached): no more requests, no new 403.
      .respond("metrics", runnerMetricsText({ jobs: [0], forbidden: 0 }), runnerMetricsText({ jobs: [0], forbidden: 30 }))
      .respond("aws ssm get-parameter", oldToken, oldToken, newToken);
    const result = run("watch", { AUTH_CHECK_INTERVAL: 0, RUNNER_COUNT: 1, TOKEN_REREAD_INTERVAL: 0 }, { MAX_ITERATIONS: "6" });
    expect(result.status).toBe(0);
    expect(host.calls().filter((c) => c.startsWith("aws ssm get-parameter"))).toHaveLength(3);
    expect(readFileSync(path.join(host.dir, "config.toml"), "utf8")).toBe(`token = "${newToken}"\n`);
    expect(result.stderr).toMatch(/tokens unchanged in SSM: reading again in 0s[\s\S]*tokens changed: reloading gitlab-runner\.service/);
    expect(host.runnerSignals()).toEqual(["SIGHUP"]);
    expect(host.runnerShutdown()).toBe("running");
  });

  test("re-reads after a 403 stop once job requests succeed again, even while SSM holds the same token", () => {
    const token = "glrt-t1_SAMESAMESAMEtoken0001";
    host.file("config.toml.template", 'token = "@@RUNNER_TOKEN_0@@"\n');
    host.file("config.toml", `token = "${token}"\n`);
    host
      .respond(STATE, "InService")
      .respond(
        "metrics",
        runnerMetricsText({ jobs: [0], forbidden: 0, succeeded: 5 }),
        runnerMetricsText({ jobs: [0], forbidden: 2, succeeded: 5 }),
        runnerMetricsText({ jobs: [0], forbidden: 2, succeeded: 6 }),
      )
      .respond("aws ssm get-parameter", token);
    const result = run("watch", { AUTH_CHECK_INTERVAL: 0, RUNNER_COUNT: 1, TOKEN_REREAD_INTERVAL: 0 }, { MAX_ITERATIONS: "6" });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/job requests succeed again/);
    // One read after the 403 (same token), then requests succeed: no further reads.
    expect(host.calls().filter((c) => c.startsWith("aws ssm get-parameter"))).toHaveLength(1);
    expect(host.runnerSignals()).toEqual([]);
  });

  test("no 403 since the last check: the tokens are not read", () => {
    host.respond(STATE, "InService").respond("metrics", runnerMetricsText({ jobs: [1], forbidden: 5 }));
    expect(run("watch", { AUTH_CHECK_INTERVAL: 0 }).status).toBe(0);
    expect(host.calls().filter((c) => c.startsWith("aws ssm"))).toEqual([]);
  });
});

describe("boot: a drained host never starts its runner again", () => {
  const MAY_START = `${HOST_PATHS.script} may-start`;

  test("every start of gitlab-runner.service passes may-start first (the package's post-install, runcmd and Restart= all start the unit)", () => {
    const dropIn = runnerHostCloudConfig(hostInput).write_files.find((f) => f.path === HOST_PATHS.runnerDropIn)!.content;
    const pre = dropIn.split("\n").filter((l) => l.startsWith("ExecStartPre="));
    expect(pre).toEqual([`ExecStartPre=${MAY_START}`, `ExecStartPre=${HOST_PATHS.script} configure`]);
  });

  test("race: terminated while it boots: the hold is written before the stop, and once the lifecycle action completed the runner's start is refused", () => {
    // The runner package is not installed yet: stopping its unit fails, the unit shows inactive.
    host.respond(STATE, "Terminated").respond("systemctl stop", FAIL).runner({ state: "inactive" });
    const drained = run("watch", {}, { FAKE_WATCH_FILE: holdFile() });
    expect(drained.status).toBe(0);
    const watched = host.callsWatchingFile();
    const at = (prefix: string) => watched.filter((c) => c.startsWith(prefix));
    expect(at("systemctl stop --no-block gitlab-runner.service")).toEqual(["systemctl stop --no-block gitlab-runner.service [present]"]);
    expect(at("aws autoscaling complete-lifecycle-action")).toEqual([`${COMPLETE} [present]`]);
    // Cloud-init goes on: dnf's post-install and runcmd start the unit, whose first ExecStartPre is may-start.
    // The instance is still in Terminating:Wait's last seconds, or IMDS does not answer: the hold decides.
    host.respond(STATE, FAIL);
    const start = run("may-start");
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/not starting gitlab-runner\.service: stopped by the watcher \(the instance is terminating\)/);
  });

  test("a host in service may start its runner", () => {
    host.respond(STATE, "InService");
    const start = run("may-start");
    expect(start.status).toBe(0);
    expect(existsSync(holdFile())).toBe(false);
  });

  test("race: the instance is already terminating when the runner starts (before the watcher's next poll): refused, and held", () => {
    host.respond(STATE, "Terminated");
    const start = run("may-start");
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/not starting gitlab-runner\.service: the instance is terminating/);
    expect(readFileSync(holdFile(), "utf8")).toBe("the instance is terminating\n");
  });

  test("a spot interruption notice before the runner starts: refused", () => {
    host.respond(STATE, "InService").respond(SPOT, '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}');
    expect(run("may-start").status).toBe(1);
    expect(existsSync(holdFile())).toBe(true);
  });

  test("race: a spot notice while booting: the hold comes before the forceful stop, so cloud-init's later start is refused", () => {
    host.respond(STATE, "InService").respond(SPOT, '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}');
    expect(run("watch", {}, { FAKE_WATCH_FILE: holdFile() }).status).toBe(0);
    expect(host.callsWatchingFile().filter((c) => c.startsWith("systemctl stop --no-block gitlab-runner.service"))).toEqual(["systemctl stop --no-block gitlab-runner.service [present]"]);
    host.respond(SPOT, FAIL);
    expect(run("may-start").stderr).toMatch(/stopped by the watcher \(spot interruption notice/);
  });

  test("rebalance without replacement: held during the wait, released before the runner is started again", () => {
    host.respond(STATE, "InService").respond(REBALANCE, '{"noticeTime": "2026-11-22T10:00:00Z"}');
    expect(run("watch", { REBALANCE_WAIT: 0 }, { FAKE_WATCH_FILE: holdFile() }).status).toBe(0);
    const runnerCalls = host.callsWatchingFile().filter((c) => /^systemctl (stop|start) --no-block gitlab-runner/.test(c));
    expect(runnerCalls).toEqual(["systemctl stop --no-block gitlab-runner.service [present]", "systemctl start --no-block gitlab-runner.service [absent]"]);
    expect(run("may-start").status).toBe(0);
  });
});

describe("deadlines: nothing holds the watch loop", () => {
  const SPOT_NOTICE = '{"action": "terminate", "time": "2026-11-22T10:00:00Z"}';

  test("race: the tokens cannot be read after a 403 and a spot notice arrives: forceful stop within the notice window, one read per attempt", () => {
    host.file("config.toml.template", 'token = "@@RUNNER_TOKEN_0@@"\ntoken = "@@RUNNER_TOKEN_1@@"\n');
    host
      .respond(STATE, "InService")
      .respond("metrics", runnerMetricsText({ jobs: [1], forbidden: 0 }), runnerMetricsText({ jobs: [1], forbidden: 4 }))
      .respond("aws ssm get-parameter", FAIL)
      .respond(SPOT, FAIL, FAIL, FAIL, SPOT_NOTICE);
    const started = Date.now();
    // The boot-time retries (30 reads, 30 s apart) would hold the loop for 15 minutes.
    const result = run("watch", { AUTH_CHECK_INTERVAL: 0, TOKEN_FETCH_ATTEMPTS: 30, TOKEN_FETCH_DELAY: 30 }, { MAX_ITERATIONS: "5" });
    const seconds = (Date.now() - started) / 1000;
    expect(result.status).toBe(0);
    expect(actions()).toEqual(FORCEFUL_STOP);
    expect(seconds).toBeLessThan(5);
    // One attempt after the 403 (the first token fails, the second is not tried); the next is due 30 s later.
    expect(host.calls().filter((c) => c.startsWith("aws ssm get-parameter"))).toHaveLength(1);
    expect(result.stderr).toMatch(/reading the runner tokens failed; trying again in 30s/);
  });

  test("a failed re-read is tried again on a later iteration until it succeeds, without waiting for another 403", () => {
    host.file("config.toml.template", 'token = "@@RUNNER_TOKEN_0@@"\ntoken = "@@RUNNER_TOKEN_1@@"\n');
    host
      .respond(STATE, "InService")
      .respond("metrics", runnerMetricsText({ jobs: [0], forbidden: 0 }), runnerMetricsText({ jobs: [0], forbidden: 2 }))
      .respond("aws ssm get-parameter", FAIL, "glrt-t1_NEWNEWNEWNEWtoken0001");
    const result = run("watch", { AUTH_CHECK_INTERVAL: 0, TOKEN_FETCH_DELAY: 0 }, { MAX_ITERATIONS: "4" });
    expect(result.status).toBe(0);
    // Attempt 1 fails on the first token; attempt 2 reads both.
    expect(host.calls().filter((c) => c.startsWith("aws ssm get-parameter"))).toHaveLength(3);
    expect(readFileSync(path.join(host.dir, "config.toml"), "utf8")).toBe("token = \"glrt-t1_NEWNEWNEWNEWtoken0001\"\ntoken = \"glrt-t1_NEWNEWNEWNEWtoken0001\"\n");
  });

  test("race: a hanging lifecycle heartbeat (AWS CLI retrying) is cut at AWS_CALL_TIMEOUT, so a spot notice during the drain still forces the stop", () => {
    host
      .respond(STATE, "Terminated")
      .respond("aws autoscaling record-lifecycle-action-heartbeat", HANG(30))
      .respond(SPOT, FAIL, FAIL, SPOT_NOTICE)
      .runner({ state: "deactivating", jobs: [1] }, { state: "deactivating", jobs: [1] }, { state: "deactivating", jobs: [1] }, { state: "inactive" });
    const started = Date.now();
    const result = run("watch", { AWS_CALL_TIMEOUT: 1 });
    expect(result.status).toBe(0);
    expect((Date.now() - started) / 1000).toBeLessThan(8);
    expect(result.stderr).toMatch(/lifecycle heartbeat failed/);
    expect(actions().filter((c) => c.startsWith("systemctl kill"))).toEqual(["systemctl kill --kill-who=main --signal=SIGTERM gitlab-runner.service"]);
    expect(actions().at(-1)).toBe(COMPLETE);
  });
});

describe("metrics", () => {
  const put = (name: string, value: string, unit: string) =>
    `aws cloudwatch put-metric-data --region eu-central-1 --namespace GitLab/RunnerFleet --metric-name ${name} --unit ${unit} --value ${value} --dimensions AutoScalingGroupName=acme-ci-dev-runners`;

  test("publishes utilisation (running jobs / concurrent), running jobs, slots, disk use and the queue time of new jobs", () => {
    host
      .respond("df", "Use%\n 42%\n")
      .respond("metrics", runnerMetricsText({ jobs: [2, 1], queue: { sum: 10, count: 4 } }), runnerMetricsText({ jobs: [2, 1], queue: { sum: 40, count: 6 } }));
    const env = { STATE_DIR: path.join(host.dir, "state") };
    expect(run("publish-metric", env).status).toBe(0);
    expect(actions()).toEqual([put("DiskUsedPercent", "42", "Percent"), put("JobSlotUtilization", "75.0", "Percent"), put("RunningJobs", "3", "Count"), put("JobSlots", "4", "Count"), put("JobQueueDuration", "2.5", "Seconds")]);
    expect(run("publish-metric", env).status).toBe(0);
    // Two more jobs started, queued 30 s together.
    expect(actions().at(-1)).toBe(put("JobQueueDuration", "15.0", "Seconds"));
  });

  test("a failed put-metric-data (throttled, timed out) drops only its own data point: the scaling metric is still published", () => {
    host
      .respond("df", "Use%\n 42%\n")
      .respond("aws cloudwatch put-metric-data", FAIL, "")
      .respond("metrics", runnerMetricsText({ jobs: [2, 1] }));
    const result = run("publish-metric", { STATE_DIR: path.join(host.dir, "state") });
    expect(result.status).not.toBe(0);
    expect(actions()).toEqual([put("DiskUsedPercent", "42", "Percent"), put("JobSlotUtilization", "75.0", "Percent"), put("RunningJobs", "3", "Count"), put("JobSlots", "4", "Count")]);
    expect(result.stderr).toMatch(/publishing DiskUsedPercent failed/);
  });

  test("a disk that cannot be read does not stop the scaling metric", () => {
    host.respond("df", FAIL).respond("metrics", runnerMetricsText({ jobs: [1] }));
    const result = run("publish-metric", { STATE_DIR: path.join(host.dir, "state") });
    expect(actions()).toContain(put("JobSlotUtilization", "25.0", "Percent"));
    expect(result.stderr).toMatch(/no DiskUsedPercent: df failed/);
  });

  test("publishes no job metric while the runner's metrics endpoint does not answer (a booting host must not look idle)", () => {
    host.respond("df", "Use%\n 42%\n");
    const result = run("publish-metric", { STATE_DIR: path.join(host.dir, "state") });
    expect(result.status).toBe(0);
    expect(actions()).toEqual([put("DiskUsedPercent", "42", "Percent")]);
    expect(result.stderr).toMatch(/does not answer: no job metric published/);
  });
});

describe("disk clean-up", () => {
  const IDLE = runnerMetricsText({ jobs: [0] });
  const BUSY = runnerMetricsText({ jobs: [1] });
  const now = () => Math.floor(Date.now() / 1000);
  const ZERO = -62135596800; // LastTagTime of an image never tagged on this host (Go's zero time)
  /** Images: in use by a container, tagged a minute ago (pulled for a job and tagged), old with two tags, old and untagged. */
  function images() {
    host
      .respond("docker ps -aq", "cid1\n")
      .respond("docker inspect --format", "sha256:inuse\n")
      .respond("docker images -q", "sha256:inuse\nsha256:fresh\nsha256:old\nsha256:dangling\n")
      .respond(
        "docker image inspect",
        [`sha256:inuse ${ZERO} docker:27`, `sha256:fresh ${now() - 60} registry.example.com/app:ci`, `sha256:old ${now() - 3 * 86400} alpine:3.19 alpine:3`, `sha256:dangling ${ZERO}`].join("\n") + "\n",
      );
  }
  const removals = () => host.calls().filter((c) => c.startsWith("docker image rm") || c.startsWith("docker builder") || c.startsWith("docker image prune"));

  test("above the threshold with no job running: removes only images no container uses and not tagged recently, then old build cache", () => {
    images();
    host.respond("df", "Use%\n 81%\n", "Use%\n 40%\n").respond("metrics", IDLE);
    const result = run("clean-disk", { DISK_HIGH_PERCENT: 75, PRUNE_MIN_AGE: "24h" });
    expect(result.status).toBe(0);
    expect(removals()).toEqual(["docker image rm alpine:3.19 alpine:3", "docker image rm sha256:dangling", "docker builder prune --all --force --filter until=24h"]);
    expect(result.stderr).toMatch(/removed 2 image\(s\); docker disk now 40%/);
  });

  test("race: never `image prune --filter until=` (the image's creation time): an image pulled a minute ago for a job is not removed between its pull and the container's create", () => {
    // The job's image was built long ago (creation time) but pulled just now: only a running job and its tag time show it.
    images();
    host.respond("df", "Use%\n 90%\n").respond("metrics", BUSY);
    const result = run("clean-disk", { DISK_HIGH_PERCENT: 75 });
    expect(result.status).toBe(0);
    expect(removals()).toEqual([]);
    expect(result.stderr).toMatch(/docker disk 90%: no clean-up \(below 75%, or jobs run\)/);
  });

  test("race: a job starts during the clean-up: removal stops before the next image", () => {
    images();
    host.respond("df", "Use%\n 90%\n").respond("metrics", IDLE, IDLE, BUSY);
    const result = run("clean-disk", { DISK_HIGH_PERCENT: 75 });
    expect(result.status).toBe(0);
    expect(removals().filter((c) => c.startsWith("docker image rm"))).toEqual(["docker image rm alpine:3.19 alpine:3"]);
    expect(result.stderr).toMatch(/a job started: stopped after 1 image\(s\)/);
  });

  test("the runner's metrics do not answer (booting, or stopped): removes nothing", () => {
    images();
    host.respond("df", "Use%\n 90%\n");
    expect(run("clean-disk", { DISK_HIGH_PERCENT: 75 }).status).toBe(0);
    expect(removals()).toEqual([]);
  });

  test("below the threshold: removes nothing", () => {
    host.respond("df", "Use%\n 74%\n");
    expect(run("clean-disk", { DISK_HIGH_PERCENT: 75 }).status).toBe(0);
    expect(host.calls().filter((c) => c.startsWith("docker"))).toEqual([]);
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
