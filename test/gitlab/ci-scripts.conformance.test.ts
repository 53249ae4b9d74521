import { parse } from "yaml";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool, runTool } from "../support/conformance";

// Every job's before_script + script of every generated template, as the
// runner's bash runs them (set -eo pipefail), must pass shellcheck.
const scheme = new TagScheme("cfg/tagScheme");
const templates = [...platformCiTemplates("cfg/templates", scheme), toolboxCiFile("cfg/toolbox", scheme), toolboxCiFile("cfg/toolbox", scheme, "gitlab")];
const scripts = templates.flatMap((template) =>
  Object.entries(parse(template.content) as Record<string, { before_script?: string[]; script?: string[] } | null>).flatMap(([job, body]) => {
    const lines = [...(body?.before_script ?? []), ...(body?.script ?? [])];
    return lines.length > 0 ? [[`${template.fileName} ${job}`, ["#!/usr/bin/env bash", "set -eo pipefail", ...lines, ""].join("\n")] as const] : [];
  }),
);

describeWithTool("shellcheck", "the generated CI job scripts", () => {
  test("there are scripts to check", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(10);
  });

  test.each(scripts)("%s passes shellcheck", (name, script) => {
    const run = runTool("shellcheck", ["--severity=style", "--shell=bash", "-"], { input: script });
    expect({ name, status: run.status, output: run.stdout + run.stderr }).toEqual({ name, status: 0, output: "" });
  });
});
