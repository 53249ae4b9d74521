/**
 * Managed policy attachments: AWS-managed policies at administrator level are
 * refused, at error severity when the principal is reachable from CI jobs.
 *
 * No permissively licensed, maintained dataset of the AWS managed policy
 * documents is a dependency of this package, so the refused policies are kept
 * by name (a list of policy names, not of IAM actions), each with what the
 * AWS Managed Policy Reference Guide says it grants
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/, checked 2026-11-30).
 */
import { readPolicy } from "../policy-statements";
import { type SecurityRule } from "../rule";
import { blocks, isExpression, referencesIn, strings, type StackElement, type StackModel } from "../stack-model";
import { violationsOf } from "./violations";

/** AWS-managed policies that grant administrator-level power (or the power to obtain it), by name, with the reference's description. */
export const REFUSED_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  AdministratorAccess: "provides full access to AWS services and resources",
  PowerUserAccess: "provides full access to AWS services and resources, but does not allow management of users and groups",
  IAMFullAccess: "provides full access to IAM (a principal with it can grant itself anything)",
  "AdministratorAccess-Amplify": "grants account administrative permissions while explicitly allowing direct access to resources needed by Amplify applications",
  "AdministratorAccess-AWSElasticBeanstalk": "grants account administrative permissions",
  AWSOrganizationsFullAccess: "provides full access to AWS Organizations",
};

/** The name of an AWS-managed policy ARN (`arn:<partition>:iam::aws:policy/[<path>/]<name>`), if it is one. */
function awsManagedName(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? m[1] : undefined;
}

/** One attachment: the attaching element, the policy ARN, the principals (role/user/group elements or names). */
interface Attachment {
  readonly element: StackElement;
  readonly policyArn: string;
  readonly roles: readonly unknown[];
}

/** Every managed policy attachment of a stack, in every form the AWS provider offers. */
function attachments(model: StackModel): Attachment[] {
  const found: Attachment[] = [];
  for (const e of model.resources("aws_iam_role_policy_attachment")) found.push({ element: e, policyArn: String(e.config.policy_arn ?? ""), roles: [e.config.role] });
  for (const e of model.resources("aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment")) found.push({ element: e, policyArn: String(e.config.policy_arn ?? ""), roles: [] });
  for (const e of model.resources("aws_iam_policy_attachment")) found.push({ element: e, policyArn: String(e.config.policy_arn ?? ""), roles: strings(e.config.roles) });
  for (const e of model.resources("aws_iam_role_policy_attachments_exclusive")) {
    for (const arn of strings(e.config.policy_arns)) found.push({ element: e, policyArn: arn, roles: [e.config.role_name] });
  }
  for (const e of model.resources("aws_iam_role")) {
    for (const arn of strings(e.config.managed_policy_arns)) found.push({ element: e, policyArn: arn, roles: [`\${aws_iam_role.${e.name}.name}`] });
  }
  return found;
}

/** The roles of the stack a value identifies (by reference or literal name). */
function rolesNamed(model: StackModel, value: unknown): StackElement[] {
  return model.resources("aws_iam_role").filter((r) => model.identifies(value, r, ["name"]));
}

/**
 * Why a role can be reached from CI jobs, or undefined: it trusts a web identity (OIDC)
 * provider, it is the instance role of a host that runs gitlab-runner, or it trusts such a role.
 */
export function ciReachability(model: StackModel): ReadonlyMap<string, string> {
  const reach = new Map<string, string>();
  const roles = model.resources("aws_iam_role");
  for (const role of roles) {
    const trust = readPolicy(model, role.config.assume_role_policy);
    if (trust.statements.some((s) => s.effect === "Allow" && s.principals.some((p) => p.type === "Federated"))) reach.set(role.address, "it trusts a web identity (OIDC) provider, i.e. CI job tokens");
  }
  const runnerHosts = [...model.resources("aws_launch_template", "aws_instance")].filter((h) => /gitlab-runner|\[\[runners\]\]/.test(JSON.stringify(h.config)));
  for (const host of runnerHosts) {
    const profiles = blocks(host.config.iam_instance_profile).map((p) => p.name ?? p.arn);
    profiles.push(host.config.iam_instance_profile);
    for (const profile of model.resources("aws_iam_instance_profile")) {
      if (!profiles.some((v) => model.identifies(v, profile, ["name"]))) continue;
      for (const role of rolesNamed(model, profile.config.role)) reach.set(role.address, `it is the instance role of the runner host ${host.address}`);
    }
  }
  // Role chaining: a role that trusts a reachable role is reachable.
  for (let changed = true; changed; ) {
    changed = false;
    for (const role of roles) {
      if (reach.has(role.address)) continue;
      const trust = readPolicy(model, role.config.assume_role_policy);
      const via = trust.statements
        .filter((s) => s.effect === "Allow")
        .flatMap((s) => s.principals.filter((p) => p.type === "AWS").flatMap((p) => p.identifiers))
        .flatMap((id) => (isExpression(id) ? referencesIn(id) : []))
        .find((ref) => reach.has(ref.address));
      if (via) {
        reach.set(role.address, `it trusts ${via.address}, which is reachable from CI`);
        changed = true;
      }
    }
  }
  return reach;
}

/** The refused attachments of a stack, split by whether CI can reach the principal. */
function refused(model: StackModel, reachable: boolean): Array<{ element: StackElement; detail: string }> {
  const reach = ciReachability(model);
  return attachments(model).flatMap((a) => {
    const name = awsManagedName(a.policyArn);
    const why = name ? REFUSED_MANAGED_POLICIES[name] : undefined;
    if (!name || !why) return [];
    const roles = a.roles.flatMap((r) => rolesNamed(model, r));
    const via = roles.map((r) => reach.get(r.address)).find((v) => v !== undefined);
    if ((via !== undefined) !== reachable) return [];
    return [{ element: a.element, detail: `it attaches the AWS-managed policy ${name}, which ${why}${via ? `; the role is reachable from CI: ${via}` : ""}` }];
  });
}

/** One violation per element, its details joined. */
function grouped(found: ReadonlyArray<{ element: StackElement; detail: string }>) {
  const elements = [...new Set(found.map((f) => f.element))];
  return violationsOf(elements, (e) => found.filter((f) => f.element === e).map((f) => f.detail));
}

/** IAM006: an administrator-level AWS-managed policy on a role that CI jobs can reach. */
export const adminPolicyReachableFromCi: SecurityRule = {
  id: "IAM006",
  title: "Administrator-level managed policy on a role reachable from CI",
  rationale: "Every job that can obtain the role (its OIDC trust, the runner host's metadata, or a role chain) becomes an account administrator.",
  severity: "error",
  resourceTypes: ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role_policy_attachments_exclusive", "aws_iam_role"],
  fix: "grant the exact actions the jobs need on named resources (the constructs' grantXxx() methods, or an inline policy), never AdministratorAccess/PowerUserAccess/IAMFullAccess",
  check: (model) => grouped(refused(model, true)),
};

/** IAM007: an administrator-level AWS-managed policy attached anywhere else. */
export const adminPolicyAttached: SecurityRule = {
  id: "IAM007",
  title: "Administrator-level managed policy attached",
  rationale: "An administrator-level policy turns any leak of the principal's credentials into a takeover of the account.",
  severity: "warning",
  resourceTypes: ["aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role"],
  fix: "grant the exact actions on named resources instead; keep administrator access to people, through your identity provider",
  check: (model) => grouped(refused(model, false)),
};
