import { TerraformVariable } from "cdktf";
import { CiVariables } from "../../lib/gitlab/ci-variable";
import { DockerAuthConfig } from "../../lib/gitlab/docker-auth-config";
import { ContainerRepository } from "../../lib/registry/repository";
import { resourcesOf, synth, testStack, violationOf } from "../support/synth";

const ECR = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const ACR = "registry.cn-hangzhou.aliyuncs.com";

/** Synthesizes the DOCKER_AUTH_CONFIG group variable built by `make` and returns it. */
function variableOf(make: (stack: ReturnType<typeof testStack>) => DockerAuthConfig, options = {}) {
  const stack = testStack();
  const auth = make(stack);
  new CiVariables(stack, "vars", { target: { group: "acme" }, variables: [auth.toVariable(options)] });
  const { text, json } = synth(stack);
  return { text, variable: Object.values(resourcesOf(json, "gitlab_group_variable"))[0]! };
}

const acrPassword = (stack: ReturnType<typeof testStack>) => new TerraformVariable(stack, "acr-password", { type: "string", sensitive: true }).stringValue;

describe("DockerAuthConfig", () => {
  test("ECR only: plain credHelpers JSON, no secret, not masked", () => {
    const { variable } = variableOf(() => new DockerAuthConfig("auth", { ecrRegistries: [ECR] }));
    expect(JSON.parse(variable.value as string)).toEqual({ credHelpers: { [ECR]: "ecr-login" } });
    expect(variable).toEqual(expect.objectContaining({ key: "DOCKER_AUTH_CONFIG", masked: false, raw: true, protected: false }));
    expect(variable).not.toHaveProperty("hidden");
  });

  test("ECR host from a repository: the key is a reference resolved at apply", () => {
    const { variable } = variableOf((stack) => {
      const repo = new ContainerRepository(stack, "repo", { repositoryName: "acme/app" });
      return new DockerAuthConfig("auth", { ecrRegistries: [repo.registryHost] });
    });
    expect(variable.value).toMatch(/^\{"credHelpers":\{"\$\{element\(split\("\/", aws_ecr_repository\.repo_repository_[0-9A-F]{8}\.repository_url\), 0\)\}":"ecr-login"\}\}$/);
  });

  test("static only: auths built with Terraform functions from the sensitive variable; masked, hidden, raw", () => {
    const { text, variable } = variableOf((stack) => new DockerAuthConfig("auth", { staticCredentials: [{ registry: ACR, username: "acme-pull", password: acrPassword(stack) }] }));
    expect(variable.value).toBe(`\${jsonencode({"auths" = zipmap(["${ACR}"], [{"auth" = base64encode(join(":", ["acme-pull", var.acr-password]))}])})}`);
    expect(variable).toEqual(expect.objectContaining({ masked: true, hidden: true, raw: true }));
    expect(text).not.toMatch(/"auth"\s*:\s*"/);
  });

  test("mixed: one value with auths and credHelpers, protected as configured", () => {
    const { variable } = variableOf(
      (stack) => new DockerAuthConfig("auth", { ecrRegistries: [ECR], staticCredentials: [{ registry: ACR, username: "acme-pull", password: acrPassword(stack) }] }),
      { protected: true, environmentScope: "production", hidden: false },
    );
    expect(variable.value).toBe(
      `\${jsonencode({"auths" = zipmap(["${ACR}"], [{"auth" = base64encode(join(":", ["acme-pull", var.acr-password]))}]), "credHelpers" = zipmap(["${ECR}"], ["ecr-login"])})}`,
    );
    expect(variable).toEqual(expect.objectContaining({ masked: true, protected: true, environment_scope: "production", raw: true }));
    expect(variable).not.toHaveProperty("hidden");
  });

  test("deploy tokens with read_registry feed auths", () => {
    const stack = testStack();
    const token = new TerraformVariable(stack, "t", { type: "string", sensitive: true }).stringValue;
    const auth = new DockerAuthConfig("auth", { deployTokens: [{ registry: "registry.gitlab.example.com", username: "gitlab+deploy-token-1", password: token, scopes: ["read_registry"] }] });
    expect(auth.containsSecret).toBe(true);
    expect(auth.render()).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });
});

describe("DockerAuthConfig validation", () => {
  test("a deploy token without registry scopes", () => {
    const stack = testStack();
    const token = new TerraformVariable(stack, "t", { type: "string", sensitive: true }).stringValue;
    const error = violationOf(
      () => new DockerAuthConfig("dev/auth", { deployTokens: [{ registry: "registry.gitlab.example.com", username: "u", password: token, scopes: ["read_repository"] }] }),
    );
    expect(error.message).toMatch(
      /^dev\/auth\/deployTokens\[0\]: invalid deploy token scopes \["read_repository"\]\. Rule: a deploy token used in DOCKER_AUTH_CONFIG pulls job images, which needs the read_registry scope\. Fix: create the token with scopes \["read_registry"\]/,
    );
  });

  test("a literal password", () => {
    const error = violationOf(() => new DockerAuthConfig("dev/auth", { staticCredentials: [{ registry: ACR, username: "u", password: "hunter2hunter2" }] }));
    expect(error.message).toMatch(/^dev\/auth\/staticCredentials\[0\]: invalid password "<literal, hidden>"\. Rule: a registry password must not be a literal.*Fix: declare a sensitive TerraformVariable/);
    expect(error.message).not.toContain("hunter2");
  });

  test("a registry given as a URL", () => {
    const error = violationOf(() => new DockerAuthConfig("dev/auth", { ecrRegistries: [`https://${ECR}/acme`] }));
    expect(error.message).toMatch(new RegExp(`invalid registry host "https://${ECR}/acme"\\. Rule: a registry is host\\[:port\\] .*Fix: use e\\.g\\. "${ECR.replace(/\./g, "\\.")}"`));
  });

  test("the same registry twice", () => {
    const stack = testStack();
    const error = violationOf(() => new DockerAuthConfig("dev/auth", { ecrRegistries: [ECR], staticCredentials: [{ registry: ECR, username: "AWS", password: acrPassword(stack) }] }));
    expect(error.message).toMatch(/^dev\/auth\/staticCredentials\[0\]: invalid registry host .*one entry per registry, but dev\/auth\/ecrRegistries\[0\] already configures it/);
  });

  test("a user name with white space (the masked raw value would be rejected)", () => {
    const stack = testStack();
    const error = violationOf(() => new DockerAuthConfig("dev/auth", { staticCredentials: [{ registry: ACR, username: "acme pull", password: acrPassword(stack) }] }));
    expect(error.message).toMatch(/invalid username "acme pull"\. Rule: a registry user name is non-empty without white space or ':'/);
  });

  test("no registry at all", () => {
    expect(violationOf(() => new DockerAuthConfig("dev/auth", {})).message).toMatch(/^dev\/auth: invalid registries .*needs at least one registry/);
  });
});
