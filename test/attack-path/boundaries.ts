/*
 * The trust boundaries the attack-path suite asserts, as functions of a
 * scenario: each returns the violations it finds (empty when the boundary holds).
 */
import { type Actor } from "../support/gitlab-actors";
import { administratorPowerOf } from "./admin-power";
import { assumableWithToken, chainedFrom, deploys, everyAudience, isProtected, pullableBy, pullThroughPushableBy, pushableBy, reachableWithToken, type RoleNode } from "./iam-model";
import { stackModelOf } from "./runner-model";
import { type Scenario, tenantActors, tokenOf } from "./scenario";
import { hostTakeoversOf } from "./host-takeover";
import { writeNetViolations } from "./write-net";
import { bucketsOf, protectedCacheAccess, protectedCachePrefixes, readsSecret, secretsOf } from "./secret-reach";
import { mergedResultsPossible } from "./merged-results";

/** Every role an actor reaches in any environment, whatever audience its job requests. */
export function reachedBy(scenario: Scenario, actor: Actor): RoleNode[] {
  const roles = new Set<RoleNode>();
  for (const env of scenario.environments) {
    for (const aud of everyAudience(scenario.model)) reachableWithToken(scenario.model, tokenOf(env, actor, aud)).forEach((r) => roles.add(r));
  }
  return [...roles];
}

/**
 * The repositories protected pipelines run and build from: those pushed by the
 * roles the default branch reaches and a plain feature branch does not (the
 * roles set aside for protected pipelines). Derived from the model alone (no
 * naming convention or tag), so it judges any configuration the same way.
 */
export function protectedRepositories(scenario: Scenario): Set<string> {
  const arns = new Set<string>();
  for (const env of scenario.environments) {
    for (const tenant of env.tenants) {
      const actors = tenantActors(tenant);
      const main = reachedBy(scenario, actors.find((a) => a.kind === "protected-default-branch")!);
      const branch = new Set(reachedBy(scenario, actors.find((a) => a.kind === "unprotected-branch-push")!));
      for (const role of main) if (!branch.has(role)) pushableBy(scenario.model, role).forEach((repo) => arns.add(repo.arn));
    }
  }
  return arns;
}

/**
 * The repositories every tenant is told to run and may pull although another tenant owns them:
 * the toolbox, named by the tenants' `PLATFORM_TOOLBOX_URL` project variables in the synthesized
 * stacks (read from the JSON, not from the configuration). Pushing them stays a violation.
 */
export function sharedToolboxRepositories(scenario: Scenario): Set<string> {
  const names = new Set<string>();
  for (const json of scenario.json.values()) {
    for (const variable of Object.values(json.resource?.gitlab_project_variable ?? {})) {
      if (variable.key === "PLATFORM_TOOLBOX_URL") names.add(String(variable.value).slice(String(variable.value).indexOf("/") + 1));
    }
  }
  return new Set(scenario.model.repositories.filter((r) => names.has(r.name)).map((r) => r.arn));
}

/**
 * The actors of a tenant the synthesized stacks admit: every actor of {@link tenantActors}, and
 * the merged-results pipeline of a merge request from the protected default branch unless the
 * stacks rule it out ({@link mergedResultsPossible}).
 */
export function admittedActors(scenario: Scenario, tenant: Parameters<typeof tenantActors>[0]): readonly Actor[] {
  return tenantActors(tenant, { mergedResultsPipelines: mergedResultsPossible(scenario, tenant) });
}

/**
 * Violations of the trust boundaries for one scenario's actors (empty when it holds).
 * An unprotected actor whose `sub` names a protected ref is left out when that protection stops
 * it (it cannot push the ref), not when it never pushes the ref (`stoppedByRefProtection: false`).
 * @param actorsOf the actors of a tenant; by default {@link admittedActors}
 */
export function boundaryViolations(scenario: Scenario, actorsOf: (tenant: Parameters<typeof tenantActors>[0]) => readonly Actor[] = (t) => admittedActors(scenario, t)): string[] {
  const problems: string[] = [];
  const runByProtected = protectedRepositories(scenario);
  const toolbox = sharedToolboxRepositories(scenario);
  const secrets = secretsOf(scenario.json);
  const buckets = bucketsOf(scenario.json);
  const cachePrefixes = protectedCachePrefixes(scenario.environments);
  const unprotectedOf = (actor: Actor) =>
    actor.trust === "unprotected" && (actor.stoppedByRefProtection === false || !isProtected(scenario.model, actor.projectPath, actor.refType, actor.ref));
  const cases = scenario.environments.flatMap((env) => env.tenants.flatMap((tenant) => actorsOf(tenant).map((actor) => ({ tenant, actor, reached: reachedBy(scenario, actor) }))));
  // Roles an unprotected actor reaches anyway; launching an instance with any other is a takeover.
  const reachedUnprotected = new Set(cases.filter((c) => unprotectedOf(c.actor)).flatMap((c) => c.reached));
  const beyond = scenario.model.roles.filter((r) => !reachedUnprotected.has(r));
  for (const { tenant, actor, reached } of cases) {
    const label = `${actor.kind} ${actor.projectPath} ${actor.refType} ${actor.ref}`;
    const unprotected = unprotectedOf(actor);
    for (const role of reached) {
      if (unprotected) {
        for (const repo of pushableBy(scenario.model, role)) {
          if (runByProtected.has(repo.arn) || repo.trust === "protected") problems.push(`${label}: reaches ${role.name}, which pushes ${repo.name}, run by protected pipelines`);
        }
        if (deploys(role)) problems.push(`${label}: reaches the deployment role ${role.name}`);
        for (const power of administratorPowerOf(role)) problems.push(`${label}: reaches ${role.name}, which ${power}`);
        for (const repo of pullThroughPushableBy(scenario.model, role)) problems.push(`${label}: reaches ${role.name}, which pushes the pull-through repository ${repo.name} every job's base images come from`);
        for (const secret of secrets) if (readsSecret(scenario.model, role, secret)) problems.push(`${label}: reaches ${role.name}, which reads the secret ${secret.stack}:${secret.name}`);
        const cache = protectedCacheAccess(role, buckets, cachePrefixes);
        for (const object of cache.read) problems.push(`${label}: reaches ${role.name}, which reads the protected cache ${object}`);
        for (const object of cache.write) problems.push(`${label}: reaches ${role.name}, which writes the protected cache ${object}`);
        for (const path of hostTakeoversOf(scenario.json, role, beyond)) problems.push(`${label}: reaches ${role.name}, which ${path}`);
      }
      const pulled = pullableBy(scenario.model, role).filter((repo) => !toolbox.has(repo.arn));
      for (const repo of [...pushableBy(scenario.model, role), ...pulled]) {
        if (repo.tenant !== undefined && repo.tenant !== tenant.name && !deploys(role)) problems.push(`${label}: reaches ${role.name}, which uses ${repo.name} of tenant ${repo.tenant}`);
      }
    }
  }
  for (const { host, reached } of runnerHostReach(scenario)) {
    for (const role of reached) {
      if (deploys(role)) problems.push(`runner host ${host}: reaches the deployment role ${role.name}`);
      for (const power of administratorPowerOf(role)) problems.push(`runner host ${host}: reaches ${role.name}, which ${power}`);
    }
  }
  // The net under the named checks: every write-level action on a protected scope (write-net.ts).
  const reachedByTenant = cases.filter((c) => unprotectedOf(c.actor)).map((c) => ({ tenant: c.tenant.name, roles: c.reached }));
  problems.push(...writeNetViolations(scenario, reachedByTenant, runByProtected));
  return problems;
}

/**
 * The roles every runner host reaches (managers, and the workers a docker-autoscaler launches:
 * every launch template with an instance profile): its instance role and that role's
 * role-chaining closure. A job that escapes to its host, or reads the
 * instance metadata some other way, holds them; so an administrator-level or deployment role among
 * them is reachable from that host's jobs.
 */
export function runnerHostReach(scenario: Scenario): { host: string; reached: RoleNode[] }[] {
  const cached = hostReachOf.get(scenario.model);
  if (cached) return cached;
  const found = [...scenario.json].flatMap(([stack, json]) =>
    stackModelOf(stack, json)
      .hosts.filter((h) => h.role !== "")
      .flatMap((h) => {
        const name = String((json.resource?.aws_iam_role as Record<string, { name?: unknown }> | undefined)?.[h.role]?.name);
        const start = scenario.model.roles.find((r) => r.stack === stack && r.name === name);
        if (start === undefined) return [];
        const reached = new Set([start]);
        const queue = [start];
        while (queue.length > 0) {
          for (const next of chainedFrom(scenario.model, queue.shift()!).filter((r) => !reached.has(r))) {
            reached.add(next);
            queue.push(next);
          }
        }
        return [{ host: `${stack}/${h.id} (${name})`, reached: [...reached] }];
      }),
  );
  hostReachOf.set(scenario.model, found);
  return found;
}

/** {@link runnerHostReach} by model (a planted scenario has a model of its own). */
const hostReachOf = new WeakMap<object, { host: string; reached: RoleNode[] }[]>();

/**
 * Tokens accepted in more than one environment: for every actor and every
 * audience a job may request, the roles that accept the token must all belong
 * to one environment (and, where the environment names its audience, to the
 * environment of that audience).
 */
export function crossAudienceAcceptances(scenario: Scenario): string[] {
  const problems: string[] = [];
  for (const env of scenario.environments) {
    for (const tenant of env.tenants) {
      for (const actor of tenantActors(tenant)) {
        for (const aud of everyAudience(scenario.model)) {
          const stacks = [...new Set(assumableWithToken(scenario.model, tokenOf(env, actor, aud)).map((r) => r.stack))];
          if (stacks.length > 1) problems.push(`${actor.kind} ${actor.projectPath}: one token (aud ${aud}) is accepted in ${stacks.join(", ")}`);
          const owner = scenario.environments.find((e) => e.audience === aud);
          for (const stack of stacks) if (owner && stack !== owner.config.name) problems.push(`${stack} accepts a token for ${owner.config.name} (aud ${aud})`);
        }
      }
    }
  }
  return [...new Set(problems)];
}
