import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { deployFlow } from "./support/deploy-project";
import { type FlowPipeline } from "./support/flow-harness";
import { setProcessEnv } from "../support/env";

/*
 * Branch-per-environment deploys in the flow suite: staging deploys from the `staging` branch,
 * production from the `production` branch. A push to main builds and tests only; the staging
 * branch (fast-forwarded to main) promotes and deploys staging; the production branch
 * (fast-forwarded to staging) promotes staging's digest and deploys production.
 */
const config: PlatformConfig = {
  ...exampleConfig,
  environments: exampleConfig.environments.map((e) => (e.deploy ? ({ ...e, deploy: { ...e.deploy, branch: e.name } } as EnvironmentConfig) : e)),
};
const files = {
  Dockerfile: "FROM alpine:3.20\nCOPY src/ /app/src/\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "src/index.js": "console.log(1);\n",
};

describeWithTool(GITLAB_CI_LOCAL, "deploy flow with environment branches", () => {
  describeWithTool("rsync", "main -> staging branch -> production branch (fast-forward)", () => {
    const flow = deployFlow(config, "acme/app", files);
    const { project } = flow;
    const p: Record<string, FlowPipeline> = {};
    let restoreEnv = () => {};

    beforeAll(async () => {
      restoreEnv = setProcessEnv({ FAKE_ENVIRONMENTS: "dev,staging,production", FAKE_PROMOTION: "staging=dev,production=staging" });
      p.main = await project.pipeline("main: push", { kind: "push", branch: "main" }, 0);
      project.repo.git("branch", "staging", "main");
      p.staging = await project.pipeline("staging branch: fast-forward to main", { kind: "push", branch: "staging" }, 1);
      project.repo.git("branch", "production", "staging");
      p.production = await project.pipeline("production branch: fast-forward to staging", { kind: "push", branch: "production" }, 2);
      // A broken commit: its staging smoke test fails (staging rolls back), then the production branch is pushed to it anyway.
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ "src/index.js": "console.log(2);\n", BROKEN: "the app of this commit fails its smoke test\n" }, "broken change");
      p.brokenMain = await project.pipeline("main: broken change", { kind: "push", branch: "main" }, 3);
      project.repo.git("branch", "-f", "staging", "main");
      p.brokenStaging = await project.pipeline("staging branch: fast-forward to the broken change", { kind: "push", branch: "staging" }, 4);
      project.repo.git("branch", "-f", "production", "staging");
      // Run with the old gate's variable set empty as a pipeline variable (which outranks job variables): the gate must hold anyway.
      p.brokenProduction = await project.pipeline("production branch: pushed to the commit that failed staging", { kind: "push", branch: "production" }, 5, { override: { PLATFORM_PROMOTE_REQUIRES_TAG: "" } });
    }, 600_000);
    afterAll(() => {
      restoreEnv();
      flow.remove();
    });

    const deployJobs = (pipeline: FlowPipeline) => pipeline.run.passed.filter((j) => /^(promote|deploy|smoke-test|rollback)-/.test(j));

    test("every pipeline succeeds; each environment's jobs run on its own branch only", () => {
      for (const pipeline of [p.main!, p.staging!, p.production!]) {
        expect({ pipeline: pipeline.name, status: pipeline.run.run.status, out: pipeline.run.run.status === 0 ? "" : pipeline.run.run.stdout.slice(-3000) }).toEqual({ pipeline: pipeline.name, status: 0, out: "" });
      }
      expect(deployJobs(p.main!)).toEqual([]);
      expect(deployJobs(p.staging!)).toEqual(["deploy-staging", "promote-staging"]);
      expect(deployJobs(p.production!)).toEqual(["deploy-production", "promote-production"]);
    });

    test("the commit's image is built once (main) and the same digest is deployed to staging and production", () => {
      const state = project.registry();
      const first = [p.main!, p.staging!, p.production!].map((pipeline) => String(pipeline.seq));
      const builds = state.events.filter((e) => e.op === "build" && e.ref!.includes("/app/app:") && first.includes(e.run!));
      expect(builds.map((b) => b.run)).toEqual([String(p.main!.seq)]);
      const digest = Object.entries(state.repos["acme/dev/app/app"]!.images).find(([, i]) => i.tags.includes(`sha-${p.main!.sha}`))![0];
      const log = flow.deployments();
      expect(log).toContain(`deploy staging 111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/app/app@${digest} arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment`);
      expect(log).toContain(`deploy production 222222222222.dkr.ecr.eu-central-1.amazonaws.com/acme/production/app/app@${digest} arn:aws:iam::222222222222:role/acme-ci-production-app-deployment`);
    });

    test("fault: the production branch pushed to a commit whose staging smoke test failed promoted and deployed it (also when a pipeline variable PLATFORM_PROMOTE_REQUIRES_TAG is empty); now promote-production refuses it", () => {
    expect(p.brokenProduction!.variables.PLATFORM_PROMOTE_REQUIRES_TAG).toBe("");
      expect(p.brokenStaging!.run.run.status).not.toBe(0);
      // The deploy job (deploy, smoke test, record) fails on the smoke test; the rollback passes.
      expect(p.brokenStaging!.run.passed).toEqual(expect.arrayContaining(["promote-staging", "rollback-staging"]));
      expect(p.brokenStaging!.run.passed).not.toContain("deploy-staging");
      const production = p.brokenProduction!;
      expect(production.run.run.status).not.toBe(0);
      expect(deployJobs(production)).toEqual([]);
      const state = project.registry();
      const digestOf = (repo: string, tag: string) => Object.entries(state.repos[repo]?.images ?? {}).find(([, i]) => i.tags.includes(tag))?.[0];
      const broken = digestOf("acme/staging/app/app", `sha-${p.brokenMain!.sha}`)!;
      const good = digestOf("acme/staging/app/app", `sha-${p.main!.sha}`)!;
      expect(broken).toBeDefined();
      expect(digestOf("acme/staging/app/app", "deployed-staging")).toBe(good);
      expect(production.run.run.stdout).toContain(`has not passed the environment it is promoted from: its deployed-staging tag names ${good}`);
      // Nothing of the broken commit reached production: no copy, no deploy; production still runs the good digest.
      expect(digestOf("acme/production/app/app", `sha-${p.brokenMain!.sha}`)).toBeUndefined();
      expect(flow.deployments().filter((l) => l.startsWith("deploy production ") && l.includes(broken))).toEqual([]);
      expect(digestOf("acme/production/app/app", "deployed-production")).toBe(good);
    });
  });
});
