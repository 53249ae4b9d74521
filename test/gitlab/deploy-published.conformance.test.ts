import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeCiTemplates } from "../../stacks/ci-templates";
import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool, runTool } from "../support/conformance";
import { resourcesOf } from "../support/synth";
import { exampleSynthJson } from "../support/example-synth";

/*
 * The published CI files (deploy.yml with its pinned scripts, the image-reuse templates, the toolbox
 * project's CI file) reach GitLab through Terraform: `gitlab_repository_file.content` is a string of
 * the JSON configuration, which Terraform reads as a template. The terraform binary (no provider
 * needed) evaluates each synthesized content; it must be exactly the generated file.
 */
describeWithTool("terraform", "published CI files through Terraform's template reading", () => {
  const out = mkdtempSync(path.join(tmpdir(), "published-"));
  const dir = mkdtempSync(path.join(tmpdir(), "tf-published-"));
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  writeCiTemplates(exampleConfig, out);
  const shared = exampleSynthJson().get("gitlab-shared")!;
  const files = Object.values(resourcesOf(shared, "gitlab_repository_file")).map((f) => ({
    name: String(f.file_path),
    content: String(f.content),
    expected: readFileSync(path.join(out, String(f.project).includes("toolbox") ? "acme/toolbox" : "acme/ci-templates", String(f.file_path)), "utf8"),
  }));

  test("fault: the content held GitLab's ${CI_COMMIT_SHA} and the shell's ${...} unescaped, which Terraform reads as references (the plan of gitlab-shared failed); each content now evaluates to the file itself", () => {
    expect(files.map((f) => f.name).sort()).toEqual([".gitlab-ci.yml", "Dockerfile", "deploy.yml", "image-reuse-gitlab-registry.yml", "image-reuse.yml"]);
    // The files do hold template sequences: the check can fail.
    expect(files.find((f) => f.name === "deploy.yml")!.expected).toContain("sha-${CI_COMMIT_SHA}");
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ locals: Object.fromEntries(files.map((f, i) => [`f${i}`, f.content])) }));
    files.forEach((f, i) => {
      const run = runTool("terraform", ["console"], { cwd: dir, input: `sha256(local.f${i})\n`, env: { ...process.env, TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" } });
      const printed = run.stdout.trim().split("\n").pop()?.trim() ?? "";
      expect({ file: f.name, sha256: printed.replace(/^"|"$/g, ""), error: run.status === 0 ? "" : run.stderr.slice(0, 400) }).toEqual({
        file: f.name,
        sha256: createHash("sha256").update(f.expected).digest("hex"),
        error: "",
      });
    });
  });
});
