import { type EnvironmentConfig, imageRolesOf } from "./config";
import { type Tenant, tenantsOf } from "./tenancy";

/** The repository the toolbox image comes from: a tenant's protected repository of the `toolbox` image role. */
export interface ToolboxSource {
  /** The tenant whose protected repository holds the toolbox. */
  readonly tenant: Tenant;
  /** Its repository config id (the `toolbox` image role). */
  readonly repositoryId: string;
}

/**
 * The toolbox project's tenant in `env`: the tenant whose path is `toolboxProject` (compared
 * case-insensitively, as GitLab paths are), whether or not it has a toolbox repository there.
 * @param toolboxProject path of the instance's toolbox project (`gitlab.toolboxProject.path`)
 * @returns undefined without a toolbox project or when it is not one of the environment's tenants
 */
export function toolboxBuilderOf(env: EnvironmentConfig, toolboxProject: string | undefined): Tenant | undefined {
  if (toolboxProject === undefined) return undefined;
  const wanted = toolboxProject.toLowerCase();
  return tenantsOf(env).find((t) => t.path.toLowerCase() === wanted);
}

/** Whether `tenant` has the repository of config id `repositoryId`. */
export function hasRepository(tenant: Tenant, repositoryId: string | undefined): repositoryId is string {
  return repositoryId !== undefined && tenant.repositories.some((r) => r.id === repositoryId);
}

/**
 * Where the toolbox image of `forTenant` comes from: the protected toolbox repository of the
 * toolbox project's tenant when the toolbox project is one of the environment's tenants with a
 * toolbox repository; otherwise the tenant's own toolbox repository, if it has one.
 */
export function toolboxSourceOf(env: EnvironmentConfig, forTenant: Tenant, toolboxProject = env.gitlab.toolboxProject?.path): ToolboxSource | undefined {
  const repositoryId = imageRolesOf(env).toolbox;
  if (repositoryId === undefined) return undefined;
  const builder = toolboxBuilderOf(env, toolboxProject);
  if (builder && hasRepository(builder, repositoryId)) return { tenant: builder, repositoryId };
  return hasRepository(forTenant, repositoryId) ? { tenant: forTenant, repositoryId } : undefined;
}


/**
 * Whether `tenant` deploys: every tenant but the toolbox project (`gitlab.toolboxProject`), whose
 * pipelines build and promote the toolbox image and deploy nothing. Only deploying tenants get a
 * deployment role, a last-good-digest parameter and `PLATFORM_DEPLOY_ROLE_ARN`.
 * @param toolboxProject path of the toolbox project (compared case-insensitively, as GitLab paths are)
 */
export function deploysTenant(tenant: Tenant, toolboxProject: string | undefined): boolean {
  return toolboxProject === undefined || tenant.path.toLowerCase() !== toolboxProject.toLowerCase();
}

/** The tenants of `env` that deploy ({@link deploysTenant}). */
export function deployingTenantsOf(env: EnvironmentConfig, toolboxProject = env.gitlab.toolboxProject?.path): Tenant[] {
  return tenantsOf(env).filter((t) => deploysTenant(t, toolboxProject));
}
