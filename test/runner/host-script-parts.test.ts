import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { RunnerFleet } from "../../lib/runner/fleet";
import { RUNNER_FLEET_SCRIPT, RUNNER_FLEET_SCRIPT_PARTS, joinScriptParts } from "../../lib/runner/host-files";
import { synth, testStack } from "../support/synth";
import { deliveredScript, fleetProps } from "./fixtures";

// The on-host script is kept in parts by concern; hosts must get every part, in one file.

const ASSETS = path.resolve(__dirname, "../../lib/runner/assets");
const read = (name: string) => readFileSync(path.join(ASSETS, name), "utf8");
const functionsOf = (script: string) => [...script.matchAll(/^([a-z_]+)\(\) \{$/gm)].map((m) => m[1]!);

test("every runner-fleet part in assets/ is joined, exactly once, the settings first and the dispatcher last", () => {
  const onDisk = readdirSync(ASSETS).filter((f) => /^runner-fleet.*\.sh$/.test(f));
  expect([...RUNNER_FLEET_SCRIPT_PARTS].sort()).toEqual(onDisk.sort());
  expect(new Set(RUNNER_FLEET_SCRIPT_PARTS).size).toBe(RUNNER_FLEET_SCRIPT_PARTS.length);
  expect(RUNNER_FLEET_SCRIPT.startsWith("#!/usr/bin/env bash\n")).toBe(true);
  expect(RUNNER_FLEET_SCRIPT.trimEnd().endsWith('main "$@"')).toBe(true);
  expect(RUNNER_FLEET_SCRIPT).not.toContain("# shellcheck shell=bash");
});

test.each(RUNNER_FLEET_SCRIPT_PARTS.map((p) => [p]))("%s: every function it defines is in the script hosts install", (part) => {
  const stack = testStack();
  new RunnerFleet(stack, "fleet", fleetProps(stack));
  const script = deliveredScript(synth(stack).json);
  expect(script).toBe(RUNNER_FLEET_SCRIPT);
  const defined = functionsOf(read(part));
  if (part !== "runner-fleet-main.sh") expect(defined.length).toBeGreaterThan(0);
  for (const name of defined) expect(script).toMatch(new RegExp(`^${name}\\(\\) \\{$`, "m"));
  // Every function the joined script calls by its dispatcher is defined in some part.
  for (const command of ["configure", "may_start", "watch", "publish_metric", "clean_disk"]) expect(functionsOf(script)).toContain(command);
});

test("joining drops the shell directive of later parts only and ends each part with a newline", () => {
  const joined = joinScriptParts(["#!/usr/bin/env bash\n# shellcheck shell=bash\na=1", "# shellcheck shell=bash\nb=2\n", "c=3"]);
  expect(joined).toBe("#!/usr/bin/env bash\n# shellcheck shell=bash\na=1\n\nb=2\n\nc=3\n");
});
