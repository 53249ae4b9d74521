import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, ciImageOf, expectedCiImage, failureOf, FULL_PIPELINE } from "./support/app-project";
import { type FlowPipeline } from "./support/flow-harness";

/*
 * Pipeline flow, concurrent pipelines with the same inputs: a push and a schedule of the same main
 * commit, and two merge requests whose head is the same new commit, each pair started at once
 * against one fake registry. A barrier in the shims makes both pipelines of a pair push at the same
 * moment (both found no image first), so the second push of the immutable inputs-<hash> and
 * sha-<commit> is refused with ImageTagAlreadyExistsException every time, not only when the
 * scheduler interleaves them. Each pipeline must pass and run the image that won: built from the
 * same inputs (content tag) or the same commit (commit tag).
 */
describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: concurrent pipelines (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "pipelines of the same inputs started at once", () => {
    const { project, inputs, commit } = appProject();
    const barriers = mkdtempSync(path.join(tmpdir(), "flow-barrier-"));
    const p: Record<string, FlowPipeline> = {};
    // Each pipeline's jobs on a runner of their own (its own docker daemon), as two concurrent pipelines usually are.
    const at = (name: string, runner: string) => ({ env: { FAKE_BARRIER_DIR: path.join(barriers, name), FAKE_DAEMON: runner } });

    beforeAll(async () => {
      [p.push, p.schedule] = await Promise.all([
        project.pipeline("main: push", { kind: "push", branch: "main" }, 0, at("main", "runner-a")),
        project.pipeline("main: schedule of the same commit", { kind: "schedule", branch: "main" }, 0, at("main", "runner-b")),
      ]);
      project.repo.git("checkout", "-q", "-b", "feature-a");
      commit("feature-a", { "package.json": '{ "name": "app", "version": "2.0.0" }\n' }, "new dependencies");
      project.repo.git("branch", "feature-b");
      [p.mr1, p.mr2] = await Promise.all([
        project.pipeline("MR !1 (new inputs)", { kind: "merge_request", iid: 1, branch: "feature-a" }, 1, at("mr", "runner-a")),
        project.pipeline("MR !2 (the same new inputs)", { kind: "merge_request", iid: 2, branch: "feature-b" }, 1, at("mr", "runner-b")),
      ]);
    }, 300_000);
    afterAll(() => {
      project.repo.remove();
      rmSync(barriers, { recursive: true, force: true });
    });

    test("fault: the second push of inputs-<hash> / sha-<commit> was refused and failed the pipeline; every pipeline of each pair passes", () => {
      for (const pipeline of [p.push!, p.schedule!, p.mr1!, p.mr2!]) {
        expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
        expect({ pipeline: pipeline.name, passed: pipeline.run.run.stdout.match(/^\s*PASS\s+\S+/gm)?.length }).toEqual({ pipeline: pipeline.name, passed: FULL_PIPELINE.length });
      }
    });

    test("the race happened: both pipelines of each pair built, the registry refused the loser's pushes, and the loser went on with the winner's images", () => {
      const out = (...pipelines: FlowPipeline[]) => pipelines.map((q) => `${q.run.run.stdout}\n${q.run.run.stderr}`).join("\n");
      // Both pipelines of a pair built each content image (the loser's build is not in the registry's events: its push was refused).
      expect(out(p.push!, p.schedule!).match(/platform-image: building \S+:inputs-/g)).toHaveLength(4);
      expect(out(p.mr1!, p.mr2!).match(/platform-image: building \S+:inputs-/g)).toHaveLength(4);
      expect(out(p.push!, p.schedule!, p.mr1!, p.mr2!)).toMatch(/ImageTagAlreadyExistsException/);
      // The content images (both pairs) and the commit images (the push and the schedule write the same sha-<commit>).
      expect(out(p.push!, p.schedule!).match(/app(-ci)?:inputs-\S+ was pushed by a concurrent pipeline meanwhile/g)).toHaveLength(2);
      expect(out(p.push!, p.schedule!).match(/app(-ci)?:sha-\S+ was pushed by a concurrent pipeline meanwhile/g)).toHaveLength(2);
      expect(out(p.mr1!, p.mr2!).match(/app(-ci)?:inputs-\S+ was pushed by a concurrent pipeline meanwhile/g)).toHaveLength(2);
    });

    test("each pipeline's jobs run its commit's image, built from the commit's inputs; one image per tag", () => {
      const state = project.registry();
      for (const pipeline of [p.push!, p.schedule!, p.mr1!, p.mr2!]) {
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci, commit: pipeline.sha });
      }
      for (const [repo, { images }] of Object.entries(state.repos)) {
        const tags = Object.values(images).flatMap((i) => i.tags);
        expect({ repo, duplicates: tags.filter((t, i) => tags.indexOf(t) !== i) }).toEqual({ repo, duplicates: [] });
      }
      // Both merge requests run the one content image of their inputs, in the unprotected repository.
      const unprotected = state.repos["acme/dev/app/unprotected/app-ci"]!.images;
      const mrImages = [p.mr1!, p.mr2!].map((q) => Object.values(unprotected).find((i) => i.tags.includes(`MR-${(q.trigger as { iid: number }).iid}-${q.sha}`))!);
      expect(mrImages.map((i) => i.inputs)).toEqual([inputs[p.mr1!.sha]!.ci, inputs[p.mr1!.sha]!.ci]);
    });
  });
});
