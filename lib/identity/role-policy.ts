import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamUserPolicy } from "@cdktf/provider-aws/lib/iam-user-policy";
import { Lazy, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { check, ValidationError } from "../core/errors";
import { type IGrantable, PolicyDocument, type PolicyStatement, type TrustStatement, trustPolicyJson } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { MAX_SESSION_SECONDS } from "./ci-access";

/**
 * IAM's quota for the inline policies of one role: 10,240 characters, counted
 * without white space (JSON.stringify writes none).
 */
export const ROLE_INLINE_POLICY_MAX_CHARS = 10_240;

/** IAM's quota for the inline policies of one user: 2,048 characters, counted without white space. */
export const USER_INLINE_POLICY_MAX_CHARS = 2_048;

/**
 * IAM's default quota for a role trust policy (assume-role policy): 2,048
 * characters without white space (a quota increase allows up to 4,096).
 */
export const TRUST_POLICY_MAX_CHARS = 2_048;

/** What an {@link InlinePolicyGrants} writes its policy to, and the quota that applies. */
export interface InlinePolicyTarget<R extends TerraformResource> {
  /** The principal kind, for messages: `role` or `user`. */
  readonly principalKind: string;
  /** IAM's size quota of the principal's inline policies, in characters. */
  readonly maxChars: number;
  /** Creates the policy resource in `scope` with the (lazy) rendered policy. */
  create(scope: Construct, policy: string): R;
}

/**
 * Collects grants for a principal and writes them as one inline policy,
 * created on the first grant (a principal that is never granted anything gets
 * no policy resource) and rendered at synth, so grants added later still land.
 * Rendering fails when the policy outgrows IAM's quota.
 */
export class InlinePolicyGrants<R extends TerraformResource> extends Construct implements IGrantable {
  /** The collected statements. */
  public readonly document = new PolicyDocument();
  private resource?: R;

  public constructor(
    scope: Construct,
    id: string,
    private readonly target: InlinePolicyTarget<R>,
  ) {
    super(scope, id);
  }

  /** Adds a statement, creating the policy resource on first use. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.document.addToPrincipalPolicy(statement);
    this.resource ??= this.target.create(this, Lazy.stringValue({ produce: () => this.render() }));
  }

  /** The inline policy resource, once something was granted. */
  public get policyResource(): R | undefined {
    return this.resource;
  }

  private render(): string {
    const text = this.document.render();
    const { principalKind, maxChars } = this.target;
    if (text.length > maxChars) {
      throw new ValidationError({
        path: this.node.path,
        subject: "inline policy size",
        value: `${text.length} characters`,
        rule: `IAM limits a ${principalKind}'s inline policies to ${maxChars} characters`,
        fix: `grant on fewer, broader-named resources (e.g. one repository prefix), or split the duties over several ${principalKind}s`,
      });
    }
    return text;
  }
}

/**
 * Collects grants for a role and writes them as one inline `aws_iam_role_policy`
 * (see {@link InlinePolicyGrants}; quota {@link ROLE_INLINE_POLICY_MAX_CHARS}).
 */
export class RoleGrants extends InlinePolicyGrants<IamRolePolicy> {
  /**
   * @param roleName the role's name (a token is fine)
   * @param policyName name of the inline policy
   */
  public constructor(scope: Construct, id: string, roleName: string, policyName = "grants") {
    super(scope, id, {
      principalKind: "role",
      maxChars: ROLE_INLINE_POLICY_MAX_CHARS,
      create: (s, policy) => new IamRolePolicy(s, "policy", { name: policyName, role: roleName, policy }),
    });
  }
}

/**
 * Collects grants for a user and writes them as one inline `aws_iam_user_policy`
 * (see {@link InlinePolicyGrants}; quota {@link USER_INLINE_POLICY_MAX_CHARS}).
 */
export class UserGrants extends InlinePolicyGrants<IamUserPolicy> {
  /**
   * @param userName the user's name (a token is fine)
   * @param policyName name of the inline policy
   */
  public constructor(scope: Construct, id: string, userName: string, policyName = "grants") {
    super(scope, id, {
      principalKind: "user",
      maxChars: USER_INLINE_POLICY_MAX_CHARS,
      create: (s, policy) => new IamUserPolicy(s, "policy", { name: policyName, user: userName, policy }),
    });
  }
}

/** The trust policy that lets an AWS service assume a role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify(trustPolicyJson([{ principal: { Service: service }, actions: ["sts:AssumeRole"] }]));
}

/**
 * Renders a trust policy, checking it against IAM's trust policy quota
 * ({@link TRUST_POLICY_MAX_CHARS}).
 * @param path construct path for the error message
 */
export function renderTrustPolicy(path: string, statements: readonly TrustStatement[]): string {
  const text = JSON.stringify(trustPolicyJson(statements));
  check(text.length <= TRUST_POLICY_MAX_CHARS, {
    path,
    subject: "trust policy size",
    value: `${text.length} characters`,
    rule: `IAM limits a role's trust policy to ${TRUST_POLICY_MAX_CHARS} characters (without a quota increase)`,
    fix: "trust fewer subjects (a group path or a ref pattern instead of many exact values), split them over several roles, or raise the quota and build the role yourself",
  });
  return text;
}

/** Managed policy ARNs: AWS-managed (`arn:aws:iam::aws:policy/...`) or customer-managed. */
const MANAGED_POLICY_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}|aws):policy\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,128})$/;

/**
 * Attaches managed policies to a role with one `aws_iam_role_policy_attachment`
 * each (never the deprecated `managed_policy_arns` argument of `aws_iam_role`).
 * The construct id is derived from the ARN (`managed-<account|aws>-<path>-<name>`),
 * so reordering the list replaces nothing.
 * @param scope where the attachments are created; its path names errors
 */
export function attachManagedPolicies(scope: Construct, roleName: string, policyArns: readonly string[]): IamRolePolicyAttachment[] {
  validateManagedPolicyArns(scope.node.path, policyArns);
  return policyArns.map((arn, i) => {
    const match = isUnresolved(arn) ? null : MANAGED_POLICY_ARN.exec(arn);
    const id = match ? `managed-${match[1]}-${match[2]!.replace(/\//g, "-")}${match[3]}` : `managed-${i}`;
    return new IamRolePolicyAttachment(scope, id, { role: roleName, policyArn: arn });
  });
}

/**
 * The rules of a role's managed policy ARNs, shared by {@link attachManagedPolicies} and the
 * platform's configuration check (at the config path of `identity.deployment`): each an ARN
 * `arn:<partition>:iam::<account id|aws>:policy/[<path>/]<name>` (IAM User Guide, "IAM
 * identifiers": policy ARNs), each attached once. Unresolved tokens are not checked.
 * @param path the role's construct path or config path; each ARN is named `<path>/managedPolicyArns[<i>]`
 * @throws ValidationError naming the ARN's path, the value, the rule and the fix
 */
export function validateManagedPolicyArns(path: string, policyArns: readonly string[]): void {
  policyArns.forEach((arn, i) => {
    if (isUnresolved(arn)) return;
    const where = `${path}/managedPolicyArns[${i}]`;
    check(MANAGED_POLICY_ARN.test(arn), {
      path: where,
      subject: "managed policy ARN",
      value: arn,
      rule: "a managed policy ARN is arn:<partition>:iam::<account id|aws>:policy/[<path>/]<name>",
      fix: "copy the ARN from the policy's page, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess",
    });
    check(policyArns.indexOf(arn) === i, { path: where, subject: "managed policy ARN", value: arn, rule: "each policy is attached once", fix: "remove the duplicate" });
  });
}

/** IAM's lower bound of a role's maximum session duration, in seconds (the upper bound is {@link MAX_SESSION_SECONDS}). */
export const ROLE_MIN_SESSION_SECONDS = 3600;

/** Checks a role's maximum session duration. */
export function validateMaxSessionDuration(path: string, seconds: number): void {
  check(Number.isInteger(seconds) && seconds >= ROLE_MIN_SESSION_SECONDS && seconds <= MAX_SESSION_SECONDS, {
    path,
    subject: "maxSessionDurationSeconds",
    value: seconds,
    rule: `a role's maximum session duration is a whole number of seconds from ${ROLE_MIN_SESSION_SECONDS} (1 hour) to ${MAX_SESSION_SECONDS} (12 hours)`,
    fix: "use e.g. 3600; CI jobs longer than that can request a new session",
  });
}
