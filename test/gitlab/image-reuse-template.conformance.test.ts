import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";

// The ECR template with review environments, included by the worked example's
// .gitlab-ci.yml (include: local instead of include: project, which would need
// the GitLab instance), run by gitlab-ci-local for a merge-request pipeline
// (Dockerfile changed: images are built) and a default-branch pipeline
// (nothing changed: the previous images are reused).
const template = imageReuseTemplate("cfg/templates", {
  tagScheme: new TagScheme("cfg/tagScheme"),
  review: { deployScript: ['terraform apply -auto-approve -var "image=$REVIEW_IMAGE"'], stopScript: ["terraform destroy -auto-approve"] },
});
const APP = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app";
const CI = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app-ci";

describeWithTool(
  GITLAB_CI_LOCAL,
  "the image-reuse template (ECR) in gitlab-ci-local",
  () => {
    let repo: CiRepo;
    const platform = () => ({ PLATFORM_APP_IMAGE: APP, PLATFORM_CI_IMAGE: CI, AWS_WEB_IDENTITY_TOKEN_FILE: `${repo.dir}/.oidc-token` });

    beforeAll(() => {
      repo = new CiRepo({
        "ci-templates/image-reuse.yml": template.content,
        ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
        Dockerfile: "FROM alpine:3.20\n",
        "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
        "src/index.js": "console.log(1);\n",
      });
    });
    afterAll(() => repo.remove());

    describeWithTool("rsync", "pipelines (shell executor)", () => {
      test("merge request that changes the Dockerfile: builds both images, pushes pipeline and MR tags, deploys the review app, stop is manual", () => {
        repo.commit({ Dockerfile: "FROM alpine:3.21\n" }, "bump base image");
        const mr = { ...platform(), CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "12" };
        const jobs = repo.listJobs(mr, ["CI_COMMIT_BRANCH"]);
        expect(jobs).toEqual({
          "build-app-image": "on_success",
          "reuse-app-image": "never",
          "build-ci-image": "on_success",
          "reuse-ci-image": "never",
          "deploy-review": "on_success",
          "stop-review": "manual",
          "unit-tests": "on_success",
          lint: "on_success",
        });
        const { run, passed, commands } = repo.runPipeline(mr, ["CI_COMMIT_BRANCH"]);
        expect(run.status).toBe(0);
        expect(passed.sort()).toEqual(["build-app-image", "build-ci-image", "deploy-review", "lint", "unit-tests"]);
        const pushes = CiRepo.pushes(commands);
        const pipeline = /:pipeline-(\d+)$/.exec(pushes[0]!)?.[1];
        expect(pipeline).toMatch(/^\d+$/);
        expect(pushes.sort()).toEqual([`${APP}:MR-12`, `${APP}:pipeline-${pipeline}`, `${CI}:MR-12`, `${CI}:pipeline-${pipeline}`].sort());
        expect(commands).toContain(
          `docker build --cache-from ${CI}:latest --cache-from ${CI}:MR-12 --build-arg BUILDKIT_INLINE_CACHE=1 --build-arg BASE_IMAGE=${APP}:pipeline-${pipeline} --file Dockerfile.ci --tag ${CI}:pipeline-${pipeline} .`,
        );
        expect(commands).toContain(`terraform apply -auto-approve -var image=${APP}:MR-12`);
        expect(commands.filter((c) => c.startsWith("aws ecr get-login-password"))).toHaveLength(2);
      });

      test("default branch without image changes: reuses latest, pushes pipeline, sha and latest tags, no review jobs", () => {
        repo.markPushed();
        repo.commit({ "src/index.js": "console.log(2);\n" }, "code only");
        const { run, passed, commands } = repo.runPipeline(platform());
        expect(run.status).toBe(0);
        expect(passed.sort()).toEqual(["lint", "reuse-app-image", "reuse-ci-image", "unit-tests"]);
        const pushes = CiRepo.pushes(commands);
        const pipeline = /:pipeline-(\d+)$/.exec(pushes[0]!)?.[1];
        expect(pushes.sort()).toEqual(
          [APP, CI].flatMap((image) => [`${image}:latest`, `${image}:pipeline-${pipeline}`, `${image}:sha-${repo.sha}`]).sort(),
        );
        expect(commands).toContain(`docker pull ${APP}:latest`);
        expect(commands.some((c) => c.startsWith("docker build"))).toBe(false);
      });
    });
  },
);
