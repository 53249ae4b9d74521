import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";

// The image-reuse template for GitLab's container registry (seeds 001/002):
// images under $CI_REGISTRY_IMAGE, login with the job token, same tag scheme.
const template = imageReuseTemplate("cfg/templates", { tagScheme: new TagScheme("cfg/tagScheme"), registry: "gitlab", fileName: "image-reuse-gitlab-registry.yml" });
const REGISTRY_IMAGE = "registry.gitlab.example.com/acme/app";

describeWithTool(GITLAB_CI_LOCAL, "the image-reuse template (GitLab registry) in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor)", () => {
    let repo: CiRepo;
    beforeAll(() => {
      repo = new CiRepo({
        "ci-templates/image-reuse-gitlab-registry.yml": template.content,
        ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse-gitlab-registry.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
        Dockerfile: "FROM alpine:3.20\n",
        "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
      });
    });
    afterAll(() => repo.remove());

    test("merge request without image changes: reuses latest, pushes pipeline and MR tags, logs in with the job token", () => {
      const vars = { CI_REGISTRY_IMAGE: REGISTRY_IMAGE, CI_REGISTRY: "registry.gitlab.example.com", CI_REGISTRY_USER: "gitlab-ci-token", CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "7" };
      const { run, passed, commands } = repo.runPipeline(vars, ["CI_COMMIT_BRANCH"]);
      expect(run.status).toBe(0);
      expect(passed.sort()).toEqual(["lint", "reuse-app-image", "reuse-ci-image", "unit-tests"]);
      const pipeline = /pipeline-(\d+)/.exec(commands.join("\n"))?.[1];
      expect(CiRepo.pushes(commands).sort()).toEqual(
        [`${REGISTRY_IMAGE}/app`, `${REGISTRY_IMAGE}/ci`].flatMap((image) => [`${image}:MR-7`, `${image}:pipeline-${pipeline}`]).sort(),
      );
      expect(commands.filter((c) => c.startsWith("docker login"))).toEqual([
        "docker login --username gitlab-ci-token --password-stdin registry.gitlab.example.com",
        "docker login --username gitlab-ci-token --password-stdin registry.gitlab.example.com",
      ]);
      expect(commands.some((c) => c.startsWith("aws "))).toBe(false);
    });

    test("default branch changing Dockerfile.ci: builds only the CI image, reuses the app image", () => {
      repo.markPushed();
      repo.commit({ "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN true\n" }, "ci image");
      const { run, passed, commands } = repo.runPipeline({ CI_REGISTRY_IMAGE: REGISTRY_IMAGE });
      expect(run.status).toBe(0);
      expect(passed.sort()).toEqual(["build-ci-image", "lint", "reuse-app-image", "unit-tests"]);
      const pipeline = /pipeline-(\d+)/.exec(commands.join("\n"))?.[1];
      expect(CiRepo.pushes(commands).sort()).toEqual(
        [`${REGISTRY_IMAGE}/app`, `${REGISTRY_IMAGE}/ci`].flatMap((image) => [`${image}:latest`, `${image}:pipeline-${pipeline}`, `${image}:sha-${repo.sha}`]).sort(),
      );
    });
  });
});
