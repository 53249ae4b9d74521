import { parse } from "yaml";
import { type CiJob } from "../../lib/gitlab/ci-yaml";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { CiRepo, GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { describeWithTool } from "../support/conformance";

const scheme = new TagScheme("cfg/tagScheme");
const jobsOf = (content: string) => parse(content) as Record<string, CiJob | string[] | Record<string, unknown>>;

describe("review environments", () => {
  test("the published templates carry no review environment: no job deploys or stops one", () => {
    for (const template of platformCiTemplates("cfg/templates", scheme)) {
      const jobs = Object.entries(template.config.jobs);
      expect({ template: template.fileName, review: jobs.filter(([name, job]) => /review/.test(name) || job.environment !== undefined).map(([name]) => name) }).toEqual({ template: template.fileName, review: [] });
    }
  });

  test("a library user's review environment is optional: the deploy job is manual and may fail, so it never blocks a merge request", () => {
    const jobs = jobsOf(imageReuseTemplate("cfg/t", { tagScheme: scheme, review: { deployScript: ["./deploy"], stopScript: ["./stop"] } }).content) as Record<string, CiJob>;
    expect(jobs["deploy-review"]!.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', when: "manual", allow_failure: true }]);
    expect(jobs["stop-review"]!.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', when: "manual", allow_failure: true }]);
  });
});

describeWithTool(GITLAB_CI_LOCAL, "review environments in gitlab-ci-local", () => {
  test("a merge-request pipeline of the published ECR template (no project jobs) lists the build jobs only, no review job", async () => {
    const template = platformCiTemplates("cfg/templates", scheme)[0]!;
    const repo = new CiRepo({ "t.yml": template.content, ".gitlab-ci.yml": "include:\n  - local: t.yml\n", Dockerfile: "FROM alpine:3.20\n", "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n" });
    try {
      const jobs = await repo.listJobs({ CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "1", PLATFORM_TRUST: "unprotected" });
      expect(Object.keys(jobs).sort()).toEqual(["build-app-image", "build-ci-image"]);
    } finally {
      repo.remove();
    }
  }, 60_000);
});
