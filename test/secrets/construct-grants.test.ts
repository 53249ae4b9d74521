/*
 * Constructs holding SSM SecureStrings under a SecretsKey: their grants name the grantee in the key
 * policy for exactly their parameter. With the key policy closed to IAM (the account root holds no
 * kms:Decrypt), an IAM statement alone decrypts nothing: a user composing the constructs by hand
 * must get a working grant without wiring the key policy themselves.
 */
import fc from "fast-check";
import { type TerraformStack } from "cdktf";
import { PolicyDocument } from "../../lib/core/iam";
import { ExistingRunnerTokenParameter } from "../../lib/gitlab/existing-runner-token";
import { RunnerRegistration } from "../../lib/gitlab/runner-registration";
import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { StaticCredentials } from "../../lib/identity/static-credentials";
import { NexusMirror } from "../../lib/mirror/nexus-mirror";
import { SecretsKey } from "../../lib/secrets/secrets-key";
import { evaluatePolicy } from "../support/iam-evaluator";
import { onlyResource, resourcesOf, synth, type SynthJson, testStack, violationOf } from "../support/synth";

const ACCOUNT = "111111111111";
const REGION = "eu-central-1";
const VIA_SSM = "ssm.eu-central-1.amazonaws.com";
const arnOf = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${name.replace(/^\//, "")}`;

type Statement = { Sid: string; Principal: { AWS: string }; Action: string[]; Condition?: { StringEquals?: Record<string, unknown> } };

function setup() {
  const stack = testStack();
  const key = new SecretsKey(stack, "secrets-key", { aliasName: "acme-ci-dev-secrets", accountId: ACCOUNT, region: REGION, deployPrincipalArn: `arn:aws:iam::${ACCOUNT}:role/deploy` });
  const host = new RunnerHostRole(stack, "host", { roleName: "acme-ci-dev-runner" });
  return { stack, key, host };
}

/** The key policy's statements naming parameters (after the three fixed ones). */
function useStatements(json: SynthJson): Statement[] {
  const key = onlyResource(json, "aws_kms_key");
  return (JSON.parse(String(key.policy)) as { Statement: Statement[] }).Statement.slice(3);
}

/** `${aws_iam_role.<id>.arn}` of the role named `name`. */
function roleRef(json: SynthJson, name: string): string {
  const [id] = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === name)!;
  return `\${aws_iam_role.${id}.arn}`;
}

/** `${aws_kms_key.<id>.arn}` of the only key. */
const keyRef = (json: SynthJson) => `\${aws_kms_key.${Object.keys(resourcesOf(json, "aws_kms_key"))[0]!}.arn}`;

/** The inline policy statements of the role named `name`. */
function roleStatements(json: SynthJson, role: string): { Effect: string; Action: string[]; Resource: string[] }[] {
  const ref = roleRef(json, role).replace(".arn}", ".name}");
  const policies = Object.values(resourcesOf(json, "aws_iam_role_policy")).filter((p) => p.role === ref);
  return policies.flatMap((p) => (JSON.parse(String(p.policy)) as { Statement: { Effect: string; Action: string[]; Resource: string[] }[] }).Statement);
}

function expectReadStatement(json: SynthJson, role: string, parameterNames: string[], write = false) {
  const statements = useStatements(json);
  expect(statements).toEqual([
    expect.objectContaining({
      Principal: { AWS: roleRef(json, role) },
      Action: write ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      Condition: { StringEquals: { "kms:ViaService": VIA_SSM, "kms:EncryptionContext:PARAMETER_ARN": parameterNames.map(arnOf) } },
    }),
  ]);
}

const registration = (stack: TerraformStack, key: SecretsKey, name = "build") =>
  new RunnerRegistration(stack, `runner-${name}`, {
    scope: { type: "group", groupId: 42 },
    description: `acme-ci dev ${name}`,
    tags: [`acme-ci-${name}`],
    parameterName: `/acme-ci/dev/runner/${name}/token`,
    secretsKey: key,
  });

describe("grants under a SecretsKey name the grantee in the key policy", () => {
  test("RunnerRegistration.grantRead: key policy statement for that role and that parameter; the parameter under the key", () => {
    const { stack, key, host } = setup();
    registration(stack, key).grantRead(host);
    const { json } = synth(stack);
    expectReadStatement(json, "acme-ci-dev-runner", ["/acme-ci/dev/runner/build/token"]);
    expect(onlyResource(json, "aws_ssm_parameter").key_id).toBe(keyRef(json));
    const iam = roleStatements(json, "acme-ci-dev-runner");
    expect(iam).toContainEqual(expect.objectContaining({ Action: ["kms:Decrypt"] }));
    expect(iam).toContainEqual(expect.objectContaining({ Action: ["ssm:GetParameter"] }));
  });

  test("no grant, no statement: a registration alone adds nothing to the key policy", () => {
    const { stack, key } = setup();
    registration(stack, key);
    expect(useStatements(synth(stack).json)).toEqual([]);
  });

  test("ExistingRunnerTokenParameter.grantRead names the role for the imported parameter", () => {
    const { stack, key, host } = setup();
    new ExistingRunnerTokenParameter(stack, "token", { parameterName: "/ci/runner/token", accountId: ACCOUNT, region: REGION, secretsKey: key }).grantRead(host);
    expectReadStatement(synth(stack).json, "acme-ci-dev-runner", ["/ci/runner/token"]);
  });

  test("StaticCredentials.grantReadSecret (SSM store) names the role for the secret access key's parameter", () => {
    const { stack, key, host } = setup();
    const creds = new StaticCredentials(stack, "legacy", { userName: "acme-legacy-pull", store: { type: "ssm-parameter", parameterName: "/acme/legacy/secret", secretsKey: key } });
    creds.grantReadSecret(host);
    const { json } = synth(stack);
    expectReadStatement(json, "acme-ci-dev-runner", ["/acme/legacy/secret"]);
    expect(onlyResource(json, "aws_ssm_parameter").key_id).toBe(keyRef(json));
  });

  test("NexusMirror with adminPasswordSecretsKey: its host role reads and writes its own password parameter", () => {
    const { stack, key } = setup();
    new NexusMirror(stack, "mirror", {
      name: "acme-mirror",
      accountId: ACCOUNT,
      region: REGION,
      network: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] },
      adminPasswordSecretsKey: key,
    });
    const { json } = synth(stack);
    expectReadStatement(json, "acme-mirror-host", ["/acme-mirror/admin-password"], true);
    expect(roleStatements(json, "acme-mirror-host")).toContainEqual(
      expect.objectContaining({ Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], Condition: { StringEquals: { "kms:ViaService": VIA_SSM } } }),
    );
    // The host passes the key's alias (a literal), not its ARN, to put-parameter.
    expect(JSON.stringify(json)).toContain("alias/acme-ci-dev-secrets");
  });

  test("two readers of one token: one statement each, each for that token only", () => {
    const { stack, key, host } = setup();
    const other = new RunnerHostRole(stack, "manager", { roleName: "acme-ci-dev-manager" });
    const build = registration(stack, key, "build");
    const test = registration(stack, key, "test");
    build.grantRead(host);
    test.grantRead(other);
    const { json } = synth(stack);
    const statements = useStatements(json);
    expect(statements.map((s) => [s.Principal.AWS, s.Condition!.StringEquals!["kms:EncryptionContext:PARAMETER_ARN"]])).toEqual([
      [roleRef(json, "acme-ci-dev-runner"), [arnOf("/acme-ci/dev/runner/build/token")]],
      [roleRef(json, "acme-ci-dev-manager"), [arnOf("/acme-ci/dev/runner/test/token")]],
    ]);
  });

  test("property: granting a role parameters one by one gives the key policy of granting them together (one statement, each parameter once, IAM kms:Decrypt once)", () => {
    const name = fc.stringMatching(/^[a-z]{1,8}$/);
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), (names) => {
        const { stack, key, host } = setup();
        names.forEach((n) => new ExistingRunnerTokenParameter(stack, `t-${Math.random().toString(36).slice(2)}`, { parameterName: `/p/${n}`, accountId: ACCOUNT, region: REGION, secretsKey: key }).grantRead(host));
        const { json } = synth(stack);
        expectReadStatement(json, "acme-ci-dev-runner", [...new Set(names)].map((n) => `/p/${n}`));
        const kms = roleStatements(json, "acme-ci-dev-runner").filter((s) => s.Effect === "Allow" && s.Action.includes("kms:Decrypt"));
        expect(kms).toHaveLength(1);
        expect(kms[0]!.Resource).toHaveLength(1);
      }),
      { numRuns: 15 },
    );
  });
});

describe("secrets created outside Terraform: a reader decrypts its parameters under the customer key only", () => {
  const network = { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] };
  /** The AWS-managed aws/ssm key (its id in any account): its key policy lets every principal of the account decrypt through SSM. */
  const AWS_SSM_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0aws0ssm-0000-0000-0000-000000000000`;
  const cases: [string, (stack: TerraformStack, key: SecretsKey, host: RunnerHostRole) => void, string, string][] = [
    ["ExistingRunnerTokenParameter (a token put in SSM by hand)", (stack, key, host) => new ExistingRunnerTokenParameter(stack, "token", { parameterName: "/ci/runner/token", accountId: ACCOUNT, region: REGION, secretsKey: key }).grantRead(host), "acme-ci-dev-runner", "/ci/runner/token"],
    ["NexusMirror (an admin password parameter that already exists)", (stack, key) => new NexusMirror(stack, "mirror", { name: "acme-mirror", accountId: ACCOUNT, region: REGION, network, adminPasswordSecretsKey: key, adminPasswordParameterName: "/ops/nexus/admin" }), "acme-mirror-host", "/ops/nexus/admin"],
    ["RunnerRegistration (a token parameter Terraform writes)", (stack, key, host) => registration(stack, key).grantRead(host), "acme-ci-dev-runner", "/acme-ci/dev/runner/build/token"],
  ];

  test.each(cases)("fault: %s under another key (aws/ssm) does not decrypt for its reader; under the customer key it does", (_, build, role, parameter) => {
    const { stack, key, host } = setup();
    build(stack, key, host);
    const { json } = synth(stack);
    const policy = { Statement: roleStatements(json, role) };
    const context = { "kms:ViaService": VIA_SSM, "kms:EncryptionContext:PARAMETER_ARN": arnOf(parameter) };
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: keyRef(json), context })).toBe("allow");
    // The AWS-managed key's policy allows the read; only an explicit Deny in the reader's policy stops it (before: implicit-deny, so it decrypted).
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: AWS_SSM_KEY, context })).toBe("explicit-deny");
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/some-other-customer-key`, context })).toBe("explicit-deny");
    // Decryption of other parameters (other contexts) is left alone.
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: AWS_SSM_KEY, context: { ...context, "kms:EncryptionContext:PARAMETER_ARN": arnOf("/elsewhere") } })).toBe("implicit-deny");
  });

  test("without a customer key (aws/ssm by choice) no deny is added: nothing would decrypt", () => {
    const doc = new PolicyDocument();
    new ExistingRunnerTokenParameter("cfg", { parameterName: "/ci/t", accountId: ACCOUNT, region: REGION }).grantRead(doc);
    expect(doc.toJson().Statement.map((s) => s.Effect)).toEqual(["Allow"]);
  });
});

describe("what the grants refuse", () => {
  test("a grantee the key policy cannot name (a bare policy document) is refused with the path and the fix", () => {
    const { stack, key } = setup();
    const error = violationOf(() => registration(stack, key).grantRead(new PolicyDocument()));
    expect(error.message).toContain("test/runner-build");
    expect(error.message).toContain("allowParameters");
  });

  test("secretsKey and the deprecated kmsKeyArn together are refused", () => {
    const { stack, key } = setup();
    const error = violationOf(() => new ExistingRunnerTokenParameter(stack, "token", { parameterName: "/ci/t", accountId: ACCOUNT, region: REGION, secretsKey: key, kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/abc" }));
    expect(error.message).toContain("kmsKeyArn");
  });

  test("an imported parameter of another region than the key's is refused (the key policy would name another ARN)", () => {
    const { stack, key } = setup();
    const error = violationOf(() => new ExistingRunnerTokenParameter(stack, "token", { parameterName: "/ci/t", accountId: ACCOUNT, region: "eu-west-1", secretsKey: key }));
    // One check for both constructs (checkParameterKey): the same rule, naming the parameter and its readers.
    expect(error.message).toMatch(
      /^test\/token: invalid secretsKey .*Rule: the runner token parameter, encrypted with a customer-managed key, lives in the key's account and region .*never let the runner hosts decrypt it.*Fix: give the parameter's accountId and region of the key/,
    );
  });

  test("NexusMirror in another region or account than its adminPasswordSecretsKey is refused, as ExistingRunnerTokenParameter is (the key policy would name another ARN)", () => {
    const network = { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] };
    for (const where of [{ accountId: ACCOUNT, region: "eu-west-1" }, { accountId: "222222222222", region: REGION }]) {
      const { stack, key } = setup();
      const error = violationOf(() => new NexusMirror(stack, "mirror", { name: "acme-mirror", ...where, network, adminPasswordSecretsKey: key }));
      expect(error.message).toMatch(
        new RegExp(`^test/mirror: invalid adminPasswordSecretsKey .*arn:aws:ssm:${where.region}:${where.accountId}:parameter/acme-mirror/admin-password.*arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/acme-mirror/admin-password.*Rule: the admin password parameter, encrypted with a customer-managed key, lives in the key's account and region.*Fix: give the mirror the secrets key of its own account and region`),
      );
    }
  });

  test("a secretsKey on a Secrets Manager store is refused (the key decrypts through SSM only)", () => {
    const { stack, key } = setup();
    const store = { type: "secrets-manager", secretName: "acme/legacy", secretsKey: key } as unknown as { type: "secrets-manager"; secretName: string };
    const error = violationOf(() => new StaticCredentials(stack, "legacy", { userName: "acme-legacy", store }));
    expect(error.message).toContain("secretsKey");
  });

  test("the deprecated kmsKeyArn still grants IAM only: the key policy is the user's to extend", () => {
    const { stack, key, host } = setup();
    new ExistingRunnerTokenParameter(stack, "token", { parameterName: "/ci/t", accountId: ACCOUNT, region: REGION, kmsKeyArn: key.keyArn }).grantRead(host);
    const { json } = synth(stack);
    expect(useStatements(json)).toEqual([]);
    expect(roleStatements(json, "acme-ci-dev-runner")).toContainEqual(expect.objectContaining({ Action: ["kms:Decrypt"] }));
  });
});
