import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { type CiJob } from "../../lib/gitlab/ci-yaml";
import { DEPLOY_FUNCTIONS } from "../../lib/gitlab/deploy-script";
import { AWS_CLI_REDIRECTS, DEFAULT_DEPLOY_SEARCH_PATH, JOB_REDIRECTS, PINNED_HOME_TEMPLATE, PINNED_VARIABLES } from "../../lib/gitlab/deploy-targets";
import { DEPLOY_JOB, deployScript, deployTemplate, type DeployTemplateEnvironment, UNPROTECTED_REF } from "../../lib/gitlab/deploy-template";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { exampleConfig } from "../../stacks/example-config";
import { deployTemplateOf } from "../../stacks/promotion";
import { describeWithTool, runTool } from "../support/conformance";
import { validationMessageOf } from "../support/violations";

const scheme = new TagScheme("cfg/tagScheme");
const published = deployTemplateOf(exampleConfig, "https://gitlab.example.com")!;
const template = platformCiTemplates("cfg/templates", scheme, published).find((t) => t.fileName === "deploy.yml")!;
const jobs = template.config.jobs;
const envs: DeployTemplateEnvironment[] = [
  { name: "staging", runnerTags: ["acme-ci-staging-deploy"], promoteFrom: "dev" },
  { name: "production", runnerTags: ["acme-ci-production-deploy"], promoteFrom: "staging", manual: true },
];
const messageOf = validationMessageOf;

describe("deploy template of the example (published as deploy.yml)", () => {
  test("per environment in promotion order: promote, deploy (deploy, smoke test, record), rollback; production promoted from staging", () => {
    expect(Object.keys(jobs)).toEqual([DEPLOY_JOB, ...["staging", "production"].flatMap((env) => [`promote-${env}`, `deploy-${env}`, `rollback-${env}`])]);
    expect(template.config.stages).toEqual(["build-images", "test", "review", "deploy-staging", "deploy-production"]);
    expect(jobs["promote-production"]!.needs).toEqual([{ job: "deploy-staging" }]);
    expect(jobs["rollback-production"]!.needs).toEqual([{ job: "deploy-production" }]);
    expect(jobs["promote-staging"]!.needs).toBeUndefined();
  });

  test.each(["staging", "production"])("%s: every job carries environment:, protected-only rules, the deploy runner's tags and one resource group", (env) => {
    const tags = published.environments.find((e) => e.name === env)!.runnerTags;
    expect(tags).toEqual([`acme-ci-${env}-deploy`]);
    for (const name of [`promote-${env}`, `deploy-${env}`, `rollback-${env}`]) {
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
    expect(jobs[`deploy-${env}`]!.environment!.action).toBeUndefined();
    expect(jobs[`rollback-${env}`]!.rules![1]!.when).toBe("on_failure");
    expect(jobs[`deploy-${env}`]!.rules![1]!.when).toBe(env === "production" ? "manual" : "on_success");
  });

  test("fault: the audience, the roles, the repositories, the parameter, the tags and the hooks were CI/CD variables, which a pipeline variable overrides; now they are literals of each job", () => {
    const base = jobs[DEPLOY_JOB]!;
    // Nothing a job acts on comes from a variable any more: neither the hidden job's variables nor the promote job's.
    expect(Object.keys(base.variables!).filter((k) => k.startsWith("PLATFORM_"))).toEqual([]);
    expect(jobs["promote-staging"]!.variables).toBeUndefined();
    expect(template.content).not.toMatch(/\$PLATFORM_APP_PROMOTE_FROM|\$PLATFORM_APP_IMAGE|\$PLATFORM_DEPLOY_HOOK|\$PLATFORM_SMOKE_TEST_HOOK|PLATFORM_DEPLOY_HOOK:/);
    for (const [env, account, source] of [
      ["staging", "111111111111", "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app/app"],
      ["production", "222222222222", "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/app/app"],
    ] as const) {
      for (const name of [`promote-${env}`, `deploy-${env}`, `rollback-${env}`]) {
        const job = jobs[name]!;
        expect({ name, aud: job.id_tokens, image: job.image }).toEqual({
          name,
          aud: { GITLAB_OIDC_TOKEN: { aud: `acme-ci-${env}` } },
          image: `${account}.dkr.ecr.eu-central-1.amazonaws.com/acme/${env}/toolbox/toolbox:latest`,
        });
        const pin = job.script![0]!;
        expect(pin).toContain(`  'acme/app')\n    AWS_ROLE_ARN='arn:aws:iam::${account}:role/acme-ci-${env}-app-protected'\n    PLATFORM_DEPLOY_REPOSITORY='${account}.dkr.ecr.eu-central-1.amazonaws.com/acme/${env}/app/app'\n    PLATFORM_PROMOTE_FROM='${source}'`);
        expect(pin).toContain(`PLATFORM_DEPLOY_ROLE_ARN='arn:aws:iam::${account}:role/acme-ci-${env}-app-deployment'`);
        expect(pin).toContain(`PLATFORM_LAST_GOOD_DIGEST_PARAMETER='/acme-ci/${env}/deploy/app/last-good-digest'`);
        expect(pin).toContain(`PLATFORM_DEPLOYED_TAG='deployed-${env}'`);
        // The toolbox project deploys nothing: no row, so its pipelines cannot run these jobs.
        expect(pin).not.toContain("'acme/toolbox')");
      }
    }
    expect(jobs["deploy-staging"]!.script!.slice(1)).toEqual([
      "PLATFORM_IMAGE_REF=$(platform_deployed_image)",
      `platform_hook PLATFORM_DEPLOY_HOOK './deploy/deploy.sh' "$PLATFORM_IMAGE_REF"`,
      `platform_hook PLATFORM_SMOKE_TEST_HOOK './deploy/smoke-test.sh' "$PLATFORM_IMAGE_REF"`,
      'platform_record "$PLATFORM_IMAGE_REF"',
    ]);
    expect(jobs["rollback-staging"]!.script!.at(-1)).toBe(`platform_rollback './deploy/deploy.sh' './deploy/smoke-test.sh'`);
    expect(DEPLOY_FUNCTIONS).toContain('aws sts assume-role --role-arn "$PLATFORM_DEPLOY_ROLE_ARN"');
    expect(DEPLOY_FUNCTIONS).toContain("docker buildx imagetools create --prefer-index=false");
  });

  // What a pipeline variable of each name could hold: anything (an attacker's repository, role, PATH, proxy, endpoint, empty).
  const ATTACKED = [...PINNED_VARIABLES, ...AWS_CLI_REDIRECTS, ...JOB_REDIRECTS, "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PAGER", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_S3", "PATH", "HOME"];
  // Removes the fresh HOME a pinned script made when the test's shell exits (only a directory of the pinned template).
  const CLEAN_HOME = `trap 'case $HOME in ${PINNED_HOME_TEMPLATE.replace(/X+$/, "")}*) rm -rf "$HOME" ;; esac' EXIT\n`;
  const hostile = fc.record(Object.fromEntries(ATTACKED.map((k) => [k, fc.string({ maxLength: 40 }).filter((v) => !v.includes("\0"))])) as Record<string, fc.Arbitrary<string>>);

  test("property: whatever the environment holds for the pinned names, the pinned script leaves the platform's values, pins PATH, and unsets what would redirect the AWS CLI or docker (every other AWS_* variable too)", () => {
    const pin = jobs["deploy-production"]!.script![0]!;
    const names = [...PINNED_VARIABLES, "AWS_REGION", "AWS_DEFAULT_REGION", "PATH"];
    const redirects = [...AWS_CLI_REDIRECTS, ...JOB_REDIRECTS];
    const show = `${CLEAN_HOME}${pin}\nfor v in ${names.join(" ")}; do printenv "$v" || echo "-"; done; for v in ${redirects.join(" ")}; do printenv "$v" && echo "SET $v"; done; echo "pager=[$AWS_PAGER]"; env | sed -n 's/^\\(AWS_[A-Za-z0-9_]*\\)=.*/\\1/p' | sort | tr '\\n' ' '`;
    const expected = [
      "arn:aws:iam::222222222222:role/acme-ci-production-app-protected",
      "222222222222.dkr.ecr.eu-central-1.amazonaws.com/acme/production/app/app",
      "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/app/app",
      "arn:aws:iam::222222222222:role/acme-ci-production-app-deployment",
      "/acme-ci/production/deploy/app/last-good-digest",
      "sha-0123abc",
      "deployed-production",
      "eu-central-1",
      "eu-central-1",
      DEFAULT_DEPLOY_SEARCH_PATH,
      "pager=[]",
      "AWS_DEFAULT_REGION AWS_PAGER AWS_REGION AWS_ROLE_ARN ",
    ].join("\n");
    fc.assert(
      fc.property(hostile, (env) => {
        // stderr is dropped: a random LD_PRELOAD makes the loader complain before the script unsets it.
        const out = execFileSync("/bin/sh", ["-c", show], { encoding: "utf8", env: { ...env, CI_PROJECT_PATH: "acme/app", CI_COMMIT_SHA: "0123abc" }, stdio: ["ignore", "pipe", "ignore"] });
        expect(out.trimEnd()).toBe(expected.trimEnd());
      }),
      { numRuns: 25 },
    );
  });

  test("fault: PATH was not pinned and DOCKER_HOST, DOCKER_CONFIG, the proxies, AWS_DATA_PATH and AWS_ENDPOINT_URL_<service> of other services were not unset; the lists name them and the script pins PATH before it runs any program", () => {
    for (const name of ["DOCKER_HOST", "DOCKER_CONFIG", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]) expect(JOB_REDIRECTS).toContain(name);
    for (const name of ["AWS_DATA_PATH", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"]) expect(AWS_CLI_REDIRECTS).toContain(name);
    const pin = jobs["deploy-staging"]!.script![0]!.split("\n");
    // The first command pins PATH: nothing before it could run a program a PATH variable chose.
    expect(pin.filter((l) => !l.startsWith("#")).slice(0, 2)).toEqual([`PATH='${DEFAULT_DEPLOY_SEARCH_PATH}'`, "export PATH"]);
  });

  test("fault: HOME was not pinned, so a HOME variable naming a folder with .aws/config (endpoint_url, ca_bundle, credential_process) or .docker/config.json redirected the STS, ECR and docker calls; now HOME is a fresh empty private directory, set right after PATH, before any other program runs", () => {
    for (const [name, job] of Object.entries(jobs).filter(([n]) => /^(promote|deploy|rollback)-/.test(n))) {
      const lines = job.script![0]!.split("\n").filter((l) => !l.startsWith("#"));
      expect({ name, first: lines.slice(0, 4) }).toEqual({ name, first: [`PATH='${DEFAULT_DEPLOY_SEARCH_PATH}'`, "export PATH", `HOME=$(mktemp -d ${PINNED_HOME_TEMPLATE}) || exit 1`, "export HOME"] });
      // The pin is the script's first entry: every aws, docker and git call of the job comes after it.
      expect({ name, rest: job.script!.slice(1).some((l) => l.includes("PATH=") || l.includes("HOME=")) }).toEqual({ name, rest: false });
    }
    const pin = jobs["deploy-staging"]!.script![0]!;
    const evil = mkdtempSync(path.join(tmpdir(), "deploy-attacker-home-"));
    try {
      mkdirSync(path.join(evil, ".aws"));
      writeFileSync(path.join(evil, ".aws", "config"), "[default]\nendpoint_url = https://sts.attacker.example\n");
      const out = execFileSync("/bin/sh", ["-c", `${CLEAN_HOME}${pin}\nprintf '%s\\n' "$HOME"; ls -A "$HOME" | wc -l; stat -c %a "$HOME"; printenv HOME`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: evil, CI_PROJECT_PATH: "acme/app", CI_COMMIT_SHA: "0123abc" },
      });
      const [home, entries, mode, exported] = out.trimEnd().split("\n");
      expect({ home, entries: entries?.trim(), mode, exported }).toEqual({ home: expect.stringMatching(/^\/tmp\/platform-home\.[A-Za-z0-9]{10}$/), entries: "0", mode: "700", exported: home });
      // The shell removed it on exit; the attacker's file is still where it was, unread.
      expect(existsSync(home!)).toBe(false);
      expect(existsSync(path.join(evil, ".aws", "config"))).toBe(true);
    } finally {
      rmSync(evil, { recursive: true, force: true });
    }
  });

  test("fault: a promote job without needs downloaded every artifact of the earlier stages into its directory; now it downloads none (dependencies: [])", () => {
    const promotes = Object.entries(jobs).filter(([n]) => n.startsWith("promote-"));
    expect(promotes.map(([n]) => n).sort()).toEqual(["promote-production", "promote-staging"]);
    for (const [name, job] of promotes) expect({ name, dependencies: job.dependencies }).toEqual({ name, dependencies: [] });
  });

  test("fault: GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, GIT_EXEC_PATH and XDG_CONFIG_HOME (another git configuration or git program for platform_branch_head) were not unset; now they are", () => {
    for (const name of ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_EXEC_PATH", "XDG_CONFIG_HOME"]) expect(JOB_REDIRECTS).toContain(name);
  });

  test("a project without a row (another group's, or the toolbox project) fails before any AWS call", () => {
    const pin = jobs["deploy-staging"]!.script![0]!;
    for (const project of ["acme/toolbox", "other/app", ""]) {
      let status = 0;
      let stderr = "";
      try {
        execFileSync("/bin/sh", ["-c", `${CLEAN_HOME}${pin}\necho reached`], { encoding: "utf8", env: { PATH: process.env.PATH, CI_PROJECT_PATH: project }, stdio: ["ignore", "pipe", "pipe"] });
      } catch (error) {
        status = (error as { status: number }).status;
        stderr = String((error as { stderr: string }).stderr);
      }
      expect({ project, status }).toEqual({ project, status: 1 });
      expect(stderr).toMatch(/has no pinned values for staging \(acme\/app, acme\/web\)/);
    }
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
    // Staging's deploy job (with its smoke test) runs in another branch's pipeline: production's promotion does not wait for it there.
    expect(t.config.jobs["promote-production"]!.needs).toEqual([{ job: "deploy-staging", optional: true }]);
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

  test("deployScript (exported) refuses a hook that could not stay literal, as the template does", () => {
    expect(messageOf(() => deployScript({ deploy: "./deploy.sh'; curl x'", smokeTest: "./smoke.sh" }, true, "lib"))).toMatch(/^lib\/hooks\/deploy: invalid hook command .*between single quotes/);
    expect(messageOf(() => deployScript({ deploy: "./deploy.sh", smokeTest: "" }, false, "lib"))).toMatch(/^lib\/hooks\/smokeTest: invalid hook command ""/);
    expect(deployScript({ deploy: "./d.sh", smokeTest: "./s.sh" }, false).at(-1)).toBe('platform_mark_deployed "$PLATFORM_IMAGE_REF"');
  });

  test("refused: an empty job image (it fell back to the toolbox image); a named one is used as given", () => {
    expect(messageOf(() => deployTemplate("t", { tagScheme: scheme, environments: envs, jobImage: "" }))).toMatch(/^t\/jobImage: invalid deploy job image ""\. Rule: an image reference \(a non-empty string without CI\/CD variables/);
    // A variable would let a pipeline variable choose the image that runs with the deployment role.
    expect(messageOf(() => deployTemplate("t", { tagScheme: scheme, environments: envs, jobImage: "$DEPLOY_IMAGE" }))).toMatch(/^t\/jobImage: invalid deploy job image "\$DEPLOY_IMAGE"/);
    expect(JSON.stringify(deployTemplate("t", { tagScheme: scheme, environments: envs, jobImage: "registry.example.com/deploy:1" }).config)).toContain('"image":"registry.example.com/deploy:1"');
  });
});

// Every deploy job's before_script (the hidden job's) + script, as the runner's shell runs them, passes shellcheck.
const scripts = Object.entries(parse(template.content) as Record<string, CiJob | null>)
  .filter(([name]) => !name.startsWith(".") && jobs[name] !== undefined)
  .map(([name, body]) => [name, ["#!/bin/sh", "set -e", ...(jobs[DEPLOY_JOB]!.before_script ?? []), ...(body?.script ?? []), ""].join("\n")] as const);

describeWithTool("shellcheck", "the deploy jobs' scripts", () => {
  test("there are scripts to check", () => expect(scripts.length).toBe(6));
  test.each(scripts)("%s passes shellcheck as POSIX sh and as bash", (name, script) => {
    for (const shell of ["sh", "bash"]) {
      const run = runTool("shellcheck", ["--severity=style", `--shell=${shell}`, "-"], { input: script });
      expect({ name, shell, status: run.status, output: run.stdout + run.stderr }).toEqual({ name, shell, status: 0, output: "" });
    }
  });
});
