import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { ValidationError } from "../core/errors";
import { type IGrantable, PolicyDocument, type PolicyStatement } from "../core/iam";

/**
 * IAM's quota for the inline policies of one role: 10,240 characters, counted
 * without white space (JSON.stringify writes none).
 */
export const ROLE_INLINE_POLICY_MAX_CHARS = 10_240;

/**
 * Collects grants for a role and writes them as one inline `aws_iam_role_policy`,
 * created on the first grant (a role that is never granted anything gets no
 * policy resource) and rendered at synth, so grants added later still land.
 */
export class RoleGrants extends Construct implements IGrantable {
  /** The collected statements. */
  public readonly document = new PolicyDocument();
  private resource?: IamRolePolicy;

  /**
   * @param roleName the role's name (a token is fine)
   * @param policyName name of the inline policy
   */
  public constructor(
    scope: Construct,
    id: string,
    private readonly roleName: string,
    private readonly policyName = "grants",
  ) {
    super(scope, id);
  }

  /** Adds a statement, creating the policy resource on first use. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.document.addToPrincipalPolicy(statement);
    this.resource ??= new IamRolePolicy(this, "policy", {
      name: this.policyName,
      role: this.roleName,
      policy: Lazy.stringValue({ produce: () => this.render() }),
    });
  }

  /** The inline policy resource, once something was granted. */
  public get policyResource(): IamRolePolicy | undefined {
    return this.resource;
  }

  private render(): string {
    const text = this.document.render();
    if (text.length > ROLE_INLINE_POLICY_MAX_CHARS) {
      throw new ValidationError({
        path: this.node.path,
        subject: "inline policy size",
        value: `${text.length} characters`,
        rule: `IAM limits a role's inline policies to ${ROLE_INLINE_POLICY_MAX_CHARS} characters`,
        fix: "grant on fewer, broader-named resources (e.g. one repository prefix), or split the duties over several roles",
      });
    }
    return text;
  }
}

/** The trust policy that lets an AWS service assume a role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole"] }],
  });
}
