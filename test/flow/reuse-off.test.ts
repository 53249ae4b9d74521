import { createHash } from "node:crypto";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildsIn, ciImageOf, expectedCiImage, failureOf, FULL_PIPELINE, scheme, tagEventsIn } from "./support/app-project";
import { fakeRegistry, type FlowPipeline, HOST } from "./support/flow-harness";

/*
 * Pipeline flow with `reuse: false` on both images (app, and ci built FROM app). Such an image has no
 * content image: a commit without its commit image builds straight into sha-<commit> (MR-<iid>-<commit>
 * on merge requests), and no inputs-<hash> is read or pushed. Before, every build pushed inputs-<hash>:
 * a second commit with unchanged inputs rebuilt (another digest) and ECR refused the existing immutable
 * content tag, so every pipeline that did not change the inputs failed; an inputs-<hash> another merge
 * request planted failed the merge request's build the same way. Sequence: main push (A), a source-only
 * push (B, inputs unchanged), B run again by hand, B's build-ci-image retried, and a merge request with a
 * source-only change whose inputs-<hash> another merge request planted in the unprotected repository.
 */
const reuseOff = imageReuseTemplate("flow/templates", {
  tagScheme: scheme,
  images: [
    { name: "app", dockerfile: "Dockerfile", reuse: false },
    { name: "ci", dockerfile: "Dockerfile.ci", baseImage: "app", reuse: false },
  ],
});
const UNPROTECTED_APP = "acme/dev/app/unprotected/app";

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: reuse: false (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "two commits with unchanged inputs, a re-run, a retry and a merge request over a planted content tag", () => {
    const { project, inputs, commit } = appProject(reuseOff);
    const p: Record<string, FlowPipeline> = {};
    let planted = "";

    beforeAll(async () => {
      // The merge request's branch is committed first: a job leaves untracked files that a commit would add.
      project.repo.git("checkout", "-q", "-b", "feature-4");
      commit("feature-4", { "src/index.js": "console.log(4);\n" }, "merge request: source only");
      project.repo.git("checkout", "-q", "main");
      p.a = await project.pipeline("main: push A", { kind: "push", branch: "main" }, 0);
      commit("main", { "src/index.js": "console.log(2);\n" }, "B: source only");
      p.b = await project.pipeline("main: push B (inputs unchanged)", { kind: "push", branch: "main" }, 1);
      p.web = await project.pipeline("main: B run again by hand", { kind: "web", branch: "main" }, 2);
      p.retry = await project.pipeline("main: B's build-ci-image retried", { kind: "push", branch: "main" }, 2, { jobs: ["build-ci-image"], retryOf: p.b });
      // Another merge request plants inputs-<hash> of these inputs in the shared unprotected repository.
      const state = fakeRegistry.load(project.state);
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: "sha256:planted" }, layers: [] });
      planted = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
      fakeRegistry.putTag(state, { FAKE_NOW: "2026-01-08T09:00:00Z", AWS_ROLE_ARN: "arn:aws:iam::111111111111:role/acme-ci-dev-app-unprotected" }, UNPROTECTED_APP, `inputs-${inputs[p.a.sha]!.app}`, planted, { kind: "content", inputs: inputs[p.a.sha]!.app, manifest });
      fakeRegistry.save(project.state, state);
      p.mr = await project.pipeline("MR !4 (source only, content tag planted)", { kind: "merge_request", iid: 4, branch: "feature-4" }, 3);
    }, 300_000);
    afterAll(() => project.repo.remove());

    test("every pipeline and the retry succeed, with every job of them (the second commit no longer fails on the earlier inputs-<hash>)", () => {
      for (const pipeline of project.pipelines) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
      for (const pipeline of [p.a!, p.b!, p.web!, p.mr!]) expect({ pipeline: pipeline.name, passed: pipeline.run.passed }).toEqual({ pipeline: pipeline.name, passed: FULL_PIPELINE });
      expect(p.retry!.run.passed).toEqual(["build-ci-image"]);
      expect(inputs[p.b!.sha]).toEqual(inputs[p.a!.sha]);
      expect(inputs[p.mr!.sha]).toEqual(inputs[p.a!.sha]);
      expect(project.log()).not.toMatch(/ImageTagAlreadyExistsException/);
    });

    test("no content tag is read or pushed: each new commit builds straight into its commit tag", () => {
      const state = project.registry();
      expect(project.log()).not.toMatch(/imageTag=inputs-/);
      const contentTags = Object.entries(state.repos).flatMap(([repo, r]) => Object.values(r.images).flatMap((i) => i.tags.filter((t) => t.startsWith("inputs-")).map((t) => `${repo}:${t}`)));
      expect(contentTags).toEqual([`${UNPROTECTED_APP}:inputs-${inputs[p.a!.sha]!.app}`]);
      for (const pipeline of [p.a!, p.b!, p.mr!]) {
        const builds = buildsIn(state, pipeline);
        expect({ pipeline: pipeline.name, built: builds.map((b) => b.ref!.slice(b.ref!.lastIndexOf(":") + 1)) }).toEqual({ pipeline: pipeline.name, built: [expectedCiImage(pipeline).split(":").pop(), expectedCiImage(pipeline).split(":").pop()] });
        expect(tagEventsIn(state, pipeline).filter((e) => e.op === "commit-image")).toEqual([]);
      }
    });

    test("a re-run and a retry of the commit build nothing and push no tag", () => {
      const state = project.registry();
      for (const pipeline of [p.web!, p.retry!]) {
        expect({ pipeline: pipeline.name, builds: buildsIn(state, pipeline).length, tags: tagEventsIn(state, pipeline).map((e) => e.tag ?? e.ref) }).toEqual({ pipeline: pipeline.name, builds: 0, tags: [] });
      }
    });

    test("every job runs the image built from its own commit's inputs; the ci image is FROM this pipeline's app commit image, never the planted one", () => {
      const state = project.registry();
      for (const pipeline of [p.a!, p.b!, p.web!, p.mr!]) {
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci });
      }
      const mrBuilds = buildsIn(state, p.mr!);
      const appCommit = fakeRegistry.findTag(state, UNPROTECTED_APP, `MR-4-${p.mr!.sha}`)!;
      expect(appCommit.digest).not.toBe(planted);
      expect(mrBuilds.find((b) => b.ref!.includes("/app-ci:"))!.base).toBe(`${HOST}/${UNPROTECTED_APP}@${appCommit.digest}`);
    });
  });
});
