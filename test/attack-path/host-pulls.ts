/*
 * What runner host roles pull, judged against which tenants their runners
 * serve (read from the synthesized JSON: registration scopes, launch
 * templates' config.toml, role policies and repository tags).
 *
 * A job may name any image its host role can pull as its `image:` (the runner
 * pulls job images with the host's credentials), so what a host role pulls is
 * what every job on its hosts can run or read.
 */
import { Testing } from "cdktf";
import { imageRolesOf } from "../../lib/platform/config";
import { tenantRepositoryName, tenantsOf } from "../../lib/platform/tenancy";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { type SynthJson } from "../support/synth";
import { type RegistrationModel, type StackModel, stackModelOf } from "./runner-model";
import { hostsOf, reachOf } from "./runner-routing";

/** Builds every stack of `config` and reads the runner side of each environment stack. */
export function modelsOf(config: PlatformConfig): StackModel[] {
  const built = buildPlatform(Testing.app(), config);
  return [...built.environments.entries()].map(([name, stack]) => stackModelOf(name, JSON.parse(Testing.synth(stack)) as SynthJson));
}

/** The project paths a registration serves: its projects, or every tenant under its group (or instance). */
export function servedProjectsOf(registration: RegistrationModel, env: EnvironmentConfig): string[] {
  const tenants = tenantsOf(env).map((t) => t.path);
  const scope = registration.scope;
  if (scope.kind === "project") return [...scope.paths];
  return scope.kind === "group" ? tenants.filter((p) => p.startsWith(`${scope.path}/`)) : tenants;
}

/**
 * The documented exception (docs/runner-pools.md, "What the hosts pull"): the protected
 * repository of the toolbox image role of each served tenant and of the toolbox project's
 * tenant, which every pool pulls read-only (the CI templates' builder image).
 */
export function toolboxExceptions(env: EnvironmentConfig, servedPaths: readonly string[]): Set<string> {
  const id = imageRolesOf(env).toolbox;
  if (id === undefined) return new Set();
  const owners = tenantsOf(env).filter((t) => servedPaths.includes(t.path) || t.path === env.gitlab.toolboxProject?.path);
  return new Set(owners.filter((t) => t.repositories.some((r) => r.id === id)).map((t) => tenantRepositoryName(env, t, id, "protected")));
}

/** One host role's pull that its runner's tenants do not explain. */
export interface PullViolation {
  readonly stack: string;
  readonly runner: string;
  readonly role: string;
  readonly repository: string;
  readonly why: string;
}

/**
 * Every pull of a runner's host role outside what it serves:
 * - a repository of a tenant the runner does not serve (other than the toolbox exception);
 * - for a runner of unprotected jobs (`not_protected`), a protected repository other than the toolbox exception;
 * - for a runner of protected jobs only, an unprotected repository (protected jobs never run them).
 */
export function hostPullViolations(config: PlatformConfig, models: readonly StackModel[]): PullViolation[] {
  const problems: PullViolation[] = [];
  for (const model of models) {
    const env = config.environments.find((e) => e.name === model.stack)!;
    const nameOf = new Map(tenantsOf(env).map((t) => [t.path, t.name]));
    const repositories = [...model.repositories.values()];
    for (const registration of model.registrations) {
      const served = servedProjectsOf(registration, env);
      const servedNames = new Set(served.map((p) => nameOf.get(p)));
      const exceptions = toolboxExceptions(env, served);
      for (const host of hostsOf(registration, models)) {
        for (const name of reachOf(model, host.role, []).pulls) {
          const repo = repositories.find((r) => r.name === name)!;
          const base = { stack: model.stack, runner: registration.description, role: host.role, repository: name };
          if (exceptions.has(name)) continue;
          if (repo.tenant !== undefined && !servedNames.has(repo.tenant)) problems.push({ ...base, why: `tenant ${repo.tenant} is not served (${served.join(", ")})` });
          if (registration.accessLevel === "not_protected" && repo.trust === "protected") problems.push({ ...base, why: "protected repository on a host of unprotected jobs" });
          if (registration.accessLevel === "ref_protected" && repo.trust === "unprotected") problems.push({ ...base, why: "unprotected repository on a host of protected jobs" });
        }
      }
    }
  }
  return problems;
}
