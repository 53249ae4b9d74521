import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEPLOY_FUNCTIONS } from "../../lib/gitlab/deploy-script";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { tenantsOf } from "../../lib/platform/tenancy";
import { exampleConfig } from "../../stacks/example-config";
import { fakeIdToken } from "../flow/support/flow-harness";
import { resourcesOf } from "../support/synth";
import { exampleSynthJson } from "../support/example-synth";

/*
 * platform_still_head (retag-script.ts, in the deploy and image-flow functions) decides whether a
 * moving tag may move to this pipeline's commit. It takes the pipeline's branch from the job's ID
 * token, which GitLab signs, not from CI_COMMIT_BRANCH, which a pipeline variable overrides.
 */
describe("platform_still_head reads the branch from the job's ID token", () => {
  let dir: string;
  let older: string;
  let newer: string;
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...args], { cwd: dir, encoding: "utf8" }).trim();

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "still-head-"));
    git("init", "-q", "-b", "main");
    git("commit", "-q", "--allow-empty", "-m", "one");
    older = git("rev-parse", "HEAD");
    git("commit", "-q", "--allow-empty", "-m", "two");
    newer = git("rev-parse", "HEAD");
    // main moved on to the newer commit; a branch "stale" still points at the older one.
    git("update-ref", "refs/remotes/origin/main", newer);
    git("update-ref", "refs/remotes/origin/stale", older);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (functions: string, env: Record<string, string>, token?: string) => {
    const tokenFile = path.join(dir, "token");
    writeFileSync(tokenFile, token ?? "");
    const result = spawnSync("sh", ["-c", `${functions}\nplatform_still_head repo:latest`], { encoding: "utf8", env: { PATH: process.env.PATH, CI_PROJECT_DIR: dir, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, ...env } });
    return { status: result.status, out: result.stdout + result.stderr };
  };
  const branchToken = (ref: string, sha: string) => fakeIdToken({ ref, ref_type: "branch", pipeline_source: "push", sha });

  test.each([
    ["deploy functions", DEPLOY_FUNCTIONS],
    ["image-flow functions", IMAGE_FLOW_FUNCTIONS],
  ])("fault (%s): CI_COMMIT_BRANCH=stale as a pipeline variable made a retried job of the older commit pass (stale's head is that commit); the token's ref main decides", (_name, functions) => {
    const attacked = run(functions, { CI_COMMIT_BRANCH: "stale", CI_COMMIT_SHA: older }, branchToken("main", older));
    expect(attacked.status).toBe(1);
    expect(attacked.out).toContain(`main has moved on to ${newer}`);
    // An empty CI_COMMIT_BRANCH (read as "not a branch pipeline") does not pass it either.
    expect(run(functions, { CI_COMMIT_BRANCH: "", CI_COMMIT_SHA: older }, branchToken("main", older)).status).toBe(1);
    // The head's own pipeline moves the tag.
    expect(run(functions, { CI_COMMIT_BRANCH: "stale", CI_COMMIT_SHA: newer }, branchToken("main", newer)).status).toBe(0);
  });

  test("tag and merge-request pipelines move their tags (the token says so, whatever CI_COMMIT_BRANCH holds)", () => {
    expect(run(DEPLOY_FUNCTIONS, { CI_COMMIT_BRANCH: "main", CI_COMMIT_SHA: older }, fakeIdToken({ ref: "v1.0.0", ref_type: "tag", pipeline_source: "push" })).status).toBe(0);
    expect(run(DEPLOY_FUNCTIONS, { CI_COMMIT_BRANCH: "main", CI_COMMIT_SHA: older }, fakeIdToken({ ref: "feature", ref_type: "branch", pipeline_source: "merge_request_event" })).status).toBe(0);
  });

  test("a token that cannot be read, a ref with an escaped character, or a checkout without the branch keeps the tag where it is, saying why", () => {
    const garbage = run(DEPLOY_FUNCTIONS, { CI_COMMIT_BRANCH: "stale", CI_COMMIT_SHA: older }, "not-a-jwt");
    expect(garbage).toEqual({ status: 1, out: expect.stringContaining("the job's ID token has no plain ref_type claim") });
    const escaped = run(DEPLOY_FUNCTIONS, { CI_COMMIT_SHA: older }, fakeIdToken({ ref: 'ma"in', ref_type: "branch", pipeline_source: "push" }));
    expect(escaped).toEqual({ status: 1, out: expect.stringContaining("names no plain branch") });
    const unknown = run(DEPLOY_FUNCTIONS, { CI_COMMIT_SHA: newer }, branchToken("gone", newer));
    expect(unknown).toEqual({ status: 1, out: expect.stringContaining("the checkout has no refs/remotes/origin/gone") });
  });

  test("a job without an ID token (no AWS role to tag with) falls back to CI_COMMIT_BRANCH, and says so", () => {
    const fallback = run(DEPLOY_FUNCTIONS, { CI_COMMIT_BRANCH: "main", CI_COMMIT_SHA: older });
    expect(fallback.status).toBe(1);
    expect(fallback.out).toContain("no ID token; taking the branch from CI_COMMIT_BRANCH (main)");
    expect(run(DEPLOY_FUNCTIONS, { CI_COMMIT_BRANCH: "main", CI_COMMIT_SHA: newer }).status).toBe(0);
  });
});

describe("why the branch cannot come from CI_COMMIT_BRANCH: pipeline variables are forbidden only where the platform creates the project", () => {
  test("the projects the platform creates (templates, toolbox) forbid pipeline variables; the tenant projects, whose build jobs move latest, are read, not created, so the setting does not reach them", () => {
    const shared = exampleSynthJson().get("gitlab-shared")!;
    const created = Object.values(resourcesOf(shared, "gitlab_project"));
    expect(created.map((p) => p.path).sort()).toEqual(["ci-templates", "toolbox"]);
    for (const project of created) expect({ path: project.path, role: project.ci_pipeline_variables_minimum_override_role }).toEqual({ path: project.path, role: "no_one_allowed" });
    const tenants = exampleConfig.environments.flatMap((e) => tenantsOf(e).map((t) => t.path));
    expect(tenants).toContain("acme/app");
    expect(created.map((p) => p.path)).not.toContain("app");
  });
});
