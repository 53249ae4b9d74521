/**
 * One cold synthesis of every example stack in this process, as `main.ts`
 * does it, into a temporary directory. Prints one JSON line:
 * { importMs, synthMs, stacks, maxRssMb }.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const t0 = performance.now();
/* eslint-disable @typescript-eslint/no-require-imports */
const { App } = require("cdktf") as typeof import("cdktf");
const { buildPlatform } = require("../stacks/app") as typeof import("../stacks/app");
const { exampleConfig } = require("../stacks/example-config") as typeof import("../stacks/example-config");
/* eslint-enable @typescript-eslint/no-require-imports */
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
