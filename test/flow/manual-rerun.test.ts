import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildsIn, ciImageOf, efficiencyOf, expectedCiImage, failureOf, FULL_PIPELINE, tagEventsIn } from "./support/app-project";
import { type FlowPipeline, type RegistryState } from "./support/flow-harness";

/*
 * Pipeline flow, manual re-runs on the default branch: a main push, the same commit run again by
 * hand ("Run pipeline", source web) and through the API (source api), and a retried build job of
 * the first pipeline. rules:changes is always true without a push event, and every tag the first
 * pipeline wrote is immutable except latest: a re-run that rebuilt would get a new digest and fail
 * to push sha-<commit>. gitlab-ci-local runs the generated ECR template against the fake registry
 * (ECR's tag rules, IAM of the synthesized dev stack).
 */
const snapshot = (state: RegistryState) => JSON.stringify(Object.fromEntries(Object.entries(state.repos).map(([repo, r]) => [repo, Object.fromEntries(Object.entries(r.images).map(([d, i]) => [d, [...i.tags].sort()]))])));

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: manual re-runs (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "the same commit run again by hand, through the API and as a retried job", () => {
    const { project, inputs } = appProject();
    const p: Record<string, FlowPipeline> = {};
    const after: Record<string, string> = {};

    beforeAll(async () => {
      p.main = await project.pipeline("main: push", { kind: "push", branch: "main" }, 0);
      after.main = snapshot(project.registry());
      p.web = await project.pipeline("main: Run pipeline by hand (same commit)", { kind: "web", branch: "main" }, 1);
      p.api = await project.pipeline("main: pipeline through the API (same commit)", { kind: "api", branch: "main" }, 1);
      p.retry = await project.pipeline("main: build-ci-image retried", { kind: "push", branch: "main" }, 2, { jobs: ["build-ci-image"], retryOf: p.main });
      after.reruns = snapshot(project.registry());
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("every re-run succeeds, with every job of it", () => {
      for (const pipeline of project.pipelines) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
      for (const pipeline of [p.main!, p.web!, p.api!]) expect({ pipeline: pipeline.name, passed: pipeline.run.passed }).toEqual({ pipeline: pipeline.name, passed: FULL_PIPELINE });
      expect(p.retry!.run.passed).toEqual(["build-ci-image"]);
      expect([p.web!.variables.CI_PIPELINE_SOURCE, p.api!.variables.CI_PIPELINE_SOURCE]).toEqual(["web", "api"]);
    });

    test("a re-run by hand or through the API builds nothing, pushes no tag and fails no push on an immutable tag", () => {
      const state = project.registry();
      expect(buildsIn(state, p.main!).length).toBe(2);
      for (const pipeline of [p.web!, p.api!, p.retry!]) {
        expect({ pipeline: pipeline.name, builds: buildsIn(state, pipeline).length, tags: tagEventsIn(state, pipeline).map((e) => e.tag ?? e.ref) }).toEqual({ pipeline: pipeline.name, builds: 0, tags: [] });
        expect(`${pipeline.run.run.stdout}\n${pipeline.run.run.stderr}`).not.toMatch(/ImageTagAlreadyExistsException|LimitExceededException|is immutable/);
      }
      expect(project.log()).not.toMatch(/ImageTagAlreadyExistsException/);
    });

    test("the registry holds exactly what the first pipeline pushed: the same images with the same tags", () => {
      expect(after.reruns).toBe(after.main);
    });

    test("efficiency: one build per distinct inputs; both re-runs start from the reused image", () => {
      const efficiency = efficiencyOf(project.registry(), [p.main!, p.web!, p.api!]);
      console.log(`flow efficiency (manual re-runs): ${JSON.stringify(efficiency)}`);
      expect(efficiency).toMatchObject({ builds: 2, buildsPerDistinctInputsPerRepository: 1, buildsPerDistinctInputs: 1 });
      expect(efficiency.jobsFromReusedImage).toBeCloseTo(2 / 3);
    });

    test("every re-run's jobs run the image built from the commit's inputs (sha-<commit>, the first pipeline's digest)", () => {
      const state = project.registry();
      for (const pipeline of project.pipelines.filter((q) => q !== p.retry)) {
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci, commit: pipeline.sha });
      }
    });
  });
});
