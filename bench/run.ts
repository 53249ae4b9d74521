/**
 * `npm run bench`: how fast the example app synthesizes and the tests run on
 * this machine. Targets (2 cores): all-stack synth <= 1.0 s and <= 250 MB in
 * a node process; one test file <= 3 s. Exits 1 when a target is missed.
 *
 * Then the scale benchmark (bench/scale-run.ts, also `npm run bench:scale`):
 * construct + synth of 1,000 projects <= 5 s, growing linearly from 250.
 *
 * Options: --runs N (synth repetitions, default 5), --scale-runs N (scale
 * repetitions per size, default 3), --skip-jest, --skip-cdktf, --skip-scale.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { busy, DEFAULT_SIZES, formatScale, measureScale, SCALE_TARGET_MS, SCALE_TARGET_PROJECTS } from "./scale-run";

const root = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const runsFlag = args.indexOf("--runs");
const runs = runsFlag >= 0 ? Number(args[runsFlag + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number >= 1, got ${args[runsFlag + 1]}`);
const scaleRunsFlag = args.indexOf("--scale-runs");
const scaleRuns = scaleRunsFlag >= 0 ? Number(args[scaleRunsFlag + 1]) : 3;
if (!Number.isInteger(scaleRuns) || scaleRuns < 1) throw new Error(`--scale-runs takes a whole number >= 1, got ${args[scaleRunsFlag + 1]}`);
const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1" };

interface Timed {
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

function timed(command: string, commandArgs: string[], extraEnv: NodeJS.ProcessEnv = {}): Timed {
  const start = performance.now();
  const r = spawnSync(command, commandArgs, { cwd: root, env: { ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return { ms: performance.now() - start, stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: Array<[string, string, string, boolean | undefined]> = [];
const record = (what: string, value: string, target: string, ok?: boolean) => rows.push([what, value, target, ok]);

// 1. All-stack synth in one node process (process wall time includes module loading).
const synthRuns = Array.from({ length: runs }, () => {
  const r = timed(process.execPath, ["-r", "./stacks/register.cjs", "bench/synth-once.ts"]);
  if (r.status !== 0) throw new Error(`synth failed:\n${r.stderr}`);
  return { wall: r.ms, ...(JSON.parse(r.stdout.trim().split("\n").pop()!) as { importMs: number; synthMs: number; stacks: number; maxRssMb: number }) };
});
const inProcess = median(synthRuns.map((r) => r.importMs + r.synthMs));
const rss = Math.max(...synthRuns.map((r) => r.maxRssMb));
record(`synth of all ${synthRuns[0]!.stacks} stacks, in process (imports + synth, median of ${runs})`, fmt(inProcess), "<= 1.00 s", inProcess <= 1000);
record("  of which construct + synth", fmt(median(synthRuns.map((r) => r.synthMs))), "", undefined);
record("synth process wall time incl. node + SWC start (median)", fmt(median(synthRuns.map((r) => r.wall))), "", undefined);
record("synth peak RSS", `${rss} MB`, "<= 250 MB", rss <= 250);

// 2. `cdktf synth` through the CLI (the app command in cdktf.json).
if (!args.includes("--skip-cdktf")) {
  const out = mkdtempSync(path.join(tmpdir(), "bench-cdktf-"));
  const r = timed(process.execPath, [require.resolve("cdktf-cli/bundle/bin/cdktf"), "synth", "--output", out]);
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`cdktf synth failed:\n${r.stdout}\n${r.stderr}`);
  record("`cdktf synth` (CLI + app), wall time", fmt(r.ms), "<= 4.00 s", r.ms <= 4000);
}

// 3. The jest suite, and its slowest file.
if (!args.includes("--skip-jest")) {
  const report = path.join(mkdtempSync(path.join(tmpdir(), "bench-jest-")), "report.json");
  const r = timed(process.execPath, [require.resolve("jest/bin/jest"), "--silent", "--json", `--outputFile=${report}`]);
  if (r.status !== 0) throw new Error(`jest failed:\n${r.stderr.slice(-4000)}`);
  const results = JSON.parse(readFileSync(report, "utf8")) as {
    testResults: Array<{ name: string; startTime: number; endTime: number }>;
  };
  const runtime = (t: { startTime: number; endTime: number }) => t.endTime - t.startTime;
  // The consumer test packs, installs and compiles a whole app: it has its own budget.
  const isConsumer = (t: { name: string }) => t.name.includes(`${path.sep}test${path.sep}consumer${path.sep}`);
  const unitFiles = results.testResults.filter((t) => !isConsumer(t));
  const slowest = unitFiles.reduce((a, b) => (runtime(b) > runtime(a) ? b : a));
  const consumer = results.testResults.find(isConsumer);
  if (consumer) record("consumer test (pack + install + tsc + synth)", fmt(runtime(consumer)), "<= 15.0 s", runtime(consumer) <= 15_000);
  record(`jest suite wall time (${results.testResults.length} files, 2 workers)`, fmt(r.ms), "<= 60 s", r.ms <= 60_000);
  record(`slowest test file: ${path.relative(root, slowest.name)}`, fmt(runtime(slowest)), "<= 3.00 s", runtime(slowest) <= 3000);
}

// 4. The scale benchmark: 250 / 500 / 1,000 projects, a fresh process per run.
let scaleReport = "";
if (!args.includes("--skip-scale")) {
  const scale = measureScale(DEFAULT_SIZES, scaleRuns);
  scaleReport = formatScale(scale);
  for (const row of scale.rows) {
    const target = row.projects === SCALE_TARGET_PROJECTS;
    record(
      `scale: ${row.projects.toLocaleString("en-US")} projects, construct + synth (median of ${row.runs}; ${row.perProjectMs.toFixed(2)} ms/project)`,
      fmt(row.totalMs),
      target ? `<= ${fmt(SCALE_TARGET_MS)}` : "",
      target ? row.totalMs <= SCALE_TARGET_MS : undefined,
    );
  }
  const largest = scale.rows[scale.rows.length - 1]!;
  record(`scale: peak RSS at ${largest.projects.toLocaleString("en-US")} projects`, `${largest.maxRssMb} MB`, "", undefined);
  record(
    `scale: growth t(${largest.projects})/t(${scale.rows[0]!.projects}) (least squares R² ${scale.fit.r2.toFixed(3)})`,
    scale.growth.ratio.toFixed(2),
    `<= ${scale.growth.limit.toFixed(1)}`,
    scale.growth.ok,
  );
  if (busy(scale)) record("scale: note: wall time > CPU time, other load shared the cores", "", "", undefined);
}

const width = Math.max(...rows.map((r) => r[0].length));
if (scaleReport) process.stdout.write(`\nscale benchmark (npm run bench:scale)\n${scaleReport}\n`);
process.stdout.write(`\nbench on ${require("node:os").cpus().length} cores, node ${process.version}\n\n`);
for (const [what, value, target, ok] of rows) {
  process.stdout.write(`${what.padEnd(width)}  ${value.padStart(9)}  ${target.padEnd(10)} ${ok === undefined ? "" : ok ? "ok" : "MISSED"}\n`);
}
process.exitCode = rows.some((r) => r[3] === false) ? 1 : 0;
