import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL, type PipelineRun } from "../support/gitlab-ci-local";

// The image-reuse template for GitLab's container registry (seeds 001/002):
// images under $CI_REGISTRY_IMAGE, login with the job token, same tag scheme.
const template = imageReuseTemplate("cfg/templates", { tagScheme: new TagScheme("cfg/tagScheme"), registry: "gitlab", fileName: "image-reuse-gitlab-registry.yml" });
const REGISTRY = "registry.gitlab.example.com";
const IMAGE = `${REGISTRY}/acme/app`;
const gitlab = { CI_REGISTRY_IMAGE: IMAGE, CI_REGISTRY: REGISTRY, CI_REGISTRY_USER: "gitlab-ci-token" };
const files = {
  "ci-templates/image-reuse-gitlab-registry.yml": template.content,
  ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse-gitlab-registry.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
  Dockerfile: "FROM alpine:3.20\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
};
const pipelineId = (run: PipelineRun) => /:pipeline-(\d+)$/.exec(CiRepo.pushes(run.commands)[0] ?? "")?.[1];

describeWithTool(GITLAB_CI_LOCAL, "the image-reuse template (GitLab registry) in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor)", () => {
    let mrRepo: CiRepo;
    let mainRepo: CiRepo;
    let mrRun: PipelineRun;
    let mainRun: PipelineRun;

    beforeAll(async () => {
      mrRepo = new CiRepo(files);
      mrRepo.commit({ "README.md": "app\n" }, "docs only");
      mainRepo = new CiRepo(files);
      mainRepo.commit({ "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN true\n" }, "ci image");
      [mrRun, mainRun] = await Promise.all([
        mrRepo.runPipeline({ ...gitlab, CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "7" }, ["CI_COMMIT_BRANCH"]),
        mainRepo.runPipeline(gitlab),
      ]);
    });
    afterAll(() => [mrRepo, mainRepo].forEach((r) => r.remove()));

    test("merge request without image changes: reuses latest, pushes pipeline and MR tags, logs in with the job token, no AWS", () => {
      expect(mrRun.run.status).toBe(0);
      expect(mrRun.passed).toEqual(["lint", "reuse-app-image", "reuse-ci-image", "unit-tests"]);
      const id = pipelineId(mrRun);
      expect(CiRepo.pushes(mrRun.commands).sort()).toEqual([`${IMAGE}/app`, `${IMAGE}/ci`].flatMap((image) => [`${image}:MR-7`, `${image}:pipeline-${id}`]).sort());
      expect(mrRun.commands.filter((c) => c.startsWith("docker login"))).toEqual([
        `docker login --username gitlab-ci-token --password-stdin ${REGISTRY}`,
        `docker login --username gitlab-ci-token --password-stdin ${REGISTRY}`,
      ]);
      expect(mrRun.commands.some((c) => c.startsWith("aws "))).toBe(false);
    });

    test("default branch changing Dockerfile.ci: builds only the CI image, reuses the app image, pushes pipeline, sha and latest", () => {
      expect(mainRun.run.status).toBe(0);
      expect(mainRun.passed).toEqual(["build-ci-image", "lint", "reuse-app-image", "unit-tests"]);
      const id = pipelineId(mainRun);
      expect(CiRepo.pushes(mainRun.commands).sort()).toEqual(
        [`${IMAGE}/app`, `${IMAGE}/ci`].flatMap((image) => [`${image}:latest`, `${image}:pipeline-${id}`, `${image}:sha-${mainRepo.sha}`]).sort(),
      );
    });
  });
});
