import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildsIn, ciImageOf, efficiencyOf, expectedCiImage, failureOf, scheme, tagEventsIn } from "./support/app-project";
import { type FlowPipeline } from "./support/flow-harness";
import { runLifecycleDays } from "./support/lifecycle-days";

/*
 * Pipeline flow, release sequence: a main push, a release tag of that commit and its re-run; then the lifecycle policy over 120 simulated days of the same pushes.
 * gitlab-ci-local runs the generated ECR template against the fake registry (ECR's tag rules,
 * IAM of the synthesized dev stack).
 */
describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: release and retention (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "a release and 120 days of lifecycle", () => {
    const { project, inputs } = appProject();
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      p.main = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("tag", "v1.0.0");
      p.release = await project.pipeline("release tag v1.0.0", { kind: "tag", tag: "v1.0.0" }, 2);
      p.rerun = await project.pipeline("release tag v1.0.0, re-run", { kind: "tag", tag: "v1.0.0" }, 2);
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("every pipeline succeeds, and each job runs its commit's image", () => {
      const state = project.registry();
      for (const pipeline of project.pipelines) {
        expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci, commit: pipeline.sha });
      }
    });

    test("release: the tag pipeline puts v1.0.0 on the commit image main built, by digest; latest moved with main; the re-run builds and tags nothing", () => {
      const state = project.registry();
      const holder = Object.values(state.repos["acme/dev/app/app-ci"]!.images).find((i) => i.tags.includes("v1.0.0"));
      expect(holder?.tags.sort()).toEqual(["latest", `sha-${p.release!.sha}`, "v1.0.0"].sort());
      expect({ builds: buildsIn(state, p.rerun!).length, tags: tagEventsIn(state, p.rerun!).map((e) => e.tag ?? e.ref) }).toEqual({ builds: 0, tags: [] });
      expect(buildsIn(state, p.release!)).toEqual([]);
    });

    test("efficiency and retention over 120 simulated days", () => {
      const state = project.registry();
      const efficiency = efficiencyOf(state, project.pipelines);
      console.log(`flow efficiency (release): ${JSON.stringify(efficiency)}`);
      expect(efficiency.buildsPerDistinctInputsPerRepository).toBe(1);
      expect(efficiency.jobsFromReusedImage).toBeGreaterThan(0.5);
      const report = runLifecycleDays(state, scheme, 120);
      console.log(`lifecycle over 120 days: ${JSON.stringify(report.summary)}`);
      expect(report.violations).toEqual([]);
      expect(report.summary.expired).toBeGreaterThan(0);
      expect(report.summary.maxTagsPerImage).toBeLessThan(1000);
    });
  });
});
