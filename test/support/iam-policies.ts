import { allowedOnAnyResource } from "../../lib/core/iam";
import { type SynthJson } from "./synth";

/**
 * Finds every IAM policy document in synthesized Terraform JSON and checks it
 * for wildcards: resource and data source attributes at any depth, whether a
 * JSON string (`policy`, `assume_role_policy`, bucket and repository
 * policies, ...) or an `aws_iam_policy_document` data source.
 */

/** A policy document found in synthesized JSON. */
export interface FoundPolicy {
  /** Where it is, e.g. `aws_iam_role_policy.ci_grants_policy_ABC.policy`. */
  readonly location: string;
  /** The parsed document. */
  readonly document: { readonly Statement: unknown };
}

/** A problem in a policy. */
export interface PolicyFinding {
  /** Where it is, with the statement index. */
  readonly location: string;
  /** What is wrong. */
  readonly problem: string;
}

const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const isPolicyKey = (key: string) => /(^|_)policy$/.test(key);

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every policy document in `json`, and the policy-named attributes that hold
 * something the walker cannot read (a reference instead of JSON): those are
 * findings, since nothing could check them.
 */
export function policiesOf(json: SynthJson): { policies: FoundPolicy[]; unreadable: PolicyFinding[] } {
  const policies: FoundPolicy[] = [];
  const unreadable: PolicyFinding[] = [];
  const visit = (value: unknown, location: string, key: string): void => {
    if (typeof value === "string") {
      const parsed = parseJsonObject(value);
      if (parsed && "Statement" in parsed) policies.push({ location, document: parsed as FoundPolicy["document"] });
      else if (!parsed && isPolicyKey(key)) unreadable.push({ location, problem: `policy attribute is not a JSON document: ${value.slice(0, 120)}` });
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${location}[${i}]`, key));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, `${location}.${k}`, k);
    }
  };
  for (const [kind, blocks] of [["resource", json.resource], ["data", json.data]] as const) {
    for (const [type, instances] of Object.entries(blocks ?? {})) {
      for (const [name, body] of Object.entries(instances)) {
        const location = `${kind === "data" ? "data." : ""}${type}.${name}`;
        if (type === "aws_iam_policy_document") {
          policies.push({ location, document: { Statement: asArray(body.statement).map(hclStatementToJson) } });
          continue;
        }
        visit(body, location, "");
      }
    }
  }
  return { policies, unreadable };
}

/** An `aws_iam_policy_document` statement block in IAM JSON terms. */
function hclStatementToJson(block: unknown): Record<string, unknown> {
  const b = block as Record<string, unknown>;
  const principals = asArray(b.principals).map((p) => p as { type: string; identifiers: string[] });
  return {
    Effect: b.effect ?? "Allow",
    ...(b.actions ? { Action: b.actions } : {}),
    ...(b.not_actions ? { NotAction: b.not_actions } : {}),
    ...(b.resources ? { Resource: b.resources } : {}),
    ...(b.not_resources ? { NotResource: b.not_resources } : {}),
    ...(principals.length > 0 ? { Principal: Object.fromEntries(principals.map((p) => [p.type, p.identifiers])) } : {}),
  };
}

/**
 * The wildcard findings of one policy document's Allow statements: any action
 * with `*` or `?`, `NotAction` / `NotResource`, a `*` principal, and a `*`
 * resource for any action that `allowedOnStar` refuses (by default: actions that
 * take a resource type in the AWS service authorization reference). Deny
 * statements grant nothing, and wildcards are what makes a guard such as the
 * TLS-only bucket policy (`Deny s3:*` to `*` without `aws:SecureTransport`)
 * complete, so they are not findings.
 */
export function wildcardFindings(policy: FoundPolicy, allowedOnStar: (action: string, conditionKeys: readonly string[]) => boolean = allowedOnAnyResource): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  // A KMS key policy's `Resource: "*"` is the key itself (AWS KMS developer guide, "Key policies").
  const keyPolicy = /^aws_kms_key(?:_policy)?\./.test(policy.location);
  asArray(policy.document.Statement).forEach((raw, i) => {
    const s = raw as Record<string, unknown>;
    if (s.Effect === "Deny") return;
    const location = `${policy.location} Statement[${i}]`;
    const add = (problem: string) => findings.push({ location, problem });
    const actions = asArray(s.Action).map(String);
    actions.filter((a) => /[*?]/.test(a)).forEach((a) => add(`wildcard action ${JSON.stringify(a)}`));
    if (s.NotAction !== undefined) add("NotAction (grants every other action)");
    if (s.NotResource !== undefined) add("NotResource (applies to every other resource)");
    const principals = s.Principal === "*" ? ["*"] : Object.values((s.Principal as Record<string, unknown>) ?? {}).flatMap(asArray);
    if (principals.includes("*")) add("wildcard principal \"*\"");
    if (asArray(s.Resource).includes("*") && !keyPolicy) {
      const conditionKeys = Object.values((s.Condition as Record<string, Record<string, unknown>>) ?? {}).flatMap((c) => Object.keys(c));
      const disallowed = actions.filter((a) => !allowedOnStar(a, conditionKeys));
      if (disallowed.length > 0) add(`resource "*" for ${disallowed.join(", ")} (they take a resource type: name its ARNs)`);
    }
  });
  return findings;
}

/** Every wildcard finding in `json` (including policy attributes that could not be read). */
export function iamWildcardFindings(json: SynthJson, allowedOnStar: (action: string, conditionKeys: readonly string[]) => boolean = allowedOnAnyResource): PolicyFinding[] {
  const { policies, unreadable } = policiesOf(json);
  return [...unreadable, ...policies.flatMap((p) => wildcardFindings(p, allowedOnStar))];
}
