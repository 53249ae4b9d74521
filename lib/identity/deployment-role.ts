import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { checkedBoundary } from "../core/aws";
import { check, checkOneOf } from "../core/errors";
import { type IGrantable, type PolicyStatement, validateIamName } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { administratorGrantsOf, isAdministratorPolicy } from "./admin-policies";
import { attachManagedPolicies, renderTrustPolicy, RoleGrants, validateMaxSessionDuration } from "./role-policy";

/** A role that may assume other roles: a {@link GitLabCiRole}, a {@link RunnerHostRole}, ... */
export interface IAssumingRole extends IGrantable {
  /** The role's ARN. */
  readonly roleArn: string;
  /**
   * True when only protected refs can assume the role (a {@link GitLabCiRole}
   * whose every subject is `protectedRefsOnly`). Roles without it (runner
   * host roles, roles of unprotected refs) count as reachable by anyone.
   * @default false
   */
  readonly protectedRefsOnly?: boolean;
}

/** Props of a {@link DeploymentRole}. */
export interface DeploymentRoleProps {
  /** Role name, at most 64 characters (e.g. `terraform-deployment-role`). */
  readonly roleName: string;
  /** The roles allowed to assume it (their trust entry, and `sts:AssumeRole` on this role in their policy); at least one. */
  readonly assumedBy: readonly IAssumingRole[];
  /**
   * Managed policies to attach. With `statements`, at least one permission is required.
   * Administrator-level AWS managed policies (see `ADMINISTRATOR_MANAGED_POLICIES`) are
   * refused unless every role in `assumedBy` is assumable by protected refs only; so are
   * administrator-level `statements` (`administratorGrantsOf`).
   * @default none
   */
  readonly managedPolicyArns?: readonly string[];
  /**
   * Inline permission statements. With `managedPolicyArns`, at least one permission is required.
   * Statements at administrator level (`*`, `iam:*` or a privilege-escalation action such as
   * `iam:PutRolePolicy` or `iam:PassRole` on every resource of its type, see
   * `PRIVILEGE_ESCALATION_ACTIONS`) are refused like administrator managed policies unless every
   * role in `assumedBy` is assumable by protected refs only.
   * @default none
   */
  readonly statements?: readonly PolicyStatement[];
  /**
   * ARN of a permissions boundary capping what the role can ever do.
   * @default none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Maximum session duration in seconds (3600 to 43200; role chaining caps sessions at one hour).
   * @default 3600
   */
  readonly maxSessionDurationSeconds?: number;
  /**
   * Role description.
   * @default "Deployments (Terraform) from CI"
   */
  readonly description?: string;
  /**
   * Resource tags.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Effects of an IAM policy statement (IAM JSON policy elements: `Effect`). */
export const STATEMENT_EFFECTS = ["Allow", "Deny"] as const;

/**
 * The rules of a deployment role's permissions, shared by {@link DeploymentRole} and the
 * platform's configuration check (at the config path of `identity.deployment`): at least one
 * managed policy ARN or statement; each statement with `Allow` or `Deny` as its effect (IAM JSON
 * policy elements: `Effect`) and at least one action on at least one resource (a statement
 * without `Action` or `Resource` is refused by IAM).
 * @param path the role's construct path, or the config path of the deployment section
 * @throws ValidationError naming `path` (or `<path>/statements[<i>]`), the value, the rule and the fix
 */
export function validateDeploymentPermissions(path: string, managedPolicyArns: readonly string[], statements: readonly PolicyStatement[]): void {
  check(managedPolicyArns.length + statements.length > 0, {
    path,
    subject: "permissions",
    value: { managedPolicyArns, statements },
    rule: "a deployment role needs permissions supplied by its caller: at least one managed policy ARN or statement",
    fix: "pass managedPolicyArns (e.g. a policy your organisation maintains for Terraform) or statements scoped to what the deployment manages",
  });
  statements.forEach((s, i) => {
    if (s.effect !== undefined) checkOneOf(`${path}/statements[${i}]`, "effect", s.effect, STATEMENT_EFFECTS);
    check(s.actions.length > 0 && s.resources.length > 0, {
      path: `${path}/statements[${i}]`,
      subject: "statement",
      value: s,
      rule: "a statement grants at least one action on at least one resource",
      fix: "fill in actions and resources, or remove the statement",
    });
  });
}

/**
 * The role deployments run as (e.g. `terraform-deployment-role`):
 * assumed with `sts:AssumeRole` from a CI role and/or the runner host role,
 * never directly from a token. Its permissions come from the caller (managed
 * policy ARNs and/or statements); a role without any is rejected.
 */
export class DeploymentRole extends Construct implements IGrantable {
  /** The `aws_iam_role`. */
  public readonly role: IamRole;
  /** The inline grants (the `statements`, plus what is granted later). */
  public readonly grants: RoleGrants;

  public constructor(scope: Construct, id: string, props: DeploymentRoleProps) {
    super(scope, id);
    const path = this.node.path;
    validateIamName(path, "role", props.roleName);
    check(props.assumedBy.length > 0, {
      path: `${path}/assumedBy`,
      subject: "assumedBy",
      value: [],
      rule: "a deployment role is assumed from at least one role (a CI role or the runner host role)",
      fix: "pass the CI role that deploys, e.g. assumedBy: [buildRole]",
    });
    const statements = props.statements ?? [];
    const managedPolicyArns = props.managedPolicyArns ?? [];
    validateDeploymentPermissions(path, managedPolicyArns, statements);
    const administrator = managedPolicyArns.filter(isAdministratorPolicy);
    const open = props.assumedBy.filter((r) => r.protectedRefsOnly !== true);
    const onlyProtected =
      "a role that administers the account may be assumed only from CI roles that protected refs alone can assume; " +
      `${open.length} of its callers (a runner host role, or a role of unprotected refs) would hand it to any job that reaches them`;
    check(administrator.length === 0 || open.length === 0, {
      path: `${path}/managedPolicyArns`,
      subject: "administrator-level managed policy",
      value: administrator,
      rule: onlyProtected,
      fix: "assume it only from the protected CI role, or replace the policy with statements scoped to what the deployment manages",
    });
    // Statements count as much as managed policies: `*`, `iam:*` or a privilege-escalation action on every resource of its type.
    const [grant] = open.length === 0 ? [] : administratorGrantsOf(statements, isUnresolved(props.roleName) ? undefined : props.roleName);
    check(grant === undefined, {
      path: `${path}/statements[${grant?.statement}]`,
      subject: "administrator-level statement",
      value: { action: grant?.action, resource: grant?.resource },
      rule: `${grant?.action} on ${grant?.resource} allows ${grant?.escalation}, with which the role can give itself any permission (administrator-level, like AdministratorAccess); ${onlyProtected}`,
      fix: "assume it only from the protected CI role, or narrow the statement to the actions and named resources the deployment manages (never an IAM write, iam:PassRole or sts:AssumeRole on every role, user or policy)",
    });
    const maxSessionDuration = props.maxSessionDurationSeconds ?? 3600;
    validateMaxSessionDuration(path, maxSessionDuration);

    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description ?? "Deployments (Terraform) from CI",
      assumeRolePolicy: renderTrustPolicy(path, [
        { principal: { AWS: props.assumedBy.map((r) => r.roleArn) }, actions: ["sts:AssumeRole"] },
      ]),
      maxSessionDuration,
      ...(props.permissionsBoundaryArn !== undefined ? { permissionsBoundary: checkedBoundary(path, props.permissionsBoundaryArn) } : {}),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    this.grants = new RoleGrants(this, "grants", this.role.name);
    statements.forEach((s) => this.grants.addToPrincipalPolicy(s));
    attachManagedPolicies(this, this.role.name, managedPolicyArns);
    for (const caller of props.assumedBy) {
      caller.addToPrincipalPolicy({ actions: ["sts:AssumeRole"], resources: [this.role.arn] });
    }
  }

  /** Adds a statement to the role's inline policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.grants.addToPrincipalPolicy(statement);
  }

  /** The role ARN. */
  public get roleArn(): string {
    return this.role.arn;
  }

  /** The role name. */
  public get roleName(): string {
    return this.role.name;
  }
}
