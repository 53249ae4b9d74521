import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { annotationsOf, findingsOf } from "../support/annotations";
import { resourcesOf, type SynthJson, violationOf } from "../support/synth";

/*
 * externalRegistries[].unprotectedPull: a registry's pull-only credential in the group's
 * `*`-scoped, unprotected DOCKER_AUTH_CONFIG (gitlab-shared stack), next to the credential of
 * protected jobs, which stays in the declaring environment's scoped variable.
 */

const ACR = "registry.cn-hangzhou.aliyuncs.com";
const pull = { username: "acme-ci-pull@acme", passwordVariable: "acr_pull_password" };

/** The example with environment `index`'s GitLab section patched. */
function withGitLab(index: number, patch: Partial<EnvironmentConfig["gitlab"]>, config: PlatformConfig = exampleConfig): PlatformConfig {
  return { ...config, environments: config.environments.map((e, i) => (i === index ? { ...e, gitlab: { ...e.gitlab, ...patch } } : e)) };
}
/** Production's ACR entry with the pull-only credential opted in. */
const optedIn = withGitLab(2, { externalRegistries: [{ registry: ACR, username: "acme-ci@acme", passwordVariable: "acr_password", unprotectedPull: pull }] });

type Variable = Record<string, unknown> & { key: string; value: string; environment_scope: string; protected: boolean };
const synthOf = (config: PlatformConfig) => {
  const stacks = buildPlatform(Testing.app(), config);
  const shared = JSON.parse(Testing.synth(stacks.gitlabShared.get("https://gitlab.example.com")!)) as SynthJson;
  const production = JSON.parse(Testing.synth(stacks.environments.get("production")!)) as SynthJson;
  const variables = (json: SynthJson) => Object.values(resourcesOf(json, "gitlab_group_variable")) as Variable[];
  return { stacks, shared, production, sharedVariables: variables(shared), productionVariables: variables(production) };
};
const built = synthOf(optedIn);
const authOf = (variables: readonly Variable[], scope: string) => variables.find((v) => v.key === "DOCKER_AUTH_CONFIG" && v.environment_scope === scope)!;

describe("unprotectedPull: the group's * DOCKER_AUTH_CONFIG", () => {
  test("holds the opted-in registry's pull-only credential next to dev's ECR credential helper, unprotected and masked, hidden as before (a change of hidden replaces the variable, which prevent_destroy refuses)", () => {
    const auth = authOf(built.sharedVariables, "*");
    expect(auth).toEqual(expect.objectContaining({ protected: false, masked: true, raw: true }));
    // Not hidden, as without the opt-in: the provider sets hidden only where it is true.
    expect([auth.hidden, authOf(synthOf(exampleConfig).sharedVariables, "*").hidden]).toEqual([undefined, undefined]);
    expect(auth.value).toContain(`base64encode(join(":", ["acme-ci-pull@acme", var.acr_pull_password]))`);
    expect(auth.value).toContain(ACR);
    expect(auth.value).toContain("111111111111.dkr.ecr.eu-central-1.amazonaws.com");
    expect(auth.value).toContain("ecr-login");
  });

  test("never holds the credential of protected jobs: var.acr_password stays in production's scoped, protected variable", () => {
    const shared = JSON.stringify(built.shared);
    expect(shared).not.toContain("var.acr_password");
    expect((built.shared as { variable?: Record<string, unknown> }).variable).not.toHaveProperty("acr_password");
    const production = authOf(built.productionVariables, "production");
    expect(production).toEqual(expect.objectContaining({ protected: true, masked: true }));
    expect(production.value).toContain("var.acr_password");
    expect(production.value).not.toContain("acr_pull_password");
    expect(built.productionVariables.filter((v) => v.environment_scope === "*")).toEqual([]);
  });

  test("the password is a sensitive variable of the gitlab-shared stack under its configured name, no literal in the synthesized JSON", () => {
    const variables = (built.shared as { variable?: Record<string, Record<string, unknown>> }).variable ?? {};
    expect(Object.keys(variables)).toEqual(["acr_pull_password"]);
    expect(variables.acr_pull_password).toEqual(expect.objectContaining({ sensitive: true, type: "string" }));
    expect((built.production as { variable?: Record<string, unknown> }).variable).not.toHaveProperty("acr_pull_password");
    for (const json of [built.shared, built.production]) expect(JSON.stringify(json)).not.toMatch(/"auth"\s*:\s*"/);
  });

  test("the rule pack accepts the unprotected variable (its only secret is declared pull-only) and no error finding fails synth", () => {
    const shared = built.stacks.gitlabShared.get("https://gitlab.example.com")!;
    expect(findingsOf(annotationsOf(shared), "GL001")).toEqual([]);
    expect(annotationsOf(shared).filter((a) => a.level === "error")).toEqual([]);
  });

  test("without an opt-in the * DOCKER_AUTH_CONFIG holds the credential helpers only (no secret, not masked)", () => {
    const plain = synthOf(exampleConfig);
    const auth = authOf(plain.sharedVariables, "*");
    expect(JSON.parse(auth.value)).toEqual({ credHelpers: { "111111111111.dkr.ecr.eu-central-1.amazonaws.com": "ecr-login" } });
    expect(auth.masked).toBe(false);
    expect((plain.shared as { variable?: unknown }).variable).toBeUndefined();
  });

  test("environments declaring one registry's pull-only credential alike give one entry", () => {
    const both = withGitLab(1, { variables: { environmentScope: "staging", protected: true }, externalRegistries: [{ registry: ACR, username: "acme-ci-staging@acme", passwordVariable: "acr_staging_password", unprotectedPull: pull }] }, optedIn);
    const auth = authOf(synthOf(both).sharedVariables, "*");
    expect(auth.value.match(/acr_pull_password/g)).toHaveLength(1);
  });
});

describe("unprotectedPull: configuration", () => {
  const message = (config: PlatformConfig) => violationOf(() => validateConfig(config)).message;
  const P2 = "config/environments\\[2\\]/gitlab/externalRegistries\\[0\\]/unprotectedPull";

  test("its password variable is the protected credential's", () => {
    const same = withGitLab(2, { externalRegistries: [{ registry: ACR, username: "u", passwordVariable: "acr_password", unprotectedPull: { username: "p", passwordVariable: "acr_password" } }] });
    expect(message(same)).toMatch(new RegExp(`^${P2}: invalid passwordVariable "acr_password"\\. Rule: the pull-only credential reaches every job.*externalRegistries\\[0\\]\\.passwordVariable names the credential of protected jobs.*Fix: .*"acr_password_pull"`, "s"));
  });

  test("its password variable is another environment's protected credential", () => {
    const staging = withGitLab(1, { externalRegistries: [{ registry: "r.example.com", username: "u", passwordVariable: "acr_pull_password" }] }, optedIn);
    expect(message(staging)).toMatch(new RegExp(`${P2}: invalid passwordVariable "acr_pull_password"\\. Rule: .*config/environments\\[1\\]/gitlab/externalRegistries\\[0\\]\\.passwordVariable names a credential of protected jobs`, "s"));
  });

  test("its password variable is no Terraform name, its user name is empty", () => {
    const bad = withGitLab(2, { externalRegistries: [{ registry: ACR, username: "u", passwordVariable: "acr_password", unprotectedPull: { username: "", passwordVariable: "acr pull" } }] });
    const text = message(bad);
    expect(text).toMatch(new RegExp(`${P2}: invalid username ""`));
    expect(text).toMatch(new RegExp(`${P2}: invalid passwordVariable "acr pull"\\. Rule: the password variable is a Terraform variable name`));
  });

  test("the group's * variables are protected: unprotected jobs would get no DOCKER_AUTH_CONFIG", () => {
    const protectedDev = withGitLab(0, { variables: { protected: true } }, optedIn);
    expect(message(protectedDev)).toMatch(new RegExp(`^${P2}: invalid unprotectedPull "${ACR.replace(/\./g, "\\.")}"\\. Rule: .*defined by environment dev, are protected.*Fix: set gitlab\\.variables\\.protected: false in environment dev`, "s"));
  });

  test("no environment of the group defines the * variables", () => {
    const scopedDev = withGitLab(0, { variables: { environmentScope: "dev" } }, optedIn);
    expect(message(scopedDev)).toMatch(new RegExp(`${P2}: invalid unprotectedPull .*Rule: .*no environment of acme on https://gitlab\\.example\\.com defines the \\* group variables`, "s"));
  });

  test("two environments give one registry different pull-only credentials", () => {
    const differing = withGitLab(1, { externalRegistries: [{ registry: ACR, username: "s", passwordVariable: "acr_staging_password", unprotectedPull: { username: "other-robot", passwordVariable: "acr_pull_password" } }] }, optedIn);
    expect(message(differing)).toMatch(/config\/environments\[2\]\/gitlab\/externalRegistries\[0\]\/unprotectedPull: invalid unprotectedPull .*Rule: one DOCKER_AUTH_CONFIG entry per registry .*config\/environments\[1\]\/gitlab\/externalRegistries\[0\]\/unprotectedPull gives/s);
  });

  test("two registries' pull-only credentials share a password variable", () => {
    const sharing = withGitLab(1, { externalRegistries: [{ registry: "harbor.example.com", username: "s", passwordVariable: "harbor_password", unprotectedPull: pull }] }, optedIn);
    expect(message(sharing)).toMatch(/config\/environments\[2\]\/gitlab\/externalRegistries\[0\]\/unprotectedPull: invalid passwordVariable "acr_pull_password"\. Rule: one Terraform variable per pull-only credential in the gitlab-shared stack/);
  });
});
