import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";

/**
 * The example app's cdk.tf.json texts, by stack name, synthesized in this process (so what the
 * library records while rendering, such as the cloud-config documents the rule pack reads, is
 * there), as the app command writes them. For JSON only, `exampleSynthJson` (example-synth.ts) is cheaper.
 */
export function exampleStackTexts(prefix: string): Map<string, string> {
  const outdir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    const app = new App({ outdir, stackTraces: false });
    buildPlatform(app, exampleConfig);
    app.synth();
    const dir = path.join(outdir, "stacks");
    return new Map(readdirSync(dir).sort().map((name) => [name, readFileSync(path.join(dir, name, "cdk.tf.json"), "utf8")]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
