/**
 * `npm run bench`: how fast the example app synthesizes and the tests run on
 * this machine. Targets (2 cores): all-stack synth <= 1.0 s and <= 250 MB in
 * a node process; one test file <= 3 s. Exits 1 when a target is missed.
 *
 * Options: --runs N (synth repetitions, default 5), --skip-jest, --skip-cdktf.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
// Without --runs, indexOf is -1 and args[0] (e.g. --skip-cdktf) would be read as the count.
const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 5;
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
  const r = timed(process.execPath, ["-r", "@swc-node/register", "bench/synth-once.ts"]);
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
  const slowest = results.testResults.reduce((a, b) => (runtime(b) > runtime(a) ? b : a));
  record(`jest suite wall time (${results.testResults.length} files, 2 workers)`, fmt(r.ms), "<= 60 s", r.ms <= 60_000);
  record(`slowest test file: ${path.relative(root, slowest.name)}`, fmt(runtime(slowest)), "<= 3.00 s", runtime(slowest) <= 3000);
}

const width = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`\nbench on ${require("node:os").cpus().length} cores, node ${process.version}\n\n`);
for (const [what, value, target, ok] of rows) {
  process.stdout.write(`${what.padEnd(width)}  ${value.padStart(9)}  ${target.padEnd(10)} ${ok === undefined ? "" : ok ? "ok" : "MISSED"}\n`);
}
process.exitCode = rows.some((r) => r[3] === false) ? 1 : 0;
