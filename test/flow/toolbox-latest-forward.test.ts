import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { toolboxFlow } from "./support/deploy-project";
import { type FlowPipeline, fakeRegistry } from "./support/flow-harness";
import { setProcessEnv } from "../support/env";

/*
 * The toolbox image deploy jobs run (`$PLATFORM_TOOLBOX_URL:latest` in every deploying environment)
 * moves only forward: two toolbox commits on main, each pipeline builds and promotes its image, then
 * the first pipeline's build and promote jobs are retried. Before, the retried jobs moved latest in
 * dev, staging and production back onto the first commit's toolbox.
 */
const REPOS = ["acme/dev/toolbox/toolbox", "acme/staging/toolbox/toolbox", "acme/production/toolbox/toolbox"];
const JOBS = ["build-toolbox-image", "promote-toolbox-staging", "promote-toolbox-production"];

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: the toolbox's latest moves only forward", () => {
  describeWithTool("rsync", "acme/toolbox: two commits, then the first pipeline's jobs retried", () => {
    const { project } = toolboxFlow(exampleConfig, "acme/toolbox", "FROM alpine:3.20\nRUN echo deploy tools\n");
    let restoreEnv = () => {};
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      restoreEnv = setProcessEnv({ FAKE_ENVIRONMENTS: "dev,staging,production", FAKE_PROMOTION: "staging=dev,production=staging" });
      p.first = await project.pipeline("toolbox main: commit 1", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ Dockerfile: "FROM alpine:3.20\nRUN echo deploy tools, version 2\n" }, "toolbox commit 2");
      p.second = await project.pipeline("toolbox main: commit 2", { kind: "push", branch: "main" }, 1);
      p.retry = await project.pipeline("toolbox main: commit 1's jobs retried", { kind: "push", branch: "main" }, 2, { jobs: JOBS, retryOf: p.first });
    }, 300_000);
    afterAll(() => {
      restoreEnv();
      project.repo.remove();
    });

    test("fault: retried build and promote jobs of commit 1 moved latest back in every environment; latest stays on commit 2's toolbox", () => {
      for (const pipeline of [p.first!, p.second!, p.retry!]) {
        expect({ pipeline: pipeline.name, status: pipeline.run.run.status, out: pipeline.run.run.status === 0 ? "" : pipeline.run.run.stdout.slice(-3000) }).toEqual({ pipeline: pipeline.name, status: 0, out: "" });
      }
      expect(p.retry!.run.passed).toEqual([...JOBS].sort());
      const state = project.registry();
      for (const repo of REPOS) {
        const first = fakeRegistry.findTag(state, repo, `sha-${p.first!.sha}`)?.digest;
        const second = fakeRegistry.findTag(state, repo, `sha-${p.second!.sha}`)?.digest;
        expect(first).toMatch(/^sha256:/);
        expect(second).toMatch(/^sha256:/);
        expect(second).not.toBe(first);
        expect({ repo, latest: fakeRegistry.findTag(state, repo, "latest")?.digest }).toEqual({ repo, latest: second });
      }
    });
  });
});
