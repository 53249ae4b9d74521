/*
 * A role's identity statements as documents, for the probes derived from them: the resource
 * patterns its policies name (cache-keys.ts probes inside them), the condition values it names
 * (host-takeover.ts tries them for unresolved tags), and the role with its Allow conditions
 * dropped (asked where the request context cannot be known: fails closed).
 */
import { type RoleNode } from "./iam-model";
import { managedPolicyOf } from "./managed-policies";

type Json = Record<string, unknown>;
type Doc = { readonly Statement: unknown };

/**
 * Every `Resource` entry of a role's identity policies (inline documents and managed ones; `*`
 * for an administrator-level managed policy): the patterns probes are derived from, so a grant
 * narrowed to a part of a resource space is asked about with an ARN inside that part.
 */
export function resourcePatternsOf(role: RoleNode): string[] {
  const { statements, administrator } = identityStatementsOf(role);
  const resources = statements.flatMap((s) => (s.Resource === undefined ? [] : Array.isArray(s.Resource) ? (s.Resource as unknown[]).map(String) : [String(s.Resource)]));
  return [...new Set([...(administrator ? ["*"] : []), ...resources])];
}

/** The statements of a role's identity policies (inline, customer- and AWS-managed documents), and whether an administrator-level managed policy is attached. */
export function identityStatementsOf(role: RoleNode): { statements: Json[]; administrator: boolean } {
  const managed = role.managedPolicyArns.map((arn) => managedPolicyOf(arn, role.customerManaged));
  const documents = [...role.policies, ...managed.filter((m): m is Doc => m !== "all")];
  return { statements: documents.flatMap((doc) => (Array.isArray(doc.Statement) ? (doc.Statement as Json[]) : [doc.Statement as Json])), administrator: managed.includes("all") };
}

/** A document with the `Condition` of every Allow statement removed. */
function allowsUnconditioned(doc: Doc): Doc {
  const statements = Array.isArray(doc.Statement) ? (doc.Statement as Json[]) : [doc.Statement as Json];
  return { Statement: statements.map((s) => (s.Effect === "Allow" ? Object.fromEntries(Object.entries(s).filter(([k]) => k !== "Condition")) : s)) };
}

/**
 * `role` with the conditions of its Allow statements dropped (inline and customer-managed
 * documents; Deny statements keep theirs): asking it fails closed where the request context a
 * condition needs cannot be known.
 */
export function withoutAllowConditions(role: RoleNode): RoleNode {
  const customerManaged = role.customerManaged === undefined ? undefined : new Map([...role.customerManaged].map(([arn, doc]) => [arn, allowsUnconditioned(doc)]));
  return { ...role, policies: role.policies.map(allowsUnconditioned), ...(customerManaged ? { customerManaged } : {}) };
}

/** Resource-tag condition keys: `aws:ResourceTag/<key>`, `ec2:ResourceTag/<key>`, `ssm:resourceTag/<key>` (IAM reads key names case-insensitively). */
export const RESOURCE_TAG_KEY = /^(?:aws|ec2|ssm):resourcetag\/(.+)$/i;

/** The values a role's conditions name for each resource tag (by tag key, lower case), any operator and prefix. */
export function tagConditionValuesOf(role: RoleNode): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const statement of identityStatementsOf(role).statements) {
    for (const keys of Object.values((statement.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const [key, raw] of Object.entries(keys)) {
        const tag = RESOURCE_TAG_KEY.exec(key)?.[1]?.toLowerCase();
        if (tag === undefined) continue;
        values.set(tag, [...new Set([...(values.get(tag) ?? []), ...(Array.isArray(raw) ? raw : [raw]).map(String)])]);
      }
    }
  }
  return values;
}
