import { partitionOf } from "../core/aws";
import { iamRoleArn } from "../core/iam";
import { type CiVariableOptions } from "../gitlab/ci-variable";
import { imageVariable, PLATFORM_VARIABLES, unprotectedImageVariable } from "../gitlab/platform-variables";
import { DEPLOY_VARIABLES, promoteFromVariable } from "../gitlab/deploy-variables";
import { type EnvironmentConfig, imageRolesOf, type PlatformInfo } from "./config";
import { protectedRunnerTagVariables } from "./job-routing";
import { lastGoodDigestParameterName, recordsLastGoodDigest } from "./deploy-config";
import { promotionSourceUrl } from "./promotion";
import { audienceOf, registryHostOf, servesUnprotected, type Tenant, tenantDeploymentRoleName, tenantRepositoryName, tenantRoleName } from "./tenancy";
import { promotedRepositoriesOf } from "./promotion-grants";
import { deploysTenant, toolboxSourceOf } from "./toolbox-source";

/** Options of {@link tenantVariables}. */
export interface TenantVariablesOptions {
  /**
   * Path of the GitLab project that builds the toolbox image (`gitlab.toolboxProject.path` of the
   * environment on this GitLab instance that declares it); see `toolboxSourceOf`.
   * @default the environment's own `gitlab.toolboxProject`, if any
   */
  readonly toolboxProject?: string;
  /**
   * The environment this one's images are promoted from (`PLATFORM_<ROLE>_PROMOTE_FROM`).
   * @default none
   */
  readonly promotionSource?: EnvironmentConfig;
}

/**
 * The project-level CI/CD variables of one tenant in one environment (GitLab
 * `gitlab_project_variable`), computed from names alone (the registry host
 * literal, `tenantRepositoryName`, `tenantRoleName`), so they do not depend on
 * the constructs that create the repositories and roles:
 * - `PLATFORM_<ROLE>_IMAGE` / `PLATFORM_<ROLE>_UNPROTECTED_IMAGE`: the tenant's
 *   protected and unprotected repository of each image role it has;
 * - `PLATFORM_AWS_ROLE_ARN`: the protected role, as a protected variable (only
 *   pipelines of protected refs receive it);
 * - `PLATFORM_AWS_UNPROTECTED_ROLE_ARN`: the unprotected role (every pipeline);
 * - `PLATFORM_OIDC_AUDIENCE`: the environment's audience (`audienceOf`);
 * - `PLATFORM_TOOLBOX_URL`: the toolbox repository the tenant's build jobs run (see `toolboxSourceOf`);
 * - `PLATFORM_RUNNER_TAG`, `PLATFORM_BUILD_RUNNER_TAG`: the protected pool's tags, as protected
 *   variables (see job-routing.ts).
 * The unprotected image and role variables exist only in an environment with an
 * unprotected runner pool (`servesUnprotected`), like the repositories and the role they name.
 * - with `deploy`, for a tenant that deploys (not the toolbox project): `PLATFORM_DEPLOY_ROLE_ARN` (its own deployment role) and, when the
 *   last good digest is recorded, `PLATFORM_LAST_GOOD_DIGEST_PARAMETER`, both protected;
 * - with a promotion `source`: `PLATFORM_<ROLE>_PROMOTE_FROM`, the source environment's
 *   protected repository of each repository promoted into `env` (`promotedRepositoriesOf`: with
 *   `deploy`, the deployed image role of a deploying tenant, the toolbox role of the toolbox
 *   project), which is exactly what the tenant's protected role may pull there; no variable names a
 *   source repository the role cannot pull.
 * No value is secret: none is masked; all are raw (no `$` expansion).
 *
 * @param environmentScope GitLab environment scope (project variables have scopes on every tier)
 * @param options the toolbox project and the promotion source (see {@link TenantVariablesOptions})
 */
export function tenantVariables(platform: PlatformInfo, env: EnvironmentConfig, tenant: Tenant, environmentScope = "*", options: TenantVariablesOptions = {}): CiVariableOptions[] {
  const host = registryHostOf(env);
  const partition = partitionOf(env.region);
  const ids = new Set(tenant.repositories.map((r) => r.id));
  const common = { environmentScope, raw: true, masked: false } as const;
  const unprotected = servesUnprotected(env);
  const images = Object.entries(imageRolesOf(env))
    .filter(([, id]) => ids.has(id))
    .flatMap(([role, id]): CiVariableOptions[] => [
      { key: imageVariable(role), value: `${host}/${tenantRepositoryName(env, tenant, id, "protected")}`, description: `Protected repository of the ${role} image (${tenant.path})`, protected: false, ...common },
      ...(unprotected ? [{ key: unprotectedImageVariable(role), value: `${host}/${tenantRepositoryName(env, tenant, id, "unprotected")}`, description: `Repository of the ${role} image for merge requests and other unprotected refs (${tenant.path})`, protected: false, ...common }] : []),
    ]);
  const toolbox = toolboxSourceOf(env, tenant, options.toolboxProject ?? env.gitlab.toolboxProject?.path);
  const toolboxUrl: CiVariableOptions[] = toolbox
    ? [{ key: PLATFORM_VARIABLES.toolboxUrl, value: `${host}/${tenantRepositoryName(env, toolbox.tenant, toolbox.repositoryId, "protected")}`, description: `Toolbox image build and review jobs run (${toolbox.tenant.path}, pull only)`, protected: false, ...common }]
    : [];
  const roleArn = (trust: "protected" | "unprotected") => iamRoleArn(partition, env.accountId, tenantRoleName(platform, env, tenant, trust));
  return [
    ...images,
    { key: PLATFORM_VARIABLES.roleArn, value: roleArn("protected"), description: `Role of ${tenant.path}'s protected pipelines (default branch, release tags)`, protected: true, ...common },
    ...(unprotected
      ? [{ key: PLATFORM_VARIABLES.unprotectedRoleArn, value: roleArn("unprotected"), description: `Role of ${tenant.path}'s unprotected pipelines (merge requests, other refs)`, protected: false, ...common }]
      : []),
    { key: PLATFORM_VARIABLES.audience, value: audienceOf(platform, env), description: "Audience of the GitLab OIDC token for this environment", protected: false, ...common },
    ...toolboxUrl,
    ...protectedRunnerTagVariables(platform, env, environmentScope),
    ...deployVariables(platform, env, tenant, common, options.promotionSource, options.toolboxProject ?? env.gitlab.toolboxProject?.path),
  ];
}

/** The promotion and deploy variables of a tenant (see {@link tenantVariables}). */
function deployVariables(
  platform: PlatformInfo,
  env: EnvironmentConfig,
  tenant: Tenant,
  common: { readonly environmentScope: string; readonly raw: true; readonly masked: false },
  source: EnvironmentConfig | undefined,
  toolboxProject: string | undefined,
): CiVariableOptions[] {
  const deploys = deploysTenant(tenant, toolboxProject);
  // Exactly the repositories the target's protected role may pull (the promotion grant's rows):
  // a variable naming any other source repository would name one the role cannot pull.
  const promoted = source
    ? promotedRepositoriesOf(env, source, toolboxProject)
        .filter((p) => p.tenant.path === tenant.path)
        .map((p): CiVariableOptions => ({
          key: promoteFromVariable(p.role),
          value: promotionSourceUrl(source, tenant, p.repositoryId),
          description: `Repository of ${source.name} the ${p.role} image is promoted from (${tenant.path})`,
          protected: false,
          ...common,
        }))
    : [];
  const deploy =
    env.deploy && env.identity?.deployment && deploys
      ? [
          {
            key: DEPLOY_VARIABLES.deployRoleArn,
            value: iamRoleArn(partitionOf(env.region), env.accountId, tenantDeploymentRoleName(platform, env, tenant)),
            description: `Deployment role of ${tenant.path} in ${env.name}, assumed from its protected role`,
            protected: true,
            ...common,
          },
          ...(recordsLastGoodDigest(env)
            ? [
                {
                  key: DEPLOY_VARIABLES.lastGoodDigestParameter,
                  value: lastGoodDigestParameterName(platform, env, tenant),
                  description: `SSM parameter with the last good digest of ${tenant.path} in ${env.name}`,
                  protected: true,
                  ...common,
                },
              ]
            : []),
        ]
      : [];
  return [...promoted, ...deploy];
}
