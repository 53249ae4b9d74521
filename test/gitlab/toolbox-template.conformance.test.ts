import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { FlowProject, HOST, type FlowPipeline } from "../flow/support/flow-harness";

// The toolbox project's CI file (seed 000), as ToolboxImageProject commits it, run by
// gitlab-ci-local against the fake ECR: the bootstrap builder installs the AWS CLI, the default
// branch builds and tags latest, a re-run builds nothing, a merge request changing the
// Dockerfile builds into the unprotected repository; the GitLab-registry variant passes the schema.
const scheme = new TagScheme("cfg/tagScheme");
const TOOLBOX = `${HOST}/acme/dev/toolbox/toolbox`;
const template = toolboxCiFile("cfg/toolbox", scheme);
const variables = {
  all: { PLATFORM_TOOLBOX_IMAGE: TOOLBOX, PLATFORM_TOOLBOX_UNPROTECTED_IMAGE: `${HOST}/acme/dev/toolbox/unprotected/toolbox`, PLATFORM_REGISTRY_HOST: HOST, PLATFORM_AWS_UNPROTECTED_ROLE_ARN: "arn:aws:iam::111111111111:role/acme-ci-dev-toolbox-unprotected" },
  protectedOnly: { PLATFORM_AWS_ROLE_ARN: "arn:aws:iam::111111111111:role/acme-ci-dev-toolbox-protected" },
};

describeWithTool(GITLAB_CI_LOCAL, "the toolbox CI file in gitlab-ci-local", () => {
  describeWithTool("rsync", "pipelines (shell executor, fake ECR)", () => {
    const project = new FlowProject({ ...template, fileName: "toolbox.yml" }, { ".gitlab-ci.yml": template.content, Dockerfile: "FROM amazon/aws-cli:2.17.0\n" }, variables, ["latest"]);
    const gitlabRepo = new CiRepo({ ".gitlab-ci.yml": toolboxCiFile("cfg/toolbox", scheme, "gitlab").content, Dockerfile: "FROM alpine\n" });
    let main: FlowPipeline;
    let rerun: FlowPipeline;
    let mr: FlowPipeline;
    let gitlabJobs: Record<string, string>;

    beforeAll(async () => {
      gitlabJobs = await gitlabRepo.listJobs({});
      main = await project.pipeline("main", { kind: "push", branch: "main" }, 0);
      rerun = await project.pipeline("main, schedule", { kind: "schedule", branch: "main" }, 1);
      project.repo.git("checkout", "-q", "-b", "bump");
      project.repo.commit({ Dockerfile: "FROM amazon/aws-cli:2.17.1\n" }, "bump");
      mr = await project.pipeline("MR !3", { kind: "merge_request", iid: 3, branch: "bump" }, 1);
    }, 120_000);
    afterAll(() => [project.repo, gitlabRepo].forEach((r) => r.remove()));

    test("default branch: installs the AWS CLI into the bootstrap image, builds with buildx (--pull) and the protected registry cache, tags sha-<commit> and latest", () => {
      expect({ status: main.run.run.status, out: main.run.run.status === 0 ? "" : main.run.run.stdout.slice(-2500) + project.log() }).toEqual({ status: 0, out: "" });
      expect(main.run.passed).toEqual(["build-toolbox-image"]);
      expect(main.run.commands[0]).toBe("apk add --no-cache aws-cli");
      const build = project.registry().events.find((e) => e.op === "build" && e.run === String(main.seq))!;
      expect(build.buildx).toBe(true);
      expect(build.cacheFrom).toEqual([`${TOOLBOX}:buildcache`]);
      const exports = project.registry().events.filter((e) => e.op === "cache-export" && e.run === String(main.seq));
      expect(exports.map((e) => [e.ref, e.options])).toEqual([[`${TOOLBOX}:buildcache`, `type=registry,ref=${TOOLBOX}:buildcache,mode=max,image-manifest=true,oci-mediatypes=true`]]);
      expect(build.pull).toBe(true);
      const tags = Object.values(project.registry().repos["acme/dev/toolbox/toolbox"]!.images).flatMap((i) => i.tags);
      expect(tags).toEqual(expect.arrayContaining([`sha-${main.sha}`, "latest"]));
    });

    test("a scheduled re-run builds nothing", () => {
      expect(rerun.run.run.status).toBe(0);
      expect(project.registry().events.filter((e) => e.run === String(rerun.seq) && e.op === "build")).toEqual([]);
    });

    test("a merge request changing the Dockerfile builds into the unprotected repository with the unprotected role", () => {
      expect(mr.run.run.status).toBe(0);
      const builds = project.registry().events.filter((e) => e.run === String(mr.seq) && e.op === "build");
      expect(builds.map((b) => b.ref!.replace(/:.*/, ""))).toEqual([`${HOST}/acme/dev/toolbox/unprotected/toolbox`]);
      // Rootless BuildKit has no local image store: it always resolves FROM images in the registry.
      expect(builds.map((b) => b.pull)).toEqual([true]);
    });

    test("the GitLab-registry variant passes GitLab's schema", () => {
      expect(gitlabJobs).toEqual({ "build-toolbox-image": "on_success" });
    });
  });
});
