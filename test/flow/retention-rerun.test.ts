import { createHash } from "node:crypto";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildsIn, ciImageOf, expectedCiImage, failureOf, FULL_PIPELINE, scheme } from "./support/app-project";
import { fakeRegistry, type FlowPipeline, HOST, type RegistryState } from "./support/flow-harness";
import { applyLifecycleDay } from "./support/lifecycle-days";
import { recordedShapes, replayShape, synthesizedLifecyclePolicies } from "./support/lifecycle-replay";

/*
 * Pipeline flow, re-runs of old commits after retention. The default tag scheme keeps the newest 50
 * content tags (inputs-<hash>) but the newest 100 commit tags (sha-<commit>) and merge-request tags
 * for 30 days, so a commit's images can outlive the content image they were built FROM. Two pipelines
 * stop after build-app-image (cancelled before build-ci-image ran): one on main, one of merge request
 * !9. Then 40 simulated days of later pipelines, each with new inputs (the recorded pushes of those two
 * pipelines replayed, two of each a day), and the synthesized lifecycle policy of every repository at
 * the end of each day: both content images of the app expire, main's commit image is kept, the merge
 * request's expires by age. Then the old commit runs again ("Run pipeline" on main) and the merge
 * request's build-ci-image job is retried: both succeed and run images built from their commit's inputs.
 */
const APP = "acme/dev/app/app";
const UNPROTECTED_APP = "acme/dev/app/unprotected/app";
const DAY = 86_400_000;
const hex = (text: string) => createHash("sha256").update(text).digest("hex");
const tagsOf = (state: RegistryState, repo: string) => Object.values(state.repos[repo]?.images ?? {}).flatMap((i) => i.tags);

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: re-runs of old commits after retention (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "an old commit's content images expired, its commit images kept", () => {
    const { project, inputs, commit } = appProject();
    const p: Record<string, FlowPipeline> = {};
    const aged: { violations: string[]; expired: number; before?: RegistryState } = { violations: [], expired: 0 };

    beforeAll(async () => {
      // The merge request's branch is committed first: a job leaves untracked files that a commit would add.
      project.repo.git("checkout", "-q", "-b", "feature-9");
      commit("feature-9", { "package.json": '{ "name": "app", "version": "1.9.0" }\n' }, "dependency change");
      p.main = await project.pipeline("main: push, cancelled after build-app-image", { kind: "push", branch: "main" }, 0, { jobs: ["build-app-image"] });
      p.mr = await project.pipeline("MR !9 opened, cancelled after build-app-image", { kind: "merge_request", iid: 9, branch: "feature-9" }, 0, { jobs: ["build-app-image"] });

      // 40 days of later pipelines, each with new inputs, under the lifecycle policies the dev stack applies.
      const state = project.registry();
      const [mainShape, mrShape] = recordedShapes(state, [p.main!, p.mr!]);
      const policies = synthesizedLifecyclePolicies();
      const mutable = scheme.mutableKinds.map((k) => ("prefix" in k.selector ? `${k.selector.prefix}*` : k.selector.pattern));
      const start = Date.parse(state.events[state.events.length - 1]!.at);
      for (let d = 1; d <= 40; d++) {
        for (const n of [0, 1]) {
          const at = new Date(start + d * DAY + n * 3_600_000);
          replayShape(state, mainShape!, { sha: hex(`main ${d} ${n}`).slice(0, 40), generation: 2 * d + n }, at, mutable);
          replayShape(state, mrShape!, { sha: hex(`mr ${d} ${n}`).slice(0, 40), iid: 100 + 2 * d + n, generation: -(2 * d + n) }, new Date(at.getTime() + 1_800_000), mutable);
        }
        const day = applyLifecycleDay(state, scheme, (repo) => policies.get(repo)!, new Date(start + d * DAY + 23 * 3_600_000), `day ${d}`);
        aged.violations.push(...day.violations);
        aged.expired += day.expired;
      }
      fakeRegistry.save(project.state, state);
      aged.before = JSON.parse(JSON.stringify(state)) as RegistryState;

      p.rerun = await project.pipeline("main: Run pipeline on the old commit (day 41)", { kind: "web", branch: "main" }, 41);
      p.retry = await project.pipeline("MR !9: build-ci-image retried (day 41)", { kind: "merge_request", iid: 9, branch: "feature-9" }, 41, { jobs: ["build-ci-image"], retryOf: p.mr! });
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("the setup holds: after 40 days the app's content images have expired, main's commit image is kept, the merge request's has expired too", () => {
      const state = aged.before!;
      expect(aged.violations).toEqual([]);
      expect(aged.expired).toBeGreaterThan(0);
      expect(tagsOf(state, APP)).toContain(`sha-${p.main!.sha}`);
      expect(tagsOf(state, APP)).not.toContain(`inputs-${inputs[p.main!.sha]!.app}`);
      expect(tagsOf(state, UNPROTECTED_APP)).not.toContain(`MR-9-${p.mr!.sha}`);
      expect(tagsOf(state, UNPROTECTED_APP)).not.toContain(`inputs-${inputs[p.mr!.sha]!.app}`);
      expect(tagsOf(state, APP)).not.toContain(`inputs-${inputs[p.mr!.sha]!.app}`);
      // Neither first pipeline reached build-ci-image: no CI image of either commit exists.
      expect(Object.keys(state.repos).filter((r) => r.endsWith("app-ci"))).toEqual([]);
    });

    test("every pipeline and retried job succeeds", () => {
      for (const pipeline of project.pipelines) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
      expect(p.rerun!.run.passed).toEqual(FULL_PIPELINE);
      expect(p.retry!.run.passed).toEqual(["build-ci-image"]);
    });

    test("a re-run of an old commit whose content image expired builds its CI image on the commit's own app image (the same layers), and runs the image of its commit's inputs", () => {
      const state = project.registry();
      expect({ pipeline: p.rerun!.name, ...ciImageOf(project, state, p.rerun!) }).toEqual({ pipeline: p.rerun!.name, ref: expectedCiImage(p.rerun!), inputs: inputs[p.main!.sha]!.ci, commit: p.main!.sha });
      const appImage = fakeRegistry.findTag(state, APP, `sha-${p.main!.sha}`)!;
      expect(appImage.image.inputs).toBe(inputs[p.main!.sha]!.app);
      // Only the CI image is built: the app's commit image is reused, and the CI build names it by digest.
      expect(buildsIn(state, p.rerun!).map((b) => ({ job: b.job, inputs: b.inputs, base: b.base }))).toEqual([
        { job: "build-ci-image", inputs: inputs[p.main!.sha]!.ci, base: `${HOST}/${APP}@${appImage.digest}` },
      ]);
      expect(p.rerun!.run.run.stdout).toContain("expired by retention");
    });

    test("a build job retried after both the content image and the commit image of its base expired builds the base again from its inputs, pushes its content tag, and builds on it", () => {
      const state = project.registry();
      const mr = p.mr!.sha;
      expect({ pipeline: p.retry!.name, ...ciImageOf(project, state, p.retry!) }).toEqual({ pipeline: p.retry!.name, ref: expectedCiImage(p.retry!), inputs: inputs[mr]!.ci, commit: mr });
      const rebuilt = fakeRegistry.findTag(state, UNPROTECTED_APP, `inputs-${inputs[mr]!.app}`);
      expect(rebuilt?.image.inputs).toBe(inputs[mr]!.app);
      expect(buildsIn(state, p.retry!).map((b) => ({ job: b.job, ref: b.ref, inputs: b.inputs, base: b.base }))).toEqual([
        { job: "build-ci-image", ref: `${HOST}/${UNPROTECTED_APP}:inputs-${inputs[mr]!.app}`, inputs: inputs[mr]!.app, base: undefined },
        { job: "build-ci-image", ref: `${HOST}/${UNPROTECTED_APP}-ci:inputs-${inputs[mr]!.ci}`, inputs: inputs[mr]!.ci, base: `${HOST}/${UNPROTECTED_APP}@${rebuilt!.digest}` },
      ]);
      // The merge request builds in its own trust level only: nothing of it reaches a protected repository.
      expect(state.events.filter((e) => e.op === "tag" && e.run === String(p.retry!.seq) && !e.repo!.includes("/unprotected/"))).toEqual([]);
    });
  });
});
