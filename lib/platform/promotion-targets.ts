/*
 * The literal values of an environment's deploy jobs (lib/gitlab/deploy-targets.ts), derived from
 * the configuration with the same functions that name the roles, repositories, parameters and
 * variables, so the pinned script and the CI/CD variables can never disagree.
 */
import { partitionOf } from "../core/aws";
import { iamRoleArn } from "../core/iam";
import { type DeployTarget } from "../gitlab/deploy-targets";
import { type EnvironmentConfig, imageRolesOf, type PlatformInfo } from "./config";
import { deployedImageOf, lastGoodDigestParameterName, recordsLastGoodDigest } from "./deploy-config";
import { promotionSourceUrl } from "./promotion";
import { audienceOf, registryHostOf, type Tenant, tenantDeploymentRoleName, tenantRepositoryName, tenantRoleName } from "./tenancy";
import { deployingTenantsOf, hasRepository, toolboxBuilderOf } from "./toolbox-source";

/** What {@link deployPinsOf} derives for one deploying environment. */
export interface EnvironmentDeployPins {
  /** One row per deploying project with the deployed image role's repository. */
  readonly targets: DeployTarget[];
  /** The environment's OIDC audience. */
  readonly audience: string;
  /** The environment's region. */
  readonly region: string;
  /** The toolbox project's protected toolbox repository in the environment, when it is a tenant there with one. */
  readonly toolboxRepository?: string;
  /** The toolbox project's row, for its `promote-toolbox-<environment>` job (environments promoted into). */
  readonly toolbox?: DeployTarget;
}

/**
 * The pinned values of `env`'s deploy jobs: per deploying tenant (every tenant but the toolbox
 * project) with the deployed image role's repository, its protected role, that repository, the
 * source environment's (when promoted), its deployment role and its last-good-digest parameter
 * (when recorded); the audience and region; the toolbox repository and the toolbox project's row.
 * @param source the environment `env` is promoted from, if any
 * @param toolboxProject path of the instance's toolbox project, if any
 */
export function deployPinsOf(platform: PlatformInfo, env: EnvironmentConfig, source: EnvironmentConfig | undefined, toolboxProject: string | undefined): EnvironmentDeployPins {
  const partition = partitionOf(env.region);
  const host = registryHostOf(env);
  const protectedRole = (tenant: Tenant) => iamRoleArn(partition, env.accountId, tenantRoleName(platform, env, tenant, "protected"));
  const appId = imageRolesOf(env)[deployedImageOf(env)];
  const targets = deployingTenantsOf(env, toolboxProject)
    .filter((tenant) => hasRepository(tenant, appId))
    .map(
      (tenant): DeployTarget => ({
        project: tenant.path,
        roleArn: protectedRole(tenant),
        repository: `${host}/${tenantRepositoryName(env, tenant, appId!, "protected")}`,
        ...(source !== undefined ? { promoteFrom: promotionSourceUrl(source, tenant, appId!) } : {}),
        deploymentRoleArn: iamRoleArn(partition, env.accountId, tenantDeploymentRoleName(platform, env, tenant)),
        ...(recordsLastGoodDigest(env) ? { lastGoodDigestParameter: lastGoodDigestParameterName(platform, env, tenant) } : {}),
      }),
    );
  const toolboxId = imageRolesOf(env).toolbox;
  const toolboxTenant = toolboxBuilderOf(env, toolboxProject);
  const builder = toolboxTenant && hasRepository(toolboxTenant, toolboxId) ? toolboxTenant : undefined;
  const toolboxRepository = builder ? `${host}/${tenantRepositoryName(env, builder, toolboxId!, "protected")}` : undefined;
  const toolbox: DeployTarget | undefined =
    builder && toolboxRepository && source !== undefined
      ? { project: builder.path, roleArn: protectedRole(builder), repository: toolboxRepository, promoteFrom: promotionSourceUrl(source, builder, toolboxId!) }
      : undefined;
  return {
    targets,
    audience: audienceOf(platform, env),
    region: env.region,
    ...(toolboxRepository ? { toolboxRepository } : {}),
    ...(toolbox ? { toolbox } : {}),
  };
}
