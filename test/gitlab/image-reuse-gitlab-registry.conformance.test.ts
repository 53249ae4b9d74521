import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { FlowProject, type FlowPipeline } from "../flow/support/flow-harness";

// The image-reuse template for GitLab's container registry (seeds 001/002): images under
// $CI_REGISTRY_IMAGE (unprotected pipelines under $CI_REGISTRY_IMAGE/unprotected), login with
// the job token, tags looked up and copied with `docker buildx imagetools`, against the fake registry.
const scheme = new TagScheme("cfg/tagScheme");
const template = imageReuseTemplate("cfg/templates", { tagScheme: scheme, registry: "gitlab", fileName: "image-reuse-gitlab-registry.yml" });
const REGISTRY = "registry.gitlab.example.com";
const IMAGE = `${REGISTRY}/acme/app`;
const files = {
  "ci-templates/image-reuse-gitlab-registry.yml": template.content,
  ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse-gitlab-registry.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
  Dockerfile: "FROM alpine:3.20\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
};
const variables = { all: { CI_REGISTRY_IMAGE: IMAGE, CI_REGISTRY: REGISTRY, CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-token" }, protectedOnly: {} };

describeWithTool(GITLAB_CI_LOCAL, "the image-reuse template (GitLab registry) in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor, fake registry)", () => {
    const project = new FlowProject(template, files, variables, ["latest"]);
    let main: FlowPipeline;
    let mr: FlowPipeline;
    let rerun: FlowPipeline;

    beforeAll(async () => {
      main = await project.pipeline("main", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "-b", "docs");
      project.repo.commit({ "README.md": "app\n" }, "docs only");
      mr = await project.pipeline("MR !7", { kind: "merge_request", iid: 7, branch: "docs" }, 1);
      rerun = await project.pipeline("main again", { kind: "web", branch: "main" }, 1);
    }, 120_000);
    afterAll(() => project.repo.remove());

    test("default branch: builds both images under $CI_REGISTRY_IMAGE and tags sha-<commit> and latest; no AWS", () => {
      expect({ status: main.run.run.status, out: main.run.run.status === 0 ? "" : main.run.run.stdout.slice(-1500) + project.log().slice(-1500) }).toEqual({ status: 0, out: "" });
      const repos = project.registry().repos;
      expect(Object.keys(repos).sort()).toEqual(["acme/app/app", "acme/app/ci", "acme/app/unprotected/app", "acme/app/unprotected/ci"]);
      const tags = Object.values(repos["acme/app/ci"]!.images).flatMap((i) => i.tags);
      expect(tags).toEqual(expect.arrayContaining([`sha-${main.sha}`, "latest"]));
      expect(project.log()).not.toMatch(/^aws /m);
      expect(project.log()).toMatch(/^docker login --username gitlab-ci-token --password-stdin registry\.gitlab\.example\.com$/m);
    });

    test("merge request without image changes: no build, its commit images under unprotected/ start from the protected content images", () => {
      expect(mr.run.run.status).toBe(0);
      const events = project.registry().events.filter((e) => e.run === String(mr.seq));
      expect(events.filter((e) => e.op === "build")).toEqual([]);
      expect(events.filter((e) => e.op === "tag").map((e) => `${e.repo}:${e.tag}`).sort()).toEqual([`acme/app/unprotected/app:MR-7-${mr.sha}`, `acme/app/unprotected/ci:MR-7-${mr.sha}`]);
    });

    test("a re-run of the default branch reuses everything", () => {
      expect(rerun.run.run.status).toBe(0);
      expect(project.registry().events.filter((e) => e.run === String(rerun.seq) && (e.op === "build" || e.op === "tag"))).toEqual([]);
    });
  });
});
