/*
 * A role's identity statements as documents, for the probes derived from them: the resource
 * patterns its policies name (cache-keys.ts probes inside them).
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
