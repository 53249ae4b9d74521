/*
 * Attack path: the GitLab-registry variant of the image-reuse template,
 * poisoned by a merge request. Every job authenticates to the project's
 * registry with its job token, so without protection a merge request's own
 * job can push `$CI_REGISTRY_IMAGE/app:sha-<commit>` (or `inputs-<hash>`) for
 * the commit the default branch will run after the merge, and the protected
 * pipeline reuses it. The protected container repositories the gitlab-shared
 * stack synthesizes are fed to the fake registry (a push to a matching path by
 * a user below Maintainer is denied, as GitLab decides by the job token's user).
 */
import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../lib/gitlab/ci-templates-project";
import { IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE, platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { FlowProject, type FlowPipeline, type RegistryState } from "../flow/support/flow-harness";
import { exampleSynthJson } from "../support/example-synth";

const REGISTRY = "registry.gitlab.example.com";
const PROJECT = "acme/app";

/** The protected container repository patterns the example's gitlab-shared stack creates for a project. */
function protectedRepositoryPatterns(projectPath: string): string[] {
  const json = exampleSynthJson().get("gitlab-shared")!;
  return Object.values(json.resource?.gitlab_project_container_repository_protection ?? {})
    .filter((r) => String(r.minimum_access_level_for_push) === "maintainer" && String(r.repository_path_pattern).startsWith(`${projectPath}/`))
    .map((r) => String(r.repository_path_pattern));
}

/**
 * A merge request's own job: builds an image of its choosing and pushes it as the commit image protected
 * pipelines will look up. It runs in merge request pipelines only, where the attack happens. Without
 * the rule the job is fast-forwarded into main with the merge and runs in the Maintainer's pipeline
 * there, where GitLab lets it push `app:sha-<commit>`, with no `needs:` ordering it against
 * build-app-image: when its push lands first, build-app-image reuses that image as the commit image
 * and builds no `app:inputs-<hash>`, and build-ci-image fails on its missing base image. Whether it
 * landed first was a matter of timing (the pipeline's jobs of one stage run at once).
 */
const ATTACK_JOB = `
poison-app-image:
  extends: .platform-docker
  stage: build-images
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - docker build --file evil.Dockerfile --tag "$CI_REGISTRY_IMAGE/app:sha-$CI_COMMIT_SHA" .
    - docker push "$CI_REGISTRY_IMAGE/app:sha-$CI_COMMIT_SHA"
`;

/** Who wrote the image a tag names: the runs of the tag events for that digest, and of its base's. */
function writersOf(state: RegistryState, repo: string, tag: string): string[] {
  const images = state.repos[repo]?.images ?? {};
  const digest = Object.entries(images).find(([, image]) => image.tags.includes(tag))?.[0];
  if (!digest) return [];
  const base = (images[digest] as { layersOf?: string } | undefined)?.layersOf;
  return [...new Set(state.events.filter((e) => e.op === "tag" && (e.digest === digest || (base !== undefined && e.digest === base))).map((e) => e.run!))];
}

describeWithTool(GITLAB_CI_LOCAL, "GitLab-registry variant: a merge request cannot plant the image a protected pipeline runs", () => {
  describeWithTool("rsync", "pipelines (shell executor, fake registry with GitLab's container repository protection)", () => {
    const template = platformCiTemplates("cfg/templates", new TagScheme("cfg/tagScheme")).find((t) => t.fileName === IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE)!;
    const patterns = protectedRepositoryPatterns(PROJECT);
    const files = {
      [`ci-templates/${template.fileName}`]: template.content,
      ".gitlab-ci.yml": projectCiFile({ include: { local: `ci-templates/${template.fileName}` }, jobs: EXAMPLE_PROJECT_JOBS }),
      Dockerfile: "FROM alpine:3.20\n",
      "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
    };
    const variables = { all: { CI_REGISTRY_IMAGE: `${REGISTRY}/${PROJECT}`, CI_REGISTRY: REGISTRY, CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-token" }, protectedOnly: {} };
    // GitLab's registry tags are mutable; the protection rules come from the synthesized gitlab-shared stack.
    const project = new FlowProject(template, files, variables, ["*"]);
    const asRole = (role: string) => ({ env: { FAKE_GITLAB_PROTECTED: patterns.join(","), FAKE_GITLAB_ROLE: role } });
    let main: FlowPipeline;
    let mr: FlowPipeline;
    let merged: FlowPipeline;
    let maintainerMr: FlowPipeline;

    beforeAll(async () => {
      main = await project.pipeline("main", { kind: "push", branch: "main" }, 0, asRole("maintainer"));
      project.repo.git("checkout", "-q", "-b", "feature");
      project.repo.commit({ ".gitlab-ci.yml": files[".gitlab-ci.yml"] + ATTACK_JOB, "evil.Dockerfile": "FROM alpine:3.20\n", Dockerfile: "FROM alpine:3.20\nENV FEATURE=1\n" }, "feature");
      mr = await project.pipeline("MR !9 by a Developer", { kind: "merge_request", iid: 9, branch: "feature" }, 1, asRole("developer"));
      // The merge: main fast-forwards to the merge request's commit, and a Maintainer's pipeline runs it.
      project.repo.git("checkout", "-q", "main");
      project.repo.git("merge", "-q", "--ff-only", "feature");
      merged = await project.pipeline("main after the merge", { kind: "push", branch: "main" }, 2, asRole("maintainer"));
      project.repo.git("checkout", "-q", "-b", "feature-2");
      project.repo.commit({ Dockerfile: "FROM alpine:3.20\nENV FEATURE=2\n" }, "feature 2");
      maintainerMr = await project.pipeline("MR !10 run by a Maintainer", { kind: "merge_request", iid: 10, branch: "feature-2" }, 3, asRole("maintainer"));
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("the gitlab-shared stack protects the repositories the template's protected pipelines push", () => {
      expect(patterns.sort()).toEqual([`${PROJECT}/app`, `${PROJECT}/ci`]);
    });

    test("the merge request's own job cannot push to a protected repository; its template jobs still push under unprotected/", () => {
      expect(main.run.run.status).toBe(0);
      const events = project.registry().events.filter((e) => e.run === String(mr.seq) && e.op === "tag");
      expect(events.filter((e) => !e.repo!.includes("/unprotected/"))).toEqual([]);
      expect([...new Set(events.map((e) => e.repo))].sort()).toEqual([`${PROJECT}/unprotected/app`, `${PROJECT}/unprotected/ci`]);
      expect(project.log()).toMatch(new RegExp(`docker push ${REGISTRY}/${PROJECT}/app:sha-${mr.sha}`));
    });

    test("an MR pipeline of the GitLab-registry variant writes no image reference that the later protected pipeline runs", () => {
      expect(merged.sha).toBe(mr.sha);
      expect({ status: merged.run.run.status, out: merged.run.run.status === 0 ? "" : merged.run.run.stdout.slice(-1500) }).toEqual({ status: 0, out: "" });
      const image = project.imageOf(merged, "app");
      expect(image).toBe(`${REGISTRY}/${PROJECT}/app:sha-${merged.sha}`);
      const writers = writersOf(project.registry(), `${PROJECT}/app`, `sha-${merged.sha}`);
      expect(writers.length).toBeGreaterThan(0);
      expect(writers).not.toContain(String(mr.seq));
    });

    test("the pipeline after the merge runs the template's build jobs only: build-app-image builds app from its inputs, no other job writes the app repository", () => {
      const jobs = merged.run.run.stdout.match(/^\S+(?= +> )/gm) ?? [];
      expect(jobs).not.toContain("poison-app-image");
      const tags = project.registry().events.filter((e) => e.run === String(merged.seq) && e.op === "tag" && e.repo === `${PROJECT}/app`);
      expect([...new Set(tags.map((e) => e.job))]).toEqual(["build-app-image"]);
      expect(tags.map((e) => e.tag)).toEqual(expect.arrayContaining([expect.stringMatching(/^inputs-[0-9a-f]{40}$/), `sha-${merged.sha}`]));
    });

    test("the limit, documented: a merge request pipeline a Maintainer runs may still push there (GitLab decides by role, not by ref)", () => {
      const pushed = project.registry().events.filter((e) => e.run === String(maintainerMr.seq) && e.op === "tag" && e.repo === `${PROJECT}/app`);
      expect(pushed.map((e) => e.tag)).toEqual([`sha-${maintainerMr.sha}`]);
    });
  });
});
