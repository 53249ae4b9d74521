/*
 * Attack paths, secrets at rest: every SSM SecureString of every synthesized
 * stack is encrypted with a customer-managed KMS key of the same stack, never
 * the AWS-managed `aws/ssm` key (which every principal of the account allowed
 * `ssm:GetParameter` decrypts), and that key's policy lets only the roles that
 * must read a parameter (and the principal applying Terraform) decrypt it: an
 * IAM policy granting `kms:Decrypt`, even an administrator's, does not.
 */
import { type SynthJson } from "../support/synth";
import { decryptsWithKey, type KeyNode, type RoleNode } from "./iam-model";
import { exampleScenario } from "./scenario";
import { readsSecret, secretsOf } from "./secret-reach";

interface SecureString {
  readonly stack: string;
  readonly id: string;
  readonly name: string;
  readonly keyId: unknown;
}

/** Every `aws_ssm_parameter` of type SecureString in every stack. */
function secureStringsOf(json: ReadonlyMap<string, SynthJson>): SecureString[] {
  const out: SecureString[] = [];
  for (const [stack, j] of json) {
    for (const [id, parameter] of Object.entries(j.resource?.aws_ssm_parameter ?? {})) {
      if (parameter.type !== "SecureString") continue;
      out.push({ stack, id, name: String(parameter.name), keyId: parameter.key_id });
    }
  }
  return out;
}

/** The `aws_kms_key` resource a `key_id` reference names (`${aws_kms_key.<id>.arn}`), if any. */
function kmsKeyOf(keyId: unknown): string | undefined {
  return typeof keyId === "string" ? /^\$\{aws_kms_key\.([^.}]+)\.(?:arn|key_id|id)\}$/.exec(keyId)?.[1] : undefined;
}

describe("attack paths: secrets at rest", () => {
  const scenario = exampleScenario();
  const parameters = secureStringsOf(scenario.json);

  it("the example app has SecureStrings to check, the legacy-pull secret access key among them", () => {
    expect(parameters.length).toBeGreaterThan(0);
    expect(parameters.filter((p) => p.name.endsWith("/legacy-pull/secret-access-key")).length).toBeGreaterThan(0);
  });

  it("every SecureString of every stack names a customer-managed key of its own stack (never aws/ssm)", () => {
    const offenders = parameters
      .filter((p) => {
        const key = kmsKeyOf(p.keyId);
        return key === undefined || scenario.json.get(p.stack)?.resource?.aws_kms_key?.[key] === undefined;
      })
      .map((p) => `${p.stack}/${p.id} (${p.name}): key_id ${JSON.stringify(p.keyId ?? null)}`);
    expect(offenders).toEqual([]);
  });

  it("the static-credentials secret access key is under the environment's secrets key", () => {
    const legacy = parameters.filter((p) => p.name.endsWith("/legacy-pull/secret-access-key"));
    for (const p of legacy) {
      const aliases = Object.values(scenario.json.get(p.stack)?.resource?.aws_kms_alias ?? {});
      const key = kmsKeyOf(p.keyId);
      expect(aliases.some((a) => String(a.name).endsWith("-secrets") && String(a.target_key_id).includes(`aws_kms_key.${key}.`))).toBe(true);
    }
  });
});

describe("attack paths: who decrypts the SecureStrings (key policies evaluated with the IAM model)", () => {
  const scenario = exampleScenario();
  const parameters = secureStringsOf(scenario.json);
  const regionOf = (stack: string) => String((scenario.json.get(stack)?.provider as { aws?: { region?: string }[] } | undefined)?.aws?.[0]?.region);
  const accountOf = (stack: string) => scenario.model.roles.find((r) => r.stack === stack)?.account ?? "";
  const keyOf = (p: SecureString) => scenario.model.keys.find((k) => k.stack === p.stack && k.id === kmsKeyOf(p.keyId))!;
  const parameterArn = (p: SecureString) => `arn:aws:ssm:${regionOf(p.stack)}:${accountOf(p.stack)}:parameter/${p.name.replace(/^\//, "")}`;
  /** A principal of the key's account holding only IAM permissions: an administrator, or a role allowed kms:Decrypt on "*". */
  const iamOnly = (stack: string, name: string, grant: Pick<RoleNode, "policies" | "managedPolicyArns">): RoleNode => ({
    stack,
    account: accountOf(stack),
    name,
    arn: `arn:aws:iam::${accountOf(stack)}:role/${name}`,
    trust: { Statement: [] },
    ...grant,
  });
  const administrator = (stack: string) => iamOnly(stack, "ops-administrator", { policies: [], managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] });
  const broadOps = (stack: string) =>
    iamOnly(stack, "ops-broad", { policies: [{ Statement: [{ Effect: "Allow", Action: ["kms:Decrypt", "ssm:GetParameter"], Resource: "*" }] }], managedPolicyArns: [] });
  const decrypts = (key: KeyNode, role: RoleNode, p: SecureString) => decryptsWithKey(key, role, regionOf(p.stack), parameterArn(p));

  test("an IAM-only grant of kms:Decrypt (AdministratorAccess, or kms:Decrypt on *) decrypts no SecureString of any stack", () => {
    expect(parameters.length).toBeGreaterThan(0);
    const decrypted = parameters.flatMap((p) => [administrator(p.stack), broadOps(p.stack)].filter((role) => decrypts(keyOf(p), role, p)).map((role) => `${role.name} decrypts ${p.stack}/${p.name}`));
    expect(decrypted).toEqual([]);
  });

  test("the check can fail: with kms:Decrypt back in the account root's statement, the administrator decrypts every parameter", () => {
    const widened = (key: KeyNode): KeyNode => ({
      ...key,
      policy: {
        Statement: (key.policy.Statement as { Sid?: string; Action: string[] }[]).map((s) => (s.Sid === "AccountRootAdministers" ? { ...s, Action: [...s.Action, "kms:Decrypt"] } : s)),
      },
    });
    for (const p of parameters) expect({ parameter: p.name, decrypts: decrypts(widened(keyOf(p)), administrator(p.stack), p) }).toEqual({ parameter: p.name, decrypts: true });
  });

  test("the roles that must read decrypt exactly their own parameters; the deploy role applying Terraform decrypts all of its stack's", () => {
    let readable = 0;
    for (const key of scenario.model.keys) {
      const own = parameters.filter((p) => p.stack === key.stack && kmsKeyOf(p.keyId) === key.id);
      const readers = (key.policy.Statement as { Sid: string; Principal: { AWS: string }; Condition?: { StringEquals?: Record<string, string[]> } }[]).filter((s) => /^Read/.test(s.Sid));
      for (const statement of readers) {
        const role = scenario.model.roles.find((r) => r.arn === statement.Principal.AWS)!;
        expect(role).toBeDefined();
        const allowed = new Set(statement.Condition!.StringEquals!["kms:EncryptionContext:PARAMETER_ARN"]);
        for (const p of own) expect({ role: role.name, parameter: p.name, decrypts: decrypts(key, role, p) }).toEqual({ role: role.name, parameter: p.name, decrypts: allowed.has(parameterArn(p)) });
        readable += own.filter((p) => allowed.has(parameterArn(p))).length;
      }
      const deployer = (key.policy.Statement as { Sid: string; Principal: { AWS: string } }[]).find((s) => s.Sid === "TerraformManagesParameters")!.Principal.AWS;
      expect(deployer).toMatch(/^arn:aws:iam::\d{12}:role\/acme-ci-deploy$/);
      const deployRole = iamOnly(key.stack, "acme-ci-deploy", { policies: [], managedPolicyArns: [] });
      for (const p of own) expect({ parameter: p.name, decrypts: decrypts(key, deployRole, p) }).toEqual({ parameter: p.name, decrypts: true });
    }
    // The runner token parameters Terraform writes are read by their hosts (the example has runners in every environment).
    expect(readable).toBeGreaterThanOrEqual(3);
  });

  test("pinned readers, written down independently of the key policy: each token's own pool's host role (the protected fleet's, the autoscaler manager for the unprotected pool), no role for the static credentials; the deploy role decrypts all", () => {
    const expected: Record<string, string[]> = {
      "dev:/acme-ci/dev/runner/build/token": ["acme-ci-dev-runner-host"],
      "dev:/acme-ci/dev/runner/test/token": ["acme-ci-dev-runner-host"],
      "dev:/acme-ci/dev/runner/mr/token": ["acme-ci-dev-unprotected-runner-manager"],
      "dev:/acme-ci/dev/legacy-pull/secret-access-key": [],
      "staging:/acme-ci/staging/runner/build/token": ["acme-ci-staging-runner-host"],
      "staging:/acme-ci/staging/runner/test/token": ["acme-ci-staging-runner-host"],
      "staging:/acme-ci/staging/runner/deploy/token": ["acme-ci-staging-deploy-runner-host"],
      "production:/acme-ci/production/runner/build/token": ["acme-ci-production-runner-host"],
      "production:/acme-ci/production/runner/test/token": ["acme-ci-production-runner-host"],
      "production:/acme-ci/production/runner/deploy/token": ["acme-ci-production-deploy-runner-host"],
    };
    const actual: Record<string, string[]> = {};
    const decryptors: Record<string, string[]> = {};
    for (const secret of secretsOf(scenario.json)) {
      const label = `${secret.stack}:${secret.name}`;
      const key = scenario.model.keys.find((k) => k.stack === secret.stack && k.id === secret.key)!;
      actual[label] = scenario.model.roles.filter((r) => readsSecret(scenario.model, r, secret)).map((r) => r.name).sort();
      decryptors[label] = scenario.model.roles.filter((r) => decryptsWithKey(key, r, secret.region, secret.arn)).map((r) => r.name).sort();
      const deployRole = iamOnly(secret.stack, "acme-ci-deploy", { policies: [], managedPolicyArns: [] });
      expect({ label, deployDecrypts: decryptsWithKey(key, deployRole, secret.region, secret.arn) }).toEqual({ label, deployDecrypts: true });
    }
    // Key policy decrypt and GetParameter name the same roles: no role holds one half only.
    expect(actual).toEqual(expected);
    expect(decryptors).toEqual(expected);
  });
});
