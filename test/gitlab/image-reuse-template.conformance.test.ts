import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL, type PipelineRun } from "../support/gitlab-ci-local";

// The ECR template with review environments, included by the worked example's
// .gitlab-ci.yml (include: local instead of include: project, which would need
// the GitLab instance), run by gitlab-ci-local for a merge-request pipeline
// (Dockerfile changed: images are built) and a default-branch pipeline
// (nothing changed: the previous images are reused). All runs start at once.
const template = imageReuseTemplate("cfg/templates", {
  tagScheme: new TagScheme("cfg/tagScheme"),
  review: { deployScript: ['terraform apply -auto-approve -var "image=$REVIEW_IMAGE"'], stopScript: ["terraform destroy -auto-approve"] },
});
const HOST = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const APP = `${HOST}/acme/dev/app`;
const CI = `${HOST}/acme/dev/app-ci`;
const files = {
  "ci-templates/image-reuse.yml": template.content,
  ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
  Dockerfile: "FROM alpine:3.20\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
  "src/index.js": "console.log(1);\n",
};
const BUILD_ROLE = "arn:aws:iam::111111111111:role/acme-ci-dev-build";
const BRANCH_ROLE = "arn:aws:iam::111111111111:role/acme-ci-dev-build-mr";
const platform = (repo: CiRepo) => ({
  PLATFORM_APP_IMAGE: APP,
  PLATFORM_CI_IMAGE: CI,
  PLATFORM_REGISTRY_HOST: HOST,
  PLATFORM_AWS_ROLE_ARN: BUILD_ROLE,
  PLATFORM_AWS_BRANCH_ROLE_ARN: BRANCH_ROLE,
  AWS_WEB_IDENTITY_TOKEN_FILE: `${repo.dir}/.oidc-token`,
});
const rolesUsed = (run: PipelineRun) => [...new Set(run.commands.filter((c) => c.startsWith("role ")).map((c) => c.slice(5)))];
/** The `<n>` of the pipeline tag the run pushed. */
const pipelineId = (run: PipelineRun) => /:pipeline-(\d+)$/.exec(CiRepo.pushes(run.commands)[0] ?? "")?.[1];

describeWithTool(GITLAB_CI_LOCAL, "the image-reuse template (ECR) in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor)", () => {
    let mrRepo: CiRepo;
    let mainRepo: CiRepo;
    let mrJobs: Record<string, string>;
    let mrRun: PipelineRun;
    let mainRun: PipelineRun;

    beforeAll(async () => {
      mrRepo = new CiRepo(files);
      mrRepo.commit({ Dockerfile: "FROM alpine:3.21\n" }, "bump base image");
      mainRepo = new CiRepo(files);
      mainRepo.commit({ "src/index.js": "console.log(2);\n" }, "code only");
      const mr = { ...platform(mrRepo), CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "12" };
      [mrJobs, mrRun, mainRun] = await Promise.all([mrRepo.listJobs(mr, ["CI_COMMIT_BRANCH"]), mrRepo.runPipeline(mr, ["CI_COMMIT_BRANCH"]), mainRepo.runPipeline(platform(mainRepo))]);
    });
    afterAll(() => [mrRepo, mainRepo].forEach((r) => r.remove()));

    test("merge request that changes the Dockerfile: build jobs, tests, review deploy; the stop job is manual", () => {
      expect(mrJobs).toEqual({
        "build-app-image": "on_success",
        "reuse-app-image": "never",
        "build-ci-image": "on_success",
        "reuse-ci-image": "never",
        "deploy-review": "on_success",
        "stop-review": "manual",
        "unit-tests": "on_success",
        lint: "on_success",
      });
      expect(mrRun.run.status).toBe(0);
      expect(mrRun.passed).toEqual(["build-app-image", "build-ci-image", "deploy-review", "lint", "unit-tests"]);
    });

    test("merge request: pushes the pipeline and MR tags of both images, builds ci FROM app's pipeline image with cache-from, deploys MR-<iid>", () => {
      const id = pipelineId(mrRun);
      expect(id).toMatch(/^\d+$/);
      expect(CiRepo.pushes(mrRun.commands).sort()).toEqual([`${APP}:MR-12`, `${APP}:pipeline-${id}`, `${CI}:MR-12`, `${CI}:pipeline-${id}`].sort());
      expect(mrRun.commands).toContain(
        `docker build --cache-from ${CI}:latest --cache-from ${CI}:MR-12 --build-arg BUILDKIT_INLINE_CACHE=1 --build-arg BASE_IMAGE=${APP}:pipeline-${id} --file Dockerfile.ci --tag ${CI}:pipeline-${id} .`,
      );
      expect(mrRun.commands).toContain(`terraform apply -auto-approve -var image=${APP}:MR-12`);
      // Merge requests act through the branch role (trusted by any branch); never the build role.
      expect(rolesUsed(mrRun)).toEqual([BRANCH_ROLE]);
      expect(mrRun.commands.filter((c) => c.startsWith("docker login"))).toEqual([
        `docker login --username AWS --password-stdin ${HOST}`,
        `docker login --username AWS --password-stdin ${HOST}`,
      ]);
    });

    test("default branch without image changes: reuses latest and pushes pipeline, sha and latest tags; no review jobs", () => {
      expect(mainRun.run.status).toBe(0);
      expect(mainRun.passed).toEqual(["lint", "reuse-app-image", "reuse-ci-image", "unit-tests"]);
      const id = pipelineId(mainRun);
      expect(CiRepo.pushes(mainRun.commands).sort()).toEqual([APP, CI].flatMap((image) => [`${image}:latest`, `${image}:pipeline-${id}`, `${image}:sha-${mainRepo.sha}`]).sort());
      expect(mainRun.commands).toContain(`docker pull ${APP}:latest`);
      // The default branch acts through the build role.
      expect(rolesUsed(mainRun)).toEqual([BUILD_ROLE]);
      expect(mainRun.commands.some((c) => c.startsWith("docker build"))).toBe(false);
    });
  });
});
