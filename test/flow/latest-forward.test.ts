import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, failureOf, FULL_PIPELINE } from "./support/app-project";
import { type FlowPipeline, fakeRegistry } from "./support/flow-harness";

/*
 * Pipeline flow, the moving tag latest moves only forward: two commits pushed to main, each with its
 * pipeline, then the build jobs of the first pipeline retried (a retried job runs its own pipeline's
 * commit). Before, the retried jobs moved latest back onto the first commit's images, and so did
 * anything running `:latest` (the toolbox project uses the same template: deploy jobs' toolbox).
 */
const REPOS = ["acme/dev/app/app", "acme/dev/app/app-ci"];

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: latest moves only forward (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "a retried build job of an older main pipeline", () => {
    const { project, commit } = appProject();
    const p: Record<string, FlowPipeline> = {};
    const latestBefore: Record<string, string | undefined> = {};

    beforeAll(async () => {
      p.first = await project.pipeline("main: commit 1", { kind: "push", branch: "main" }, 0);
      commit("main", { "package.json": '{ "name": "app", "version": "1.1.0" }\n' }, "commit 2: dependency change");
      p.second = await project.pipeline("main: commit 2", { kind: "push", branch: "main" }, 1);
      for (const repo of REPOS) latestBefore[repo] = fakeRegistry.findTag(project.registry(), repo, "latest")?.digest;
      p.retry = await project.pipeline("main: commit 1's build jobs retried", { kind: "push", branch: "main" }, 2, { jobs: ["build-app-image", "build-ci-image"], retryOf: p.first });
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("every pipeline and the retried jobs pass; the retry runs commit 1", () => {
      for (const pipeline of project.pipelines) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
      expect(p.first!.run.passed).toEqual(FULL_PIPELINE);
      expect(p.retry!.run.passed).toEqual(["build-app-image", "build-ci-image"]);
      expect(p.retry!.sha).toBe(p.first!.sha);
      expect(p.second!.sha).not.toBe(p.first!.sha);
    });

    test("fault: the retried build jobs of commit 1 moved latest back; latest stays on commit 2's images", () => {
      const state = project.registry();
      for (const repo of REPOS) {
        const second = fakeRegistry.findTag(state, repo, `sha-${p.second!.sha}`)!.digest;
        expect({ repo, latest: fakeRegistry.findTag(state, repo, "latest")?.digest }).toEqual({ repo, latest: second });
        expect(latestBefore[repo]).toBe(second);
        expect(fakeRegistry.findTag(state, repo, `sha-${p.first!.sha}`)!.digest).not.toBe(second);
      }
      expect(p.retry!.run.run.stdout).toContain(`main has moved on to ${p.second!.sha}`);
    });
  });
});
