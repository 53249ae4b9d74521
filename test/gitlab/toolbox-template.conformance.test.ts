import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";

// The toolbox project's CI file (seed 000), as committed by ToolboxImageProject,
// run by gitlab-ci-local: ECR for a merge request and the default branch, and
// the GitLab-registry variant for the default branch.
const scheme = new TagScheme("cfg/tagScheme");
const TOOLBOX = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/toolbox";

describeWithTool(GITLAB_CI_LOCAL, "the toolbox CI file in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor)", () => {
    let repo: CiRepo;
    beforeAll(() => {
      repo = new CiRepo({ ".gitlab-ci.yml": toolboxCiFile("cfg/toolbox", scheme).content, Dockerfile: "FROM amazon/aws-cli:2.17.0\n" });
    });
    afterAll(() => repo.remove());

    test("merge request changing the Dockerfile: installs the AWS CLI into the bootstrap image, builds with cache-from, pushes pipeline and MR tags", () => {
      repo.commit({ Dockerfile: "FROM amazon/aws-cli:2.17.1\n" }, "bump");
      const vars = { PLATFORM_TOOLBOX_IMAGE: TOOLBOX, AWS_WEB_IDENTITY_TOKEN_FILE: `${repo.dir}/.oidc-token`, CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "3" };
      const { run, passed, commands } = repo.runPipeline(vars, ["CI_COMMIT_BRANCH"]);
      expect(run.status).toBe(0);
      expect(passed).toEqual(["build-toolbox-image"]);
      const pipeline = /pipeline-(\d+)/.exec(commands.join("\n"))?.[1];
      expect(CiRepo.pushes(commands)).toEqual([`${TOOLBOX}:pipeline-${pipeline}`, `${TOOLBOX}:MR-3`]);
      expect(commands[0]).toBe("apk add --no-cache aws-cli");
      expect(commands.slice(1, 3).sort()).toEqual(["aws ecr get-login-password", "docker login --username AWS --password-stdin "]);
      expect(commands).toContain(
        `docker build --cache-from ${TOOLBOX}:latest --cache-from ${TOOLBOX}:MR-3 --build-arg BUILDKIT_INLINE_CACHE=1 --file Dockerfile --tag ${TOOLBOX}:pipeline-${pipeline} .`,
      );
    });

    test("default branch after a Dockerfile change pushes pipeline and latest; without a change nothing runs", () => {
      const vars = { PLATFORM_TOOLBOX_IMAGE: TOOLBOX, AWS_WEB_IDENTITY_TOKEN_FILE: `${repo.dir}/.oidc-token` };
      const { run, passed, commands } = repo.runPipeline(vars);
      expect(run.status).toBe(0);
      expect(passed).toEqual(["build-toolbox-image"]);
      const pipeline = /pipeline-(\d+)/.exec(commands.join("\n"))?.[1];
      expect(CiRepo.pushes(commands)).toEqual([`${TOOLBOX}:pipeline-${pipeline}`, `${TOOLBOX}:latest`]);
      repo.markPushed();
      repo.commit({ "README.md": "toolbox\n" }, "docs");
      expect(repo.listJobs(vars)).toEqual({ "build-toolbox-image": "never" });
    });
  });

  test("the GitLab-registry variant passes GitLab's schema and runs its build on a change", () => {
    const repo = new CiRepo({ ".gitlab-ci.yml": toolboxCiFile("cfg/toolbox", scheme, "gitlab").content, Dockerfile: "FROM alpine\n" });
    try {
      repo.commit({ Dockerfile: "FROM alpine:3.21\n" }, "change");
      expect(repo.listJobs({})).toEqual({ "build-toolbox-image": "on_success" });
    } finally {
      repo.remove();
    }
  });
});
