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
 * @throws ValidationError naming the path, the value, the rule and the fix
 */
export function validateDeployPrincipal(path: string, arn: string, accountId: string, region: string): void {
  if (isUnresolved(arn)) return;
  const partition = partitionOf(region);
  const match = PRINCIPAL_ARN.exec(arn);
  check(match !== null, {
    path,
    subject: "deployPrincipalArn",
    value: arn,
    rule: "the principal that applies Terraform is named by its IAM role or user ARN; the account root (or an account id) would let every IAM policy of the account grant decryption",
    fix: `name the role that applies Terraform, e.g. arn:${partition}:iam::${accountId}:role/platform-deploy`,
  });
  check(match[2] === accountId || !ACCOUNT_ID.test(accountId), {
    path,
    subject: "deployPrincipalArn",
    value: arn,
    rule: `the principal that applies Terraform is in the key's account (${accountId})`,
    fix: `name the role in account ${accountId} that the stack's AWS provider uses`,
  });
  check(match[1] === partition, {
    path,
    subject: "deployPrincipalArn",
    value: arn,
    rule: `the principal is in the partition of region ${region} (${partition})`,
    fix: `use an arn:${partition}:iam:: ARN`,
  });
}

/** The role ARN the stack's default AWS provider assumes (`assume_role` or `assume_role_with_web_identity`), when a literal. */
function providerRoleOf(scope: Construct): string | undefined {
  const stack = scope.node.scopes.find((c): c is TerraformStack => TerraformStack.isStack(c));
  const provider = stack?.node.children.find((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
  if (!provider) return undefined;
  for (const blocks of [provider.assumeRole, provider.assumeRoleWithWebIdentity]) {
    if (!Array.isArray(blocks) || blocks.length === 0) continue;
    const roleArn = (blocks[0] as { roleArn?: string }).roleArn;
    if (roleArn !== undefined && !isUnresolved(roleArn)) return roleArn;
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
 * Data source construct ids: `caller-identity`, `deployer-session`.
 */
export function resolveDeployPrincipal(scope: Construct, explicit: string | undefined): DeployPrincipal {
  if (explicit !== undefined) return { arn: explicit, source: "prop" };
  const providerRole = providerRoleOf(scope);
  if (providerRole !== undefined) return { arn: providerRole, source: "provider" };
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
