/**
 * One cold build and synthesis of the scale stack in this process, into a
 * temporary directory: `node -r ./stacks/register.cjs bench/scale-once.ts <projects>`.
 * Prints one JSON line: { projects, importMs (process start to imports done),
 * constructMs, synthMs, totalMs (construct + synth), cpuMs (CPU time of construct + synth,
 * all threads: less sensitive than wall time to other load on a shared machine),
 * resources, outputBytes, maxRssMb }.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App } from "cdktf";
import { buildScaleStack } from "./scale";

// performance.now() counts from process start: node start-up, SWC registration and every import.
const t1 = performance.now();
const cpu1 = process.cpuUsage();
const projects = Number(process.argv[2]);
const outdir = mkdtempSync(path.join(tmpdir(), "bench-scale-"));
try {
  const app = new App({ outdir });
  buildScaleStack(app, projects);
  const t2 = performance.now();
  app.synth();
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu1);
  const text = readFileSync(path.join(outdir, "stacks", "scale", "cdk.tf.json"), "utf8");
  const json = JSON.parse(text) as { resource?: Record<string, Record<string, unknown>> };
  const resources = Object.values(json.resource ?? {}).reduce((n, byId) => n + Object.keys(byId).length, 0);
  process.stdout.write(
    `${JSON.stringify({
      projects,
      importMs: Math.round(t1),
      constructMs: Math.round(t2 - t1),
      synthMs: Math.round(t3 - t2),
      totalMs: Math.round(t3 - t1),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      resources,
      outputBytes: text.length,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
