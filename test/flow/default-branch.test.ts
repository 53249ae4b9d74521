import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, files, buildCacheProblems, buildsIn, ciImageOf, efficiencyOf, expectedCiImage, failureOf, FULL_PIPELINE, tagEventsIn } from "./support/app-project";
import { type FlowPipeline } from "./support/flow-harness";

/*
 * Pipeline flow, default-branch sequence: a main push, a nightly schedule of the same commit
 * (rules:changes is always true there), and a push whose pipeline is auto-cancelled by the next
 * push. gitlab-ci-local runs the generated ECR template against the fake registry (ECR's tag
 * rules, IAM of the synthesized dev stack).
 */
describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: default branch (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "the default branch's pipelines", () => {
    const { project, inputs, commit } = appProject();
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      p.main = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      p.schedule = await project.pipeline("main: nightly schedule (same commit)", { kind: "schedule", branch: "main" }, 1);
      // Push A changes the Dockerfile; push B follows at once and auto-cancels A's pipeline, which never runs.
      commit("main", { Dockerfile: files.Dockerfile.replace("alpine:3.20", "alpine:3.21") }, "push A: base image bump");
      commit("main", { "src/index.js": "console.log(3);\n" }, "push B: source only");
      p.afterCancel = await project.pipeline("main: push B (push A auto-cancelled)", { kind: "push", branch: "main" }, 2);
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("build caches: each build exports its BuildKit cache next to its image, in its own trust level's repository; protected builds import only protected caches", () => {
      const state = project.registry();
      expect(state.events.filter((e) => e.op === "cache-export").length).toBeGreaterThan(0);
      expect(buildCacheProblems(state, project.pipelines)).toEqual([]);
    });

    test("every pipeline succeeds, with every job of it", () => {
      for (const pipeline of project.pipelines) {
        expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
        expect(pipeline.run.passed).toEqual(FULL_PIPELINE);
      }
    });

    test("the image each job runs is the one built from its commit's inputs, in the protected repository", () => {
      const state = project.registry();
      for (const pipeline of project.pipelines) {
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci, commit: pipeline.sha });
      }
    });

    test("re-runs fail no more: a schedule of the same commit builds nothing and pushes no new tag", () => {
      const state = project.registry();
      // Nothing built and nothing tagged proves reuse only when the pipelines ran: both succeeded and main built.
      for (const pipeline of [p.main!, p.schedule!]) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline), passed: pipeline.run.passed }).toEqual({ pipeline: pipeline.name, failed: "", passed: FULL_PIPELINE });
      expect(buildsIn(state, p.main!).length).toBeGreaterThan(0);
      expect({ builds: buildsIn(state, p.schedule!).length, tags: tagEventsIn(state, p.schedule!).map((e) => e.tag ?? e.ref) }).toEqual({ builds: 0, tags: [] });
    });

    test("changes are not skipped: after an auto-cancelled pipeline the next one builds from the cancelled commit's Dockerfile change", () => {
      const state = project.registry();
      expect(buildsIn(state, p.afterCancel!).map((b) => b.inputs).sort()).toEqual([inputs[p.afterCancel!.sha]!.app, inputs[p.afterCancel!.sha]!.ci].sort());
      expect(inputs[p.afterCancel!.sha]!.app).not.toBe(inputs[p.main!.sha]!.app);
    });

    test("builds trust no local image: every build pulls (--pull), the base image and every commit image's FROM are named by digest", () => {
      const state = project.registry();
      const builds = state.events.filter((e) => e.op === "build");
      const commitImages = state.events.filter((e) => e.op === "commit-image");
      expect(builds.length).toBeGreaterThan(0);
      expect(builds.filter((b) => b.pull !== true).map((b) => b.ref)).toEqual([]);
      expect(builds.filter((b) => b.base !== undefined && !/@sha256:[0-9a-f]{64}$/.test(b.base)).map((b) => b.base)).toEqual([]);
      expect(builds.some((b) => b.base !== undefined)).toBe(true);
      expect(commitImages.filter((e) => e.pull !== true || !/@sha256:[0-9a-f]{64}$/.test(e.from ?? "")).map((e) => e.from)).toEqual([]);
    });

    test("protected pipelines push only protected repositories, with the protected role, and never build from or cache from unprotected images", () => {
      const state = project.registry();
      const events = state.events;
      const refs = events.flatMap((e) => [e.ref, e.repo, e.base, e.from, ...(e.cacheFrom ?? [])]).filter((x): x is string => x !== undefined);
      expect(refs.filter((r) => r.includes("/unprotected/"))).toEqual([]);
      expect(events.filter((e) => e.role).every((e) => e.role!.endsWith("-protected"))).toBe(true);
      expect(buildsIn(state, p.main!).every((b) => b.builder === undefined)).toBe(true);
      for (const pipeline of project.pipelines) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
      expect(events.filter((e) => e.role).length).toBeGreaterThan(0);
      expect(buildsIn(state, p.main!).length).toBeGreaterThan(0);
      const counts = Object.values(state.repos).flatMap((r) => Object.values(r.images).map((i) => i.tags.length));
      expect(counts.length).toBeGreaterThan(0);
      expect(Math.max(...counts)).toBeLessThanOrEqual(3);
      const efficiency = efficiencyOf(state, project.pipelines);
      console.log(`flow efficiency (default branch): ${JSON.stringify(efficiency)}`);
      expect({ perRepository: efficiency.buildsPerDistinctInputsPerRepository, acrossTrustLevels: efficiency.buildsPerDistinctInputs }).toEqual({ perRepository: 1, acrossTrustLevels: 1 });
    });
  });
});
