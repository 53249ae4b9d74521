import { createHash } from "node:crypto";
import { Fn } from "cdktf";
import { isUnresolved } from "../core/tokens";
import { type RunnerTokenSource } from "../gitlab/runner-token-source";

/**
 * A digest of the runners' token sources: each runner's name, its token
 * parameter and the source's {@link RunnerTokenSource.revision} (which
 * changes when the token does). The fleet puts it on its launch template, so a
 * new token rolls the fleet (an instance refresh, through the drain) instead
 * of leaving running hosts with a token GitLab refuses.
 *
 * Literal inputs give a literal sha256 (12 hex digits); inputs with tokens
 * (a parameter's version) give Terraform's `sha256()` of the same text.
 */
export function tokenRevision(runners: readonly { readonly name: string; readonly tokenSource: RunnerTokenSource }[]): string {
  // Revisions with references stay whole list elements of join(): Terraform functions
  // take references there, not inside a literal string.
  const parts = runners.flatMap((r) => [`${r.name}=${r.tokenSource.parameterName}@`, r.tokenSource.revision ?? "", ";"]);
  if (parts.some(isUnresolved)) return Fn.substr(Fn.sha256(Fn.join("", parts)), 0, 12);
  return createHash("sha256").update(parts.join("")).digest("hex").slice(0, 12);
}
