import { exampleConfig } from "../../stacks/example-config";
import { setProcessEnv } from "../support/env";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { deployFlow } from "./support/deploy-project";
import { type FlowPipeline, type RegistryState } from "./support/flow-harness";

/*
 * Interleaved and retried deploy jobs, in the pipeline flow suite. GitLab's resource_group lets one
 * job of `deploy-staging` run at a time, across pipelines, but another pipeline's job may run between
 * two jobs of one pipeline, and a job may be retried at any later time. The smoke test probes what
 * the environment runs (the deploy hook makes a broken commit's image a broken app; the smoke test
 * fails while a broken app runs, whatever image it was handed), as a real smoke test probes the app.
 *
 * The sequence runs only staging's jobs (and the build of the commit's image). Which jobs exist is
 * read from the template, so the same sequence runs against any split of deploy, smoke test and
 * record into jobs:
 * 1. commit G (good) deploys and records G;
 * 2. commit C (broken) deploys C, its smoke test fails, the rollback returns to G;
 * 3. C's failed jobs are retried (with the rollback);
 * 4. commit A (broken) runs up to the job that runs the deploy hook;
 * 5. commit B (good) runs its staging jobs;
 * 6. A's remaining staging jobs run (with a separate smoke-test job: that one, probing B);
 * 7. A's failed jobs are retried (with the rollback).
 * No digest that failed its own smoke test may ever be recorded as last good or tagged deployed,
 * and every rollback must deploy a digest that passed.
 */
const files = {
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nCOPY src/ /app/src/\nRUN echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
const PARAMETER = "/acme-ci/staging/deploy/app/last-good-digest";
const REPO = "acme/staging/app/app";

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: interleaved pipelines and retried jobs record only digests that passed their own smoke test", () => {
  describeWithTool("rsync", "acme/app on main, staging only (shell executor, fake ECR, IAM across environments)", () => {
    const flow = deployFlow(exampleConfig, "acme/app", files);
    const { project } = flow;
    const jobs = flow.deploy.config.jobs;
    // Staging's jobs in the order they run (needs order), without the rollback.
    const staging = Object.keys(jobs).filter((j) => jobs[j]!.stage === "deploy-staging" && !j.startsWith("rollback-"));
    const hookJob = staging.find((j) => jobs[j]!.script!.some((line) => line.includes("'./deploy/deploy.sh'")))!;
    const throughHook = staging.slice(0, staging.indexOf(hookJob) + 1);
    const afterHook = staging.slice(staging.indexOf(hookJob) + 1);
    const p: Record<string, FlowPipeline> = {};
    const resumed: { afterHook?: FlowPipeline; retryC?: FlowPipeline; retryA?: FlowPipeline } = {};
    let restoreEnv = () => {};
    const push = { kind: "push", branch: "main" } as const;
    /** The staging jobs of `pipeline` that did not pass, with the rollback: what a retry of its failed jobs runs. */
    const failedWithRollback = (pipelines: FlowPipeline[]) => {
      const passed = pipelines.flatMap((x) => x.run.passed);
      const failed = staging.filter((j) => !passed.includes(j));
      return failed.length > 0 ? [...failed, "rollback-staging"] : [];
    };

    beforeAll(async () => {
      restoreEnv = setProcessEnv({ FAKE_ENVIRONMENTS: "dev,staging,production", FAKE_PROMOTION: Object.entries(flow.promotion).map(([target, source]) => `${target}=${source}`).join(",") });
      p.good = await project.pipeline("main: G", push, 0, { jobs: ["build-app-image", ...staging, "rollback-staging"] });
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ "src/index.js": "console.log(2);\n", BROKEN: "this commit's app fails its smoke test\n" }, "C: broken");
      p.c = await project.pipeline("main: C (broken)", push, 1, { jobs: ["build-app-image", ...staging, "rollback-staging"] });
      const retryC = failedWithRollback([p.c]);
      if (retryC.length > 0) resumed.retryC = await project.pipeline("main: C's failed jobs retried", push, 1, { jobs: retryC, retryOf: p.c });
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ "src/index.js": "console.log(3);\n" }, "A: broken too");
      p.a = await project.pipeline("main: A (broken), up to the deploy hook's job", push, 2, { jobs: ["build-app-image", ...throughHook] });
      project.repo.git("checkout", "-q", "main");
      project.repo.git("rm", "-q", "BROKEN");
      project.repo.commit({ "src/index.js": "console.log(4);\n" }, "B: good");
      p.b = await project.pipeline("main: B (good)", push, 3, { jobs: ["build-app-image", ...staging, "rollback-staging"] });
      if (afterHook.length > 0) resumed.afterHook = await project.pipeline("main: A's jobs after the deploy hook's", push, 3, { jobs: afterHook, retryOf: p.a });
      const retryA = failedWithRollback([p.a, ...(resumed.afterHook ? [resumed.afterHook] : [])]);
      if (retryA.length > 0) resumed.retryA = await project.pipeline("main: A's failed jobs retried", push, 4, { jobs: retryA, retryOf: p.a });
    }, 600_000);
    afterAll(() => {
      restoreEnv();
      flow.remove();
    });

    const state = (): RegistryState & { parameters?: Record<string, string> } => project.registry();
    const digestOf = (pipeline: FlowPipeline) => Object.entries(state().repos[REPO]?.images ?? {}).find(([, i]) => i.tags.includes(`sha-${pipeline.sha}`))?.[0];
    /** Digests whose deploy made a broken app run, and digests a smoke test found running and passed. */
    const probes = () => flow.probes().map((l) => l.split(" "));
    const broken = () => [...new Set(probes().filter((f) => f[0] === "deploy" && f[5] === "broken").map((f) => f[2]!))];
    const passed = () => [...new Set(probes().filter((f) => f[0] === "probe" && f[5] === "pass").map((f) => f[2]!))];

    test("the sequence ran as planned: G and B deployed, C and A broken", () => {
      expect(digestOf(p.good!)).toMatch(/^sha256:/);
      expect(broken().sort()).toEqual([digestOf(p.c!)!, digestOf(p.a!)!].sort());
      expect(passed()).toEqual(expect.arrayContaining([digestOf(p.good!)!, digestOf(p.b!)!]));
      // C's and A's failed jobs were retried (with a separate smoke-test job that retry may pass, the fault below).
      expect(resumed.retryC ?? resumed.afterHook).toBeDefined();
    });

    test("fault: a smoke test retried, or run after another pipeline's deploy, probed what another job deployed and recorded its own pipeline's digest, which never passed; now deploy, smoke test and record are one job and only a digest that passed its own smoke test is recorded or tagged", () => {
      const records = state().events.filter((e) => e.op === "record" && e.ref === PARAMETER).map((e) => ({ digest: e.digest, job: e.job, run: e.run }));
      expect(records.length).toBeGreaterThanOrEqual(2);
      const bad = broken();
      expect(records.filter((r) => bad.includes(r.digest!))).toEqual([]);
      const tagged = state().events.filter((e) => e.op === "tag" && e.repo === REPO && e.tag === "deployed-staging").map((e) => e.digest);
      expect(tagged.filter((d) => bad.includes(d!))).toEqual([]);
      // Each recorded digest passed a smoke test that probed it running.
      const ok = passed();
      expect(records.filter((r) => !ok.includes(r.digest!))).toEqual([]);
      expect({ lastGood: state().parameters?.[PARAMETER], deployed: Object.entries(state().repos[REPO]!.images).find(([, i]) => i.tags.includes("deployed-staging"))?.[0] }).toEqual({
        lastGood: digestOf(p.b!),
        deployed: digestOf(p.b!),
      });
    });

    test("every rollback deploys a digest that passed its smoke test (G after C, B after A's retry), and the environment ends on B", () => {
      const rollbacks = probes().filter((f) => f[0] === "deploy" && f[3] === "rollback-staging");
      expect(rollbacks.length).toBeGreaterThanOrEqual(2);
      const bad = broken();
      expect(rollbacks.filter((f) => bad.includes(f[2]!))).toEqual([]);
      const deployedAfterC = rollbacks.find((f) => f[4] === String(p.c!.id))?.[2];
      expect(deployedAfterC).toBe(digestOf(p.good!));
      const last = probes().filter((f) => f[0] === "deploy").at(-1)!;
      expect({ job: last[3], digest: last[2] }).toEqual({ job: "rollback-staging", digest: digestOf(p.b!) });
    });
  });
});
