import { existsSync, symlinkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTool, type ToolRun } from "./conformance";

/**
 * A fake runner host for testing lib/runner/assets/runner-fleet.sh: `curl`,
 * `aws`, `systemctl`, `docker` and `df` on PATH are one fake that logs every
 * call and answers from scripted responses. Nothing leaves the process: IMDS and the metrics
 * endpoint are served from files.
 *
 * A response is a list of bodies returned one per call (the last one sticks);
 * `FAIL` makes the call fail (curl: HTTP error, exit 22), {@link HANG} makes it hang. Keys:
 * - curl: the URL path, e.g. `latest/meta-data/instance-id`, `metrics`;
 * - systemctl: `state` (for `systemctl show --property=ActiveState`), `systemctl stop` and the like;
 * - aws: `aws <service> <operation>`, e.g. `aws ssm get-parameter`;
 * - docker: `docker <object> <command>`, e.g. `docker image ls`, `docker image inspect`;
 * - df: `df` (the text `df --output=pcent` prints).
 * Unscripted curl paths fail; unscripted systemctl, aws, docker and df calls succeed silently.
 *
 * {@link FakeHost.runner} models the gitlab-runner process instead: a timeline
 * of {@link RunnerStep}s, its systemd state and its metrics together.
 */
export const FAIL = "\u0000FAIL";

/** A response that hangs for `seconds` and then succeeds with no output (an AWS CLI call stuck in its retries). */
export function HANG(seconds: number): string {
  return `\u0000HANG:${seconds}`;
}

const FAKE_TOOL = path.join(__dirname, "fake-tool.sh");

/** systemd's ActiveState of gitlab-runner.service. */
export type RunnerProcessState = "active" | "deactivating" | "inactive" | "failed";

/** One moment of the fake gitlab-runner: its process state and what its metrics endpoint shows. */
export interface RunnerStep {
  /** systemd's ActiveState; `inactive` and `failed` mean the process has exited (the endpoint is gone). */
  readonly state: RunnerProcessState;
  /** Running jobs per runner (`gitlab_runner_jobs`, counted once a job has started). @default none */
  readonly jobs?: readonly number[];
  /** Open job requests per runner (`gitlab_runner_request_concurrency`). @default 0 for each runner with jobs */
  readonly requests?: readonly number[];
  /** `gitlab_runner_api_request_statuses_total{endpoint="request_job",status="403"}`. @default absent */
  readonly forbidden?: number;
  /** `gitlab_runner_api_request_statuses_total{endpoint="request_job",status="204"}` (job requests answered "no job"), shown with `forbidden`. @default 17 */
  readonly succeeded?: number;
  /** `gitlab_runner_job_queue_duration_seconds` sum and count. @default absent */
  readonly queue?: { readonly sum: number; readonly count: number };
}

/**
 * The runner's Prometheus text as GitLab Runner 18.11.2 exposes it
 * (commands/builds_helper.go: `gitlab_runner_jobs` with labels runner,
 * runner_name, system_id, state, stage, executor_stage, one series per state
 * permutation; `gitlab_runner_request_concurrency` with runner, system_id;
 * network/api_requests_collector.go: `gitlab_runner_api_request_statuses_total`
 * with runner, system_id, endpoint, status, method), plus series of similar
 * names that must not be counted.
 */
export function runnerMetricsText(step: Omit<RunnerStep, "state">): string {
  const jobs = step.jobs ?? [];
  const requests = step.requests ?? jobs.map(() => 0);
  const runners = Math.max(jobs.length, requests.length);
  const lines = ["# HELP gitlab_runner_jobs The current number of running builds.", "# TYPE gitlab_runner_jobs gauge"];
  for (let i = 0; i < runners; i++) {
    const base = `runner="tok${i}xyz",runner_name="r${i}",system_id="s_0123456789ab"`;
    if ((jobs[i] ?? 0) > 0) lines.push(`gitlab_runner_jobs{${base},state="running",stage="step_script",executor_stage="docker_run"} ${jobs[i]}`);
    lines.push(`gitlab_runner_request_concurrency{runner="tok${i}xyz",system_id="s_0123456789ab"} ${requests[i] ?? 0}`);
    lines.push(`gitlab_runner_request_concurrency_hard_limit{runner="tok${i}xyz",system_id="s_0123456789ab"} 4`);
  }
  lines.push("gitlab_runner_jobs_total{runner=\"tok0xyz\",runner_name=\"r0\",system_id=\"s_0123456789ab\"} 41");
  lines.push("gitlab_runner_concurrent 4");
  if (step.forbidden !== undefined) {
    lines.push(`gitlab_runner_api_request_statuses_total{endpoint="request_job",method="POST",runner="tok0xyz",status="204",system_id="s_0123456789ab"} ${step.succeeded ?? 17}`);
    lines.push(`gitlab_runner_api_request_statuses_total{endpoint="update_job",method="PUT",runner="tok0xyz",status="200",system_id="s_0123456789ab"} 99`);
    lines.push(`gitlab_runner_api_request_statuses_total{endpoint="request_job",method="POST",runner="tok0xyz",status="403",system_id="s_0123456789ab"} ${step.forbidden}`);
  }
  if (step.queue) {
    lines.push(`gitlab_runner_job_queue_duration_seconds_sum{runner="tok0xyz",system_id="s_0123456789ab"} ${step.queue.sum}`);
    lines.push(`gitlab_runner_job_queue_duration_seconds_count{runner="tok0xyz",system_id="s_0123456789ab"} ${step.queue.count}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A scripted host: write responses, run the script, read the calls. */
export class FakeHost {
  public readonly dir = mkdtempSync(path.join(tmpdir(), "runner-host-"));
  private readonly bin = path.join(this.dir, "bin");

  public constructor() {
    mkdirSync(this.bin);
    for (const tool of ["curl", "aws", "systemctl", "docker", "df"]) {
      symlinkSync(FAKE_TOOL, path.join(this.bin, tool));
    }
    writeFileSync(path.join(this.dir, "calls.log"), "");
  }

  /** Scripts the answers to `key`, one per call; the last one repeats. */
  public respond(key: string, ...bodies: string[]): this {
    const dir = path.join(this.dir, "responses", key.replace(/[/ ]/g, "_"));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    bodies.forEach((body, i) => {
      const hang = /^\u0000HANG:(\d+)$/.exec(body)?.[1];
      writeFileSync(path.join(dir, String(i + 1)), body === FAIL || hang !== undefined ? "" : body);
      if (body === FAIL) writeFileSync(path.join(dir, `${i + 1}.fail`), "");
      if (hang !== undefined) writeFileSync(path.join(dir, `${i + 1}.sleep`), hang);
    });
    return this;
  }

  /**
   * Replaces the scripted `state` and `metrics` answers with a fake runner
   * process: each `systemctl show` moves to the next step (the last repeats),
   * and the metrics endpoint answers from the current step.
   */
  public runner(...steps: readonly RunnerStep[]): this {
    const dir = path.join(this.dir, "runner");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    steps.forEach((step, i) => {
      writeFileSync(path.join(dir, `${i + 1}.state`), step.state);
      writeFileSync(path.join(dir, `${i + 1}.metrics`), runnerMetricsText(step));
    });
    return this;
  }

  /** The runner step the script saw last (1-based), or 0 before the first `systemctl show`. */
  public runnerStep(): number {
    const file = path.join(this.dir, "runner", "current");
    return existsSync(file) ? Number(readFileSync(file, "utf8")) : 0;
  }

  /** The signals sent to gitlab-runner so far, in order (`SIGQUIT` for the unit's first stop, then each `systemctl kill`). */
  public runnerSignals(): string[] {
    const file = path.join(this.dir, "signals");
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
  }

  /**
   * What happens to the jobs running when the runner stops, from the signals it
   * received, as GitLab Runner 18.11.2 handles them (commands/multi.go):
   * SIGQUIT starts the graceful shutdown (handleGracefulShutdown: jobs finish);
   * any other stop signal starts the forceful shutdown (handleForcefulShutdown
   * runs abortAllBuilds, so jobs fail as `runner_system_failure`); any further
   * signal during the forceful shutdown is a "forced exit": the process ends at
   * once and the aborted jobs are never reported (they die with the host).
   */
  public runnerShutdown(): "running" | "graceful" | "jobs-fail-as-runner-system-failure" | "forced-exit-jobs-not-reported" {
    const signals = this.runnerSignals().filter((s) => s !== "SIGHUP");
    const forceful = signals.findIndex((s) => s !== "SIGQUIT");
    if (forceful < 0) return signals.length > 0 ? "graceful" : "running";
    return signals.length > forceful + 1 ? "forced-exit-jobs-not-reported" : "jobs-fail-as-runner-system-failure";
  }

  /** Writes a file into the fake host's directory and returns its path. */
  public file(name: string, content: string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, content);
    return file;
  }

  /** Runs `bash script args` with the fakes first on PATH. */
  public run(script: string, args: readonly string[], env: Readonly<Record<string, string>>): ToolRun {
    return runTool("bash", [script, ...args], {
      env: { PATH: `${this.bin}:${process.env.PATH ?? ""}`, FAKE_DIR: this.dir, IMDS_URL: "http://imds.invalid", ...env },
      timeoutMs: 10_000,
    });
  }

  /** The calls made, one line each (`tool arg...`), IMDS token requests left out. */
  public calls(): string[] {
    return readFileSync(path.join(this.dir, "calls.log"), "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.includes("latest/api/token"));
  }

  /**
   * The calls made while `FAKE_WATCH_FILE` was set, each with whether that file
   * existed at the time (`tool arg... [present]` or `[absent]`).
   */
  public callsWatchingFile(): string[] {
    const file = path.join(this.dir, "watch.log");
    return existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l !== "" && !l.includes("latest/api/token"))
      : [];
  }

  /** Deletes the fake host. */
  public dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
