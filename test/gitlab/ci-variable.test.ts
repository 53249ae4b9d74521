import { TerraformVariable } from "cdktf";
import { CiVariables, type CiVariableOptions, validateMaskedValue } from "../../lib/gitlab/ci-variable";
import { resourcesOf, synth, testStack, violationOf } from "../support/synth";

const build = (variables: readonly CiVariableOptions[], target: { project: string } | { group: string } = { project: "acme/app" }) => {
  const stack = testStack();
  new CiVariables(stack, "vars", { target, variables });
  return synth(stack).json;
};

describe("CiVariables", () => {
  test("writes project variables with every attribute and GitLab's defaults made explicit", () => {
    const json = build([
      { key: "PLATFORM_REGION", value: "eu-central-1" },
      { key: "BUILD_SIGNATURE", value: "abcDEF123+/=", masked: true, protected: true, environmentScope: "production", description: "deploy" },
      { key: "KUBECONFIG", value: "apiVersion: v1", variableType: "file", raw: true },
    ]);
    const vars = resourcesOf(json, "gitlab_project_variable");
    expect(Object.keys(vars)).toHaveLength(3);
    expect(Object.values(vars).sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual([
      {
        key: "BUILD_SIGNATURE",
        value: "abcDEF123+/=",
        project: "acme/app",
        masked: true,
        protected: true,
        raw: false,
        variable_type: "env_var",
        environment_scope: "production",
        description: "deploy",
      },
      { key: "KUBECONFIG", value: "apiVersion: v1", project: "acme/app", masked: false, protected: false, raw: true, variable_type: "file", environment_scope: "*" },
      { key: "PLATFORM_REGION", value: "eu-central-1", project: "acme/app", masked: false, protected: false, raw: false, variable_type: "env_var", environment_scope: "*" },
    ]);
  });

  test("writes group variables, hidden ones included", () => {
    const json = build([{ key: "MASKED_VALUE", value: "s3cr3t-value", masked: true, hidden: true, raw: true }], { group: "acme" });
    expect(Object.values(resourcesOf(json, "gitlab_group_variable"))).toEqual([
      expect.objectContaining({ group: "acme", key: "MASKED_VALUE", masked: true, hidden: true, raw: true }),
    ]);
    expect(resourcesOf(json, "gitlab_project_variable")).toEqual({});
  });

  test("the same key in two environment scopes is two variables", () => {
    const json = build([
      { key: "ROLE_ARN", value: "a", environmentScope: "*" },
      { key: "ROLE_ARN", value: "b", environmentScope: "review/*" },
    ]);
    expect(Object.values(resourcesOf(json, "gitlab_project_variable")).map((v) => v.environment_scope)).toEqual(["*", "review/*"]);
  });

  test("token values are not checked (only known at apply)", () => {
    const stack = testStack();
    const secret = new TerraformVariable(stack, "secret", { type: "string", sensitive: true });
    new CiVariables(stack, "vars", { target: { project: "acme/app" }, variables: [{ key: "S", value: secret.stringValue, masked: true }] });
    expect(Object.values(resourcesOf(synth(stack).json, "gitlab_project_variable"))[0]!.value).toBe("${var.secret}");
  });
});

describe("CiVariables validation", () => {
  test("a key with invalid characters", () => {
    const error = violationOf(() => build([{ key: "MY-VAR", value: "x" }]));
    expect(error.path).toBe("test/vars/variables[0]");
    expect(error.message).toMatch(/^test\/vars\/variables\[0\]: invalid variable key "MY-VAR"\. Rule: a GitLab CI\/CD variable key uses only letters, digits and '_' .*Fix: use e\.g\. "MY_VAR"/);
  });

  test("a key over 255 characters", () => {
    const key = "K".repeat(256);
    const error = violationOf(() => build([{ key, value: "x" }]));
    expect(error.message).toMatch(/^test\/vars\/variables\[0\]: invalid variable key "K{40}\.\.\. \(256 characters\)"\. Rule: a GitLab CI\/CD variable key is 1 to 255 characters long\. Fix: shorten the key/);
  });

  test("a key of exactly 255 characters is fine", () => {
    expect(() => build([{ key: "K".repeat(255), value: "x" }])).not.toThrow();
  });

  test("two variables with the same key and scope in one construct", () => {
    const error = violationOf(() => build([{ key: "A", value: "1" }, { key: "A", value: "2", environmentScope: "*" }]));
    expect(error.message).toMatch(
      /^test\/vars\/variables\[1\]: invalid variable \{"key":"A","environmentScope":"\*"\}\. Rule: a project holds one variable per key and environment scope, but project acme\/app already gets it from test\/vars\/variables\[0\]\. Fix: remove one of the two, or give them different environment scopes/,
    );
  });

  test("two variables with the same key and scope from two constructs of one stack", () => {
    const stack = testStack();
    new CiVariables(stack, "a", { target: { group: "acme" }, variables: [{ key: "A", value: "1" }] });
    const error = violationOf(() => new CiVariables(stack, "b", { target: { group: "acme" }, variables: [{ key: "A", value: "2" }] }));
    expect(error.message).toMatch(/^test\/b\/variables\[0\]: .*group acme already gets it from test\/a\/variables\[0\]/);
  });

  test("hidden without masked", () => {
    const error = violationOf(() => build([{ key: "A", value: "abcdefgh", hidden: true }]));
    expect(error.message).toMatch(/^test\/vars\/variables\[0\]: invalid hidden .*Rule: GitLab hides only masked variables .*Fix: set `masked: true` as well/);
  });

  test("an environment scope with white space", () => {
    const error = violationOf(() => build([{ key: "A", value: "x", environmentScope: "prod env" }]));
    expect(error.message).toMatch(/invalid environmentScope "prod env"\. Rule: an environment scope is/);
  });

  test("a value over 10,000 characters", () => {
    const error = violationOf(() => build([{ key: "A", value: "x".repeat(10_001) }]));
    expect(error.message).toMatch(/invalid value length "10001 characters"\. Rule: GitLab limits a CI\/CD variable value to 10000 characters/);
  });
});

describe("masking rules (GitLab 17.x/18.x Ci::Maskable)", () => {
  const masked = (value: string, raw = false, strictMaskAlphabet = false) => () => build([{ key: "MASKED_VALUE", value, masked: true, raw, strictMaskAlphabet }]);

  test.each([
    ["Base64 alphabet", "QUJDREVGR0g="],
    ["with @ : . ~ - _", "user@host:1.0~a_b-c"],
    ["exactly 8 characters", "abcdefgh"],
  ])("accepts a masked expanded value: %s", (_name, value) => {
    expect(masked(value)).not.toThrow();
  });

  test.each([
    ["JSON", '{"a":"b"}'],
    ["a dollar sign", "pa$$word1"],
    ["non-ASCII", "pässwörter"],
  ])("accepts a masked raw value: %s", (_name, value) => {
    expect(masked(value, true)).not.toThrow();
  });

  test("a masked value shorter than 8 characters (the message never repeats the value)", () => {
    const error = violationOf(masked("short7!"));
    expect(error.message).toMatch(
      /^test\/vars\/variables\[0\]: invalid masked value of MASKED_VALUE "<7 characters, hidden>"\. Rule: GitLab masks only values of at least 8 characters\. Fix: use a longer secret/,
    );
    expect(error.message).not.toContain("short7!");
  });

  test("a masked expanded value with characters outside the alphabet names them", () => {
    const error = violationOf(masked("pass word!#"));
    expect(error.message).toMatch(/Rule: a masked value that GitLab expands may hold only letters, digits and _ \+ = \/ @ : \. ~ - .*it contains: space ! #\. Fix: set `raw: true`/);
    expect(error.message).not.toContain("pass word");
  });

  test("a masked raw value with white space", () => {
    const error = violationOf(masked("line one\nline two", true));
    expect(error.message).toMatch(/Rule: a masked raw value must be one line without white space .*it contains: space \\n\. Fix: remove spaces and line breaks/);
  });

  test("strictMaskAlphabet applies the expanded alphabet to raw values (older GitLab)", () => {
    expect(violationOf(masked('{"a":"b"}', true, true)).message).toMatch(/may hold only letters, digits .*it contains: \{ " \}/);
  });

  test("validateMaskedValue skips tokens", () => {
    const stack = testStack();
    const v = new TerraformVariable(stack, "v", { type: "string" });
    expect(() => validateMaskedValue("p", "value", v.stringValue)).not.toThrow();
  });
});

describe("secret variables (no silent acceptance)", () => {
  test("a literal password in an unmasked, unprotected variable is refused, and the message never repeats it", () => {
    const error = violationOf(() => build([{ key: "DEPLOY_PASSWORD", value: "hunter2-hunter2" }]));
    expect([error.path, error.subject, error.value]).toEqual(["test/vars/variables[0]", "value of DEPLOY_PASSWORD", "<literal, 15 characters, hidden>"]);
    expect(error.rule).toMatch(/its key DEPLOY_PASSWORD names a secret.*written in clear into the synthesized Terraform JSON/);
    expect(error.fix).toMatch(/sensitive TerraformVariable/);
    expect(error.message).not.toContain("hunter2");
  });

  test("a literal token format is a secret whatever the key", () => {
    const error = violationOf(() => build([{ key: "NOTES", value: "glpat-abcdefghij0123456789", masked: true, protected: true }]));
    expect(error.rule).toMatch(/its value looks like a GitLab token/);
  });

  test("a secret passed as a token must still be masked and protected", () => {
    const stack = testStack();
    const token = new TerraformVariable(stack, "token", { type: "string", sensitive: true });
    const error = violationOf(() => new CiVariables(stack, "vars", { target: { group: "acme" }, variables: [{ key: "REGISTRY_TOKEN", value: token.stringValue, masked: true }] }));
    expect([error.subject, error.value]).toEqual(["protection of REGISTRY_TOKEN", { masked: true, hidden: false, protected: false }]);
    expect(() => new CiVariables(testStack(), "ok", { target: { group: "acme" }, variables: [{ key: "REGISTRY_TOKEN", value: new TerraformVariable(stack, "t2", { sensitive: true }).stringValue, masked: true, protected: true }] })).not.toThrow();
  });

  test("a plain-JavaScript variableType or a string flag is refused", () => {
    expect(violationOf(() => build([{ key: "A", value: "x", variableType: "File" as never }])).rule).toMatch(/variableType is one of "env_var", "file"/);
    expect(violationOf(() => build([{ key: "A", value: "x", protected: "false" as never }])).subject).toBe("protected");
  });
});
