/*
 * The deploy section of one environment: which image its deploy jobs deploy, where they run, where
 * the last good digest is recorded, and the checks of `deploy` that need nothing but the
 * environment. Pure functions of the configuration, like tenancy.ts; the checks that span
 * environments (promotion sources, one deploy template per GitLab instance) are in promotion.ts.
 */
import { ssmParameterArn, validateSsmParameterName } from "../core/aws";
import { check } from "../core/errors";
import { type EnvironmentConfig, imageRolesOf, type PlatformInfo, type RunnerRegistrationConfig, runnersOf } from "./config";
import { DEPLOY_ACCESS_LEVELS } from "../gitlab/deploy-environments";
import { controlsHost, type PoolRunner, runnerPoolsOf, takesUnprotectedJobs } from "./runner-pools";
import { validateDeployHosts } from "./deploy-hosts";
import { type Tenant, tenantsOf } from "./tenancy";

/** Where a deploy job of an environment runs. */
export interface DeployRoute {
  /** The runner registration. */
  readonly registration: RunnerRegistrationConfig;
  /** Its pool. */
  readonly pool: PoolRunner["pool"];
  /** The tags a deploy job carries. */
  readonly tags: readonly string[];
}

/** The image role an environment deploys. */
export function deployedImageOf(env: Pick<EnvironmentConfig, "deploy">): string {
  return env.deploy?.image ?? "app";
}

/** Whether an environment records its last good digest. */
export function recordsLastGoodDigest(env: Pick<EnvironmentConfig, "deploy">): boolean {
  return env.deploy !== undefined && env.deploy.lastGoodDigest !== false;
}

/** Whether an environment rolls back on a failed deploy or smoke test. */
export function rollsBack(env: Pick<EnvironmentConfig, "deploy">): boolean {
  return env.deploy !== undefined && (env.deploy.rollback ?? recordsLastGoodDigest(env));
}

/**
 * The SSM parameter holding a tenant's last good digest in an environment:
 * `<prefix>/<tenant>/last-good-digest`, the prefix `/<project>/<environment>/deploy` by default.
 */
export function lastGoodDigestParameterName(platform: PlatformInfo, env: EnvironmentConfig, tenant: Tenant): string {
  const record = env.deploy?.lastGoodDigest;
  const prefix = (record === false ? undefined : record?.parameterPrefix) ?? `/${platform.project}/${env.name}/deploy`;
  return `${prefix}/${tenant.name}/last-good-digest`;
}

/** The ARN of {@link lastGoodDigestParameterName}. */
export function lastGoodDigestParameterArn(platform: PlatformInfo, env: EnvironmentConfig, tenant: Tenant): string {
  return ssmParameterArn(env.region, env.accountId, lastGoodDigestParameterName(platform, env, tenant));
}

/**
 * The runner deploy jobs of an environment run on: `deploy.runner`, else the deploy pool's
 * runner, else the first protected-pool runner with a registration.
 * @returns undefined when the environment has no such runner
 */
export function deployRouteOf(platform: PlatformInfo, env: EnvironmentConfig): DeployRoute | undefined {
  const registrations = runnersOf(platform, env);
  const pools = runnerPoolsOf(env, registrations);
  const named = env.deploy?.runner;
  const pick = (pool: PoolRunner | undefined, registration: RunnerRegistrationConfig | undefined): DeployRoute | undefined =>
    registration
      ? {
          registration,
          pool: pool?.pool ?? "protected",
          tags: [...(registration.tags ?? [])],
        }
      : undefined;
  if (named !== undefined)
    return pick(
      pools.find((p) => p.name === named),
      registrations.find((r) => r.name === named),
    );
  // A deploy needs no docker daemon: prefer a protected runner whose hosts bind no socket and run nothing privileged.
  const candidate =
    pools.find((p) => p.pool === "deploy" && p.registration) ??
    pools.find((p) => p.pool === "protected" && p.registration && !controlsHost(p)) ??
    pools.find((p) => p.pool === "protected" && p.registration);
  return pick(candidate, candidate?.registration);
}

const BRANCH = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;

/**
 * The checks of an environment's `deploy` section that need nothing but the environment:
 * an image role it has, a deployment role to deploy with, a runner that takes protected refs
 * only on hosts where no other job can take a deploy over (`validateDeployHosts`: the whole
 * pool is judged, not the one registration), a place to record the last good digest when
 * rolling back, an exact branch name.
 * @throws ValidationError naming `<path>/deploy/...`
 */
export function validateDeployConfig(platform: PlatformInfo, env: EnvironmentConfig, path: string): void {
  const deploy = env.deploy;
  if (deploy === undefined) return;
  const at = `${path}/deploy`;
  const image = deployedImageOf(env);
  const roles = imageRolesOf(env);
  check(roles[image] !== undefined, {
    path: `${at}/image`,
    subject: "image role",
    value: image,
    rule: `the deployed image is one of the environment's image roles (${Object.keys(roles).join(", ") || "none"})`,
    fix: "name an image role from gitlab.imageRoles (app by default)",
  });
  check(env.identity?.deployment !== undefined, {
    path: at,
    subject: "deployment role",
    value: undefined,
    rule: "deploy jobs run as the tenant's deployment role of the environment (chained from the tenant's protected CI role; one per tenant, with the permissions of identity.deployment), and identity.deployment configures none",
    fix: "add identity.deployment with the permissions your deployments need (managedPolicyArns or statements)",
  });
  check(deploy.rollback !== true || recordsLastGoodDigest(env), {
    path: `${at}/rollback`,
    subject: "rollback",
    value: { rollback: deploy.rollback, lastGoodDigest: deploy.lastGoodDigest },
    rule: "a rollback redeploys the last good digest, so it needs a place to record it, and lastGoodDigest is false",
    fix: "remove lastGoodDigest: false (one SSM parameter per tenant records it), or set rollback: false",
  });
  const record = deploy.lastGoodDigest;
  if (record !== false && record?.parameterPrefix !== undefined) {
    check(!record.parameterPrefix.endsWith("/"), {
      path: `${at}/lastGoodDigest`,
      subject: "parameterPrefix",
      value: record.parameterPrefix,
      rule: "the prefix is followed by /<tenant>/last-good-digest, so it has no trailing '/'",
      fix: `drop the trailing '/': ${JSON.stringify(record.parameterPrefix.replace(/\/+$/, ""))}`,
    });
    validateSsmParameterName(`${at}/lastGoodDigest`, "parameterPrefix", record.parameterPrefix, `/${platform.project}/${env.name}/deploy`);
  }
  if (deploy.branch !== undefined) {
    check(typeof deploy.branch === "string" && BRANCH.test(deploy.branch) && !/[*?]/.test(deploy.branch), {
      path: `${at}/branch`,
      subject: "branch",
      value: deploy.branch,
      rule: "an environment branch is one exact branch name (the protected CI roles trust it with StringEquals)",
      fix: `use the branch name, e.g. "${env.name}"`,
    });
    const defaults = tenantsOf(env).map((t) => t.defaultBranch);
    check(!defaults.includes(deploy.branch), {
      path: `${at}/branch`,
      subject: "branch",
      value: deploy.branch,
      rule: "an environment branch is not a tenant's default branch (default-branch pipelines deploy the environments without a branch)",
      fix: "leave branch unset to deploy from the default branch, or name another branch",
    });
  }
  validateDeployAccess(env, at);
  const route = deployRouteOf(platform, env);
  if (route === undefined) {
    check(false, {
      path: deploy.runner !== undefined ? `${at}/runner` : at,
      subject: "deploy runner",
      value: deploy.runner,
      rule: "deploy jobs need a registered runner of the environment that takes protected refs only (the deploy pool, else the protected pool), and there is none",
      fix: "add runners.deploy (a deploy pool) or a protected-pool runner, or name a registered runner in deploy.runner",
    });
    return;
  }
  check(route.pool !== "unprotected" && !takesUnprotectedJobs(route.registration), {
    path: deploy.runner !== undefined ? `${at}/runner` : at,
    subject: "deploy runner",
    value: {
      runner: route.registration.name,
      pool: route.pool,
      protectedRefsOnly: route.registration.protectedRefsOnly ?? false,
    },
    rule:
      "a deploy job runs with the deployment role's credentials, so its runner must take jobs of protected refs only (ref_protected); " +
      "a runner that also takes unprotected jobs lets any branch's job share the host with a deploy",
    fix: "route deploy jobs to the deploy pool or a protected-pool runner (protectedRefsOnly: true), or remove allowUnprotectedJobs from the runner",
  });
  const registrations = runnersOf(platform, env);
  validateDeployHosts(runnerPoolsOf(env, registrations), registrations, route, deploy.runner !== undefined ? `${at}/runner` : at);
}

/** Whether an environment's deploy jobs get GitLab protected environments: it deploys and its tier has them (Premium, Ultimate). */
export function protectsDeployEnvironment(env: Pick<EnvironmentConfig, "deploy" | "gitlab">): boolean {
  return env.deploy !== undefined && (env.gitlab.tier ?? "free") !== "free";
}

/** `deploy.deployAccess`: a known level, and only where protected environments exist (GitLab Premium, Ultimate). */
function validateDeployAccess(env: EnvironmentConfig, at: string): void {
  const access = env.deploy?.deployAccess;
  if (access === undefined) return;
  check((DEPLOY_ACCESS_LEVELS as readonly string[]).includes(access), {
    path: `${at}/deployAccess`,
    subject: "deploy access level",
    value: access,
    rule: `who may deploy to the environment is one of ${DEPLOY_ACCESS_LEVELS.join(", ")} (GitLab's deploy access levels 40 and 30)`,
    fix: 'use "maintainer" (the default) or "developer"',
  });
  check((env.gitlab.tier ?? "free") !== "free", {
    path: `${at}/deployAccess`,
    subject: "deploy access level",
    value: access,
    rule: 'protected environments are a GitLab Premium feature (GitLab docs, "Protected environments"), and gitlab.tier is free: the setting would protect nothing',
    fix: 'remove deployAccess (on Free, protected branches and tags and the protected roles decide who deploys), or set gitlab.tier: "premium" if the group has Premium or Ultimate',
  });
}
