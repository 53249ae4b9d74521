import path from "node:path";
import { DEFAULT_DEPENDENCY_CACHES } from "../../lib/gitlab/build-cache";
import { projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE, IMAGE_REUSE_TEMPLATE, platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";

/*
 * The dependency caches of the published templates in gitlab-ci-local: GitLab's CI schema accepts
 * them (cache:key:files with one or two files, a prefix, when: always), and a job extending each
 * hidden cache job runs with the package manager pointed into the cached path inside the project.
 */
const templates = platformCiTemplates("cfg/templates", new TagScheme("cfg/tagScheme"));

describeWithTool(GITLAB_CI_LOCAL, "the dependency caches in gitlab-ci-local", () => {
  test.each([IMAGE_REUSE_TEMPLATE, IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE])("%s: schema-valid, and every cache job points its package manager into the cached path", async (fileName) => {
    const template = templates.find((t) => t.fileName === fileName)!;
    const jobs = Object.fromEntries(
      DEFAULT_DEPENDENCY_CACHES.map((cache) => [
        `deps-${cache.name}`,
        {
          extends: `.platform-cache-${cache.name}`,
          stage: "test",
          // Printed through a format, so that the echoed command line never matches the assertion.
          script: Object.keys(cache.variables ?? {}).map((key) => `printf '%s %s=%s\\n' cache-var ${key} "$${key}"`),
        },
      ]),
    );
    const repo = new CiRepo({ "ci-templates/t.yml": template.content, ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/t.yml" }, jobs }), "package-lock.json": "{}\n" });
    try {
      const run = await repo.runPipeline({ PLATFORM_TRUST: "protected" }, [], {}, Object.keys(jobs));
      expect({ status: run.run.status, passed: run.passed }).toEqual({ status: 0, passed: Object.keys(jobs).sort() });
      const printed = Object.fromEntries([...run.run.stdout.matchAll(/cache-var (\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
      for (const cache of DEFAULT_DEPENDENCY_CACHES) {
        for (const key of Object.keys(cache.variables ?? {})) {
          // The directory the package manager uses is the cache's path, inside the project directory.
          const dir = printed[key]!.replace(/^-Dmaven\.repo\.local=/, "");
          expect({ key, inCachedPath: path.relative(repo.dir, dir) + "/" }).toEqual({ key, inCachedPath: cache.paths[0] });
        }
      }
    } finally {
      repo.remove();
    }
  }, 120_000);
});
