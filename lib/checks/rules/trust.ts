/**
 * Rules on who may act: role trust policies (GitLab OIDC roles above all) and
 * resource policies open to everyone.
 */
import { includesEveryone, policiesOf, type NormalizedStatement, type PolicyCondition } from "../policy-statements";
import { type SecurityRule } from "../rule";
import { isExpression, soleReference, type StackModel } from "../stack-model";
import { allowStatements, perElement, RESOURCE_POLICY_TYPES } from "./iam";

const WEB_IDENTITY = "sts:assumerolewithwebidentity";

/**
 * The OIDC provider host of a `Federated` principal: from a literal ARN
 * (`arn:aws:iam::1:oidc-provider/gitlab.example.com`), or from the literal `url` of the
 * `aws_iam_openid_connect_provider` a reference points to; undefined when not known at synth.
 */
function providerHost(model: StackModel, identifier: string): string | undefined {
  if (isExpression(identifier)) {
    const ref = soleReference(identifier);
    const provider = ref && ref.type === "aws_iam_openid_connect_provider" ? model.get(ref.address) : undefined;
    const url = provider?.config.url;
    return typeof url === "string" && !isExpression(url) ? url.replace(/^https:\/\//, "") : undefined;
  }
  const m = /^arn:[^:]+:iam::[^:]*:oidc-provider\/(.+)$/.exec(identifier);
  return m ? m[1] : undefined;
}

/** True for a web identity federation that is not an OIDC provider of the account (Cognito, Google, Amazon, Facebook). */
function isBuiltInFederation(identifier: string): boolean {
  return /^(cognito-identity\.amazonaws\.com|accounts\.google\.com|www\.amazon\.com|graph\.facebook\.com)$/.test(identifier);
}

/** True when a condition key names the claim of one of the hosts (or of any host when none is known). */
function isClaimKey(variable: string, claim: "aud" | "sub", hosts: readonly string[]): boolean {
  const lower = variable.toLowerCase();
  if (hosts.length === 0) return lower.endsWith(`:${claim}`);
  return hosts.some((h) => lower === `${h.toLowerCase()}:${claim}`);
}

/**
 * A `sub` value anchored at a GitLab namespace: `project_path:<group>/...` with the group literal,
 * so no project outside the group can match. `project_path:*`, `project_path:acme*` (matches the
 * group `acme-evil`) and values that do not start with `project_path:` are not anchored.
 * Source: GitLab docs, "OpenID Connect (OIDC) Authentication Using ID Tokens" (sub =
 * `project_path:{group}/{project}:ref_type:{type}:ref:{branch_name}`).
 */
export function isAnchoredSubject(value: string): boolean {
  return /^project_path:[^*?/:]+\//.test(value);
}

/** Why a web identity statement's conditions do not pin the audience and a project-anchored subject. */
function webIdentityProblems(model: StackModel, s: NormalizedStatement): string[] {
  const identifiers = s.principals.filter((p) => p.type === "Federated").flatMap((p) => p.identifiers);
  if (identifiers.every(isBuiltInFederation)) return [];
  const hosts = identifiers.map((id) => providerHost(model, id)).filter((h): h is string => h !== undefined);
  const claim = (c: PolicyCondition, name: "aud" | "sub") => isClaimKey(c.variable, name, hosts);
  const problems: string[] = [];
  const aud = s.conditions.filter((c) => claim(c, "aud"));
  const audOk = aud.some((c) => c.test === "StringEquals" && c.values.length > 0 && c.values.every((v) => !/[*?]/.test(v)));
  if (!audOk) {
    problems.push(
      aud.length === 0
        ? "it has no condition on the token's aud claim"
        : `its aud condition is ${aud.map((c) => `${c.test} ${JSON.stringify(c.values)}`).join(", ")}, not StringEquals on exact audiences`,
    );
  }
  const sub = s.conditions.filter((c) => claim(c, "sub"));
  if (sub.length === 0) {
    problems.push("it has no condition on the token's sub claim, so every project of the GitLab instance can assume the role");
  } else {
    for (const c of sub) {
      if (c.test !== "StringEquals" && c.test !== "StringLike") {
        problems.push(`its sub condition uses ${c.test} (only StringEquals or StringLike bind every token; ForAllValues/IfExists pass tokens without the claim)`);
        continue;
      }
      // GitLab's sub starts with project_path:; another issuer (e.g. GitHub: repo:<owner>/<repo>:...) is
      // held to the same shape: a literal namespace before the first wildcard.
      const gitlab = hosts.length === 0 || hosts.some((h) => /gitlab/i.test(h)) || c.values.some((v) => v.startsWith("project_path:"));
      const loose = c.values.filter((v) => (gitlab ? !isAnchoredSubject(v) : !(v.split(/[*?]/)[0] ?? "").includes("/")));
      if (loose.length > 0) problems.push(`its sub condition allows ${loose.map((v) => JSON.stringify(v)).join(", ")}, not anchored at project_path:<group>/<project>`);
    }
  }
  return problems;
}

/** The trust-policy problems of one statement. */
function trustProblems(model: StackModel, s: NormalizedStatement): string[] {
  if (includesEveryone(s.principals)) return [`${s.label} trusts every principal (${s.principals.some((p) => p.type === "*") ? '"*"' : '{"AWS": "*"}'})`];
  const federated = s.principals.some((p) => p.type === "Federated");
  const webIdentity = s.actions.some((a) => a.toLowerCase() === WEB_IDENTITY || a === "*" || a.toLowerCase() === "sts:*") || s.notActions.length > 0;
  if (!federated || !webIdentity) return [];
  return webIdentityProblems(model, s).map((p) => `${s.label}: ${p}`);
}

/**
 * TRUST001: role trust policies trust no one by wildcard, and every OIDC (web identity) statement
 * conditions `aud` with StringEquals and `sub` on a project-anchored pattern.
 */
export const trustPolicy: SecurityRule = {
  id: "TRUST001",
  title: "Role trust policy lets unintended principals assume the role",
  rationale:
    "A GitLab OIDC role without an exact aud and a group-anchored sub accepts tokens of any project on the instance (on gitlab.com: anyone); a * principal lets every AWS account try.",
  severity: "error",
  resourceTypes: ["aws_iam_role", "data.aws_iam_policy_document"],
  fix: 'condition the statement with StringEquals "<host>:aud" = ["<audience>"] and StringEquals/StringLike "<host>:sub" = ["project_path:<group>/<project>:ref_type:branch:ref:main"] (GitLabCiRole does this); trust named principals, never "*"',
  check: (model) => perElement(policiesOf(model).filter((p) => p.kind === "trust"), (p) => allowStatements(p).flatMap((s) => trustProblems(model, s))),
};

/**
 * Condition keys that narrow a `Principal: "*"` grant to known callers, by the IAM global
 * condition keys reference: the caller's organization or account, the calling resource or
 * network, or the principal's ARN.
 */
export const NARROWING_CONDITION_KEYS: readonly string[] = [
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:sourceaccount",
  "aws:sourcearn",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceip",
  "aws:vpcsourceip",
  "aws:userid",
  "kms:calleraccount",
];

/** True when a condition narrows the caller: a narrowing key, a non-negated operator, no wildcard-only value. */
function narrows(c: PolicyCondition): boolean {
  if (!NARROWING_CONDITION_KEYS.includes(c.variable.toLowerCase())) return false;
  if (/^(ForAllValues:|.*IfExists$|StringNot|ArnNot|NotIpAddress|Null$)/.test(c.test)) return false;
  return c.values.length > 0 && c.values.every((v) => v !== "*" && v !== "0.0.0.0/0" && v !== "::/0");
}

/** RES001: resource policies (buckets, repositories, registries, secrets, keys) allowing `*` without a narrowing condition. */
export const publicResourcePolicy: SecurityRule = {
  id: "RES001",
  title: 'Resource policy allows Principal "*" without a narrowing condition',
  rationale: 'A resource policy statement for Principal "*" is public: every AWS account (and anonymous callers where the service allows) gets the actions.',
  severity: "error",
  resourceTypes: RESOURCE_POLICY_TYPES,
  fix: 'name the principals (account or role ARNs), or add a condition on the caller such as StringEquals "aws:PrincipalOrgID" or "aws:PrincipalAccount"',
  check: (model) =>
    perElement(
      policiesOf(model).filter((p) => p.kind === "resource"),
      (p) =>
        allowStatements(p)
          .filter((s) => includesEveryone(s.principals) && !s.conditions.some(narrows))
          .map((s) => `${s.label} allows ${s.actions.length > 0 ? s.actions.join(", ") : "every action but NotAction"} to Principal "*"${s.conditions.length > 0 ? " (its conditions do not narrow the caller)" : ""}`),
    ),
};
