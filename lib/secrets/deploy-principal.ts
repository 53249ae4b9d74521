import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { ACCOUNT_ID, partitionOf } from "../core/aws";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/** The principal that applies Terraform for a stack, as a key policy names it. */
export interface DeployPrincipal {
  /** Its ARN (a literal, or a reference to `data.aws_iam_session_context.…issuer_arn`). */
  readonly arn: string;
  /**
   * Where it comes from: `prop` (given), `provider` (the role the stack's default AWS provider
   * assumes), `session` (the applying identity, resolved at plan time).
   */
  readonly source: "prop" | "provider" | "session";
}

/** An IAM role or user ARN (roles and users may have paths; IAM `CreateRole`/`CreateUser`). */
const PRINCIPAL_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(role|user)\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/**
 * Checks a deploy principal given to a key policy: an IAM role or user ARN of the key's
 * account and partition. The account root (`arn:aws:iam::<account>:root`, or the bare
 * account id) is refused: a key policy naming the root lets every IAM policy of the account
 * that allows `kms:Decrypt` decrypt (AWS KMS developer guide, "Default key policy": "allows
 * IAM policies to allow access to the KMS key"), the very path the key policy closes.
 * Unresolved tokens are not checked.
 *
 * @param path construct path for the error
 * @param subject what the ARN was given as, for the error (default `deployPrincipalArn`; the
 *   role derived from the stack's AWS provider names its `assume_role` block)
 * @throws ValidationError naming the path, the value, the rule and the fix
 */
export function validateDeployPrincipal(path: string, arn: string, accountId: string, region: string, subject = "deployPrincipalArn"): void {
  if (isUnresolved(arn)) return;
  const partition = partitionOf(region);
  const match = PRINCIPAL_ARN.exec(arn);
  check(match !== null, {
    path,
    subject,
    value: arn,
    rule: "the principal that applies Terraform is named by its IAM role or user ARN; the account root (or an account id) would let every IAM policy of the account grant decryption",
    fix: `name the role that applies Terraform, e.g. arn:${partition}:iam::${accountId}:role/platform-deploy`,
  });
  check(match[2] === accountId || !ACCOUNT_ID.test(accountId), {
    path,
    subject,
    value: arn,
    rule: `the principal that applies Terraform is in the key's account (${accountId})`,
    fix: `name the role in account ${accountId} that the stack's AWS provider uses`,
  });
  check(match[1] === partition, {
    path,
    subject,
    value: arn,
    rule: `the principal is in the partition of region ${region} (${partition})`,
    fix: `use an arn:${partition}:iam:: ARN`,
  });
}

/**
 * The role ARN the stack's default AWS provider ends up as, when a literal: the LAST
 * `assume_role` block, else the `assume_role_with_web_identity` block. The provider assumes its
 * `assume_role` blocks in order, each with the credentials of the one before, and applies with
 * the last (hashicorp/aws-sdk-go-base v2, credentials.go `assumeRoleCredentialsProvider`:
 * `for i, ar := range c.AssumeRole { ... awsConfig.Credentials = creds }`, used by
 * terraform-provider-aws 6.x); a web identity is the base those blocks start from. An
 * unresolved last role ARN gives `undefined` (resolved at plan time instead), never an earlier
 * block's role.
 */
function providerRoleOf(scope: Construct): { readonly arn: string; readonly block: string } | undefined {
  const stack = scope.node.scopes.find((c): c is TerraformStack => TerraformStack.isStack(c));
  const provider = stack?.node.children.find((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
  if (!provider) return undefined;
  for (const [name, blocks] of [
    ["assume_role", provider.assumeRole],
    ["assume_role_with_web_identity", provider.assumeRoleWithWebIdentity],
  ] as const) {
    if (blocks === undefined || (Array.isArray(blocks) && blocks.length === 0)) continue;
    if (!Array.isArray(blocks)) return undefined;
    const index = blocks.length - 1;
    const roleArn = (blocks[index] as { roleArn?: string }).roleArn;
    return roleArn !== undefined && !isUnresolved(roleArn) ? { arn: roleArn, block: `the stack's AWS provider ${name}[${index}].role_arn` } : undefined;
  }
  return undefined;
}

/**
 * The principal that applies Terraform for `scope`'s stack: `explicit` when given; else the
 * role the stack's default AWS provider assumes; else the applying identity, resolved at plan
 * time: `data.aws_caller_identity` gives the caller's ARN (for a role, its assumed-role session
 * ARN) and `data.aws_iam_session_context` turns it into `issuer_arn`, the role's ARN ("IAM
 * source role ARN if `arn` corresponds to an STS-assumed role. Otherwise, `issuer_arn` is the
 * same as `arn`", Terraform AWS provider 6.25 docs, data source `aws_iam_session_context`).
 * A postcondition fails the plan when that identity is the account root user.
 * With `key` (the key's account and region), a role taken from the provider gets the checks of
 * {@link validateDeployPrincipal} too (a role of the key's account and partition, not the root).
 * Data source construct ids: `caller-identity`, `deployer-session`.
 *
 * @throws ValidationError when `key` is given and the provider's role fails {@link validateDeployPrincipal}
 */
export function resolveDeployPrincipal(scope: Construct, explicit: string | undefined, key?: { readonly accountId: string; readonly region: string }): DeployPrincipal {
  if (explicit !== undefined) return { arn: explicit, source: "prop" };
  const providerRole = providerRoleOf(scope);
  if (providerRole !== undefined) {
    if (key !== undefined) validateDeployPrincipal(scope.node.path, providerRole.arn, key.accountId, key.region, providerRole.block);
    return { arn: providerRole.arn, source: "provider" };
  }
  const caller = new DataAwsCallerIdentity(scope, "caller-identity", {});
  const session = new DataAwsIamSessionContext(scope, "deployer-session", {
    arn: caller.arn,
    lifecycle: {
      postcondition: [
        {
          condition: '${!endswith(self.issuer_arn, ":root")}',
          errorMessage:
            "The key policy names the identity that applies Terraform, and that is the account root user (${self.issuer_arn}): naming the root would let every IAM policy of the account grant kms:Decrypt. Apply as an IAM role, or set deployPrincipalArn (the account's deploy role).",
        },
      ],
    },
  });
  return { arn: session.issuerArn, source: "session" };
}
