import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type TerraformStack } from "cdktf";
import { parse } from "yaml";
import { isUnresolved } from "../../lib/core/tokens";
import { HOST_PATHS } from "../../lib/runner/user-data";
import { describeWithTool, runTool } from "../support/conformance";
import { synth } from "../support/synth";
import { deliveredScript, literalFleet } from "./fixtures";

const fleet = literalFleet();
const cloudConfig = parse(fleet.userData) as { write_files: Array<{ path: string; content: string }> };
const work = mkdtempSync(path.join(tmpdir(), "runner-conformance-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const file = path.join(work, name);
  writeFileSync(file, content);
  return file;
};

test("the conformance fleet's user data has no unresolved tokens", () => {
  expect(isUnresolved(fleet.userData)).toBe(false);
});

describeWithTool(
  "cloud-init",
  "runner host user data",
  () => {
    test("passes `cloud-init schema`", () => {
      const run = runTool("cloud-init", ["schema", "--config-file", write("user-data.yaml", fleet.userData)]);
      expect({ status: run.status, output: (run.stdout + run.stderr).trim() }).toEqual({ status: 0, output: expect.stringMatching(/^Valid cloud-config: /) });
    });

    test("the schema check can fail (a misspelt write_files key)", () => {
      const broken = fleet.userData.replace("    permissions: \"0755\"", "    permission: \"0755\"");
      expect(broken).not.toBe(fleet.userData);
      expect(runTool("cloud-init", ["schema", "--config-file", write("broken.yaml", broken)]).status).not.toBe(0);
    });
  },
  ["--version"],
);

describeWithTool("shellcheck", "shell scripts in runner host user data", () => {
  // The installer from user data, and the script it installs as the synthesized parameters hold it.
  const delivered = deliveredScript(synth(fleet.node.scope as TerraformStack).json);
  const scripts = [...cloudConfig.write_files.filter((f) => f.content.startsWith("#!")), { path: HOST_PATHS.script, content: delivered }];

  test("the host gets its installer in user data and its script from the parameters", () => {
    expect(scripts.map((s) => s.path)).toEqual([HOST_PATHS.installScript, HOST_PATHS.script]);
    expect(delivered.startsWith("#!/usr/bin/env bash\n")).toBe(true);
  });

  test.each(scripts.map((s) => [s.path, s.content]))("%s passes shellcheck", (name, content) => {
    const run = runTool("shellcheck", ["--severity=style", write(path.basename(name), content)]);
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: "" });
  });

  test("every pre_build_script passes shellcheck (sh, as jobs run it)", () => {
    const scriptsInToml = fleet.runnerConfig.runners.flatMap((r) => (r.preBuildScript ? [r.preBuildScript] : []));
    expect(scriptsInToml).toHaveLength(1);
    for (const script of scriptsInToml) {
      const run = runTool("shellcheck", ["--shell=sh", "--severity=style", write("pre_build_script.sh", script)]);
      expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: "" });
    }
  });
});

