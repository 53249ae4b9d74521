import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildsIn, ciImageOf, efficiencyOf, expectedCiImage, failureOf, scheme, tagEventsIn } from "./support/app-project";
import { type FlowPipeline } from "./support/flow-harness";
import { recordedShapes, replayLifecycleDays, synthesizedLifecyclePolicies } from "./support/lifecycle-replay";

/*
 * Pipeline flow, release and retention: a main push, a merge request opened (new dependencies) and
 * updated (source only), a source-only main push, a release tag of that commit and its re-run. Then
 * 120 simulated days: the tag puts the fake registry recorded for these pipelines are replayed day by
 * day with its clock advanced, and each repository's lifecycle policy as the synthesized dev stack
 * applies it (aws_ecr_lifecycle_policy) runs over that history. gitlab-ci-local runs the generated ECR
 * template against the fake registry (ECR's tag rules, IAM of the synthesized dev stack).
 */
describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: release and retention (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "a release and 120 days of lifecycle", () => {
    const { project, inputs, commit } = appProject();
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      p.main = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "-b", "feature-7");
      commit("feature-7", { "package.json": '{ "name": "app", "version": "1.2.0" }\n' }, "dependency change");
      p.mrOpened = await project.pipeline("MR !7 opened (dependencies)", { kind: "merge_request", iid: 7, branch: "feature-7" }, 0);
      commit("feature-7", { "src/index.js": "console.log(7);\n" }, "source change");
      p.mrUpdated = await project.pipeline("MR !7 updated (source only)", { kind: "merge_request", iid: 7, branch: "feature-7" }, 1);
      commit("main", { "src/index.js": "console.log(5);\n" }, "source change on main");
      p.source = await project.pipeline("main: source-only push", { kind: "push", branch: "main" }, 1);
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
      expect(buildsIn(state, p.source!)).toEqual([]);
    });

    test("120 simulated days of the recorded pushes under the synthesized lifecycle policies: every kind's retention holds, nothing protected expires, no image passes 1,000 tags", () => {
      const state = project.registry();
      const efficiency = efficiencyOf(state, project.pipelines);
      console.log(`flow efficiency (release): ${JSON.stringify(efficiency)}`);
      expect(efficiency.buildsPerDistinctInputsPerRepository).toBe(1);
      expect(efficiency.jobsFromReusedImage).toBeGreaterThan(0.5);

      const shapes = recordedShapes(state, project.pipelines);
      const [mainBuild, mergeRequestBuild, mergeRequestReuse, mainReuse, release, rerun] = shapes;
      const tags = (shape: typeof mainBuild) => shape!.puts.map((put) => `${put.repo.replace("acme/dev/app/", "")}:${put.tag}`).sort();
      // What the templates put, as recorded: builds push content, cache and commit images; reuses only commit images.
      expect(tags(mainBuild)).toEqual(expect.arrayContaining(["app:buildcache", "app:latest", "app:sha-{sha}", "app-ci:latest", "app-ci:sha-{sha}"]));
      expect(tags(mainBuild).filter((t) => t.includes(":inputs-")).length).toBe(2);
      expect(tags(mergeRequestBuild)).toEqual(expect.arrayContaining(["unprotected/app:MR-{iid}-{sha}", "unprotected/app-ci:MR-{iid}-{sha}", "unprotected/app:buildcache"]));
      expect(tags(mergeRequestReuse)).toEqual(["unprotected/app-ci:MR-{iid}-{sha}", "unprotected/app:MR-{iid}-{sha}"]);
      expect(tags(mainReuse)).toEqual(["app-ci:latest", "app-ci:sha-{sha}", "app:latest", "app:sha-{sha}"]);
      expect(release!.puts.map((put) => [put.tag, put.digest])).toEqual([
        ["{gitTag}", "old:acme/dev/app/app:sha-{sha}"],
        ["{gitTag}", "old:acme/dev/app/app-ci:sha-{sha}"],
      ]);
      expect(rerun!.puts).toEqual([]);

      const policies = synthesizedLifecyclePolicies();
      expect(policies.get("acme/dev/app/app-ci")?.rules.length).toBeGreaterThan(0);
      const report = replayLifecycleDays(state, scheme, { mainBuild: mainBuild!, mainReuse: mainReuse!, mergeRequestBuild: mergeRequestBuild!, mergeRequestReuse: mergeRequestReuse!, release: release!, reruns: [rerun!] }, (repo) => policies.get(repo)!, 120);
      console.log(`lifecycle over 120 days of recorded pushes: ${JSON.stringify(report.summary)}`);
      expect(report.violations).toEqual([]);
      expect(report.summary.expired).toBeGreaterThan(0);
      expect(report.summary.maxTagsPerImage).toBeLessThan(1000);
      // Protected images are all still there: every release and the latest image of each protected repository.
      for (const repo of ["acme/dev/app/app", "acme/dev/app/app-ci"]) {
        const all = Object.values(state.repos[repo]!.images).flatMap((i) => i.tags);
        expect(all.filter((t) => /^v1\.\d+\.0$/.test(t)).sort()).toEqual(["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0"]);
        expect(all).toContain("latest");
        expect(all).toContain("buildcache");
      }
    });
  });
});
