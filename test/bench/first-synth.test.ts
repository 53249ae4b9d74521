/**
 * What the bench's first-synth figure rests on: the app command's caches go where the environment
 * names them (so a round can start with every cache empty, as a fresh clone does), and the usage
 * report counts the work the code cache does at exit.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
let work: string;
beforeEach(() => (work = mkdtempSync(path.join(tmpdir(), "first-synth-"))));
afterEach(() => rmSync(work, { recursive: true, force: true }));

const entries = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

function node(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
}

test("PLATFORM_TS_CACHE and PLATFORM_COMPILE_CACHE name the directories of the loader's caches; 0 turns them off", () => {
  const script = path.join(work, "answer.ts");
  writeFileSync(script, "const answer: number = 42;\nconsole.log(answer);\n");
  const ts = path.join(work, "ts");
  const code = path.join(work, "code");
  const r = node(["-r", "./stacks/register.cjs", script], { PLATFORM_TS_CACHE: ts, PLATFORM_COMPILE_CACHE: code });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("42\n");
  expect(entries(ts).filter((f) => f.endsWith(".js"))).toHaveLength(1);
  expect(entries(code).length).toBeGreaterThan(0);
  const off = node(["-r", "./stacks/register.cjs", script], { PLATFORM_TS_CACHE: "0", PLATFORM_COMPILE_CACHE: "0" });
  expect(off.stdout).toBe("42\n");
  expect(entries(ts)).toHaveLength(1);
  // "0" is read as off, not as a directory named 0.
  expect(existsSync(path.join(root, "0"))).toBe(false);
});

test("the usage report is written after every other exit listener, so the code cache's writes at exit are counted", () => {
  const usage = path.join(work, "usage.json");
  const script = path.join(work, "late.js");
  // An exit listener added by a module preloaded after the report (as stacks/compile-cache.cjs is) that burns CPU.
  const late = path.join(work, "late-listener.js");
  writeFileSync(late, "process.on('exit', () => { const end = process.cpuUsage().user + 300000; while (process.cpuUsage().user < end); });\n");
  writeFileSync(script, "console.log('main');\n");
  const r = node(["-r", "./bench/usage-report.cjs", "-r", late, script], { BENCH_USAGE_FILE: usage });
  expect(r.status).toBe(0);
  const { cpuMs } = JSON.parse(readFileSync(usage, "utf8")) as { cpuMs: number };
  expect(cpuMs).toBeGreaterThanOrEqual(300);
});
