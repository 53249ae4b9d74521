/**
 * The module bundle (stacks/module-bundle.cjs) changes how the example app's modules are loaded,
 * never what it synthesizes: the synth that records the bundle, the synth that runs from it and a
 * synth with PLATFORM_MODULE_BUNDLE=0 write the same cdk.tf.json for every stack. About 5 s of CPU
 * (three synths of the example app, the first compiling its TypeScript into an empty cache).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "module-bundle-synth-"));
  // cdktf runs `terraform version` during synth: a stand-in keeps this test independent of the machine's terraform.
  mkdirSync(path.join(work, "bin"));
  writeFileSync(path.join(work, "bin", "terraform"), "#!/bin/sh\necho 'Terraform v1.11.4'\n", { mode: 0o755 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Synthesizes the example app in its own directory named `name`; returns each stack's cdk.tf.json text by stack name. */
function synth(name: string, bundle: string): Map<string, string> {
  const cwd = path.join(work, name);
  mkdirSync(cwd);
  const r = spawnSync(process.execPath, ["-r", path.join(root, "stacks/register.cjs"), path.join(root, "main.ts")], {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    env: {
      ...process.env,
      PATH: `${path.join(work, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
      PLATFORM_CONFIG: "",
      PLATFORM_TS_CACHE: path.join(work, "ts-cache"),
      PLATFORM_COMPILE_CACHE: path.join(work, "compile-cache"),
      PLATFORM_MODULE_BUNDLE: bundle,
    },
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const stacks = path.join(cwd, "cdktf.out", "stacks");
  return new Map(readdirSync(stacks).map((stack) => [stack, readFileSync(path.join(stacks, stack, "cdk.tf.json"), "utf8")]));
}

test("the example app synthesizes the same cdk.tf.json for every stack with the bundle (recording it, running from it) and without it", () => {
  const bundle = path.join(work, "bundle");
  const recording = synth("recording", bundle);
  expect(existsSync(path.join(bundle, "manifest.json"))).toBe(true);
  const fromBundle = synth("from-bundle", bundle);
  // The code cache is written at the exit of the first synth that ran from the bundle: this one did.
  expect(readdirSync(bundle).filter((f) => f.endsWith(".cache"))).toHaveLength(1);
  const without = synth("without", "0");
  expect([...without.keys()].sort()).toEqual(["account-nonprod", "account-prod", "dev", "gitlab-shared", "production", "staging"]);
  for (const [stack, json] of without) {
    expect({ stack, json: fromBundle.get(stack) }).toEqual({ stack, json });
    expect({ stack, json: recording.get(stack) }).toEqual({ stack, json });
  }
  expect([...fromBundle.keys()].sort()).toEqual([...without.keys()].sort());
});
