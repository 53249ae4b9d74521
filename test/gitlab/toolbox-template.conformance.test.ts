import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL, type PipelineRun } from "../support/gitlab-ci-local";

// The toolbox project's CI file (seed 000), as ToolboxImageProject commits it,
// run by gitlab-ci-local: ECR for a merge request and the default branch, a
// default-branch push without a Dockerfile change, and the GitLab-registry variant.
const scheme = new TagScheme("cfg/tagScheme");
const HOST = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const TOOLBOX = `${HOST}/acme/dev/toolbox`;
const ecrFiles = { ".gitlab-ci.yml": toolboxCiFile("cfg/toolbox", scheme).content, Dockerfile: "FROM amazon/aws-cli:2.17.0\n" };
const platform = (repo: CiRepo) => ({ PLATFORM_TOOLBOX_IMAGE: TOOLBOX, PLATFORM_REGISTRY_HOST: HOST, AWS_WEB_IDENTITY_TOKEN_FILE: `${repo.dir}/.oidc-token` });
const pipelineId = (run: PipelineRun) => /:pipeline-(\d+)$/.exec(CiRepo.pushes(run.commands)[0] ?? "")?.[1];

describeWithTool(GITLAB_CI_LOCAL, "the toolbox CI file in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor)", () => {
    let changed: CiRepo;
    let unchanged: CiRepo;
    let gitlabRepo: CiRepo;
    let mrRun: PipelineRun;
    let mainRun: PipelineRun;
    let unchangedJobs: Record<string, string>;
    let gitlabJobs: Record<string, string>;

    beforeAll(async () => {
      changed = new CiRepo(ecrFiles);
      changed.commit({ Dockerfile: "FROM amazon/aws-cli:2.17.1\n" }, "bump");
      unchanged = new CiRepo(ecrFiles);
      unchanged.commit({ "README.md": "toolbox\n" }, "docs");
      gitlabRepo = new CiRepo({ ".gitlab-ci.yml": toolboxCiFile("cfg/toolbox", scheme, "gitlab").content, Dockerfile: "FROM alpine\n" });
      gitlabRepo.commit({ Dockerfile: "FROM alpine:3.21\n" }, "change");
      const mr = { ...platform(changed), CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "3" };
      [mrRun, mainRun, unchangedJobs, gitlabJobs] = await Promise.all([
        changed.runPipeline(mr, ["CI_COMMIT_BRANCH"]),
        changed.runPipeline(platform(changed)),
        unchanged.listJobs(platform(unchanged)),
        gitlabRepo.listJobs({}),
      ]);
    });
    afterAll(() => [changed, unchanged, gitlabRepo].forEach((r) => r.remove()));

    test("merge request changing the Dockerfile: installs the AWS CLI into the bootstrap image, builds with cache-from, pushes pipeline and MR tags", () => {
      expect(mrRun.run.status).toBe(0);
      expect(mrRun.passed).toEqual(["build-toolbox-image"]);
      const id = pipelineId(mrRun);
      expect(CiRepo.pushes(mrRun.commands)).toEqual([`${TOOLBOX}:pipeline-${id}`, `${TOOLBOX}:MR-3`]);
      expect(mrRun.commands[0]).toBe("apk add --no-cache aws-cli");
      expect(mrRun.commands).toContain(`docker login --username AWS --password-stdin ${HOST}`);
      expect(mrRun.commands).toContain(
        `docker build --cache-from ${TOOLBOX}:latest --cache-from ${TOOLBOX}:MR-3 --build-arg BUILDKIT_INLINE_CACHE=1 --file Dockerfile --tag ${TOOLBOX}:pipeline-${id} .`,
      );
    });

    test("default branch after a Dockerfile change pushes the pipeline tag and latest", () => {
      expect(mainRun.run.status).toBe(0);
      expect(mainRun.passed).toEqual(["build-toolbox-image"]);
      expect(CiRepo.pushes(mainRun.commands)).toEqual([`${TOOLBOX}:pipeline-${pipelineId(mainRun)}`, `${TOOLBOX}:latest`]);
    });

    test("default branch without a Dockerfile change builds nothing", () => {
      expect(unchangedJobs).toEqual({ "build-toolbox-image": "never" });
    });

    test("the GitLab-registry variant passes GitLab's schema and builds on a change", () => {
      expect(gitlabJobs).toEqual({ "build-toolbox-image": "on_success" });
    });
  });
});
