import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool, runTool } from "../support/conformance";
import { resourcesOf, type SynthJson } from "../support/synth";

/*
 * Who reads which registry credential: GitLab's variable resolution over the group variables of
 * every stack (gitlab-shared and the environments), for jobs of protected and unprotected refs,
 * with and without `environment:`. Upstream rules modelled (GitLab 18.x):
 * - lib/gitlab/ci/variables/builder/group.rb, secret_variables: `variables.unprotected unless
 *   protected_ref`, then `for_environment(environment)`: protected variables are dropped for
 *   unprotected refs before scopes are matched;
 * - app/models/concerns/has_environment_scope.rb: a scope matches when it is `*` or the
 *   environment's name (or a wildcard of it); rows are ordered by relevance, the most relevant
 *   (most specific scope) last, so it wins for its key. A job without `environment:` matches `*` only.
 * An unprotected job may name any environment (`environment: production` in a merge request's
 * .gitlab-ci.yml), so it is modelled with each.
 */

const ACR = "registry.cn-hangzhou.aliyuncs.com";
const PULL_USER = "acme-ci-pull@acme";
const optedIn: PlatformConfig = {
  ...exampleConfig,
  environments: exampleConfig.environments.map((e, i) =>
    i === 2 ? { ...e, gitlab: { ...e.gitlab, externalRegistries: [{ registry: ACR, username: "acme-ci@acme", passwordVariable: "acr_password", unprotectedPull: { username: PULL_USER, passwordVariable: "acr_pull_password" } }] } } : e,
  ),
};

type Variable = { key: string; value: string; protected: boolean; environment_scope: string; stack: string };
/** Every group variable of every stack of `config`. */
function groupVariablesOf(config: PlatformConfig): Variable[] {
  const stacks = buildPlatform(Testing.app(), config);
  return [...stacks.environments.values(), ...stacks.gitlabShared.values()].flatMap((stack) =>
    Object.values(resourcesOf(JSON.parse(Testing.synth(stack)) as SynthJson, "gitlab_group_variable")).map((v) => ({ ...(v as Omit<Variable, "stack">), stack: stack.node.id })),
  );
}

/** A job: the protection of its ref and its `environment:` (none for builds and merge-request jobs). */
interface Job {
  readonly name: string;
  readonly refProtected: boolean;
  readonly environment?: string;
}
/** The variable GitLab gives the job for `key`: unprotected only on unprotected refs, the most specific matching scope. */
function effective(variables: readonly Variable[], key: string, job: Job): Variable | undefined {
  const relevance = (v: Variable) => (v.environment_scope === "*" ? 0 : 1);
  return variables
    .filter((v) => v.key === key && (job.refProtected || !v.protected) && (v.environment_scope === "*" || v.environment_scope === job.environment))
    .sort((a, b) => relevance(a) - relevance(b))
    .at(-1);
}

const unprotectedJobs: Job[] = [
  { name: "merge-request build", refProtected: false },
  ...["dev", "staging", "production"].map((environment) => ({ name: `unprotected job naming environment ${environment}`, refProtected: false, environment })),
];
const variables = groupVariablesOf(optedIn);
const authOf = (job: Job) => effective(variables, "DOCKER_AUTH_CONFIG", job);

describe("attack path: external registry credentials by trust level", () => {
  test.each(unprotectedJobs)("$name never reads the credential of protected jobs", (job) => {
    const auth = authOf(job)!;
    expect(auth.protected).toBe(false);
    expect(auth.value).not.toContain("var.acr_password");
  });

  test("a merge-request job (no environment) reads the * variable with the opted-in registry's pull-only credential", () => {
    const auth = authOf(unprotectedJobs[0]!)!;
    expect({ scope: auth.environment_scope, stack: auth.stack }).toEqual({ scope: "*", stack: "gitlab-shared" });
    expect(auth.value).toContain("var.acr_pull_password");
  });

  test("an unprotected job naming production gets the * variable (production's is protected); naming staging, staging's own unprotected one, which holds no external registry", () => {
    expect(authOf(unprotectedJobs[3]!)!.environment_scope).toBe("*");
    const staging = authOf(unprotectedJobs[2]!)!;
    expect(staging.environment_scope).toBe("staging");
    expect(staging.value).not.toContain(ACR);
  });

  test("no variable an unprotected job can read, of any key, refers to the credential of protected jobs", () => {
    const reachable = variables.filter((v) => !v.protected);
    expect(reachable.filter((v) => v.value.includes("var.acr_password")).map((v) => `${v.stack}/${v.key}`)).toEqual([]);
  });

  test("production's protected deploy jobs read production's own DOCKER_AUTH_CONFIG (the credential of protected jobs), not the * one", () => {
    const auth = authOf({ name: "deploy", refProtected: true, environment: "production" })!;
    expect({ scope: auth.environment_scope, protected: auth.protected, stack: auth.stack }).toEqual({ scope: "production", protected: true, stack: "production" });
    expect(auth.value).toContain("var.acr_password");
    expect(auth.value).not.toContain("acr_pull_password");
  });

  test("protected build jobs (no environment) read the * variable: the pull-only credential", () => {
    const auth = authOf({ name: "protected build", refProtected: true })!;
    expect(auth.value).toContain("var.acr_pull_password");
    expect(auth.value).not.toContain("var.acr_password");
  });

  test("without the opt-in, no unprotected job reads any credential of the external registry (the registry is unreachable from merge requests)", () => {
    const plain = groupVariablesOf(exampleConfig);
    for (const job of unprotectedJobs) {
      const auth = effective(plain, "DOCKER_AUTH_CONFIG", job)!;
      expect({ job: job.name, external: auth.value.includes(ACR) || auth.value.includes("var.") }).toEqual({ job: job.name, external: false });
    }
  });
});

describeWithTool("terraform", "a merge-request job's effective DOCKER_AUTH_CONFIG", () => {
  test("evaluates to credHelpers for dev's ECR and an auths entry of the opted-in registry with the pull-only user and password", () => {
    const auth = authOf(unprotectedJobs[0]!)!;
    const dir = mkdtempSync(join(tmpdir(), "tf-pull-"));
    try {
      // The shared stack's variable, set as TF_VAR_acr_pull_password would set it.
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: { acr_pull_password: { type: "string", default: "pull-token-value" } }, locals: { auth: auth.value } }));
      const run = runTool("terraform", ["console"], { cwd: dir, input: "base64encode(local.auth)\n", env: { ...process.env, TF_IN_AUTOMATION: "1" } });
      expect(run.status).toBe(0);
      const printed = JSON.parse(run.stdout.trim().split("\n").pop()!) as string;
      const config = JSON.parse(Buffer.from(printed, "base64").toString("utf8")) as { auths: Record<string, { auth: string }>; credHelpers: Record<string, string> };
      expect(config.credHelpers).toEqual({ "111111111111.dkr.ecr.eu-central-1.amazonaws.com": "ecr-login" });
      expect(Object.keys(config.auths)).toEqual([ACR]);
      expect(Buffer.from(config.auths[ACR]!.auth, "base64").toString("utf8")).toBe(`${PULL_USER}:pull-token-value`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
