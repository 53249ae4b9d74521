import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { deployFlow } from "./support/deploy-project";
import { type FlowPipeline, type RegistryState } from "./support/flow-harness";
import { runLifecycleDays } from "./support/lifecycle-days";

/*
 * From build to production, in the pipeline flow suite: the example's acme/app project includes
 * the image-reuse and the deploy template and runs, with the CI/CD variables the platform gives it
 * in dev, staging and production (environment-scoped), against the fake registry enforcing IAM
 * across environments (a role acts in its own environment and pulls from its promotion source).
 * Sequence: a first push (build, test, promote to staging, deploy, smoke test, promote to
 * production, deploy, smoke test); a source-only change (a new image, deployed); a broken change
 * (its staging smoke test fails, staging rolls back to the recorded digest, production is untouched).
 */
const files = {
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nCOPY src/ /app/src/\nRUN echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
const ENVIRONMENTS = ["dev", "staging", "production"];

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: build -> test -> promote -> deploy staging -> deploy production", () => {
  describeWithTool("rsync", "acme/app over three pushes (shell executor, fake ECR, IAM across environments)", () => {
    const flow = deployFlow(exampleConfig, "acme/app", files);
    const { project } = flow;
    const p: Record<string, FlowPipeline> = {};
    const saved = { environments: process.env.FAKE_ENVIRONMENTS, promotion: process.env.FAKE_PROMOTION };

    beforeAll(async () => {
      process.env.FAKE_ENVIRONMENTS = ENVIRONMENTS.join(",");
      process.env.FAKE_PROMOTION = Object.entries(flow.promotion).map(([target, source]) => `${target}=${source}`).join(",");
      p.first = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ "src/index.js": "console.log(2);\n" }, "source-only change");
      p.source = await project.pipeline("main: source-only change", { kind: "push", branch: "main" }, 1);
      project.repo.commit({ "src/index.js": "console.log(3);\n", BROKEN: "the app of this commit fails its smoke test\n" }, "broken change");
      p.broken = await project.pipeline("main: broken change", { kind: "push", branch: "main" }, 2);
    }, 300_000);
    afterAll(() => {
      process.env.FAKE_ENVIRONMENTS = saved.environments;
      process.env.FAKE_PROMOTION = saved.promotion;
      project.repo.remove();
    });

    const state = (): RegistryState => project.registry();
    const digestOf = (repo: string, tag: string) => Object.entries(state().repos[repo]?.images ?? {}).find(([, i]) => i.tags.includes(tag))?.[0];
    const failure = (pipeline: FlowPipeline) => `${pipeline.run.run.stdout.slice(-4000)}\n${pipeline.run.run.stderr.slice(-1500)}\n${project.log().slice(-1500)}`;

    test("the first push runs every job: build, test, promote to staging, deploy, smoke test, promote to production, deploy, smoke test", () => {
      require("fs").writeFileSync("/tmp/first.log", p.first!.run.run.stdout + "\n-----\n" + p.first!.run.run.stderr);
      expect({ status: p.first!.run.run.status, passed: p.first!.run.passed }).toEqual({
        status: 0,
        passed: expect.arrayContaining(["build-app-image", "unit-tests", "promote-staging", "deploy-staging", "smoke-test-staging", "promote-production", "deploy-production", "smoke-test-production"]),
      });
    });
  });
});
