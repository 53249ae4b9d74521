import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { type CiJob } from "../../lib/gitlab/ci-yaml";
import { DEPLOY_JOB, deployedTagOf, deployTemplate, type DeployTemplateEnvironment, promoteScript } from "../../lib/gitlab/deploy-template";
import { toolboxJobImage } from "../../lib/gitlab/deploy-toolbox";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { PLATFORM_VARIABLES } from "../../lib/gitlab/platform-variables";
import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { exampleConfig } from "../../stacks/example-config";
import { deployTemplateOf } from "../../stacks/promotion";
import { describeWithTool, runTool } from "../support/conformance";

/*
 * The image deploy jobs start from, the toolbox's promotion into the deploying environments, and
 * the promote job's gate with environment branches (the source's deployed tag must name the digest).
 */
const scheme = new TagScheme("cfg/tagScheme");
const published = deployTemplateOf(exampleConfig, "https://gitlab.example.com")!;
const deploy = platformCiTemplates("cfg/templates", scheme, published).find((t) => t.fileName === "deploy.yml")!;
const toolbox = toolboxCiFile("cfg/toolbox", scheme, "ecr", undefined, published.environments);
const envs: DeployTemplateEnvironment[] = [
  { name: "staging", runnerTags: ["acme-ci-staging-deploy"], promoteFrom: "dev" },
  { name: "production", runnerTags: ["acme-ci-production-deploy"], promoteFrom: "staging" },
];

describe("the image of deploy jobs", () => {
  test("fault: deploy jobs ran $PLATFORM_TOOLBOX_IMAGE:latest, the environment's own toolbox repository, which nothing pushes", () => {
    const image = deploy.config.jobs[DEPLOY_JOB]!.image;
    expect(image).not.toMatch(/PLATFORM_TOOLBOX_IMAGE/);
    // The toolbox project's protected repository of the environment (its scoped value), like build jobs run it.
    expect(image).toBe(`$${PLATFORM_VARIABLES.toolboxUrl}:latest`);
    expect(image).toBe(toolboxJobImage("x", scheme));
    // The same expression the image-reuse template's build jobs start from.
    const reuse = imageReuseTemplate("r", { tagScheme: scheme });
    expect(Object.values(reuse.config.jobs).map((j) => j.image)).toContain(image);
  });

  test("fault: the jobs' image came from $PLATFORM_TOOLBOX_URL, which a pipeline variable overrides (any image would run with the job's ID token); each job now names the environment's toolbox repository literally", () => {
    for (const env of published.environments) {
      const account = env.name === "production" ? "222222222222" : "111111111111";
      for (const job of ["promote", "deploy", "rollback"]) {
        expect({ job: `${job}-${env.name}`, image: deploy.config.jobs[`${job}-${env.name}`]!.image }).toEqual({
          job: `${job}-${env.name}`,
          image: `${account}.dkr.ecr.eu-central-1.amazonaws.com/acme/${env.name}/toolbox/toolbox:latest`,
        });
      }
    }
  });

  test("the toolbox project's CI file promotes its image by digest into every deploying environment, in promotion order, on protected default-branch pipelines", () => {
    const jobs = toolbox.config.jobs;
    expect(Object.keys(jobs).filter((j) => j.startsWith("promote-toolbox-"))).toEqual(["promote-toolbox-staging", "promote-toolbox-production"]);
    expect(toolbox.config.stages!.slice(-2)).toEqual(["promote-toolbox-staging", "promote-toolbox-production"]);
    expect(jobs["promote-toolbox-staging"]!.needs).toEqual([{ job: "build-toolbox-image" }]);
    expect(jobs["promote-toolbox-production"]!.needs).toEqual([{ job: "promote-toolbox-staging" }]);
    for (const env of published.environments) {
      const job = jobs[`promote-toolbox-${env.name}`]!;
      expect(job.environment).toEqual({ name: env.name, action: "prepare" });
      expect(job.tags).toEqual(env.runnerTags);
      expect(job.rules).toEqual([
        { if: '$CI_COMMIT_REF_PROTECTED != "true"', when: "never" },
        { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", when: "on_success" },
      ]);
      // What the job copies from and to, as which role, and the tag it moves: literals of its script, not variables.
      expect(Object.keys(job.variables!).filter((k) => k.startsWith("PLATFORM_"))).toEqual([]);
      const account = env.name === "production" ? "222222222222" : "111111111111";
      const source = env.name === "production" ? "acme/staging/toolbox/toolbox" : "acme/dev/toolbox/toolbox";
      expect(job.script![0]).toContain(
        [
          `AWS_ROLE_ARN='arn:aws:iam::${account}:role/acme-ci-${env.name}-toolbox-protected'`,
          `PLATFORM_DEPLOY_REPOSITORY='${account}.dkr.ecr.eu-central-1.amazonaws.com/acme/${env.name}/toolbox/toolbox'`,
          `PLATFORM_PROMOTE_FROM='111111111111.dkr.ecr.eu-central-1.amazonaws.com/${source}'`,
        ].join("\n"),
      );
      expect(job.script![0]).toContain("PLATFORM_DEPLOY_TAG=\"sha-${CI_COMMIT_SHA}\"\nPLATFORM_DEPLOYED_TAG='latest'");
      expect(job.id_tokens).toEqual({ GITLAB_OIDC_TOKEN: { aud: `acme-ci-${env.name}` } });
      // The pinned bootstrap image: the toolbox is not in the environment before this job puts it there.
      expect(job.image).toBe("docker:27.3.1-cli");
      expect(job.script!.join("\n")).toMatch(/platform_promote .*\n.*platform_mark_deployed/);
    }
    expect(toolbox.content).toContain("promote-toolbox-production:");
    // Without deploying environments the file is the plain build.
    expect(Object.keys(toolboxCiFile("cfg/toolbox", scheme).config.jobs).some((j) => j.startsWith("promote-"))).toBe(false);
  });

  test("a toolbox in the GitLab registry is not promoted: refused with the path", () => {
    expect(() => toolboxCiFile("cfg/toolbox", scheme, "gitlab", undefined, published.environments)).toThrow(/^cfg\/toolbox\/promoteTo: invalid promoteTo \["staging","production"\]\. Rule: the deploy jobs run the toolbox image from each environment's ECR toolbox repository/);
  });
});

describe("promotion with environment branches waits for the source's passed smoke test", () => {
  const reuse = imageReuseTemplate("t", { tagScheme: scheme });
  const branches = deployTemplate("t", { tagScheme: scheme, environments: envs.map((e) => ({ ...e, branch: e.name })), workflowRules: reuse.config.workflow!.rules });
  const sameBranch = deployTemplate("t", { tagScheme: scheme, environments: envs });

  test("fault: the production branch promoted a commit whose staging smoke test failed or never ran (the need on it is optional there)", () => {
    const promote = branches.config.jobs["promote-production"]!;
    expect(promote.needs).toEqual([{ job: "deploy-staging", optional: true }]);
    expect(promote.variables).toEqual({ PLATFORM_PROMOTE_FROM: "$PLATFORM_APP_PROMOTE_FROM" });
    expect(promote.script).toEqual([`platform_promote "$PLATFORM_PROMOTE_FROM:$PLATFORM_DEPLOY_TAG" "$PLATFORM_DEPLOY_REPOSITORY:$PLATFORM_DEPLOY_TAG" 'deployed-staging'`]);
  });

  test("fault: the gate was a job variable (PLATFORM_PROMOTE_REQUIRES_TAG), which a pipeline, project or group variable of that name overrides; an empty one skipped the check", () => {
    const promote = branches.config.jobs["promote-production"]!;
    // Nothing of the gate is read from a variable: not in the job's variables, not in its script.
    expect(JSON.stringify(promote)).not.toContain("PLATFORM_PROMOTE_REQUIRES_TAG");
    // Run the rendered line with a stub platform_promote and the variable set empty, as a pipeline variable would: the tag still arrives.
    const line = promote.script![0]!;
    const out = execFileSync("sh", ["-c", `platform_promote() { printf '%s|' "$@"; }; PLATFORM_PROMOTE_FROM=src PLATFORM_DEPLOY_REPOSITORY=dst PLATFORM_DEPLOY_TAG=sha-1 PLATFORM_PROMOTE_REQUIRES_TAG= ; ${line}`], { encoding: "utf8" });
    expect(out).toBe("src:sha-1|dst:sha-1|deployed-staging|");
  });

  test("a deployed tag that is not literal is refused (a variable in it would make the gate overridable)", () => {
    expect(() => promoteScript("deployed-$OTHER", "t/environments/production")).toThrow(/t\/environments\/production: invalid deployed tag .*no variable/);
    expect(promoteScript()).not.toMatch(/deployed/);
  });

  test("no gate where the need holds (same pipeline) or the source is the build environment", () => {
    expect(sameBranch.config.jobs["promote-production"]!.variables).toEqual({ PLATFORM_PROMOTE_FROM: "$PLATFORM_APP_PROMOTE_FROM" });
    expect(sameBranch.config.jobs["promote-production"]!.needs).toEqual([{ job: "deploy-staging" }]);
    expect(branches.config.jobs["promote-staging"]!.variables).toEqual({ PLATFORM_PROMOTE_FROM: "$PLATFORM_APP_PROMOTE_FROM" });
  });

  test("the deploy job moves the deployed tag after its smoke test whether or not the last good digest is recorded (the gate reads it)", () => {
    const unrecorded = deployTemplate("t", { tagScheme: scheme, environments: [{ ...envs[0]!, recordLastGood: false }] });
    expect(unrecorded.config.jobs["deploy-staging"]!.script!.at(-1)).toBe('platform_mark_deployed "$PLATFORM_IMAGE_REF"');
    expect(sameBranch.config.jobs["deploy-staging"]!.script!.at(-1)).toBe('platform_record "$PLATFORM_IMAGE_REF"');
  });

  test("deployedTagOf names the source's tag in both variable forms", () => {
    expect(deployedTagOf("deployed-${CI_ENVIRONMENT_NAME}", "staging")).toBe("deployed-staging");
    expect(deployedTagOf("deployed-$CI_ENVIRONMENT_NAME", "qa")).toBe("deployed-qa");
  });
});

const toolboxScripts = Object.entries(parse(toolbox.content) as Record<string, CiJob | null>)
  .filter(([name]) => name.startsWith("promote-toolbox-"))
  .map(([name, body]) => [name, ["#!/bin/sh", "set -e", ...(body?.before_script ?? []), ...(body?.script ?? []), ""].join("\n")] as const);

describeWithTool("shellcheck", "the toolbox promotion jobs' scripts", () => {
  test("there are scripts to check", () => expect(toolboxScripts.length).toBe(2));
  test.each(toolboxScripts)("%s passes shellcheck as POSIX sh", (name, script) => {
    const run = runTool("shellcheck", ["--severity=style", "--shell=sh", "-"], { input: script });
    expect({ name, status: run.status, output: run.stdout + run.stderr }).toEqual({ name, status: 0, output: "" });
  });
});
