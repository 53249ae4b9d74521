import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { escapeTerraformTemplate } from "../../lib/core/terraform-text";
import { exampleProjectCiFile, writeCiTemplates } from "../../stacks/ci-templates";
import { exampleConfig } from "../../stacks/example-config";
import { runTool } from "../support/conformance";
import { resourcesOf } from "../support/synth";
import { exampleSynthJson } from "../support/example-synth";

const root = path.resolve(__dirname, "../..");

describe("npm run ci-templates", () => {
  const out = mkdtempSync(path.join(tmpdir(), "ci-templates-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("writes exactly what the shared GitLab stack publishes with gitlab_repository_file", () => {
    const written = writeCiTemplates(exampleConfig, out);
    expect(written.sort()).toEqual(
      ["acme/ci-templates/deploy.yml", "acme/ci-templates/image-reuse-gitlab-registry.yml", "acme/ci-templates/image-reuse.yml", "acme/toolbox/.gitlab-ci.yml", "acme/toolbox/Dockerfile", "example/.gitlab-ci.yml", "example/Dockerfile"].map((f) =>
        path.normalize(f),
      ),
    );
    const shared = exampleSynthJson().get("gitlab-shared")!;
    const published = Object.values(resourcesOf(shared, "gitlab_repository_file"));
    expect(published).toHaveLength(5);
    for (const file of published) {
      const project = String(file.project).includes("toolbox") ? "acme/toolbox" : "acme/ci-templates";
      // The synthesized content escapes Terraform's template sequences ($${, %%{); the written file is the file itself.
      expect({ file: file.file_path, same: escapeTerraformTemplate(readFileSync(path.join(out, project, String(file.file_path)), "utf8")) === file.content }).toEqual({ file: file.file_path, same: true });
    }
  });

  test("the script runs from the command line", () => {
    const run = runTool(process.execPath, ["-r", "@swc-node/register", "stacks/ci-templates.ts", path.join(out, "cli")], { cwd: root });
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toContain(path.join(out, "cli", "example", ".gitlab-ci.yml"));
  });

  test("the GitLab side docs' worked .gitlab-ci.yml is the generated example", () => {
    const readme = readFileSync(path.join(root, "docs", "constructs", "gitlab.md"), "utf8");
    expect(readme).toContain(["```yaml", exampleProjectCiFile("acme/ci-templates").trimEnd(), "```"].join("\n"));
  });
});
