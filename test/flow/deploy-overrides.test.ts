import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL, SHIMMED_COMMANDS } from "../support/gitlab-ci-local";
import { deployFlow } from "./support/deploy-project";
import { type FlowPipeline, type RegistryState } from "./support/flow-harness";
import { setProcessEnv } from "../support/env";

/*
 * Pipeline variables against the deploy jobs, in the pipeline flow suite. GitLab lets pipeline
 * variables (a manual run's, trigger, schedule and API variables, push options) override every
 * other variable of a job, project and predefined variables included. Whoever may run a protected
 * pipeline with variables tries to make the promote and deploy jobs take an image from elsewhere,
 * write elsewhere, skip the deploy or the smoke test: gitlab-ci-local passes them as pipeline
 * variables (`--variable`), which outrank the jobs' and the project's variables as in GitLab.
 * The jobs act on what the template pins as literals, so every run deploys the digest built from
 * its commit, into the project's own repositories, as its own roles.
 */
const files = {
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nCOPY src/ /app/src/\nRUN echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
const HOST = { dev: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", staging: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", production: "222222222222.dkr.ecr.eu-central-1.amazonaws.com" } as const;
const ACCOUNT = { staging: "111111111111", production: "222222222222" } as const;
const DEPLOY_JOBS = ["promote-staging", "deploy-staging", "promote-production", "deploy-production"];

/**
 * The siblings of PLATFORM_PROMOTE_FROM: every variable a deploy job's source, target, role,
 * parameter, tag or hook came from. The source is dev's CI image of the same project (which
 * staging's protected role may pull, and which carries the same sha-<commit> tag), the target
 * staging's CI image repository, the parameter and deployment role the other tenant's.
 */
const ATTACK = {
  PLATFORM_PROMOTE_FROM: `${HOST.dev}/acme/dev/app/app-ci`,
  PLATFORM_APP_PROMOTE_FROM: `${HOST.dev}/acme/dev/app/app-ci`,
  PLATFORM_DEPLOY_REPOSITORY: `${HOST.staging}/acme/staging/app/app-ci`,
  PLATFORM_DEPLOYED_TAG: "latest",
  PLATFORM_DEPLOY_ROLE_ARN: "arn:aws:iam::111111111111:role/acme-ci-staging-web-deployment",
  PLATFORM_LAST_GOOD_DIGEST_PARAMETER: "/acme-ci/staging/deploy/web/last-good-digest",
  PLATFORM_DEPLOY_HOOK: "true",
  PLATFORM_OIDC_AUDIENCE: "acme-ci-dev",
  AWS_ENDPOINT_URL_ECR: "https://registry.attacker.example",
} as const;

/**
 * Pipeline variables that would send the jobs' AWS and docker calls, their credentials or their
 * trust elsewhere: the docker daemon and config, proxies (both spellings), the AWS CLI's CA bundle,
 * config and credentials files, botocore data, endpoints (one of a service the jobs never call,
 * for the per-service form), `PATH` (added in the test: a directory whose `aws` and `docker`
 * log the job that ran them before they pass the call on) and `HOME` (added in the test: a
 * directory holding `.aws/config` with an `endpoint_url` and `.docker/config.json`, as an artifact
 * of an earlier stage would). The fake registry refuses a deploy
 * job's call made with any of these set (`FAKE_PINNED_JOBS`); build jobs, which the platform does
 * not pin, still run (their calls are not judged here).
 */
const REDIRECTS = {
  DOCKER_HOST: "tcp://docker.attacker.example:2375",
  DOCKER_CONFIG: "/tmp/attacker-docker-config",
  HTTPS_PROXY: "http://proxy.attacker.example:3128",
  https_proxy: "http://proxy.attacker.example:3128",
  HTTP_PROXY: "http://proxy.attacker.example:3128",
  http_proxy: "http://proxy.attacker.example:3128",
  NO_PROXY: "attacker.example",
  no_proxy: "attacker.example",
  AWS_DATA_PATH: "/tmp/attacker-botocore-data",
  AWS_CA_BUNDLE: "/tmp/attacker-ca.pem",
  AWS_CONFIG_FILE: "/tmp/attacker-aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/tmp/attacker-aws-credentials",
  AWS_PROFILE: "attacker",
  AWS_ENDPOINT_URL: "https://aws.attacker.example",
  AWS_ENDPOINT_URL_STS: "https://sts.attacker.example",
  AWS_ENDPOINT_URL_SSM: "https://ssm.attacker.example",
  AWS_ENDPOINT_URL_SECRETS_MANAGER: "https://secrets.attacker.example",
} as const;

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: pipeline variables cannot steer the protected promote and deploy jobs", () => {
  describeWithTool("rsync", "acme/app on main with hostile pipeline variables (shell executor, fake ECR, IAM across environments)", () => {
    const flow = deployFlow(exampleConfig, "acme/app", files);
    const { project } = flow;
    const p: Record<string, FlowPipeline> = {};
    let restoreEnv = () => {};

    // A PATH whose aws, docker (and the other shimmed commands) log the job that ran them, then pass the call on.
    const evil = mkdtempSync(path.join(tmpdir(), "flow-attacker-bin-"));
    const evilLog = path.join(evil, "calls.log");
    const evilCalls = () => (existsSync(evilLog) ? readFileSync(evilLog, "utf8").split("\n").filter(Boolean) : []);
    // A HOME whose AWS CLI and docker configuration send the calls elsewhere.
    const evilHome = mkdtempSync(path.join(tmpdir(), "flow-attacker-home-"));

    beforeAll(async () => {
      restoreEnv = setProcessEnv({
        FAKE_ENVIRONMENTS: "dev,staging,production",
        FAKE_PROMOTION: Object.entries(flow.promotion).map(([target, source]) => `${target}=${source}`).join(","),
        FAKE_PINNED_JOBS: `^(${DEPLOY_JOBS.join("|")}|rollback-.*)$`,
      });
      appendFileSync(evilLog, "");
      for (const tool of [...SHIMMED_COMMANDS, "buildctl-daemonless.sh"]) {
        const shim = path.join(project.repo.dir, ".shims", tool);
        writeFileSync(path.join(evil, tool), `#!/bin/sh\nprintf '%s %s\\n' "\${CI_JOB_NAME:-?}" "${tool}" >> ${JSON.stringify(evilLog)}\nexec ${JSON.stringify(shim)} "$@"\n`);
        chmodSync(path.join(evil, tool), 0o755);
      }
      mkdirSync(path.join(evilHome, ".aws"));
      writeFileSync(path.join(evilHome, ".aws", "config"), "[default]\nendpoint_url = https://aws.attacker.example\nca_bundle = /tmp/attacker-ca.pem\n");
      mkdirSync(path.join(evilHome, ".docker"));
      writeFileSync(path.join(evilHome, ".docker", "config.json"), JSON.stringify({ credsStore: "attacker" }));
      const attack = { ...ATTACK, ...REDIRECTS, PATH: `${evil}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: evilHome };
      p.steered = await project.pipeline("main: pipeline variables aim elsewhere", { kind: "push", branch: "main" }, 0, { override: attack });
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ "src/index.js": "console.log(3);\n", BROKEN: "the app of this commit fails its smoke test\n" }, "broken change");
      p.skipped = await project.pipeline("main: a pipeline variable replaces the smoke test", { kind: "push", branch: "main" }, 1, { override: { PLATFORM_SMOKE_TEST_HOOK: "true" } });
    }, 300_000);
    afterAll(() => {
      restoreEnv();
      flow.remove();
      rmSync(evil, { recursive: true, force: true });
      rmSync(evilHome, { recursive: true, force: true });
    });

    const state = (): RegistryState & { parameters?: Record<string, string> } => project.registry();
    const digestOf = (repo: string, tag: string) => Object.entries(state().repos[repo]?.images ?? {}).find(([, i]) => i.tags.includes(tag))?.[0];
    const repoOf = (env: string, id = "app") => `acme/${env}/app/${id}`;
    const failure = (pipeline: FlowPipeline) => `${pipeline.run.run.stdout.slice(-4000)}\n${pipeline.run.run.stderr.slice(-1500)}\n${project.log().slice(-1500)}`;

    test("fault: PLATFORM_PROMOTE_FROM and its siblings as pipeline variables made the promote job copy another image and the deploy job deploy it elsewhere (or nothing); now every job acts on the pinned values", () => {
      const pipeline = p.steered!;
      expect({ status: pipeline.run.run.status, passed: pipeline.run.passed.filter((j) => DEPLOY_JOBS.includes(j)).sort(), failed: pipeline.run.run.status === 0 ? "" : failure(pipeline) }).toEqual({
        status: 0,
        passed: [...DEPLOY_JOBS].sort(),
        failed: "",
      });
      const built = digestOf(repoOf("dev"), `sha-${pipeline.sha}`)!;
      expect(built).toMatch(/^sha256:/);
      // The CI image is another image: what the attack would have deployed.
      expect(digestOf(repoOf("dev", "app-ci"), `sha-${pipeline.sha}`)).not.toBe(built);
      const log = flow.deployments();
      for (const env of ["staging", "production"] as const) {
        const image = `${HOST[env]}/${repoOf(env)}@${built}`;
        const role = `arn:aws:iam::${ACCOUNT[env]}:role/acme-ci-${env}-app-deployment`;
        expect(log).toContain(`deploy ${env} ${image} ${role}`);
        expect(log).toContain(`smoke ${env} ${image} ${role}`);
        expect({ env, commit: digestOf(repoOf(env), `sha-${pipeline.sha}`), deployed: digestOf(repoOf(env), `deployed-${env}`) }).toEqual({ env, commit: built, deployed: built });
        // Nothing was written into the CI image repository the variables named, and no latest moved.
        expect(state().repos[repoOf(env, "app-ci")]?.images ?? {}).toEqual({});
        expect({ env, latest: state().events.filter((e) => e.repo === repoOf(env) && (e as { tag?: string }).tag === "latest") }).toEqual({ env, latest: [] });
      }
      // The own tenant's records, never the other tenant's.
      expect(state().parameters).toEqual({ "/acme-ci/staging/deploy/app/last-good-digest": built, "/acme-ci/production/deploy/app/last-good-digest": built });
    });

    test("fault: DOCKER_HOST, DOCKER_CONFIG, the proxies (both cases), PATH, HOME (a folder with .aws/config naming an endpoint_url), AWS_DATA_PATH, the AWS CLI's CA bundle, config and credentials files and endpoints as pipeline variables reached the deploy jobs' aws and docker calls; now PATH and HOME are pinned and the rest is unset before any call", () => {
      const pipeline = p.steered!;
      // The fake registry refused every deploy-job call made with one of them set: all deploy jobs passed, so none was.
      expect({ status: pipeline.run.run.status, passed: pipeline.run.passed.filter((j) => DEPLOY_JOBS.includes(j)).sort(), failed: pipeline.run.run.status === 0 ? "" : failure(pipeline) }).toEqual({
        status: 0,
        passed: [...DEPLOY_JOBS].sort(),
        failed: "",
      });
      // The attacker's PATH reached the build jobs (the wrappers work) but no deploy job ran a program from it.
      const calls = evilCalls();
      expect(calls.some((c) => c.startsWith("build-app-image "))).toBe(true);
      expect(calls.filter((c) => /^(promote|deploy|smoke-test|rollback)-/.test(c))).toEqual([]);
    });

    test("fault: PLATFORM_SMOKE_TEST_HOOK=true as a pipeline variable passed a broken commit's smoke test and opened production to it; now the project's smoke test runs, fails and staging rolls back", () => {
      const pipeline = p.skipped!;
      expect(pipeline.run.run.status).not.toBe(0);
      expect(pipeline.run.passed).toEqual(expect.arrayContaining(["promote-staging", "rollback-staging"]));
      for (const job of ["deploy-staging", "promote-production", "deploy-production"]) expect(pipeline.run.passed).not.toContain(job);
      const broken = digestOf(repoOf("staging"), `sha-${pipeline.sha}`)!;
      expect(flow.deployments()).toContain(`smoke staging ${HOST.staging}/${repoOf("staging")}@${broken} FAIL`);
      expect(digestOf(repoOf("production"), `sha-${pipeline.sha}`)).toBeUndefined();
      expect(digestOf(repoOf("staging"), "deployed-staging")).toBe(digestOf(repoOf("dev"), `sha-${p.steered!.sha}`));
    });
  });
});
