import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { IMAGE_REUSE_TEMPLATE, platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { PLATFORM_VARIABLES } from "../../lib/gitlab/platform-variables";
import { tenantsOf } from "../../lib/platform/tenancy";
import { tenantVariables } from "../../lib/platform/tenant-variables";
import { selectorPattern } from "../../lib/registry/glob";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { FlowProject, type FlowPipeline, HOST, inputsHash, type RegistryState } from "./support/flow-harness";
import { runLifecycleDays } from "./support/lifecycle-days";

/*
 * The pipeline flow suite: one project's pipelines as a team runs them (merge request opened and
 * updated, a retried job, merge, schedule, manual run, a push auto-cancelled by the next, a
 * release tag and its re-run), through the generated ECR template in gitlab-ci-local, against a
 * fake registry with ECR's rules (immutable tags except `latest`, 1,000 tags per image, push
 * times, the tenant roles' push rights); then the lifecycle policy over 120 simulated days.
 * The project's variables are the platform's own (tenantVariables of the example's dev environment).
 */
const scheme = new TagScheme("flow/tagScheme");
// The ECR template exactly as the platform publishes it.
const template = platformCiTemplates("flow/templates", scheme).find((t) => t.fileName === IMAGE_REUSE_TEMPLATE)!;
const dev = exampleConfig.environments[0]!;
const tenant = tenantsOf(dev).find((t) => t.path === "acme/app")!;
const projectVariables = tenantVariables(exampleConfig, dev, tenant);
const variables = {
  all: {
    [PLATFORM_VARIABLES.registryHost]: HOST,
    [PLATFORM_VARIABLES.region]: dev.region,
    ...Object.fromEntries(projectVariables.filter((v) => !v.protected).map((v) => [v.key, v.value])),
  },
  protectedOnly: Object.fromEntries(projectVariables.filter((v) => v.protected).map((v) => [v.key, v.value])),
};
const files = {
  "ci-templates/image-reuse.yml": template.content,
  ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nRUN echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
const TEST_JOBS = ["lint", "unit-tests"];

/** The per-image inputs of the checked-out commit, computed independently of the job. */
function expectedInputs(project: FlowProject): { app: string; ci: string } {
  const tree = project.files();
  const app = inputsHash(tree, "Dockerfile", ".", "");
  return { app, ci: inputsHash(tree, "Dockerfile.ci", ".", app) };
}

const buildsIn = (state: RegistryState, pipeline: FlowPipeline) => state.events.filter((e) => e.op === "build" && e.run === String(pipeline.seq));
const tagEventsIn = (state: RegistryState, pipeline: FlowPipeline) => state.events.filter((e) => (e.op === "tag" || e.op === "commit-image") && e.run === String(pipeline.seq));

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow suite", () => {
  describeWithTool("rsync", "a project's pipelines over days (shell executor, fake ECR)", () => {
    const project = new FlowProject(template, files, variables, scheme.mutableKinds.map((k) => selectorPattern(k.selector)));
    const p: Record<string, FlowPipeline> = {};
    const inputs: Record<string, { app: string; ci: string }> = {};
    const commit = (branch: string, changes: Record<string, string>, message: string) => {
      project.repo.git("checkout", "-q", branch);
      project.repo.commit(changes, message);
      inputs[project.repo.sha] = expectedInputs(project);
    };

    beforeAll(async () => {
      inputs[project.repo.sha] = expectedInputs(project);
      p.main0 = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "-b", "feature-1");
      commit("feature-1", { "src/index.js": "console.log(2);\n" }, "source change");
      p.mrOpened = await project.pipeline("MR !1 opened (source only)", { kind: "merge_request", iid: 1, branch: "feature-1" }, 1);
      commit("feature-1", { "package.json": '{ "name": "app", "version": "1.1.0" }\n' }, "dependency change");
      p.mrUpdated = await project.pipeline("MR !1 updated (dependencies)", { kind: "merge_request", iid: 1, branch: "feature-1" }, 1);
      p.mrRetry = await project.pipeline("MR !1: build-app-image retried", { kind: "merge_request", iid: 1, branch: "feature-1" }, 2, { jobs: ["build-app-image"], retryOf: p.mrUpdated });
      project.repo.git("checkout", "-q", "main");
      project.repo.git("merge", "-q", "--no-ff", "-m", "Merge !1", "feature-1");
      inputs[project.repo.sha] = expectedInputs(project);
      p.merge = await project.pipeline("main: merge of !1", { kind: "push", branch: "main" }, 2);
      p.schedule = await project.pipeline("main: nightly schedule", { kind: "schedule", branch: "main" }, 3);
      p.manual = await project.pipeline("main: Run pipeline (manual re-run)", { kind: "web", branch: "main" }, 3);
      // Push A changes the Dockerfile; push B follows at once and auto-cancels A's pipeline, which never runs.
      commit("main", { Dockerfile: "FROM alpine:3.21\nCOPY package.json /app/\nRUN echo install dependencies\n" }, "push A: base image bump");
      commit("main", { "src/index.js": "console.log(3);\n" }, "push B: source only");
      p.afterCancel = await project.pipeline("main: push B (push A auto-cancelled)", { kind: "push", branch: "main" }, 4);
      project.repo.git("tag", "v1.0.0");
      p.release = await project.pipeline("release tag v1.0.0", { kind: "tag", tag: "v1.0.0" }, 5);
      p.releaseRerun = await project.pipeline("release tag v1.0.0, re-run", { kind: "tag", tag: "v1.0.0" }, 5);
      project.repo.git("checkout", "-q", "-b", "feature-2");
      commit("feature-2", { "src/index.js": "console.log(4);\n" }, "another change");
      p.mr2 = await project.pipeline("MR !2 opened", { kind: "merge_request", iid: 2, branch: "feature-2" }, 6);
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("every pipeline and every retry succeeds, with every job of it", () => {
      for (const pipeline of project.pipelines) {
        const failed = pipeline.run.run.status !== 0 ? `${pipeline.run.run.stdout.slice(-3000)}\n${pipeline.run.run.stderr.slice(-2000)}\n${project.log().slice(-2000)}` : "";
        expect({ pipeline: pipeline.name, failed }).toEqual({ pipeline: pipeline.name, failed: "" });
      }
      const full = ["build-app-image", "build-ci-image", ...TEST_JOBS];
      expect(p.main0!.run.passed).toEqual(full.sort());
      // The published template runs no review environment on merge requests: the builds and the project's jobs only.
      expect(p.mrOpened!.run.passed).toEqual([...full].sort());
      expect(p.mrRetry!.run.passed).toEqual(["build-app-image"]);
    });

    test("the image each job runs is the one built from its commit's inputs, in its trust level's repository", () => {
      const state = project.registry();
      for (const pipeline of project.pipelines.filter((x) => x !== p.mrRetry)) {
        const ref = project.imageOf(pipeline, "ci");
        const repo = ref.slice(HOST.length + 1, ref.lastIndexOf(":"));
        const image = Object.values(state.repos[repo]?.images ?? {}).find((i) => i.tags.includes(ref.slice(ref.lastIndexOf(":") + 1)));
        const unprotected = pipeline.trigger.kind === "merge_request";
        expect({ pipeline: pipeline.name, ref, inputs: image?.inputs, commit: image?.commit }).toEqual({
          pipeline: pipeline.name,
          ref: `${HOST}/acme/dev/app/${unprotected ? "unprotected/" : ""}app-ci:${unprotected ? `MR-${(pipeline.trigger as { iid: number }).iid}-${pipeline.sha}` : `sha-${pipeline.sha}`}`,
          inputs: inputs[pipeline.sha]!.ci,
          commit: pipeline.sha,
        });
      }
    });

    test("re-runs fail no more: a schedule, a manual run, a retried job and a re-run release pipeline build nothing and push no new tag", () => {
      const state = project.registry();
      for (const pipeline of [p.schedule!, p.manual!, p.mrRetry!, p.releaseRerun!]) {
        expect({ pipeline: pipeline.name, builds: buildsIn(state, pipeline).length, tags: tagEventsIn(state, pipeline).map((e) => e.tag ?? e.ref) }).toEqual({
          pipeline: pipeline.name,
          builds: 0,
          tags: [],
        });
      }
    });

    test("changes are not skipped: after an auto-cancelled pipeline the next one builds from the cancelled commit's Dockerfile change", () => {
      const state = project.registry();
      const builds = buildsIn(state, p.afterCancel!);
      expect(builds.map((b) => b.inputs).sort()).toEqual([inputs[p.afterCancel!.sha]!.app, inputs[p.afterCancel!.sha]!.ci].sort());
      expect(inputs[p.afterCancel!.sha]!.app).not.toBe(inputs[p.merge!.sha]!.app);
    });

    test("a source-only change reuses the content images: a new commit image, no build (merge requests start from protected content images)", () => {
      const state = project.registry();
      expect(inputs[p.mrOpened!.sha]).toEqual(inputs[p.main0!.sha]);
      expect(buildsIn(state, p.mrOpened!).map((b) => b.ref)).toEqual([]);
      expect(inputs[p.mr2!.sha]).toEqual(inputs[p.afterCancel!.sha]);
      const mr2 = tagEventsIn(state, p.mr2!);
      expect(buildsIn(state, p.mr2!).map((b) => b.ref)).toEqual([]);
      expect(mr2.filter((e) => e.op === "commit-image").length).toBe(2);
    });

    test("no tag piles up: no image carries more than 3 tags, so none nears ECR's 1,000", () => {
      const state = project.registry();
      const counts = Object.values(state.repos).flatMap((r) => Object.values(r.images).map((i) => i.tags.length));
      expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    });

    test("protected pipelines push only protected repositories and never build from or cache from unprotected images; merge requests push only the unprotected namespace", () => {
      const state = project.registry();
      for (const pipeline of project.pipelines) {
        const unprotected = pipeline.trigger.kind === "merge_request";
        const events = state.events.filter((e) => e.run === String(pipeline.seq));
        const refs = events.flatMap((e) => [e.ref, e.repo, e.base, ...(e.cacheFrom ?? [])]).filter((x): x is string => x !== undefined);
        const pushedRepos = events.filter((e) => e.op === "tag").map((e) => e.repo!);
        if (unprotected) {
          expect({ pipeline: pipeline.name, pushedProtected: pushedRepos.filter((r) => !r.includes("/unprotected/")) }).toEqual({ pipeline: pipeline.name, pushedProtected: [] });
          expect(events.filter((e) => e.role).every((e) => e.role!.endsWith("-unprotected"))).toBe(true);
        } else {
          expect({ pipeline: pipeline.name, unprotectedRefs: refs.filter((r) => r.includes("/unprotected/")) }).toEqual({ pipeline: pipeline.name, unprotectedRefs: [] });
          expect(events.filter((e) => e.role).every((e) => e.role!.endsWith("-protected"))).toBe(true);
        }
      }
      // The builder of each pool: socket-bound docker on protected pipelines, rootless BuildKit on merge requests.
      expect(buildsIn(state, p.mrOpened!).every((b) => b.builder === "buildkit-rootless")).toBe(true);
      expect(buildsIn(state, p.main0!).every((b) => b.builder === undefined)).toBe(true);
    });

    test("build caches: each build exports its BuildKit cache next to its image, in its own trust level's repository, with the options ECR stores; protected builds import only protected caches", () => {
      const state = project.registry();
      const exports = state.events.filter((e) => e.op === "cache-export");
      expect(exports.length).toBeGreaterThan(0);
      for (const pipeline of project.pipelines) {
        const unprotected = pipeline.trigger.kind === "merge_request";
        const builds = buildsIn(state, pipeline);
        const exported = exports.filter((e) => e.run === String(pipeline.seq));
        // One cache export per content build, to <the build's repository>:buildcache.
        expect(exported.map((e) => e.ref).sort()).toEqual(builds.map((b) => `${b.ref!.slice(0, b.ref!.lastIndexOf(":"))}:buildcache`).sort());
        for (const e of exported) {
          expect({ pipeline: pipeline.name, unprotectedRepo: e.ref!.includes("/unprotected/") }).toEqual({ pipeline: pipeline.name, unprotectedRepo: unprotected });
          expect(e.options).toMatch(/^type=registry,ref=\S+:buildcache,mode=max,image-manifest=true,oci-mediatypes=true$/);
        }
        for (const b of builds) {
          if (!unprotected) expect({ pipeline: pipeline.name, imports: b.cacheFrom!.filter((r) => r.includes("/unprotected/")) }).toEqual({ pipeline: pipeline.name, imports: [] });
          else expect(b.cacheFrom!.some((r) => !r.includes("/unprotected/") && r.endsWith(":buildcache"))).toBe(true);
        }
      }
    });

    test("release: the tag pipeline puts v1.0.0 on the commit image main built, by digest; latest moved with main", () => {
      const state = project.registry();
      const repo = state.repos["acme/dev/app/app-ci"]!;
      const holder = Object.entries(repo.images).find(([, i]) => i.tags.includes("v1.0.0"));
      expect(holder?.[1].tags.sort()).toEqual(["latest", `sha-${p.release!.sha}`, "v1.0.0"].sort());
    });

    test("efficiency and retention over 120 simulated days", () => {
      const state = project.registry();
      const builds = state.events.filter((e) => e.op === "build");
      const perRepository = new Set(builds.map((b) => `${b.ref!.slice(0, b.ref!.lastIndexOf(":"))} ${b.inputs}`));
      const distinct = new Set(builds.map((b) => `${b.ref!.slice(b.ref!.lastIndexOf("/"), b.ref!.lastIndexOf(":"))} ${b.inputs}`));
      const pipelines = project.pipelines.filter((x) => x !== p.mrRetry);
      const jobs = pipelines.flatMap((pipeline) => TEST_JOBS.map(() => buildsIn(state, pipeline).length === 0));
      const efficiency = {
        pipelines: project.pipelines.length,
        builds: builds.length,
        buildsPerDistinctInputsPerRepository: builds.length / perRepository.size,
        buildsPerDistinctInputs: builds.length / distinct.size,
        jobsFromReusedImage: jobs.filter(Boolean).length / jobs.length,
      };
      console.log(`flow efficiency: ${JSON.stringify(efficiency)}`);
      // Never two builds of one set of inputs in one repository; across trust levels a merged change is
      // built once more in the protected repository (protected pipelines never run unprotected builds).
      expect(efficiency.buildsPerDistinctInputsPerRepository).toBe(1);
      expect(efficiency.buildsPerDistinctInputs).toBeLessThanOrEqual(1.5);
      expect(efficiency.jobsFromReusedImage).toBeGreaterThan(0.5);

      const report = runLifecycleDays(state, scheme, 120);
      console.log(`lifecycle over 120 days: ${JSON.stringify(report.summary)}`);
      expect(report.violations).toEqual([]);
      expect(report.summary.expired).toBeGreaterThan(0);
      expect(report.summary.maxTagsPerImage).toBeLessThan(1000);
    });
  });
});
