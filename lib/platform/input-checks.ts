import { validatePermissionsBoundaryArn } from "../core/aws";
import { check, checkOneOf } from "../core/errors";
import { suggestGitLabPath } from "../core/gitlab-url";
import { validateHostMount } from "../core/host-path";
import { validateRunnerTag } from "../gitlab/runner-registration";
import { validateCachePath } from "../cache/cache-validation";
import { TAG_VALUE_MAX_LENGTH } from "../registry/repository";
import { validateAdminCidr, validateCredentialedAnonymousPull, validateUpstreamUrl } from "../mirror/nexus-validation";
import { type EnvironmentConfig, type RunnerRegistrationConfig } from "./environment-config";
import { validateUnprotectedPullEntries } from "./unprotected-pull";

/*
 * Checks of an environment's configuration that close silently accepted
 * input: each names the config path, the value, the rule and the fix, so a
 * problem is reported where it was written, before any construct is built.
 */


/** The mirror kinds an environment may configure. */
export const MIRROR_KINDS = ["nexus", "ecr-pull-through"] as const;

/** What every environment must list: projects and repositories. */
export function validateEnvironmentLists(path: string, env: EnvironmentConfig): void {
  check(Array.isArray(env.gitlab?.projects) && env.gitlab.projects.length > 0, {
    path: `${path}/gitlab/projects`,
    subject: "projects",
    value: env.gitlab?.projects,
    rule: "an environment serves at least one GitLab project: its CI roles trust the listed projects' pipelines, and a role that trusts no pipeline cannot be created",
    fix: `list the projects, e.g. projects: ["${env.gitlab?.group ?? "acme"}/app"]`,
  });
  check(Array.isArray(env.registry?.repositories) && env.registry.repositories.length > 0, {
    path: `${path}/registry/repositories`,
    subject: "repositories",
    value: env.registry?.repositories,
    rule: "an environment has at least one container repository: the CI roles, the runners' DOCKER_AUTH_CONFIG and the image variables are built from them",
    fix: 'add one, e.g. repositories: [{ id: "app", description: "The application image" }]',
  });
  env.registry.repositories.forEach((repo, i) => {
    const where = `${path}/registry/repositories[${i}]`;
    check(typeof repo.description === "string" && repo.description.trim().length > 0, {
      path: where,
      subject: "description",
      value: repo.description,
      rule: "every repository says what its image is (it becomes the repository's description tag and output)",
      fix: 'add a short description, e.g. "The application image"',
    });
    // The description becomes the repository's `description` tag.
    check(repo.description.length <= TAG_VALUE_MAX_LENGTH, {
      path: where,
      subject: "description",
      value: `${repo.description.length} characters`,
      rule: `the description becomes an AWS tag value, at most ${TAG_VALUE_MAX_LENGTH} characters; it is never cut short`,
      fix: `shorten the description to ${TAG_VALUE_MAX_LENGTH} characters or fewer (${repo.description.length - TAG_VALUE_MAX_LENGTH} too many)`,
    });
  });
}

/** The top-level group: a fix that is itself valid (first segment, no slashes or wildcards). */
export function suggestTopLevelGroup(group: string): string {
  return suggestGitLabPath(group, "acme").split("/")[0]!;
}

/**
 * The cache, mirror, identity and registration inputs of an environment.
 * @param registrations the environment's runner registrations, defaults applied
 * @param deployRunner the name of the deploy fleet's runner
 */
export function validateEnvironmentInputs(env: EnvironmentConfig, path: string, registrations: readonly RunnerRegistrationConfig[], deployRunner: string): void {
  if (env.cache?.path !== undefined) validateCachePath(`${path}/cache`, env.cache.path);
  if (env.cache?.accessLogs !== undefined && env.cache.accessLogs !== false) {
    check(typeof env.cache.accessLogs === "object" && env.cache.accessLogs !== null, {
      path: `${path}/cache`,
      subject: "accessLogs",
      value: env.cache.accessLogs,
      rule: "accessLogs is false (no audit trail) or an options object ({ retentionDays, bucketName })",
      fix: "remove it for the default (logs on), or pass false to turn the audit trail off",
    });
  }
  const mirror = env.mirror;
  if (mirror !== undefined) {
    checkOneOf(`${path}/mirror`, "kind", mirror.kind, MIRROR_KINDS);
    if (mirror.kind === "nexus") {
      if (mirror.adminCidr !== undefined) validateAdminCidr(`${path}/mirror`, mirror.adminCidr);
      (mirror.rawProxies ?? []).forEach((raw, i) => validateUpstreamUrl(`${path}/mirror/rawProxies[${i}]`, "remoteUrl", raw.remoteUrl, "https://lang-common.s3.amazonaws.com"));
      if (mirror.dockerHubCredentialSecretArn !== undefined) validateCredentialedAnonymousPull(`${path}/mirror`, mirror);
    }
  }
  const identity = env.identity;
  if (identity?.permissionsBoundaryArn !== undefined) validatePermissionsBoundaryArn(`${path}/identity`, identity.permissionsBoundaryArn, env.region);
  if (identity?.deployment?.permissionsBoundaryArn !== undefined) {
    validatePermissionsBoundaryArn(`${path}/identity/deployment`, identity.deployment.permissionsBoundaryArn, env.region);
  }
  validateExternalRegistries(env, `${path}/gitlab`);
  validateDeployRegistration(env, path, registrations, deployRunner);
  // Tags at their config path: the overlap checks compare them as written, GitLab strips white space.
  (env.gitlab.runners ?? []).forEach((r, i) => (r.tags ?? []).forEach((tag, j) => validateRunnerTag(`${path}/gitlab/runners[${i}]/tags[${j}]`, tag)));
}

/** Whether the environment's group variables are protected: `gitlab.variables.protected`, default `production`. */
export function variablesAreProtected(env: EnvironmentConfig): boolean {
  return env.gitlab.variables?.protected ?? env.production ?? false;
}

/**
 * External registries: one password variable and one entry per registry, only on GitLab Premium or
 * Ultimate (`gitlab.tier`), and only in protected variables with an environment scope other than `*`
 * (merge requests get a read-only credential through `unprotectedPull`). Two
 * registries sharing a variable would declare one Terraform variable twice
 * (and two registries would share a password); two entries for one host would
 * leave docker to pick one.
 */
export function validateExternalRegistries(env: EnvironmentConfig, path: string): void {
  const external = env.gitlab.externalRegistries ?? [];
  const tier = env.gitlab.tier ?? "free";
  // Before the scope rule: on Free no environment can hold the credential, so no scope is the fix.
  check(external.length === 0 || tier !== "free", {
    path: `${path}/externalRegistries[0]`,
    subject: "registry",
    value: external[0]?.registry,
    rule:
      "an external registry's credential needs group variables with an environment scope other than *, and gitlab.tier is free: GitLab Free has no environment scopes on group variables " +
      "(GitLab docs, CI/CD variables, group variables: environment scope is Premium, Ultimate), so no environment can hold it",
    fix: 'set gitlab.tier: "premium" (or "ultimate") if the instance or group has it, or pull the images through the ECR pull-through cache (registry.pullThroughCache) or the Nexus mirror (mirror) instead',
  });
  if (external.length > 0 && tier === "free") return;
  const variables = new Map<string, number>();
  const hosts = new Map<string, number>();
  (env.gitlab.externalRegistries ?? []).forEach((ext, i) => {
    const where = `${path}/externalRegistries[${i}]`;
    const sameVariable = variables.get(ext.passwordVariable);
    check(sameVariable === undefined, {
      path: where,
      subject: "passwordVariable",
      value: ext.passwordVariable,
      rule: `each external registry has a password variable of its own, but externalRegistries[${sameVariable}] already uses ${JSON.stringify(ext.passwordVariable)} (one sensitive stack variable is declared per name)`,
      fix: `give this registry its own variable, e.g. ${JSON.stringify(`${ext.passwordVariable}_${i + 1}`)} (set it with TF_VAR_<name>)`,
    });
    variables.set(ext.passwordVariable, i);
    const host = String(ext.registry).toLowerCase();
    const sameHost = hosts.get(host);
    check(sameHost === undefined, {
      path: where,
      subject: "registry",
      value: ext.registry,
      rule: `one entry per registry, but externalRegistries[${sameHost}] already configures ${ext.registry} (docker would use only one of them)`,
      fix: "remove one of the two entries",
    });
    hosts.set(host, i);
    // One rule, so every fix leads to a configuration that is accepted: the credential needs
    // protected variables (unprotected ones reach every job of unprotected refs, and an environment
    // scope only narrows by the environment a job names, which any job may name) with a scope other
    // than * (GitLab has one variable per key and scope in a group, and the * variables serve every
    // job: merge requests included; the app also keeps them in the gitlab-shared stack, which cannot
    // refer to this environment's sensitive Terraform variable).
    const scope = env.gitlab.variables?.environmentScope ?? "*";
    check(variablesAreProtected(env) && scope !== "*", {
      path: where,
      subject: "registry",
      value: ext.registry,
      rule:
        `the registry's credential goes into the environment's DOCKER_AUTH_CONFIG, so the environment's group variables must be protected and have an environment scope other than * ` +
        `(they are ${variablesAreProtected(env) ? "protected" : "not protected"} (gitlab.variables.protected ${JSON.stringify(env.gitlab.variables?.protected ?? null)}, production ${JSON.stringify(env.production ?? false)}) with scope ${JSON.stringify(scope)}): ` +
        "unprotected variables reach every job of unprotected refs, and the group's * variables serve every job (GitLab has one variable per key and environment scope in a group)",
      fix:
        `set gitlab.variables.protected: true and gitlab.variables.environmentScope: ${JSON.stringify(env.name)} in this environment; merge-request and build jobs then get a read-only credential ` +
        "through unprotectedPull in this same entry, which goes into the group's * DOCKER_AUTH_CONFIG of the environment without a scope",
    });
  });
  validateUnprotectedPullEntries(env, path);
}

/**
 * The deploy runner registers for protected branches and tags only: its
 * hosts carry the deployment role's trust, so an explicit `gitlab.runners`
 * entry named after it must keep `protectedRefsOnly`.
 */
export function validateDeployRegistration(env: EnvironmentConfig, path: string, registrations: readonly RunnerRegistrationConfig[], deployRunner: string): void {
  if (!env.runners?.deploy || env.gitlab.runners === undefined) return;
  registrations.forEach((registration, i) => {
    if (registration.name !== deployRunner) return;
    check(registration.protectedRefsOnly === true, {
      path: `${path}/gitlab/runners[${i}]`,
      subject: "protectedRefsOnly",
      value: registration.protectedRefsOnly,
      rule: `the "${deployRunner}" runner serves the deploy fleet, whose jobs deploy with the environment's deployment role: it takes jobs of protected branches and tags only`,
      fix: "set protectedRefsOnly: true on the deploy registration (or remove the explicit runners list to get the default)",
    });
  });
}

/**
 * Host mounts of every pool's runners, at the config path: the host's root,
 * the docker socket under any spelling (`/var/run`, `//var//run/`,
 * `/var/lib/../run`), the runner's configuration and the kernel's file
 * systems are refused on every pool (the socket comes only through
 * `dockerAccess`, an explicit choice the pools check), before the fleet
 * refuses them with its construct path.
 */
export function validateRunnerVolumes(env: EnvironmentConfig, path: string): void {
  const runners = env.runners;
  if (!runners) return;
  const pools = [
    ...runners.runners.map((r, i) => ({ runner: r, at: `${path}/runners/runners[${i}]` })),
    ...(runners.unprotected?.runners ?? []).map((r, i) => ({ runner: r, at: `${path}/runners/unprotected/runners[${i}]` })),
  ];
  for (const { runner, at } of pools) {
    (runner.volumes ?? []).forEach((volume, j) => validateHostMount(`${at}/volumes[${j}]`, "volume", volume));
  }
}
