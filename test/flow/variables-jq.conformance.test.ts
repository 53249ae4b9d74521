/*
 * Group variables hold nothing tenant-specific, as an operator checks it: jq over the
 * synthesized stacks (cdktf.out/stacks/<name>/cdk.tf.json). The filters live in test/flow/jq/;
 * docs/image-flow.md shows how to run them.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeWithTool, runTool } from "../support/conformance";
import { type SynthJson } from "../support/synth";
import { exampleStackJson } from "./support/example-json";

const filters = path.join(__dirname, "jq");
const dir = mkdtempSync(path.join(tmpdir(), "variables-jq-"));

function jq(filter: string, files: readonly string[]): unknown {
  const run = runTool("jq", ["-n", "-c", "-f", path.join(filters, filter), ...files]);
  if (run.status !== 0) throw new Error(`jq ${filter} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function write(name: string, json: SynthJson): string {
  const file = path.join(dir, `${name}.tf.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describeWithTool("jq", "tenant values stay out of group variables (jq over the synthesized stacks)", () => {
  const stacks = new Map([...exampleStackJson()].filter(([name]) => ["dev", "staging", "production"].includes(name)));
  const files = [...stacks].map(([name, json]) => write(name, json));

  test("no image variable is shared between projects", () => {
    expect(jq("shared-image-variables.jq", files)).toEqual([]);
  });

  test("no group variable names a tenant's repository (by name or by reference)", () => {
    expect(jq("group-variables-naming-repositories.jq", files)).toEqual([]);
  });

  test("the filters find what the group variables used to hold: an image URL, and the registry host taken from the first tenant's repository", () => {
    const dev = structuredClone(stacks.get("dev")!) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const repository = Object.entries(dev.resource.aws_ecr_repository!).find(([, r]) => r.name === "acme/dev/app/app")!;
    dev.resource.gitlab_group_variable!.old_image = { group: "acme", key: "PLATFORM_APP_IMAGE", value: `111111111111.dkr.ecr.eu-central-1.amazonaws.com/${String(repository[1].name)}` };
    dev.resource.gitlab_group_variable!.old_host = { group: "acme", key: "PLATFORM_REGISTRY_HOST", value: `\${element(split("/", aws_ecr_repository.${repository[0]}.repository_url), 0)}` };
    dev.resource.gitlab_project_variable!.copy = { ...Object.values(dev.resource.gitlab_project_variable!).find((v) => v.key === "PLATFORM_APP_IMAGE")!, project: "acme/other" };
    const file = write("dev-old", dev as SynthJson);
    expect((jq("group-variables-naming-repositories.jq", [file]) as { key: string }[]).map((v) => v.key).sort()).toEqual(["PLATFORM_APP_IMAGE", "PLATFORM_REGISTRY_HOST"]);
    expect((jq("shared-image-variables.jq", [file]) as { projects: string[] }[]).map((v) => v.projects)).toEqual([["acme/app", "acme/other"]]);
  });
});
