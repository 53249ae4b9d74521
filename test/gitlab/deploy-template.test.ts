import { parse } from "yaml";
import { ValidationError } from "../../lib/core/errors";
import { type CiJob } from "../../lib/gitlab/ci-yaml";
import { DEPLOY_FUNCTIONS } from "../../lib/gitlab/deploy-script";
import { DEPLOY_JOB, deployTemplate, type DeployTemplateEnvironment, UNPROTECTED_REF } from "../../lib/gitlab/deploy-template";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { exampleConfig } from "../../stacks/example-config";
import { deployTemplateOf } from "../../stacks/promotion";
import { describeWithTool, runTool } from "../support/conformance";

const scheme = new TagScheme("cfg/tagScheme");
const published = deployTemplateOf(exampleConfig, "https://gitlab.example.com")!;
const template = platformCiTemplates("cfg/templates", scheme, published).find((t) => t.fileName === "deploy.yml")!;
const jobs = template.config.jobs;
const envs: DeployTemplateEnvironment[] = [
  { name: "staging", runnerTags: ["acme-ci-staging-deploy"], promoteFrom: "dev" },
  { name: "production", runnerTags: ["acme-ci-production-deploy"], promoteFrom: "staging", manual: true },
];
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  throw new Error("no ValidationError");
};

describe("deploy template of the example (published as deploy.yml)", () => {
  test("per environment in promotion order: promote, deploy, smoke test, rollback; production promoted from staging", () => {
    expect(Object.keys(jobs)).toEqual([
      DEPLOY_JOB,
      ...["staging", "production"].flatMap((env) => [`promote-${env}`, `deploy-${env}`, `smoke-test-${env}`, `rollback-${env}`]),
    ]);
    expect(template.config.stages).toEqual(["build-images", "test", "review", "deploy-staging", "deploy-production"]);
    expect(jobs["promote-production"]!.needs).toEqual([{ job: "smoke-test-staging" }]);
    expect(jobs["promote-staging"]!.needs).toBeUndefined();
  });

  test.each(["staging", "production"])("%s: every job carries environment:, protected-only rules, the deploy runner's tags and one resource group", (env) => {
    const tags = published.environments.find((e) => e.name === env)!.runnerTags;
    expect(tags).toEqual([env === "production" ? "acme-ci-production-deploy" : "acme-ci-staging-protected-test"]);
    for (const name of [`promote-${env}`, `deploy-${env}`, `smoke-test-${env}`, `rollback-${env}`]) {
      const job = jobs[name]!;
      expect({ name, environment: job.environment!.name, tags: job.tags, extends: job.extends, resource_group: job.resource_group }).toEqual({
        name,
        environment: env,
        tags,
        extends: DEPLOY_JOB,
        resource_group: `deploy-${env}`,
      });
      expect(job.rules![0]).toEqual({ if: UNPROTECTED_REF, when: "never" });
      expect(job.rules![1]!.if).toBe("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
    }
    expect(jobs[`promote-${env}`]!.environment!.action).toBe("prepare");
    expect(jobs[`smoke-test-${env}`]!.environment!.action).toBe("verify");
    expect(jobs[`rollback-${env}`]!.rules![1]!.when).toBe("on_failure");
    expect(jobs[`deploy-${env}`]!.rules![1]!.when).toBe(env === "production" ? "manual" : "on_success");
  });

  test("the environment's OIDC audience, protected role and deployment role: through its scoped variables", () => {
    const base = jobs[DEPLOY_JOB]!;
    expect(base.id_tokens).toEqual({ GITLAB_OIDC_TOKEN: { aud: "$PLATFORM_OIDC_AUDIENCE" } });
    expect(base.variables).toEqual(expect.objectContaining({ AWS_ROLE_ARN: "$PLATFORM_AWS_ROLE_ARN", PLATFORM_DEPLOY_REPOSITORY: "$PLATFORM_APP_IMAGE", PLATFORM_DEPLOY_TAG: "sha-${CI_COMMIT_SHA}" }));
    expect(jobs["promote-staging"]!.variables).toEqual({ PLATFORM_PROMOTE_FROM: "$PLATFORM_APP_PROMOTE_FROM" });
    expect(DEPLOY_FUNCTIONS).toContain('aws sts assume-role --role-arn "$PLATFORM_DEPLOY_ROLE_ARN"');
    expect(DEPLOY_FUNCTIONS).toContain("docker buildx imagetools create --prefer-index=false");
  });
});

describe("deploy template options and bad input", () => {
  test("branch-per-environment: workflow rules repeat the default branch's protected rule for each environment branch, and its jobs run there only", () => {
    const reuse = imageReuseTemplate("t", { tagScheme: scheme });
    const t = deployTemplate("t", { tagScheme: scheme, environments: [envs[0]!, { ...envs[1]!, branch: "production" }], workflowRules: reuse.config.workflow!.rules });
    const rules = t.config.workflow!.rules;
    const main = reuse.config.workflow!.rules.find((r) => r.if === "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")!;
    expect(rules.slice(0, -1)).toEqual(reuse.config.workflow!.rules);
    expect(rules[rules.length - 1]).toEqual({ ...main, if: '$CI_COMMIT_BRANCH == "production"' });
    expect(t.config.jobs["deploy-production"]!.rules![1]!.if).toBe('$CI_COMMIT_BRANCH == "production"');
    expect(t.config.jobs["deploy-staging"]!.rules![1]!.if).toBe("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
    // Staging's smoke test runs in another branch's pipeline: production's promotion does not wait for it there.
    expect(t.config.jobs["promote-production"]!.needs).toEqual([{ job: "smoke-test-staging", optional: true }]);
  });

  test("refused: no runner tags, a promotion source later in the list, rollback without recording, a scheme without the deployed kind", () => {
    expect(messageOf(() => deployTemplate("t", { tagScheme: scheme, environments: [{ name: "staging", runnerTags: [] }] }))).toMatch(
      /^t\/environments\[0\]\/runnerTags: invalid runner tags \[\]\. Rule: deploy jobs carry the environment's deploy runner tags/,
    );
    expect(messageOf(() => deployTemplate("t", { tagScheme: scheme, environments: [{ ...envs[0]!, promoteFrom: "production" }, envs[1]!] }))).toMatch(
      /^t\/environments\[0\]\/promoteFrom: invalid promotion source "production"\. Rule: an environment is promoted from an earlier environment/,
    );
    expect(messageOf(() => deployTemplate("t", { tagScheme: scheme, environments: [{ ...envs[0]!, recordLastGood: false, rollback: true }] }))).toMatch(
      /^t\/environments\[0\]\/rollback: invalid rollback true\. Rule: a rollback redeploys the recorded last good digest, and recordLastGood is false/,
    );
    const noDeployed = new TagScheme("s", { use: ["commit", "latest", "inputs"] });
    expect(messageOf(() => deployTemplate("t", { tagScheme: noDeployed, environments: envs }))).toMatch(/^t\/tagScheme: invalid tag kind "deployed"/);
    const branches = () => deployTemplate("t", { tagScheme: scheme, environments: [{ ...envs[0]!, branch: "staging" }] });
    expect(messageOf(branches)).toMatch(/^t\/workflowRules: invalid workflow rules \[\]\. Rule: environment branches repeat the default branch's workflow rule/);
  });
});

// Every deploy job's before_script (the hidden job's) + script, as the runner's shell runs them, passes shellcheck.
const scripts = Object.entries(parse(template.content) as Record<string, CiJob | null>)
  .filter(([name]) => !name.startsWith(".") && jobs[name] !== undefined)
  .map(([name, body]) => [name, ["#!/bin/sh", "set -e", ...(jobs[DEPLOY_JOB]!.before_script ?? []), ...(body?.script ?? []), ""].join("\n")] as const);

describeWithTool("shellcheck", "the deploy jobs' scripts", () => {
  test("there are scripts to check", () => expect(scripts.length).toBe(8));
  test.each(scripts)("%s passes shellcheck as POSIX sh and as bash", (name, script) => {
    for (const shell of ["sh", "bash"]) {
      const run = runTool("shellcheck", ["--severity=style", `--shell=${shell}`, "-"], { input: script });
      expect({ name, shell, status: run.status, output: run.stdout + run.stderr }).toEqual({ name, shell, status: 0, output: "" });
    }
  });
});
