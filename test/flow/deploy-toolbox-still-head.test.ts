import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { toolboxFlow } from "./support/deploy-project";
import { fakeIdToken, type FlowPipeline, fakeRegistry } from "./support/flow-harness";
import { setProcessEnv } from "../support/env";

/*
 * Whether the toolbox's latest may move is decided from the branch head, and the branch is the ID
 * token's (GitLab signs it), not CI_COMMIT_BRANCH: pipeline variables override predefined variables,
 * and a retried promote job of an older pipeline whose CI_COMMIT_BRANCH (and CI_DEFAULT_BRANCH, for
 * the job's rule) names a branch still at that older commit moved latest back.
 */
const PROMOTE_JOBS = ["promote-toolbox-staging", "promote-toolbox-production"];

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: a pipeline variable cannot make the toolbox's latest move back", () => {
  describeWithTool("rsync", "acme/toolbox: two commits, then commit 1's promote jobs retried with CI_COMMIT_BRANCH naming a stale branch", () => {
    const { project, remove } = toolboxFlow(exampleConfig, "acme/toolbox", "FROM alpine:3.20\nRUN echo deploy tools\n");
    let restoreEnv = () => {};
    const p: Record<string, FlowPipeline> = {};
    const token = (pipeline: FlowPipeline) => fakeIdToken({ project_path: "acme/toolbox", ref: "main", ref_type: "branch", ref_protected: "true", pipeline_source: "push", sha: pipeline.sha });

    beforeAll(async () => {
      restoreEnv = setProcessEnv({ FAKE_ENVIRONMENTS: "dev,staging,production", FAKE_PROMOTION: "staging=dev,production=staging" });
      p.first = await project.pipeline("toolbox main: commit 1", { kind: "push", branch: "main" }, 0);
      // A branch that still points at commit 1 (fetched into the checkout as the runner fetches a pipeline's branch).
      project.repo.git("update-ref", "refs/remotes/origin/stale", p.first.sha);
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ Dockerfile: "FROM alpine:3.20\nRUN echo deploy tools, version 2\n" }, "toolbox commit 2");
      p.second = await project.pipeline("toolbox main: commit 2", { kind: "push", branch: "main" }, 1);
      p.retry = await project.pipeline("toolbox main: commit 1's promote jobs retried with CI_COMMIT_BRANCH=stale", { kind: "push", branch: "main" }, 2, {
        jobs: PROMOTE_JOBS,
        retryOf: p.first,
        pipelineVariables: { CI_COMMIT_BRANCH: "stale", CI_DEFAULT_BRANCH: "stale", GITLAB_OIDC_TOKEN: token(p.first) },
      });
    }, 300_000);
    afterAll(() => {
      restoreEnv();
      remove();
    });

    test("fault: CI_COMMIT_BRANCH as a pipeline variable chose the branch whose head platform_still_head compared, and latest moved back to commit 1; now the ID token's ref decides and latest stays on commit 2", () => {
      for (const pipeline of [p.first!, p.second!, p.retry!]) {
        expect({ pipeline: pipeline.name, status: pipeline.run.run.status, out: pipeline.run.run.status === 0 ? "" : pipeline.run.run.stdout.slice(-3000) }).toEqual({ pipeline: pipeline.name, status: 0, out: "" });
      }
      expect(p.retry!.run.passed).toEqual([...PROMOTE_JOBS].sort());
      expect(p.retry!.run.run.stdout).toContain(`main has moved on to ${p.second!.sha}`);
      const registry = project.registry();
      for (const env of ["staging", "production"]) {
        const repo = `acme/${env}/toolbox/toolbox`;
        const second = fakeRegistry.findTag(registry, repo, `sha-${p.second!.sha}`)?.digest;
        expect(second).toMatch(/^sha256:/);
        expect({ repo, latest: fakeRegistry.findTag(registry, repo, "latest")?.digest }).toEqual({ repo, latest: second });
      }
    });
  });
});
