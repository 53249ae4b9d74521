import { WILDCARD_RESOURCE_ACTIONS } from "../../core/iam";
import { matchesPattern } from "../../registry/glob";
import { policiesOf, type NormalizedStatement, type PolicyAttribute } from "../policy-statements";
import { type SecurityRule, type RuleViolation } from "../rule";
import { type StackModel } from "../stack-model";

const POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role", "data.aws_iam_policy_document"];
const ALL_POLICY_TYPES = [
  ...POLICY_TYPES,
  "aws_s3_bucket_policy",
  "aws_ecr_repository_policy",
  "aws_ecr_registry_policy",
  "aws_ecr_repository_creation_template",
  "aws_secretsmanager_secret_policy",
  "aws_secretsmanager_secret",
  "aws_kms_key",
];

/** True for `*` or a whole service, e.g. `s3:*`. */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[A-Za-z0-9-]+:\*$/.test(action);
}

/** True when the IAM action pattern (`*` wildcards, case-insensitive) covers `action`. */
export function coversAction(pattern: string, action: string): boolean {
  return matchesPattern(action.toLowerCase(), pattern.toLowerCase());
}

const ALLOWED_ON_ANY_RESOURCE = new Set(WILDCARD_RESOURCE_ACTIONS.map((a) => a.toLowerCase()));
const PASS_ROLE = "iam:PassRole";

/** True for `Resource: "*"` or a `NotResource` (every resource but some). */
function onAnyResource(s: NormalizedStatement): boolean {
  return s.resources.includes("*") || s.notResources.length > 0;
}

/** The statement's wildcard resource, for messages. */
function resourceText(s: NormalizedStatement): string {
  return s.notResources.length > 0 ? `NotResource ${JSON.stringify(s.notResources)} (every other resource)` : 'Resource "*"';
}

/** One violation per element, joining the details of all its policies' statements. */
function perElement(policies: readonly PolicyAttribute[], detailsOf: (p: PolicyAttribute) => string[]): RuleViolation[] {
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
function allowStatements(p: PolicyAttribute): NormalizedStatement[] {
  return p.policy.statements.filter((s) => s.effect === "Allow");
}

/** The identity policies of a stack (role, user, group and managed policies). */
const identityPolicies = (model: StackModel): readonly PolicyAttribute[] => policiesOf(model).filter((p) => p.kind === "identity");

/** IAM001: Allow statements with `*`/`service:*` actions or NotAction, in any policy. */
export const wildcardActions: SecurityRule = {
  id: "IAM001",
  title: "IAM statement allows wildcard actions",
  rationale: "`*` or `service:*` actions grant every current and future action of a service, far beyond what a task needs.",
  severity: "error",
  resourceTypes: ALL_POLICY_TYPES,
  fix: "list the exact actions the principal needs (e.g. ecr:BatchGetImage, ecr:GetDownloadUrlForLayer), or use the constructs' grantXxx() methods",
  check: (model) =>
    perElement(policiesOf(model), (p) =>
      allowStatements(p).flatMap((s) => {
        const wild = s.actions.filter(isWildcardAction);
        if (s.notActions.length > 0) return [`${s.label} allows every action except NotAction ${JSON.stringify(s.notActions)}`];
        return wild.length > 0 ? [`${s.label} allows Action ${JSON.stringify(wild.length === 1 ? wild[0] : wild)}`] : [];
      }),
    ),
};

/** IAM002: identity-policy Allow statements on Resource `*`, except actions that have no resource-level form. */
export const wildcardResources: SecurityRule = {
  id: "IAM002",
  title: 'IAM statement allows actions on Resource "*"',
  rationale: 'A grant on Resource "*" reaches every resource of the account, including other teams\' repositories, buckets and secrets.',
  severity: "error",
  resourceTypes: POLICY_TYPES,
  fix: `name the resource ARNs (the repository, bucket or parameter ARN); only ${WILDCARD_RESOURCE_ACTIONS.join(", ")} may stay on "*"`,
  check: (model) =>
    perElement(identityPolicies(model), (p) =>
      allowStatements(p).flatMap((s) => {
        if (!onAnyResource(s)) return [];
        if (s.notActions.length > 0) return [`${s.label} allows every action except ${JSON.stringify(s.notActions)} on ${resourceText(s)}`];
        const offending = s.actions.filter((a) => !ALLOWED_ON_ANY_RESOURCE.has(a.toLowerCase()) && a.toLowerCase() !== PASS_ROLE.toLowerCase());
        return offending.length > 0 ? [`${s.label} allows ${offending.join(", ")} on ${resourceText(s)}`] : [];
      }),
    ),
};

/** IAM003: iam:PassRole (or an action pattern covering it) on Resource `*`. */
export const passRoleOnAnyResource: SecurityRule = {
  id: "IAM003",
  title: 'iam:PassRole on Resource "*"',
  rationale: "Passing any role lets the principal hand an administrator role to a new instance or function and act as it (privilege escalation).",
  severity: "error",
  resourceTypes: POLICY_TYPES,
  fix: 'allow iam:PassRole only on the ARNs of the roles it must pass, ideally with a Condition on "iam:PassedToService"',
  check: (model) =>
    perElement(identityPolicies(model), (p) =>
      allowStatements(p).flatMap((s) => {
        if (!onAnyResource(s)) return [];
        const covers =
          s.notActions.length > 0 ? !s.notActions.some((a) => coversAction(a, PASS_ROLE)) : s.actions.some((a) => coversAction(a, PASS_ROLE));
        const via = s.actions.find((a) => coversAction(a, PASS_ROLE));
        return covers ? [`${s.label} allows ${via && via !== PASS_ROLE ? `${PASS_ROLE} (through "${via}")` : PASS_ROLE} on ${resourceText(s)}`] : [];
      }),
    ),
};

/** IAM004: policies that cannot be read offline, so IAM001-IAM003 and S3003 cannot check them. */
export const unreadablePolicy: SecurityRule = {
  id: "IAM004",
  title: "IAM policy cannot be checked offline",
  rationale: "A policy built by a Terraform expression or read from elsewhere is invisible to review and to these rules.",
  severity: "warning",
  resourceTypes: ALL_POLICY_TYPES,
  fix: "render the policy as JSON at synth (JSON.stringify of a typed document, or an aws_iam_policy_document data source) with references only inside strings",
  check: (model) => perElement(policiesOf(model), (p) => [...p.policy.problems]),
};
