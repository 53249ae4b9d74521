/**
 * `npm run bench`: how fast the example app synthesizes and the tests run on this machine.
 * Targets are ratios measured in the same run wherever there is something to compare with, and
 * absolute limits with a margin for a shared 2-core machine elsewhere (bench/README.md):
 *
 * - the app's synth command vs. the same resource graph as plain cdktf in plain JavaScript
 *   (generated from the app's own output by bench/plain-program.ts, checked to synthesize the
 *   same JSON): median of the per-round CPU-time ratios <= 1.5 with an empty findings cache (every
 *   rule evaluated, as after any change to a stack, the options or the library; the loader's
 *   caches warm), runs interleaved; the ratio as a second synth runs it (findings cache warm) and
 *   as a fresh clone's first synth runs it (every cache empty) are reported next to it (which
 *   figure the target is on, and why: bench/README.md);
 * - the app's synth command: median CPU time <= 2.5 s, with and without the findings cache (wall
 *   time is reported: on a shared machine it measures the other load as much as this code), peak
 *   RSS <= 250 MB;
 * - `cdktf synth` through the CLI: the CLI process's own CPU time <= 6 s (it loads a large bundle
 *   and runs the app command, measured above, as a child process); wall time reported;
 * - the jest suite <= 330 s (about 1.5x its idle wall time), its slowest unit test file <= 12 % of the
 *   suite's wall time in the same run, the consumer test <= 120 s;
 * - the scale benchmark (bench/scale-run.ts): 1,000 projects <= 8 s of CPU time, linear growth.
 *
 * Exits 1 when a target is missed. Options: --runs N (synth rounds, default 9), --scale-runs N
 * (default 3), --skip-jest, --skip-cdktf, --skip-scale.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { generatePlainProgram } from "./plain-program";
import { busy, DEFAULT_SIZES, formatScale, measureScale, SCALE_TARGET_CPU_MS, SCALE_TARGET_PROJECTS } from "./scale-run";

const root = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const numberFlag = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} takes a whole number >= 1, got ${args[i + 1]}`);
  return value;
};
const runs = numberFlag("--runs", 9);
const scaleRuns = numberFlag("--scale-runs", 3);
const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1" };
const work = mkdtempSync(path.join(tmpdir(), "bench-"));
const loadAtStart = loadavg();

/** Targets. */
export const TARGETS = {
  synthRatio: 1.5,
  synthCpuMs: 2500,
  synthRssMb: 250,
  cdktfCliCpuMs: 6000,
  /** About 1.5x the suite's wall time on an idle machine (242 files: 200-230 s; bench/README.md). */
  jestSuiteMs: 330_000,
  /** The slowest unit test file's share of the suite's wall time, measured in the same run: a file that long keeps one worker busy while the other idles. */
  slowestUnitFileShare: 0.12,
  consumerMs: 120_000,
} as const;

interface Measured {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMb: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <nodeArgs>` with the usage reporter preloaded; fails on a non-zero exit. */
function measure(nodeArgs: string[], extraEnv: NodeJS.ProcessEnv = {}): Measured {
  const usageFile = path.join(work, `usage-${process.hrtime.bigint()}.json`);
  const start = performance.now();
  const r = spawnSync(process.execPath, ["-r", "./bench/usage-report.cjs", ...nodeArgs], {
    cwd: root,
    env: { ...env, ...extraEnv, BENCH_USAGE_FILE: usageFile },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${nodeArgs.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { cpuMs: number; maxRssMb: number };
  return { wallMs, ...usage, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: Array<[string, string, string, boolean | undefined]> = [];
const record = (what: string, value: string, target: string, ok?: boolean) => rows.push([what, value, target, ok]);

type Json = Record<string, unknown>;

/**
 * Elements of one stack that differ between the app's and the plain program's JSON: `<stack>/<type>.<id>`,
 * `<stack>/data.<type>.<id>`, `<stack>/provider.<name>.<i>`, or `<stack>/*` when anything else differs.
 */
function differingElements(stack: string, app: Json, plain: Json | undefined): string[] {
  if (!plain) return [`${stack}/*`];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const out: string[] = [];
  for (const kind of ["resource", "data"]) {
    const a = (app[kind] ?? {}) as Record<string, Json>;
    const b = (plain[kind] ?? {}) as Record<string, Json>;
    for (const type of new Set([...Object.keys(a), ...Object.keys(b)])) {
      for (const id of new Set([...Object.keys(a[type] ?? {}), ...Object.keys(b[type] ?? {})])) {
        if (!same(a[type]?.[id], b[type]?.[id])) out.push(`${stack}/${kind === "data" ? "data." : ""}${type}.${id}`);
      }
    }
  }
  const providers = (app.provider ?? {}) as Record<string, unknown[]>;
  for (const [name, list] of Object.entries(providers)) {
    list.forEach((config, i) => {
      if (!same(config, ((plain.provider ?? {}) as Record<string, unknown[]>)[name]?.[i])) out.push(`${stack}/provider.${name}.${i}`);
    });
  }
  const rest = (j: Json) => JSON.stringify(Object.fromEntries(Object.entries(j).filter(([k]) => !["resource", "data", "provider"].includes(k))));
  if (rest(app) !== rest(plain)) out.push(`${stack}/*`);
  return out;
}

/** The stacks of a synthesized app as parsed JSON without cdktf's "//" metadata, by stack name. */
function stacksOf(outdir: string): Map<string, unknown> {
  const strip = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(strip) : value && typeof value === "object" ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== "//").map(([k, v]) => [k, strip(v)])) : value;
  const stacks = path.join(outdir, "stacks");
  return new Map(readdirSync(stacks).map((name) => [name, strip(JSON.parse(readFileSync(path.join(stacks, name, "cdk.tf.json"), "utf8")))]));
}

// 1. The app's synth command against the same graph as plain cdktf in plain JavaScript.
const APP = ["-r", "./stacks/register.cjs", "main.ts"];
const appOut = path.join(work, "app.out");
measure(APP, { CDKTF_OUTDIR: appOut }); // also fills the loader's cache, like any second synth
mkdirSync(path.join(root, ".gen"), { recursive: true });
const plainProgram = path.join(".gen", "plain-app.js");
const appStacks = stacksOf(appOut);
// Elements whose camelCase constructor config does not synthesize to the app's JSON are built from
// overrides instead; the program must reproduce every stack exactly before it is timed.
const asOverrides = new Set<string>();
for (let attempt = 0; ; attempt++) {
  writeFileSync(path.join(root, plainProgram), generatePlainProgram(appOut, { asOverrides }));
  const plainOut = path.join(work, `plain-check-${attempt}.out`);
  measure([plainProgram, plainOut]);
  const plainStacks = stacksOf(plainOut);
  const differing = [...appStacks].flatMap(([name, stack]) => differingElements(name, stack as Json, plainStacks.get(name) as Json | undefined));
  if (differing.length === 0) break;
  if (attempt > 0 || differing.some((d) => d.endsWith("/*"))) {
    throw new Error(`the plain program differs from the app in ${differing.join(", ")}: the comparison would not be fair`);
  }
  differing.forEach((d) => asOverrides.add(d));
}
const elementCount = [...appStacks.values()].reduce((sum: number, stack) => {
  const j = stack as Json;
  const count = (kind: string) => Object.values((j[kind] ?? {}) as Record<string, Json>).reduce((n, byId) => n + Object.keys(byId).length, 0);
  return sum + count("resource") + count("data") + Object.values((j.provider ?? {}) as Record<string, unknown[]>).reduce((n, l) => n + l.length, 0);
}, 0);
record(`  plain program: ${elementCount} resources, data sources and providers; built from overrides (camelCase config did not round-trip)`, String(asOverrides.size), "", undefined);
// Each round: the app command as a second synth runs it (its loader caches and the rule pack's findings
// cache warm), the plain program, the app command with an empty findings cache (every rule evaluated;
// the loader's caches warm, as after an edit), and the app command as the first synth of a fresh clone
// runs it (every cache empty: a new directory for the TypeScript cache, the V8 code cache (which
// holds the module bundle, stacks/module-bundle.cjs) and the findings cache, named by the variables
// stacks/register.cjs and main.ts read).
const pairs = Array.from({ length: runs }, (_, i) => {
  const app = measure(APP, { CDKTF_OUTDIR: path.join(work, `app-${i}`) });
  const plain = measure([plainProgram, path.join(work, `plain-${i}`)]);
  const cold = measure(APP, { CDKTF_OUTDIR: path.join(work, `cold-${i}`), PLATFORM_RULE_CACHE: path.join(work, `rule-cache-${i}`) });
  const gen = path.join(work, `gen-${i}`);
  const first = measure(APP, {
    CDKTF_OUTDIR: path.join(work, `first-${i}`),
    PLATFORM_TS_CACHE: path.join(gen, "ts-cache"),
    PLATFORM_COMPILE_CACHE: path.join(gen, "compile-cache"),
    PLATFORM_RULE_CACHE: path.join(gen, "rule-cache"),
  });
  rmSync(gen, { recursive: true, force: true });
  return { app, plain, cold, first };
});
const cpuRatio = median(pairs.map((p) => p.app.cpuMs / p.plain.cpuMs));
const coldRatio = median(pairs.map((p) => p.cold.cpuMs / p.plain.cpuMs));
const firstRatio = median(pairs.map((p) => p.first.cpuMs / p.plain.cpuMs));
const spread = (xs: readonly number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
const wallRatio = median(pairs.map((p) => p.app.wallMs / p.plain.wallMs));
const appWall = median(pairs.map((p) => p.app.wallMs));
const appCpu = median(pairs.map((p) => p.app.cpuMs));
const coldCpu = median(pairs.map((p) => p.cold.cpuMs));
const appRss = Math.max(...pairs.flatMap((p) => [p.app.maxRssMb, p.cold.maxRssMb, p.first.maxRssMb]));
record(
  `synth: app command with an empty findings cache (any change: every rule runs) / same graph as plain cdktf JS, CPU time (median of ${runs} interleaved rounds; ${appStacks.size} stacks)`,
  `${coldRatio.toFixed(2)}x`,
  `<= ${TARGETS.synthRatio.toFixed(2)}x`,
  coldRatio <= TARGETS.synthRatio,
);
record("  same with the findings cache warm (nothing changed since the last synth)", `${cpuRatio.toFixed(2)}x`, "", undefined);
record("  same, warm, wall time", `${wallRatio.toFixed(2)}x`, "", undefined);
record("  same as a fresh clone's first synth (every cache empty: TypeScript, V8 code, findings)", `${firstRatio.toFixed(2)}x`, "", undefined);
record(
  "  per-round ratios, warm / empty findings cache / fresh clone",
  `${spread(pairs.map((p) => p.app.cpuMs / p.plain.cpuMs))} / ${spread(pairs.map((p) => p.cold.cpuMs / p.plain.cpuMs))} / ${spread(pairs.map((p) => p.first.cpuMs / p.plain.cpuMs))}`,
  "",
  undefined,
);
record("  plain program CPU time (median)", fmt(median(pairs.map((p) => p.plain.cpuMs))), "", undefined);
record("synth: app command, CPU time (median)", fmt(appCpu), `<= ${fmt(TARGETS.synthCpuMs)}`, appCpu <= TARGETS.synthCpuMs);
record("synth: app command with an empty findings cache, CPU time (median)", fmt(coldCpu), `<= ${fmt(TARGETS.synthCpuMs)}`, coldCpu <= TARGETS.synthCpuMs);
record("synth: app command as a fresh clone's first synth, CPU time (median)", fmt(median(pairs.map((p) => p.first.cpuMs))), "", undefined);
record("synth: app command, process wall time (median)", fmt(appWall), "", undefined);
record("synth: app command, peak RSS, warm, cold and first (plain program)", `${appRss} MB (${Math.max(...pairs.map((p) => p.plain.maxRssMb))} MB)`, `<= ${TARGETS.synthRssMb} MB`, appRss <= TARGETS.synthRssMb);

// 2. `cdktf synth` through the CLI (the app command in cdktf.json).
if (!args.includes("--skip-cdktf")) {
  const r = measure([require.resolve("cdktf-cli/bundle/bin/cdktf"), "synth", "--output", path.join(work, "cli.out")]);
  record("`cdktf synth`: the CLI process's own CPU time (the app runs as its child)", fmt(r.cpuMs), `<= ${fmt(TARGETS.cdktfCliCpuMs)}`, r.cpuMs <= TARGETS.cdktfCliCpuMs);
  record("`cdktf synth`: wall time, CLI + app", fmt(r.wallMs), "", undefined);
}

// 3. The jest suite, and its slowest files.
if (!args.includes("--skip-jest")) {
  const report = path.join(work, "jest-report.json");
  const r = measure([require.resolve("jest/bin/jest"), "--silent", "--json", `--outputFile=${report}`]);
  const results = JSON.parse(readFileSync(report, "utf8")) as { testResults: Array<{ name: string; startTime: number; endTime: number }> };
  const runtime = (t: { startTime: number; endTime: number }) => t.endTime - t.startTime;
  // The consumer test packs, installs and compiles a whole app: it has its own budget.
  const isConsumer = (t: { name: string }) => t.name.includes(`${path.sep}test${path.sep}consumer${path.sep}`);
  const unitFiles = results.testResults.filter((t) => !isConsumer(t)).sort((a, b) => runtime(b) - runtime(a));
  const consumer = results.testResults.find(isConsumer);
  if (consumer) record("consumer test (pack + install + tsc + synth + bin)", fmt(runtime(consumer)), `<= ${fmt(TARGETS.consumerMs)}`, runtime(consumer) <= TARGETS.consumerMs);
  record(`jest suite wall time (${results.testResults.length} files, 2 workers)`, fmt(r.wallMs), `<= ${fmt(TARGETS.jestSuiteMs)}`, r.wallMs <= TARGETS.jestSuiteMs);
  unitFiles.slice(0, 3).forEach((file, i) => {
    const share = runtime(file) / r.wallMs;
    const ok = share <= TARGETS.slowestUnitFileShare;
    record(
      `slowest test files #${i + 1}: ${path.relative(root, file.name)} (its share of the suite's wall time)`,
      `${fmt(runtime(file))} (${(share * 100).toFixed(1)} %)`,
      i === 0 ? `<= ${(TARGETS.slowestUnitFileShare * 100).toFixed(0)} %` : "",
      i === 0 ? ok : undefined,
    );
  });
}

// 4. The scale benchmark: 250 / 500 / 1,000 projects, a fresh process per run.
let scaleReport = "";
if (!args.includes("--skip-scale")) {
  const scale = measureScale(DEFAULT_SIZES, scaleRuns);
  scaleReport = formatScale(scale);
  for (const row of scale.rows) {
    const target = row.projects === SCALE_TARGET_PROJECTS;
    record(
      `scale: ${row.projects.toLocaleString("en-US")} projects, construct + synth CPU time (median of ${row.runs}; wall ${fmt(row.totalMs)})`,
      fmt(row.cpuMs),
      target ? `<= ${fmt(SCALE_TARGET_CPU_MS)}` : "",
      target ? row.cpuMs <= SCALE_TARGET_CPU_MS : undefined,
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
rmSync(work, { recursive: true, force: true });

const width = Math.max(...rows.map((r) => r[0].length));
if (scaleReport) process.stdout.write(`\nscale benchmark (npm run bench:scale)\n${scaleReport}\n`);
const loads = (l: readonly number[]) => l.map((x) => x.toFixed(1)).join(" ");
process.stdout.write(`\nbench on ${cpus().length} cores, node ${process.version}, load average ${loads(loadAtStart)} at the start, ${loads(loadavg())} at the end\n`);
process.stdout.write(`per round, CPU ms (app warm, plain, app with an empty findings cache, app as a fresh clone's first synth):\n`);
pairs.forEach((p, i) => process.stdout.write(`  ${i + 1}: ${[p.app, p.plain, p.cold, p.first].map((m) => Math.round(m.cpuMs)).join(" ")}\n`));
process.stdout.write("\n");
for (const [what, value, target, ok] of rows) {
  process.stdout.write(`${what.padEnd(width)}  ${value.padStart(14)}  ${target.padEnd(10)} ${ok === undefined ? "" : ok ? "ok" : "MISSED"}\n`);
}
process.exitCode = rows.some((r) => r[3] === false) ? 1 : 0;
