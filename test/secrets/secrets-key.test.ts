import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type TerraformStack } from "cdktf";
import { ACCOUNT_ROOT_ACTIONS, SecretsKey } from "../../lib/secrets/secrets-key";
import { onlyResource, synth, testStack, violationOf } from "../support/synth";

const props = { aliasName: "acme-ci-dev-secrets", accountId: "111111111111", region: "eu-central-1" };
type Statement = { Sid: string; Effect: string; Principal: { AWS: string }; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };

function keyWith(
  build: (key: SecretsKey) => void = () => undefined,
  extra: Partial<typeof props & { preventDestroy: boolean; deletionWindowInDays: number; deployPrincipalArn: string }> = {},
  provider: (stack: TerraformStack) => void = () => undefined,
) {
  const stack = testStack();
  provider(stack);
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
    const [root, deny, terraform, read, write] = statements;
    expect(root!.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:root" });
    expect(root!.Action).toContain("kms:PutKeyPolicy");
    expect(root!.Action).not.toContain("kms:*");
    expect(root!.Action).not.toContain("kms:CreateGrant");
    expect(terraform!.Sid).toBe("TerraformManagesParameters");
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

  // The account root's statement is what lets IAM policies use the key: with data-plane actions in it, any
  // principal whose IAM policy allows kms:Decrypt on "*" (an administrator, a broad operations role) decrypts
  // the runner tokens and the mirror password through SSM.
  test("the account root's statement administers only: no kms:Decrypt, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*, grants", () => {
    const { statements } = keyWith();
    const root = statements.find((s) => s.Sid === "AccountRootAdministers")!;
    const dataPlane = (root.Action as string[]).filter((a) => /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|CreateGrant)/.test(a));
    expect(dataPlane).toEqual([]);
    expect([...ACCOUNT_ROOT_ACTIONS]).toEqual(expect.arrayContaining(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:DescribeKey"]));
    // No other statement names the account root.
    expect(statements.filter((s) => s.Principal.AWS === "arn:aws:iam::111111111111:root").map((s) => s.Sid)).toEqual(["AccountRootAdministers"]);
  });

  test("the principal applying Terraform decrypts and encrypts through SSM: the deploy role the stack's provider assumes", () => {
    const { statements, json } = keyWith(undefined, {}, (stack) => {
      new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: ["111111111111"], assumeRole: [{ roleArn: "arn:aws:iam::111111111111:role/acme-ci-deploy" }] });
    });
    expect(statements.find((s) => s.Sid === "TerraformManagesParameters")).toEqual({
      Sid: "TerraformManagesParameters",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111111111111:role/acme-ci-deploy" },
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com" } },
    });
    expect(json.data?.aws_iam_session_context).toBeUndefined();
  });

  test("web-identity providers name their role too; an explicit deployPrincipalArn wins", () => {
    const web = keyWith(undefined, {}, (stack) => {
      new AwsProvider(stack, "aws", { region: "eu-central-1", assumeRoleWithWebIdentity: [{ roleArn: "arn:aws:iam::111111111111:role/ci-apply", webIdentityTokenFile: "/tmp/t" }] });
    });
    expect(web.statements.find((s) => s.Sid === "TerraformManagesParameters")!.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:role/ci-apply" });
    const explicit = keyWith(undefined, { deployPrincipalArn: "arn:aws:iam::111111111111:role/path/ops-apply" });
    expect(explicit.statements.find((s) => s.Sid === "TerraformManagesParameters")!.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:role/path/ops-apply" });
    expect(explicit.key.deployPrincipal.source).toBe("prop");
  });

  test("without a deploy role: the applying identity's role, resolved at plan time (caller identity -> session context issuer_arn), never the root user", () => {
    const { statements, json, key } = keyWith();
    expect(key.deployPrincipal.source).toBe("session");
    const callers = Object.keys(json.data?.aws_caller_identity ?? {});
    const sessions = Object.entries(json.data?.aws_iam_session_context ?? {});
    expect(callers).toHaveLength(1);
    expect(sessions).toHaveLength(1);
    const [sessionId, session] = sessions[0]!;
    expect(session.arn).toBe(`\${data.aws_caller_identity.${callers[0]!}.arn}`);
    expect(statements.find((s) => s.Sid === "TerraformManagesParameters")!.Principal).toEqual({ AWS: `\${data.aws_iam_session_context.${sessionId}.issuer_arn}` });
    const postcondition = (session.lifecycle as { postcondition: { condition: string; error_message: string }[] }).postcondition[0]!;
    expect(postcondition.condition).toBe('${!endswith(self.issuer_arn, ":root")}');
    expect(postcondition.error_message).toMatch(/account root user .*Apply as an IAM role, or set deployPrincipalArn/);
  });

  test("bad input: a deploy principal that is the account root, an account id, another account's role or another partition's", () => {
    const message = (arn: string) => violationOf(() => keyWith(undefined, { deployPrincipalArn: arn })).message;
    expect(message("arn:aws:iam::111111111111:root")).toMatch(/^test\/secrets-key: invalid deployPrincipalArn "arn:aws:iam::111111111111:root"\. Rule: .*account root .*every IAM policy of the account grant decryption\. Fix: name the role that applies Terraform/);
    expect(message("111111111111")).toMatch(/invalid deployPrincipalArn "111111111111"/);
    expect(message("arn:aws:iam::222222222222:role/deploy")).toMatch(/Rule: the principal that applies Terraform is in the key's account \(111111111111\)/);
    expect(message("arn:aws-cn:iam::111111111111:role/deploy")).toMatch(/Rule: the principal is in the partition of region eu-central-1 \(aws\)/);
  });

  test("bad input: a reserved alias, a deletion window outside 7-30 days, a use without parameters", () => {
    expect(violationOf(() => keyWith(undefined, { aliasName: "aws/ssm" })).message).toMatch(/^test\/secrets-key: invalid aliasName "aws\/ssm"\. Rule: .*does not start with aws/);
    expect(violationOf(() => keyWith(undefined, { deletionWindowInDays: 3 })).message).toMatch(/invalid deletionWindowInDays 3\. Rule: KMS waits 7 to 30 days/);
    expect(violationOf(() => keyWith((key) => key.allowParameters({ principalArn: "arn:aws:iam::111111111111:role/x", parameterArns: [] }))).message).toMatch(/invalid parameterArns \[\]/);
  });
});
