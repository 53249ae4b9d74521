/**
 * One cold synthesis of every example stack in this process, as `main.ts`
 * does it, into a temporary directory. Prints one JSON line:
 * { importMs (process start to imports done), synthMs, stacks, maxRssMb }.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App } from "cdktf";
import { buildPlatform } from "../stacks/app";
import { exampleConfig } from "../stacks/example-config";

// performance.now() counts from process start, so this is node start-up,
// SWC registration and every import (cdktf, constructs, provider deep paths).
const t0 = 0;
const t1 = performance.now();
const outdir = mkdtempSync(path.join(tmpdir(), "bench-synth-"));
const app = new App({ outdir });
const built = buildPlatform(app, exampleConfig);
app.synth();
const t2 = performance.now();
rmSync(outdir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    importMs: Math.round(t1 - t0),
    synthMs: Math.round(t2 - t1),
    stacks: built.accounts.size + built.environments.size,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
