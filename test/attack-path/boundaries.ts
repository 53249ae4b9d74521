/*
 * The trust boundaries the attack-path suite asserts, as functions of a
 * scenario: each returns the violations it finds (empty when the boundary holds).
 */
import { type Actor } from "../support/gitlab-actors";
import { assumableWithToken, deploys, everyAudience, isProtected, pullableBy, pushableBy, reachableWithToken, type RoleNode } from "./iam-model";
import { type Scenario, tenantActors, tokenOf } from "./scenario";

/** Every role an actor reaches in any environment, whatever audience its job requests. */
export function reachedBy(scenario: Scenario, actor: Actor): RoleNode[] {
  const roles = new Set<RoleNode>();
  for (const env of scenario.environments) {
    for (const aud of everyAudience(scenario.model)) reachableWithToken(scenario.model, tokenOf(env, actor, aud)).forEach((r) => roles.add(r));
  }
  return [...roles];
}

export const protectedRepositories = (scenario: Scenario, role: RoleNode) => pushableBy(scenario.model, role).filter((r) => r.trust === "protected");

/** Violations of the trust boundaries for one scenario's actors (empty when it holds). */
export function boundaryViolations(scenario: Scenario, actorsOf = tenantActors): string[] {
  const problems: string[] = [];
  for (const env of scenario.environments) {
    for (const tenant of env.tenants) {
      for (const actor of actorsOf(tenant)) {
        const reached = reachedBy(scenario, actor);
        const label = `${actor.kind} ${actor.projectPath} ${actor.refType} ${actor.ref}`;
        const unprotected = actor.trust === "unprotected" && !isProtected(scenario.model, actor.projectPath, actor.refType, actor.ref);
        for (const role of reached) {
          if (unprotected) {
            for (const repo of protectedRepositories(scenario, role)) problems.push(`${label}: reaches ${role.name}, which pushes protected ${repo.name}`);
            if (deploys(role)) problems.push(`${label}: reaches the deployment role ${role.name}`);
          }
          for (const repo of [...pushableBy(scenario.model, role), ...pullableBy(scenario.model, role)]) {
            if (repo.tenant !== undefined && repo.tenant !== tenant.name && !deploys(role)) problems.push(`${label}: reaches ${role.name}, which uses ${repo.name} of tenant ${repo.tenant}`);
          }
        }
      }
    }
  }
  return problems;
}

/** Roles that accept a token minted for another environment's audience. */
export function crossAudienceAcceptances(scenario: Scenario): string[] {
  const problems: string[] = [];
  for (const env of scenario.environments) {
    for (const tenant of env.tenants) {
      for (const actor of tenantActors(tenant)) {
        for (const other of scenario.environments) {
          for (const role of assumableWithToken(scenario.model, tokenOf(env, actor, other.audience))) {
            if (role.stack !== other.config.name) problems.push(`${role.name} (${role.stack}) accepts a token for ${other.config.name} (aud ${other.audience})`);
          }
        }
      }
    }
  }
  return problems;
}

