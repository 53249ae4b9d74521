/**
 * IAM policy documents as the rules see them: parsed from JSON strings or from
 * `aws_iam_policy_document` data sources, with Action/Resource/Principal
 * normalised from string-or-array to arrays. Values that cannot be read offline
 * (a `${jsonencode(...)}` expression, a reference to another resource's policy,
 * invalid JSON) are reported as problems, never thrown.
 */
import { blocks, isExpression, isRecord, soleReference, strings, type StackElement, type StackModel } from "./stack-model";

/** Where a policy applies: a principal's permissions, a role's trust, or a resource's policy. */
export type PolicyKind = "identity" | "trust" | "resource";

/** A principal block: `{ type: "AWS", identifiers: ["*"] }`; type `*` for `"Principal": "*"`. */
export interface PolicyPrincipal {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser` or `*`. */
  readonly type: string;
  /** ARNs, service names, or `*`. */
  readonly identifiers: readonly string[];
}

/** A condition entry: `{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }`. */
export interface PolicyCondition {
  /** The condition operator, e.g. `StringEquals`. */
  readonly test: string;
  /** The condition key, e.g. `aws:SecureTransport`. */
  readonly variable: string;
  /** The values, as strings. */
  readonly values: readonly string[];
}

/** One statement, normalised. */
export interface NormalizedStatement {
  /** `statement 2` or `statement "Sid"`, for messages. */
  readonly label: string;
  /** `Allow` or `Deny`. */
  readonly effect: "Allow" | "Deny";
  /** `Action` entries (empty when the statement uses `NotAction`). */
  readonly actions: readonly string[];
  /** `NotAction` entries. */
  readonly notActions: readonly string[];
  /** `Resource` entries; empty when the statement has none (trust and most resource policies). */
  readonly resources: readonly string[];
  /** `NotResource` entries. */
  readonly notResources: readonly string[];
  /** `Principal` entries. */
  readonly principals: readonly PolicyPrincipal[];
  /** `Condition` entries. */
  readonly conditions: readonly PolicyCondition[];
}

/** A policy as read from a stack: the statements that could be read, and why others could not. */
export interface PolicyRead {
  /** The statements. */
  readonly statements: readonly NormalizedStatement[];
  /** Why (part of) the policy cannot be checked offline; empty when it was read completely. */
  readonly problems: readonly string[];
}

/** A policy attribute of some element. */
export interface PolicyAttribute {
  /** The element holding the policy. */
  readonly element: StackElement;
  /** The attribute, e.g. `policy` or `assume_role_policy`. */
  readonly attribute: string;
  /** What the policy governs. */
  readonly kind: PolicyKind;
  /** The policy as read. */
  readonly policy: PolicyRead;
}

/** The resource attributes that hold IAM policy JSON, by kind. */
export const POLICY_ATTRIBUTES: ReadonlyArray<{ readonly type: string; readonly attribute: string; readonly kind: PolicyKind }> = [
  { type: "aws_iam_role_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_user_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_group_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_role", attribute: "assume_role_policy", kind: "trust" },
  { type: "aws_s3_bucket_policy", attribute: "policy", kind: "resource" },
  { type: "aws_ecr_repository_policy", attribute: "policy", kind: "resource" },
  { type: "aws_ecr_registry_policy", attribute: "policy", kind: "resource" },
  { type: "aws_ecr_repository_creation_template", attribute: "repository_policy", kind: "resource" },
  { type: "aws_secretsmanager_secret_policy", attribute: "policy", kind: "resource" },
  { type: "aws_secretsmanager_secret", attribute: "policy", kind: "resource" },
  { type: "aws_kms_key", attribute: "policy", kind: "resource" },
];

const parsed = new WeakMap<StackModel, readonly PolicyAttribute[]>();

/** Every policy attribute set in the stack (inline `aws_iam_role.inline_policy` blocks included); parsed once per model. */
export function policiesOf(model: StackModel): readonly PolicyAttribute[] {
  const cached = parsed.get(model);
  if (cached) return cached;
  const found: PolicyAttribute[] = [];
  for (const { type, attribute, kind } of POLICY_ATTRIBUTES) {
    for (const element of model.resources(type)) {
      const value = element.config[attribute];
      if (value === undefined || value === null || value === "") continue;
      found.push({ element, attribute, kind, policy: readPolicy(model, value) });
      if (type === "aws_iam_role") {
        for (const inline of blocks(element.config.inline_policy)) {
          if (inline.policy) found.push({ element, attribute: "inline_policy", kind: "identity", policy: readPolicy(model, inline.policy) });
        }
      }
    }
  }
  parsed.set(model, found);
  return found;
}

/**
 * Reads a policy value: JSON text (Terraform references inside JSON strings are fine), or exactly
 * `${data.aws_iam_policy_document.<name>.json}` (read from the data source's statement blocks,
 * following its source/override documents).
 */
export function readPolicy(model: StackModel, value: unknown, depth = 0): PolicyRead {
  const ref = soleReference(value);
  if (ref && ref.kind === "data" && ref.type === "aws_iam_policy_document" && (ref.attribute === "json" || ref.attribute === "minified_json")) {
    const doc = model.get(ref.address);
    if (doc && depth < 5) return readPolicyDocumentData(model, doc, depth);
  }
  if (typeof value !== "string") return unreadable(`the policy is not a string (${JSON.stringify(value)?.slice(0, 60)})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return unreadable(
      isExpression(value)
        ? `the policy is a Terraform expression (${truncate(value)}), known only at apply time`
        : `the policy is not valid JSON (${truncate(value)})`,
    );
  }
  if (!isRecord(parsed)) return unreadable("the policy JSON is not an object");
  const raw = parsed.Statement;
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : undefined;
  if (!list) return unreadable("the policy has no Statement list");
  const statements: NormalizedStatement[] = [];
  const problems: string[] = [];
  list.forEach((s, i) => {
    if (!isRecord(s)) problems.push(`statement ${i + 1} is not an object`);
    else statements.push(fromJson(s, i));
  });
  return { statements, problems };
}

/** A policy of which nothing could be read, and why. */
function unreadable(problem: string): PolicyRead {
  return { statements: [], problems: [problem] };
}

/** Shortens a value for a message. */
function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `statement "Sid"` or `statement <n>` (1-based), for messages. */
function label(sid: unknown, index: number): string {
  return typeof sid === "string" && sid !== "" ? `statement "${sid}"` : `statement ${index + 1}`;
}

/** The statement effect; anything but `Deny` allows (IAM's `Effect` is required, so this errs on the side of checking). */
function effectOf(value: unknown): "Allow" | "Deny" {
  return value === "Deny" ? "Deny" : "Allow";
}

/** Normalises one JSON statement. */
function fromJson(s: Record<string, unknown>, index: number): NormalizedStatement {
  const principals = (value: unknown): PolicyPrincipal[] =>
    value === "*"
      ? [{ type: "*", identifiers: ["*"] }]
      : isRecord(value)
        ? Object.entries(value).map(([type, ids]) => ({ type, identifiers: strings(ids) }))
        : [];
  const conditions: PolicyCondition[] = Object.entries(isRecord(s.Condition) ? s.Condition : {}).flatMap(([test, byKey]) =>
    Object.entries(isRecord(byKey) ? byKey : {}).map(([variable, values]) => ({
      test,
      variable,
      values: (Array.isArray(values) ? values : [values]).map(String),
    })),
  );
  return {
    label: label(s.Sid, index),
    effect: effectOf(s.Effect),
    actions: strings(s.Action),
    notActions: strings(s.NotAction),
    resources: strings(s.Resource),
    notResources: strings(s.NotResource),
    principals: principals(s.Principal),
    conditions,
  };
}

/** Reads an `aws_iam_policy_document` data source: its statement blocks plus its source and override documents. */
function readPolicyDocumentData(model: StackModel, doc: StackElement, depth: number): PolicyRead {
  const statements: NormalizedStatement[] = [];
  const problems: string[] = [];
  for (const attribute of ["source_policy_documents", "override_policy_documents"]) {
    for (const text of strings(doc.config[attribute])) {
      const nested = readPolicy(model, text, depth + 1);
      statements.push(...nested.statements);
      problems.push(...nested.problems.map((p) => `${doc.address} ${attribute}: ${p}`));
    }
  }
  blocks(doc.config.statement).forEach((s, i) => {
    const principals = (value: unknown): PolicyPrincipal[] =>
      blocks(value).map((p) => ({ type: String(p.type ?? ""), identifiers: strings(p.identifiers) }));
    statements.push({
      label: `${doc.address} ${label(s.sid, i)}`,
      effect: effectOf(s.effect),
      actions: strings(s.actions),
      notActions: strings(s.not_actions),
      resources: strings(s.resources),
      notResources: strings(s.not_resources),
      principals: principals(s.principals),
      conditions: blocks(s.condition).map((c) => ({ test: String(c.test ?? ""), variable: String(c.variable ?? ""), values: strings(c.values) })),
    });
  });
  return { statements, problems };
}

/** True when the principal list includes everyone (`"*"` or `{"AWS": "*"}`). */
export function includesEveryone(principals: readonly PolicyPrincipal[]): boolean {
  return principals.some((p) => (p.type === "*" || p.type === "AWS") && p.identifiers.includes("*"));
}
