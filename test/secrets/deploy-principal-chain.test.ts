/*
 * The deploy principal taken from the stack's AWS provider: with several `assume_role` blocks
 * the provider assumes them in order and applies as the last one (aws-sdk-go-base v2,
 * credentials.go assumeRoleCredentialsProvider), so the key policy names the last; and a role
 * taken from the provider is checked like an explicit deployPrincipalArn.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type TerraformStack, TerraformVariable } from "cdktf";
import { SecretsKey } from "../../lib/secrets/secrets-key";
import { onlyResource, synth, testStack, violationOf } from "../support/synth";

type Statement = { Sid: string; Principal: { AWS: string } };
const props = { aliasName: "acme-ci-dev-secrets", accountId: "111111111111", region: "eu-central-1" };

function keyBehind(provider: (stack: TerraformStack) => void) {
  const stack = testStack();
  provider(stack);
  const key = new SecretsKey(stack, "secrets-key", props);
  const json = synth(stack).json;
  const statements = (JSON.parse(onlyResource(json, "aws_kms_key").policy as string) as { Statement: Statement[] }).Statement;
  return { key, json, deployer: statements.find((s) => s.Sid === "TerraformManagesParameters")!.Principal.AWS };
}
const chained = (...roleArns: string[]) => (stack: TerraformStack) =>
  new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: ["111111111111"], assumeRole: roleArns.map((roleArn) => ({ roleArn })) });

describe("SecretsKey deploy principal from the AWS provider", () => {
  test("chained assume_role blocks: the key policy names the last role (the identity that applies), not the first (the hub)", () => {
    const { deployer, key } = keyBehind(chained("arn:aws:iam::999999999999:role/org-hub", "arn:aws:iam::111111111111:role/acme-ci-deploy"));
    // On the old code (blocks[0]) this named the hub role of another account.
    expect(deployer).toBe("arn:aws:iam::111111111111:role/acme-ci-deploy");
    expect(key.deployPrincipal.source).toBe("provider");
  });

  test("the provider's role is validated like deployPrincipalArn: another account's, the root, another partition's are refused naming the block", () => {
    const message = (...arns: string[]) => violationOf(() => keyBehind(chained(...arns))).message;
    expect(message("arn:aws:iam::111111111111:role/acme-ci-deploy", "arn:aws:iam::222222222222:role/deploy")).toMatch(
      /^test\/secrets-key: invalid the stack's AWS provider assume_role\[1\]\.role_arn "arn:aws:iam::222222222222:role\/deploy"\. Rule: the principal that applies Terraform is in the key's account \(111111111111\)/,
    );
    expect(message("arn:aws:iam::111111111111:root")).toMatch(/invalid the stack's AWS provider assume_role\[0\]\.role_arn "arn:aws:iam::111111111111:root"\. Rule: .*account root/);
    expect(message("arn:aws-cn:iam::111111111111:role/deploy")).toMatch(/Rule: the principal is in the partition of region eu-central-1 \(aws\)/);
  });

  test("an unresolved last role falls back to the identity resolved at plan time, never an earlier block's role", () => {
    const { deployer, key, json } = keyBehind((stack) =>
      new AwsProvider(stack, "aws", {
        region: "eu-central-1",
        allowedAccountIds: ["111111111111"],
        assumeRole: [{ roleArn: "arn:aws:iam::999999999999:role/org-hub" }, { roleArn: new TerraformVariable(stack, "deploy_role", { type: "string" }).stringValue }],
      }),
    );
    expect(key.deployPrincipal.source).toBe("session");
    expect(deployer).toMatch(/^\$\{data\.aws_iam_session_context\.[^.]+\.issuer_arn\}$/);
    expect(Object.keys(json.data?.aws_iam_session_context ?? {})).toHaveLength(1);
  });

  test("a web identity alone names its role; with assume_role blocks on top, the last assume_role applies", () => {
    const both = keyBehind((stack) =>
      new AwsProvider(stack, "aws", {
        region: "eu-central-1",
        assumeRoleWithWebIdentity: [{ roleArn: "arn:aws:iam::111111111111:role/ci-oidc", webIdentityTokenFile: "/tmp/t" }],
        assumeRole: [{ roleArn: "arn:aws:iam::111111111111:role/acme-ci-deploy" }],
      }),
    );
    expect(both.deployer).toBe("arn:aws:iam::111111111111:role/acme-ci-deploy");
  });
});
