import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildsIn, ciImageOf, efficiencyOf, expectedCiImage, failureOf, FULL_PIPELINE, tagEventsIn } from "./support/app-project";
import { type FlowPipeline } from "./support/flow-harness";

/*
 * Pipeline flow, merge sequence: a main push; a merge request that changes only a file its
 * Dockerfile bind-mounts (RUN --mount=type=bind), opened and then updated with a source-only
 * change; the merge into main. Merge-request images live in the unprotected repositories, which
 * protected jobs never pull: the default-branch pipeline after the merge builds the merged inputs
 * once more, in the protected repositories, and reuses nothing a merge request pushed.
 * gitlab-ci-local runs the generated ECR template against the fake registry (ECR's tag rules, IAM
 * of the synthesized dev stack).
 */
describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: merge (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "a merge request opened, updated and merged", () => {
    const { project, inputs, commit } = appProject();
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      p.main = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "-b", "feature-2");
      commit("feature-2", { "scripts/install.sh": "echo install dependencies, pinned\n" }, "bind-mounted install script");
      p.opened = await project.pipeline("MR !2 opened (bind-mounted file only)", { kind: "merge_request", iid: 2, branch: "feature-2" }, 1);
      commit("feature-2", { "src/index.js": "console.log(4);\n" }, "source change");
      p.updated = await project.pipeline("MR !2 updated (source only)", { kind: "merge_request", iid: 2, branch: "feature-2" }, 1);
      project.repo.git("checkout", "-q", "main");
      project.repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature-2' into 'main'", "feature-2");
      inputs[project.repo.sha] = inputs[p.updated.sha]!;
      p.merged = await project.pipeline("main: merge of MR !2", { kind: "push", branch: "main" }, 2);
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("every pipeline succeeds, with every job of it, and each job runs its commit's image in its trust level's repository", () => {
      const state = project.registry();
      for (const pipeline of project.pipelines) {
        expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline), passed: pipeline.run.passed }).toEqual({ pipeline: pipeline.name, failed: "", passed: FULL_PIPELINE });
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci, commit: pipeline.sha });
      }
    });

    test("a change to a bind-mounted file yields a new image: the merge request builds both images (the Dockerfile and its COPY sources did not change)", () => {
      const state = project.registry();
      expect(inputs[p.opened!.sha]!.app).not.toBe(inputs[p.main!.sha]!.app);
      expect(buildsIn(state, p.opened!).map((b) => b.inputs).sort()).toEqual([inputs[p.opened!.sha]!.app, inputs[p.opened!.sha]!.ci].sort());
      expect(buildsIn(state, p.opened!).every((b) => b.ref!.includes("/unprotected/"))).toBe(true);
    });

    test("the updated merge request (source only) reuses the content images its first pipeline built and writes only its commit images", () => {
      const state = project.registry();
      expect(inputs[p.updated!.sha]).toEqual(inputs[p.opened!.sha]);
      expect(buildsIn(state, p.updated!)).toEqual([]);
      expect(tagEventsIn(state, p.updated!).filter((e) => e.op === "commit-image").map((e) => e.ref!.slice(e.ref!.lastIndexOf(":") + 1))).toEqual([`MR-2-${p.updated!.sha}`, `MR-2-${p.updated!.sha}`]);
    });

    test("after the merge, main builds the merged inputs once in the protected repositories (what the merge request built is never pulled by a protected job)", () => {
      const state = project.registry();
      const builds = buildsIn(state, p.merged!);
      expect(builds.map((b) => b.inputs).sort()).toEqual([inputs[p.updated!.sha]!.app, inputs[p.updated!.sha]!.ci].sort());
      expect(builds.map((b) => b.ref!.replace(/:.*/, "")).sort()).toEqual(["111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app/app", "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app/app-ci"]);
      const events = state.events.filter((e) => e.run === String(p.merged!.seq));
      const refs = events.flatMap((e) => [e.ref, e.repo, e.base, e.from, ...(e.cacheFrom ?? [])]).filter((x): x is string => x !== undefined);
      expect(refs.filter((r) => r.includes("/unprotected/"))).toEqual([]);
      expect(events.filter((e) => e.role).every((e) => e.role!.endsWith("-protected"))).toBe(true);
      // The protected content image of the merged inputs is new: none existed before the merge.
      const before = state.events.filter((e) => Number(e.run) < p.merged!.seq && e.op === "tag" && !e.repo!.includes("/unprotected/")).map((e) => e.tag);
      expect(before).not.toContain(`inputs-${inputs[p.updated!.sha]!.app}`);
      expect(tagEventsIn(state, p.merged!).filter((e) => e.op === "tag").map((e) => e.tag)).toEqual(expect.arrayContaining([`inputs-${inputs[p.updated!.sha]!.app}`, `sha-${p.merged!.sha}`, "latest"]));
    });

    test("efficiency: one build per distinct inputs in each repository; a merged change is built once per trust level", () => {
      const state = project.registry();
      const efficiency = efficiencyOf(state, project.pipelines);
      console.log(`flow efficiency (merge): ${JSON.stringify(efficiency)}`);
      expect(efficiency.buildsPerDistinctInputsPerRepository).toBe(1);
      // main (2 images) + the merge request (2) + the merge (the merge request's 2 inputs again): 6 builds of 4 input sets.
      expect({ builds: efficiency.builds, perDistinctInputs: efficiency.buildsPerDistinctInputs }).toEqual({ builds: 6, perDistinctInputs: 1.5 });
      const counts = Object.values(state.repos).flatMap((r) => Object.values(r.images).map((i) => i.tags.length));
      expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    });
  });
});
