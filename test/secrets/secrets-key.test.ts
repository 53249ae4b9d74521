import { SecretsKey } from "../../lib/secrets/secrets-key";
import { onlyResource, synth, testStack, violationOf } from "../support/synth";

const props = { aliasName: "acme-ci-dev-secrets", accountId: "111111111111", region: "eu-central-1" };
type Statement = { Sid: string; Effect: string; Principal: { AWS: string }; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };

function keyWith(build: (key: SecretsKey) => void = () => undefined, extra: Partial<typeof props & { preventDestroy: boolean; deletionWindowInDays: number }> = {}) {
  const stack = testStack();
  const key = new SecretsKey(stack, "secrets-key", { ...props, ...extra });
  build(key);
  const json = synth(stack).json;
  const resource = onlyResource(json, "aws_kms_key");
  return { key, resource, statements: (JSON.parse(resource.policy as string) as { Statement: Statement[] }).Statement, json };
}

describe("SecretsKey", () => {
  test("rotation on, a 30-day deletion window, an alias; prevent_destroy on request", () => {
    const { resource, json } = keyWith();
    expect(resource).toEqual(expect.objectContaining({ enable_key_rotation: true, deletion_window_in_days: 30 }));
    expect(resource).not.toHaveProperty("lifecycle");
    expect(onlyResource(json, "aws_kms_alias").name).toBe("alias/acme-ci-dev-secrets");
    expect(keyWith(undefined, { preventDestroy: true }).resource.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("key policy: the account root administers (no kms:*), decrypt only through SSM, each role only its own parameters", () => {
    const token = "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/build/token";
    const password = "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci-dev-mirror/admin-password";
    const { statements } = keyWith((key) => {
      key.allowParameters({ principalArn: "arn:aws:iam::111111111111:role/acme-ci-dev-runner-host", parameterArns: [token] });
      key.allowParameters({ principalArn: "arn:aws:iam::111111111111:role/acme-ci-dev-mirror-host", parameterArns: [password], write: true });
    });
    const [root, deny, read, write] = statements;
    expect(root!.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:root" });
    expect(root!.Action).toContain("kms:PutKeyPolicy");
    expect(root!.Action).not.toContain("kms:*");
    expect(root!.Action).not.toContain("kms:CreateGrant");
    expect(deny).toEqual(expect.objectContaining({ Effect: "Deny", Action: "kms:Decrypt", Condition: { StringNotEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com" } } }));
    expect(read).toEqual(
      expect.objectContaining({
        Principal: { AWS: "arn:aws:iam::111111111111:role/acme-ci-dev-runner-host" },
        Action: ["kms:Decrypt"],
        Condition: { StringEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN": [token] } },
      }),
    );
    expect(write!.Action).toEqual(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]);
  });

  test("bad input: a reserved alias, a deletion window outside 7-30 days, a use without parameters", () => {
    expect(violationOf(() => keyWith(undefined, { aliasName: "aws/ssm" })).message).toMatch(/^test\/secrets-key: invalid aliasName "aws\/ssm"\. Rule: .*does not start with aws/);
    expect(violationOf(() => keyWith(undefined, { deletionWindowInDays: 3 })).message).toMatch(/invalid deletionWindowInDays 3\. Rule: KMS waits 7 to 30 days/);
    expect(violationOf(() => keyWith((key) => key.allowParameters({ principalArn: "arn:aws:iam::111111111111:role/x", parameterArns: [] }))).message).toMatch(/invalid parameterArns \[\]/);
  });
});
