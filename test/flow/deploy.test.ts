import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { deployFlow } from "./support/deploy-project";
import { type FlowPipeline, type RegistryState } from "./support/flow-harness";
import { runLifecycleDays } from "./support/lifecycle-days";
import { setProcessEnv } from "../support/env";

// The fake registry as a module: the IAM it enforces across environments, asked directly.
const fake = require("./support/fake-registry.cjs") as {
  emptyState(): RegistryState;
  aws(state: RegistryState, env: Record<string, string>, args: string[]): string;
};

/*
 * From build to production, in the pipeline flow suite: the example's acme/app project includes
 * the image-reuse and the deploy template and runs, with the CI/CD variables the platform gives it
 * in dev, staging and production (environment-scoped), against the fake registry enforcing IAM
 * across environments (a role acts in its own environment and pulls from its promotion source).
 * Sequence: a first push (build, test, promote to staging, deploy, smoke test, promote to
 * production, deploy, smoke test); a source-only change (a new image, deployed); a broken change
 * (its staging smoke test fails, staging rolls back to the recorded digest, production is untouched).
 * Which refs get deploy jobs at all is deploy-protected-refs.test.ts.
 */
const files = {
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nCOPY src/ /app/src/\nRUN echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
const ENVIRONMENTS = ["dev", "staging", "production"];

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: build -> test -> promote -> deploy staging -> deploy production", () => {
  describeWithTool("rsync", "acme/app over three pushes (shell executor, fake ECR, IAM across environments)", () => {
    const flow = deployFlow(exampleConfig, "acme/app", files);
    const { project } = flow;
    const p: Record<string, FlowPipeline> = {};
    let restoreEnv = () => {};

    beforeAll(async () => {
      restoreEnv = setProcessEnv({
        FAKE_ENVIRONMENTS: ENVIRONMENTS.join(","),
        FAKE_PROMOTION: Object.entries(flow.promotion).map(([target, source]) => `${target}=${source}`).join(","),
      });
      p.first = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "main");
      project.repo.commit({ "src/index.js": "console.log(2);\n" }, "source-only change");
      p.source = await project.pipeline("main: source-only change", { kind: "push", branch: "main" }, 1);
      project.repo.commit({ "src/index.js": "console.log(3);\n", BROKEN: "the app of this commit fails its smoke test\n" }, "broken change");
      p.broken = await project.pipeline("main: broken change", { kind: "push", branch: "main" }, 2);
    }, 300_000);
    afterAll(() => {
      restoreEnv();
      flow.remove();
    });

    const state = (): RegistryState => project.registry();
    const digestOf = (repo: string, tag: string) => Object.entries(state().repos[repo]?.images ?? {}).find(([, i]) => i.tags.includes(tag))?.[0];
    const failure = (pipeline: FlowPipeline) => `${pipeline.run.run.stdout.slice(-4000)}\n${pipeline.run.run.stderr.slice(-1500)}\n${project.log().slice(-1500)}`;

    const HOST = { dev: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", staging: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", production: "222222222222.dkr.ecr.eu-central-1.amazonaws.com" } as const;
    const ACCOUNT = { staging: "111111111111", production: "222222222222" } as const;
    const repoOf = (env: string) => `acme/${env}/app/app`;
    const commitDigest = (env: string, pipeline: FlowPipeline) => digestOf(repoOf(env), `sha-${pipeline.sha}`);
    const DEPLOY_JOBS = ["promote-staging", "deploy-staging", "promote-production", "deploy-production"];

    test("the first push and the source-only change run every job: build, test, promote to staging, deploy and smoke test, promote to production, deploy and smoke test", () => {
      for (const pipeline of [p.first!, p.source!]) {
        expect({ pipeline: pipeline.name, status: pipeline.run.run.status, passed: pipeline.run.passed, failed: pipeline.run.run.status === 0 ? "" : failure(pipeline) }).toEqual({
          pipeline: pipeline.name,
          status: 0,
          passed: ["build-app-image", "build-ci-image", "lint", "unit-tests", ...DEPLOY_JOBS].sort(),
          failed: "",
        });
      }
    });

    test("each deploy runs the digest built from that commit: the digest of dev's sha-<commit>, copied unchanged to staging and production, deployed as each environment's deployment role", () => {
      const log = flow.deployments();
      for (const pipeline of [p.first!, p.source!]) {
        const built = commitDigest("dev", pipeline)!;
        expect(state().repos[repoOf("dev")]!.images[built]!.commit).toBe(pipeline.sha);
        for (const env of ["staging", "production"] as const) {
          expect(commitDigest(env, pipeline)).toBe(built);
          const image = `${HOST[env]}/${repoOf(env)}@${built}`;
          expect(log).toContain(`deploy ${env} ${image} arn:aws:iam::${ACCOUNT[env]}:role/acme-ci-${env}-app-deployment`);
          expect(log).toContain(`smoke ${env} ${image} arn:aws:iam::${ACCOUNT[env]}:role/acme-ci-${env}-app-deployment`);
        }
      }
    });

    test("promotion is the target environment's protected role copying from the previous environment, and nothing else writes there", () => {
      const events = state().events.filter((e) => e.op === "tag" && e.repo !== undefined && !e.repo.startsWith("acme/dev/"));
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        const env = e.repo!.split("/")[1] as "staging" | "production";
        expect({ repo: e.repo, tag: e.tag, role: e.role }).toEqual({ repo: e.repo, tag: e.tag, role: `arn:aws:iam::${ACCOUNT[env]}:role/acme-ci-${env}-app-protected` });
        expect(e.job).toMatch(new RegExp(`^(promote|deploy)-${env}$`));
      }
    });

    test("a source-only change deploys new code: a new image (built, never a re-tag of the old one) reaches staging and production", () => {
      const builds = state().events.filter((e) => e.op === "build" && e.run === String(p.source!.seq) && e.ref!.includes("/app/app:"));
      expect(builds).toHaveLength(1);
      expect(commitDigest("dev", p.source!)).not.toBe(commitDigest("dev", p.first!));
      expect(state().repos[repoOf("dev")]!.images[commitDigest("dev", p.source!)!]!.inputs).not.toBe(state().repos[repoOf("dev")]!.images[commitDigest("dev", p.first!)!]!.inputs);
      expect(flow.deployments()).toContain(`deploy production ${HOST.production}/${repoOf("production")}@${commitDigest("dev", p.source!)} arn:aws:iam::222222222222:role/acme-ci-production-app-deployment`);
    });

    test("a failing smoke test rolls back to the recorded digest; production is not touched", () => {
      expect(p.broken!.run.run.status).not.toBe(0);
      // The deploy job (deploy, smoke test, record) fails on the smoke test; the rollback passes.
      expect(p.broken!.run.passed).toEqual(expect.arrayContaining(["promote-staging", "rollback-staging"]));
      for (const job of ["deploy-staging", "promote-production", "deploy-production"]) expect(p.broken!.run.passed).not.toContain(job);
      const good = commitDigest("staging", p.source!)!;
      const broken = commitDigest("staging", p.broken!)!;
      expect(broken).not.toBe(good);
      const log = flow.deployments();
      const brokenAt = log.indexOf(`smoke staging ${HOST.staging}/${repoOf("staging")}@${broken} FAIL`);
      expect(brokenAt).toBeGreaterThan(0);
      // After the failed smoke test: the recorded digest is deployed again and passes its smoke test.
      expect(log.slice(brokenAt + 1)).toEqual([
        `deploy staging ${HOST.staging}/${repoOf("staging")}@${good} arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment`,
        `smoke staging ${HOST.staging}/${repoOf("staging")}@${good} arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment`,
      ]);
      // The broken image never reached production; the records still name the good digests.
      expect(digestOf(repoOf("production"), `sha-${p.broken!.sha}`)).toBeUndefined();
      const parameters = (state() as RegistryState & { parameters: Record<string, string> }).parameters;
      expect(parameters).toEqual({ "/acme-ci/staging/deploy/app/last-good-digest": good, "/acme-ci/production/deploy/app/last-good-digest": good });
      expect(digestOf(repoOf("staging"), "deployed-staging")).toBe(good);
      expect(digestOf(repoOf("production"), "deployed-production")).toBe(good);
    });

    test("the fake registry's IAM can refuse: no pull from another environment than the promotion source, no other environment's or tenant's deployment role or parameter", () => {
      const env = { FAKE_ENVIRONMENTS: ENVIRONMENTS.join(","), FAKE_PROMOTION: "staging=dev,production=staging", FAKE_NOW: "2026-01-05T09:00:00Z" };
      const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
      const get = ["ecr", "batch-get-image", "--repository-name", "acme/dev/app/app", "--image-ids", "imageTag=latest", "--query", "images[0].imageId.imageDigest"];
      expect(fake.aws(fake.emptyState(), { ...env, AWS_ROLE_ARN: role("111111111111", "acme-ci-staging-app-protected") }, get)).toBe("None\n");
      expect(() => fake.aws(fake.emptyState(), { ...env, AWS_ROLE_ARN: role("222222222222", "acme-ci-production-app-protected") }, get)).toThrow(/not authorized to pull acme\/dev\/app\/app/);
      expect(() => fake.aws(fake.emptyState(), { ...env, AWS_ROLE_ARN: role("111111111111", "acme-ci-staging-app-unprotected") }, get)).toThrow(/not authorized to pull/);
      const assume = (name: string) => ["sts", "assume-role", "--role-arn", role(name.includes("production") ? "222222222222" : "111111111111", name)];
      expect(() => fake.aws(fake.emptyState(), { ...env, AWS_ROLE_ARN: role("111111111111", "acme-ci-staging-app-protected") }, assume("acme-ci-production-app-deployment"))).toThrow(/not authorized to perform sts:AssumeRole/);
      // Another tenant's deployment role, in the same environment.
      expect(() => fake.aws(fake.emptyState(), { ...env, AWS_ROLE_ARN: role("111111111111", "acme-ci-staging-web-protected") }, assume("acme-ci-staging-app-deployment"))).toThrow(/not authorized to perform sts:AssumeRole/);
      expect(fake.aws(fake.emptyState(), { ...env, AWS_ROLE_ARN: role("111111111111", "acme-ci-staging-app-protected") }, assume("acme-ci-staging-app-deployment"))).toContain("acme-ci-staging-app-deployment");
      const put = (name: string) => ["ssm", "put-parameter", "--name", name, "--value", "sha256:0"];
      expect(() => fake.aws(fake.emptyState(), { ...env, AWS_SESSION_TOKEN: role("111111111111", "acme-ci-staging-app-deployment") }, put("/acme-ci/production/deploy/app/last-good-digest"))).toThrow(/not authorized to perform ssm:put-parameter/);
      // Another tenant's parameter, in the same environment.
      expect(() => fake.aws(fake.emptyState(), { ...env, AWS_SESSION_TOKEN: role("111111111111", "acme-ci-staging-web-deployment") }, put("/acme-ci/staging/deploy/app/last-good-digest"))).toThrow(/not authorized to perform ssm:put-parameter/);
      expect(fake.aws(fake.emptyState(), { ...env, AWS_SESSION_TOKEN: role("111111111111", "acme-ci-staging-app-deployment") }, put("/acme-ci/staging/deploy/app/last-good-digest"))).toBe("{}\n");
    });

    test("what each environment runs carries its protected deployed tag and survives 120 days of lifecycle", () => {
      const registry = state();
      const deployed = ["staging", "production"].map((env) => [repoOf(env), digestOf(repoOf(env), `deployed-${env}`)!] as const);
      const report = runLifecycleDays(registry, flow.scheme, 120);
      expect(report.violations).toEqual([]);
      expect(report.summary.expired).toBeGreaterThan(0);
      for (const [repo, digest] of deployed) expect({ repo, kept: registry.repos[repo]!.images[digest] !== undefined }).toEqual({ repo, kept: true });
    });
  });
});
