/**
 * Rules on identity and resource policy statements. Actions are expanded and
 * resources matched through the AWS service authorization reference
 * (`lib/core/iam-data.ts`), never by comparing strings: `s3:?*` is every S3
 * action, `iam:Put*` includes `iam:PutRolePolicy`, and `arn:aws:iam::*:role/*`
 * is every role there is.
 */
import {
  actionCovers,
  actionName,
  arnFormatsOf,
  coversEveryResourceOfAccount,
  coversWholeResourceType,
  expandAction,
  hasActionWildcard,
  matchesSomeResourceType,
  type IamAction,
} from "../../core/iam-data";
import { allowedOnAnyResource } from "../../core/iam";
import { policiesOf, type NormalizedStatement, type PolicyAttribute } from "../policy-statements";
import { type SecurityRule, type RuleViolation } from "../rule";
import { type StackModel } from "../stack-model";

const POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role", "data.aws_iam_policy_document"];
/** The types that carry a resource policy (read by IAM001 with the identity policies, and by RES001). */
export const RESOURCE_POLICY_TYPES = [
  "aws_s3_bucket_policy",
  "aws_ecr_repository_policy",
  "aws_ecr_registry_policy",
  "aws_ecr_repository_creation_template",
  "aws_secretsmanager_secret_policy",
  "aws_secretsmanager_secret",
  "aws_kms_key",
];
/** Every type whose policies IAM001 reads. */
export const ALL_POLICY_TYPES = [...POLICY_TYPES, ...RESOURCE_POLICY_TYPES];

/** True for `*` or a whole service, e.g. `s3:*` (the S3 TLS-only guard denies exactly these). */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[A-Za-z0-9-]+:\*$/.test(action);
}

/** True when the IAM action pattern (`*`/`?` wildcards, case-insensitive) covers `action`. */
export function coversAction(pattern: string, action: string): boolean {
  return actionCovers(pattern, action);
}

const PASS_ROLE = "iam:PassRole";

/** The statement's wildcard resource, for messages. */
function resourceText(s: NormalizedStatement): string {
  return s.notResources.length > 0 ? `NotResource ${JSON.stringify(s.notResources)} (every other resource)` : 'Resource "*"';
}

/** One violation per element, joining the details of all its policies' statements. */
export function perElement(policies: readonly PolicyAttribute[], detailsOf: (p: PolicyAttribute) => string[]): RuleViolation[] {
  const byElement = new Map<string, { element: PolicyAttribute["element"]; details: string[] }>();
  for (const p of policies) {
    const details = detailsOf(p).map((d) => (p.attribute === "policy" ? d : `${p.attribute}: ${d}`));
    if (details.length === 0) continue;
    const entry = byElement.get(p.element.address) ?? { element: p.element, details: [] };
    entry.details.push(...details);
    byElement.set(p.element.address, entry);
  }
  return [...byElement.values()].map(({ element, details }) => ({ element, detail: details.join("; ") }));
}

/** The `Allow` statements of a policy (wildcards in `Deny` statements are fine). */
export function allowStatements(p: PolicyAttribute): NormalizedStatement[] {
  return p.policy.statements.filter((s) => s.effect === "Allow");
}

/** The identity policies of a stack (role, user, group and managed policies). */
const identityPolicies = (model: StackModel): readonly PolicyAttribute[] => policiesOf(model).filter((p) => p.kind === "identity");

/** A few names of an expansion, for messages: `iam:PutRolePolicy, iam:PutUserPolicy, … (9 actions)`. */
function sample(actions: readonly IamAction[]): string {
  const names = actions.map(actionName);
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, … (${names.length} actions)`;
}

/** IAM001: Allow statements with wildcard actions (`*`, `s3:*`, `s3:?*`, `iam:Put*`) or NotAction, in any policy. */
export const wildcardActions: SecurityRule = {
  id: "IAM001",
  title: "IAM statement allows wildcard actions",
  rationale: "A wildcard action grants every current and future action it matches (iam:Put* includes iam:PutRolePolicy, an escalation), far beyond what a task needs.",
  severity: "error",
  resourceTypes: ALL_POLICY_TYPES,
  fix: "list the exact actions the principal needs (e.g. ecr:BatchGetImage, ecr:GetDownloadUrlForLayer), or use the constructs' grantXxx() methods",
  check: (model) =>
    perElement(policiesOf(model), (p) =>
      allowStatements(p).flatMap((s) => {
        if (s.notActions.length > 0) return [`${s.label} allows every action except NotAction ${JSON.stringify(s.notActions)}`];
        const wild = s.actions.filter(hasActionWildcard);
        if (wild.length === 0) return [];
        const expansions = wild.map((w) => (w === "*" ? `"*" (every action of every service)` : `"${w}" (${sample(expandAction(w)) || "matches no action"})`));
        return [`${s.label} allows Action ${expansions.join(", ")}`];
      }),
    ),
};

/** The actions of a statement that may not stay on `*`, per the reference. */
function actionsNeedingResources(s: NormalizedStatement): string[] {
  const narrowed = s.conditions.map((c) => c.variable);
  return s.actions.flatMap((a) => {
    if (a.toLowerCase() === PASS_ROLE.toLowerCase()) return [];
    if (a === "*") return ['"*"'];
    if (!hasActionWildcard(a)) return allowedOnAnyResource(a, narrowed) ? [] : [a];
    const scoped = expandAction(a).filter((x) => actionName(x).toLowerCase() !== PASS_ROLE.toLowerCase() && !allowedOnAnyResource(actionName(x), narrowed));
    return scoped.length > 0 ? [`${a} (${sample(scoped)} take a resource type)`] : [];
  });
}

/** Resources of the statement that cover every resource of an action's type in every account. */
function wholeTypeGrants(s: NormalizedStatement): string[] {
  const found: string[] = [];
  for (const entry of s.actions) {
    if (hasActionWildcard(entry) || entry.toLowerCase() === PASS_ROLE.toLowerCase()) continue;
    const [action] = expandAction(entry);
    if (!action || action.resourceTypes.length === 0) continue;
    for (const resource of s.resources) {
      if (resource !== "*" && coversWholeResourceType(action, resource)) found.push(`${entry} on ${JSON.stringify(resource)} (every ${action.resourceTypes.map((r) => r.name).join("/")} in every account)`);
    }
  }
  return found;
}

/**
 * IAM002: identity-policy Allow statements on Resource `*` (or a pattern covering every resource
 * of the type in every account) for actions that take a resource type in the AWS service
 * authorization reference.
 */
export const wildcardResources: SecurityRule = {
  id: "IAM002",
  title: 'IAM statement allows actions on Resource "*"',
  rationale: 'A grant on Resource "*" reaches every resource of the account, including other teams\' repositories, buckets and secrets.',
  severity: "error",
  resourceTypes: POLICY_TYPES,
  fix: 'name the resource ARNs (the repository, bucket or parameter ARN); only actions that take no resource type in the AWS service authorization reference (e.g. ecr:GetAuthorizationToken) may stay on "*", and actions whose resource types are all optional only with a narrowing Condition',
  check: (model) =>
    perElement(identityPolicies(model), (p) =>
      allowStatements(p).flatMap((s) => {
        const details: string[] = [];
        if (s.resources.includes("*") || s.notResources.length > 0) {
          if (s.notActions.length > 0) details.push(`${s.label} allows every action except ${JSON.stringify(s.notActions)} on ${resourceText(s)}`);
          else {
            const offending = actionsNeedingResources(s);
            if (offending.length > 0) details.push(`${s.label} allows ${offending.join(", ")} on ${resourceText(s)}`);
          }
        }
        const whole = wholeTypeGrants(s);
        if (whole.length > 0) details.push(`${s.label} allows ${whole.join(", ")}`);
        return details;
      }),
    ),
};

/** IAM003: iam:PassRole (or an action pattern covering it) on `*` or on every role of an account. */
export const passRoleOnAnyResource: SecurityRule = {
  id: "IAM003",
  title: "iam:PassRole on any role",
  rationale: "Passing any role lets the principal hand an administrator role to a new instance or function and act as it (privilege escalation).",
  severity: "error",
  resourceTypes: POLICY_TYPES,
  fix: 'allow iam:PassRole only on the ARNs of the roles it must pass, ideally with a Condition on "iam:PassedToService"',
  check: (model) => {
    const [passRole] = expandAction(PASS_ROLE);
    return perElement(identityPolicies(model), (p) =>
      allowStatements(p).flatMap((s) => {
        const covers = s.notActions.length > 0 ? !s.notActions.some((a) => coversAction(a, PASS_ROLE)) : s.actions.some((a) => coversAction(a, PASS_ROLE));
        if (!covers) return [];
        const via = s.actions.find((a) => coversAction(a, PASS_ROLE));
        const what = via && via !== PASS_ROLE ? `${PASS_ROLE} (through "${via}")` : PASS_ROLE;
        if (s.notResources.length > 0) return [`${s.label} allows ${what} on ${resourceText(s)}`];
        const broad = s.resources.filter((r) => (passRole ? coversEveryResourceOfAccount(passRole, r) : r === "*"));
        return broad.length > 0 ? [`${s.label} allows ${what} on ${broad.map((r) => (r === "*" ? 'Resource "*"' : `${JSON.stringify(r)} (every role)`)).join(", ")}`] : [];
      }),
    );
  },
};

/** IAM004: policies that cannot be read offline, so the other IAM rules and S3003 cannot check them. */
export const unreadablePolicy: SecurityRule = {
  id: "IAM004",
  title: "IAM policy cannot be checked offline",
  rationale: "A policy built by a Terraform expression or read from elsewhere is invisible to review and to these rules.",
  severity: "warning",
  resourceTypes: ALL_POLICY_TYPES,
  fix: "render the policy as JSON at synth (JSON.stringify of a typed document, or an aws_iam_policy_document data source) with references only inside strings",
  check: (model) => perElement(policiesOf(model), (p) => [...p.policy.problems]),
};

/** IAM005: actions the reference does not know (a typo grants nothing, silently). */
export const unknownAction: SecurityRule = {
  id: "IAM005",
  title: "IAM statement names an action that does not exist",
  rationale: "IAM accepts unknown action names and grants nothing for them: a typo such as ecr:BatchGetImages shows up only as an AccessDenied at run time.",
  severity: "warning",
  resourceTypes: ALL_POLICY_TYPES,
  fix: "spell the action as the AWS service authorization reference does (service prefix and action name)",
  check: (model) =>
    perElement(policiesOf(model), (p) =>
      allowStatements(p).flatMap((s) => {
        const unknown = s.actions.filter((a) => a !== "*" && !a.includes("${") && expandAction(a).length === 0);
        return unknown.length > 0 ? [`${s.label} names ${unknown.map((a) => JSON.stringify(a)).join(", ")}, which match no action of the reference`] : [];
      }),
    ),
};

/** IAM008: literal resources that are no ARN of any resource type the action takes (the grant does nothing for them). */
export const resourceTypeMismatch: SecurityRule = {
  id: "IAM008",
  title: "IAM statement names a resource the action cannot act on",
  rationale: "IAM accepts any ARN in Resource; one of the wrong type (s3:GetObject on a bucket ARN instead of its objects) grants nothing and fails only at run time.",
  severity: "warning",
  resourceTypes: POLICY_TYPES,
  fix: "use the ARN format of the action's resource type from the AWS service authorization reference (e.g. arn:aws:s3:::bucket/* for objects, arn:aws:s3:::bucket for ListBucket)",
  check: (model) =>
    perElement(identityPolicies(model), (p) =>
      allowStatements(p).flatMap((s) => {
        const found: string[] = [];
        for (const entry of s.actions) {
          if (hasActionWildcard(entry)) continue;
          const [action] = expandAction(entry);
          if (!action) continue;
          const wrong = s.resources.filter((r) => !matchesSomeResourceType(action, r));
          if (wrong.length > 0 && wrong.length === s.resources.length) {
            found.push(`${entry} on ${wrong.map((r) => JSON.stringify(r)).join(", ")} (it takes ${arnFormatsOf(action).join(" or ")})`);
          }
        }
        return found.length > 0 ? [`${s.label} grants ${found.join("; ")}`] : [];
      }),
    ),
};
