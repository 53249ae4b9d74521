/*
 * The "must show" checks, as an operator would run them: jq over the
 * synthesized stacks (cdktf.out/stacks/<name>/cdk.tf.json). The filters live
 * in test/attack-path/jq/ and docs/runner-pools.md shows how to run them.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool, runTool } from "../support/conformance";

const filters = path.join(__dirname, "jq");

/** Writes every environment stack's JSON to a directory; returns the file paths by stack name. */
function synthesizedFiles(config: PlatformConfig): Map<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), "runner-jq-"));
  const built = buildPlatform(Testing.app(), config);
  return new Map(
    [...built.environments].map(([name, stack]) => {
      const file = path.join(dir, `${name}.tf.json`);
      writeFileSync(file, Testing.synth(stack));
      return [name, file];
    }),
  );
}

function jq(filter: string, files: readonly string[], slurpInputs = true): unknown {
  const run = runTool("jq", [...(slurpInputs ? ["-n"] : []), "-c", "-f", path.join(filters, filter), ...files]);
  if (run.status !== 0) throw new Error(`jq ${filter} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describeWithTool("jq", "must-show checks over the synthesized stacks", () => {
  const files = synthesizedFiles(exampleConfig);
  const all = [...files.values()];

  test("no two environments share a runner tag", () => {
    expect(jq("shared-runner-tags.jq", all)).toEqual([]);
  });

  test("no staging or production runner takes untagged jobs", () => {
    expect(jq("untagged-runners.jq", [files.get("staging")!, files.get("production")!])).toEqual([]);
  });

  test("every socket-binding or privileged runner is ref_protected (and the filter finds them)", () => {
    for (const [name, file] of files) {
      const found = jq("host-controlling-runners.jq", [file], false) as { description: string; access_level: string }[];
      expect(found.map((r) => r.description)).toEqual([`acme-ci ${name} build`]);
      expect(found.every((r) => r.access_level === "ref_protected")).toBe(true);
    }
  });

  test("the filters report the old defaults' faults: a shared, untagged, not_protected socket-binding runner", () => {
    const old = structuredClone(exampleConfig) as PlatformConfig;
    // What every environment registered before the pools: the same tag, untagged, not_protected, as a group runner.
    // Built alone, an environment promotes from none and deploys nothing (no deploy runner to route to).
    const legacy = ({ promotion: _promotion, deploy: _deploy, ...env }: PlatformConfig["environments"][number]) => ({
      ...env,
      production: false,
      gitlab: {
        ...env.gitlab,
        runners: [
          { name: "build", tags: ["acme-ci-build"], untagged: env.name === "staging", allowUnprotectedJobs: { reason: "reproduces the old defaults in a test" }, groupRunner: { reason: "reproduces the old defaults in a test" } },
          { name: "test", tags: [`acme-ci-${env.name}-test`], protectedRefsOnly: true },
          ...(env.runners?.unprotected ? [{ name: "mr", tags: [`acme-ci-${env.name}-mr`] }] : []),
          ...(env.runners?.deploy ? [{ name: "deploy", tags: [`acme-ci-${env.name}-deploy`], protectedRefsOnly: true }] : []),
        ],
      },
    });
    const oldFiles = synthesizedFiles({ ...old, environments: [legacy(old.environments[1]!)] });
    const staging = oldFiles.get("staging")!;
    expect(jq("untagged-runners.jq", [staging])).toEqual(["acme-ci staging build"]);
    expect(jq("host-controlling-runners.jq", [staging], false)).toEqual([{ description: "acme-ci staging build", access_level: "not_protected" }]);
    // Two environments with the old shared tag: built one by one (the app refuses them together).
    const dev = synthesizedFiles({ ...old, environments: [legacy(old.environments[0]!)] }).get("dev")!;
    expect(jq("shared-runner-tags.jq", [dev, staging])).toEqual(["acme-ci-build"]);
  });
});
