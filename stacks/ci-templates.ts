import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EXAMPLE_APP_DOCKERFILE } from "../lib/gitlab/build-cache";
import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../lib/gitlab/ci-templates-project";
import { IMAGE_REUSE_TEMPLATE, platformCiTemplates } from "../lib/gitlab/platform-templates";
import { DEFAULT_TOOLBOX_DOCKERFILE, toolboxCiFile } from "../lib/gitlab/toolbox-project";
import { TagScheme } from "../lib/registry/tag-scheme";
import { type PlatformConfig, validateConfig } from "./config";
import { exampleConfig } from "./example-config";
import { deployTemplateOf } from "./promotion";

/** The worked example's `.gitlab-ci.yml`: includes the ECR template from the templates project. */
export function exampleProjectCiFile(templatesProject: string): string {
  return projectCiFile({ include: { project: templatesProject, ref: "main", file: IMAGE_REUSE_TEMPLATE }, jobs: EXAMPLE_PROJECT_JOBS });
}

/**
 * Writes what the stacks publish into GitLab, for review or for copying by
 * hand: the templates (under `<out>/<templates project>/`), the toolbox
 * project's files (under `<out>/<toolbox project>/`), and the worked example
 * (`<out>/example/.gitlab-ci.yml` and its `Dockerfile`). The same functions build the
 * `gitlab_repository_file` contents, so the files are identical. Returns the
 * written paths, relative to `outDir`.
 */
export function writeCiTemplates(config: PlatformConfig, outDir: string): string[] {
  validateConfig(config);
  const files = new Map<string, string>();
  for (const env of config.environments) {
    const scheme = new TagScheme(`${env.name}/tagScheme`, env.registry.tagScheme);
    const templates = env.gitlab.ciTemplates;
    if (templates) {
      for (const t of platformCiTemplates(`${env.name}/ci-templates`, scheme, deployTemplateOf(config, env.gitlab.url), env.identity?.releaseTags)) files.set(path.join(templates.project, t.fileName), t.content);
      files.set(path.join("example", ".gitlab-ci.yml"), exampleProjectCiFile(templates.project));
      files.set(path.join("example", "Dockerfile"), EXAMPLE_APP_DOCKERFILE);
    }
    const toolbox = env.gitlab.toolboxProject;
    if (toolbox) {
      files.set(path.join(toolbox.path, ".gitlab-ci.yml"), toolboxCiFile(`${env.name}/toolbox-project`, scheme, "ecr", undefined, deployTemplateOf(config, env.gitlab.url)?.environments).content);
      files.set(path.join(toolbox.path, "Dockerfile"), toolbox.dockerfile ?? DEFAULT_TOOLBOX_DOCKERFILE);
    }
  }
  for (const [file, content] of files) {
    mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
    writeFileSync(path.join(outDir, file), content);
  }
  return [...files.keys()];
}

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error("usage: npm run ci-templates -- <outdir>");
    process.exit(2);
  }
  for (const file of writeCiTemplates(exampleConfig, outDir)) console.log(path.join(outDir, file));
}
