import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type TerraformStack } from "cdktf";
import { ACCOUNT_ID, partitionOf, REGION } from "../lib/core/aws";
import { check } from "../lib/core/errors";
import { isUnresolved } from "../lib/core/tokens";

/**
 * The role the AWS provider of every stack of one account assumes, so that
 * `cdktf deploy '*'` deploys every account from one credential chain: the
 * caller's credentials (a CI job's, an SSO profile's) only need
 * `sts:AssumeRole` on each account's role, and each role's trust policy names
 * the caller. Rendered as the provider's `assume_role` block (Terraform AWS
 * provider, "Assuming an IAM role": `role_arn`, `session_name`, `external_id`).
 */
export interface AccountDeployRole {
  /**
   * ARN of the role in this account, `arn:<partition>:iam::<accountId>:role/<path/name>`.
   * It needs the permissions to create what the account's stacks hold; give it a
   * permissions boundary of your own if your organisation requires one.
   */
  readonly roleArn: string;
  /**
   * The session name, visible in the account's CloudTrail (STS `RoleSessionName`:
   * 2-64 characters of letters, digits and `_+=,.@-`).
   * @default `<project>-<stack>`
   */
  readonly sessionName?: string;
  /**
   * The external id the role's trust policy requires (STS `ExternalId`: 2-1224
   * characters of letters, digits and `_+=,.@:/-`). It is not a secret.
   * @default none
   */
  readonly externalId?: string;
}

/** An IAM role ARN: partition, account, optional path and name (IAM `CreateRole`: name 1-64, path up to 512 of `[\w+=,.@/-]`). */
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/**
 * Checks an account's deploy role: a role ARN in the same account and partition
 * as the account's region (a role of another account would deploy there, and
 * `allowed_account_ids` would refuse it only at plan time), a valid session name
 * and external id. Unresolved tokens are not checked.
 *
 * @param path config path of the role, e.g. `config/accounts[0]/deployRole`
 * @throws ValidationError naming `path`, the value, the rule and the fix
 */
export function validateDeployRole(path: string, role: AccountDeployRole, accountId: string, region: string): void {
  // A malformed account id or region (or one of the wrong type: RegExp.test would read the number
  // 111111111111 as "111111111111") is reported at its own field; the comparisons below skip it.
  const knownAccount = typeof accountId === "string" && ACCOUNT_ID.test(accountId);
  const knownRegion = typeof region === "string" && REGION.test(region);
  const partition = knownRegion ? partitionOf(region) : "aws";
  if (!isUnresolved(role.roleArn)) {
    const match = ROLE_ARN.exec(role.roleArn);
    check(match !== null, {
      path,
      subject: "roleArn",
      value: role.roleArn,
      rule: "a role ARN looks like arn:aws:iam::<12-digit account>:role/<name>",
      fix: `copy the role's ARN from \`aws iam get-role --role-name <name> --query Role.Arn\`, e.g. arn:${partition}:iam::${knownAccount ? accountId : "<account id>"}:role/platform-deploy`,
    });
    if (match !== null) {
      check(!knownAccount || match[2] === accountId, {
        path,
        subject: "roleArn",
        value: role.roleArn,
        rule: `the role is in the account its stacks deploy into (${accountId}), or the stacks would deploy into account ${match[2]}`,
        fix: `name a role in account ${accountId}, or move the stacks to an account entry for ${match[2]}`,
      });
      check(!knownRegion || match[1] === partition, {
        path,
        subject: "roleArn",
        value: role.roleArn,
        rule: `the role is in the partition of region ${region} (${partition})`,
        fix: `use an arn:${partition}:iam:: ARN`,
      });
    }
  }
  if (role.sessionName !== undefined && !isUnresolved(role.sessionName)) {
    check(SESSION_NAME.test(role.sessionName), {
      path,
      subject: "sessionName",
      value: role.sessionName,
      rule: "an STS role session name is 2-64 letters, digits and _+=,.@-",
      fix: "use a name such as acme-ci-deploy, or leave it out for <project>-<stack>",
    });
  }
  if (role.externalId !== undefined && !isUnresolved(role.externalId)) {
    check(EXTERNAL_ID.test(role.externalId), {
      path,
      subject: "externalId",
      value: role.externalId,
      rule: "an STS external id is 2-1224 letters, digits and _+=,.@:/-",
      fix: "use the external id the role's trust policy names",
    });
  }
}

/** What {@link addAwsProvider} needs: where the stack deploys, as who, and its default tags. */
export interface StackAwsProviderOptions {
  /** The 12-digit account the stack deploys into (`allowed_account_ids`). */
  readonly accountId: string;
  /** The region. */
  readonly region: string;
  /** The role the provider assumes; without it the caller's credentials deploy directly. */
  readonly deployRole?: AccountDeployRole;
  /** Session name used when the role gives none, e.g. `acme-ci-dev`. */
  readonly defaultSessionName: string;
  /** Tags on every resource of the stack. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Adds the stack's AWS provider (construct id `aws`): pinned to the account
 * (`allowed_account_ids`) and region, with default tags, assuming the
 * account's deploy role when one is configured.
 */
export function addAwsProvider(stack: TerraformStack, options: StackAwsProviderOptions): AwsProvider {
  const role = options.deployRole;
  return new AwsProvider(stack, "aws", {
    region: options.region,
    allowedAccountIds: [options.accountId],
    ...(role
      ? {
          assumeRole: [
            {
              roleArn: role.roleArn,
              sessionName: role.sessionName ?? options.defaultSessionName,
              ...(role.externalId === undefined ? {} : { externalId: role.externalId }),
            },
          ],
        }
      : {}),
    defaultTags: [{ tags: { ...options.tags } }],
  });
}
