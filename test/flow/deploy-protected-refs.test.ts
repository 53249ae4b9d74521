import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { deployFlow } from "./support/deploy-project";

/*
 * Which pipelines of the example's acme/app project get deploy jobs, in the pipeline flow suite:
 * gitlab-ci-local lists the jobs of the project's CI file (the image-reuse and the deploy template,
 * with the variables the platform gives it) after rules, for a protected default-branch push, an
 * unprotected one and a merge request. The deploy sequence itself is deploy.test.ts.
 */
const files = {
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nCOPY src/ /app/src/\nRUN echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
const DEPLOY_JOBS = ["promote-staging", "deploy-staging", "promote-production", "deploy-production"];

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: deploy jobs on protected refs only", () => {
  describeWithTool("rsync", "acme/app (the deploy template included, the platform's variables)", () => {
    const flow = deployFlow(exampleConfig, "acme/app", files);
    afterAll(() => flow.remove());

    test("deploy jobs run on protected refs only: a merge request pipeline and an unprotected ref list none", async () => {
      const repo = flow.project.repo;
      const base = { CI_DEFAULT_BRANCH: "main", CI_COMMIT_SHA: repo.sha, CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main" };
      // The first listing checks the configuration against GitLab's schema; the other two (same
      // configuration, each in its own state directory) then run at once without that check.
      const protectedMain = await repo.listJobs({ ...base, CI_COMMIT_REF_PROTECTED: "true" });
      const [unprotectedMain, mergeRequest] = await Promise.all([
        repo.listJobs({ ...base, CI_COMMIT_REF_PROTECTED: "false" }),
        repo.listJobs({ ...base, CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "7", CI_COMMIT_REF_PROTECTED: "false" }, ["CI_COMMIT_BRANCH"]),
      ]);
      const deployJobs = (jobs: Record<string, string>) => Object.keys(jobs).filter((j) => /^(promote|deploy|smoke-test|rollback)-/.test(j) && jobs[j] !== "never");
      expect(deployJobs(protectedMain).sort()).toEqual([...DEPLOY_JOBS, "rollback-staging", "rollback-production"].sort());
      expect(deployJobs(unprotectedMain)).toEqual([]);
      expect(deployJobs(mergeRequest)).toEqual([]);
    }, 60_000);
  });
});
