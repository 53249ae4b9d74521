import { partitionOf } from "../core/aws";
import { iamRoleArn } from "../core/iam";
import { ECR_AUTH_ACTION, ECR_PULL_ACTIONS, type RepositoryPullPrincipal } from "../registry/repository";
import { type EnvironmentConfig, imageRolesOf, type PlatformInfo } from "./config";
import { type EnvironmentIdentity } from "./environment-identity";
import { deployedImageOf } from "./deploy-config";
import { promotionSourceArn } from "./promotion";
import { type Tenant, tenantRoleName, tenantsOf } from "./tenancy";
import { deploysTenant } from "./toolbox-source";

/*
 * The IAM of promotion by digest: the target environment's protected role of a tenant pulls
 * the source environment's protected repository of that tenant that its promote job copies
 * ({@link promotedRepositoriesOf}), and nothing else of it.
 * - Identity side (target stack): pull actions on exactly the source repository ARNs, always
 *   (same account: the identity policy alone grants it; cross-account it is half of the grant).
 * - Resource side (source stack), cross-account only: the source repository's policy names the
 *   target role exactly (`RepositoryPullPrincipal`); within one account it stays unset.
 * Amazon ECR User Guide, "Private repository policies" / "Allow another account": cross-account
 * access needs both the repository policy and the principal's identity policy.
 */

/** One repository promoted into an environment: the target's tenant and the repository's config id. */
export interface PromotedRepository {
  /** The tenant of the target environment (the source's tenant of the same path owns the source repository). */
  readonly tenant: Tenant;
  /** The repository's config id, the same in both environments. */
  readonly repositoryId: string;
  /**
   * The image role promoted (`deploy.image` of the environment for a deploying tenant, `toolbox`
   * for the toolbox project): its `PLATFORM_<ROLE>_PROMOTE_FROM` variable names the source repository.
   */
  readonly role: string;
}

/**
 * The repositories the promote jobs of `env` copy from `source`, and nothing else: with `deploy`,
 * the deployed image role's repository of every deploying tenant (`promote-<environment>` of
 * deploy.yml; every tenant but the toolbox project) and the toolbox image role's repository of
 * the toolbox project (`promote-toolbox-<environment>` of its CI file), each only where the
 * tenant has that repository in both environments. An environment without `deploy` has no
 * promote jobs (the published templates promote into deploying environments only), so nothing.
 * The same rows as the jobs' pinned `promoteFrom` values (`deployPinsOf`).
 * @param toolboxProject path of the GitLab instance's toolbox project, if any
 */
export function promotedRepositoriesOf(env: EnvironmentConfig, source: EnvironmentConfig, toolboxProject: string | undefined): PromotedRepository[] {
  if (env.deploy === undefined) return [];
  const roles = imageRolesOf(env);
  const sourceTenants = tenantsOf(source);
  const inBoth = (tenant: Tenant, id: string | undefined): id is string =>
    id !== undefined && tenant.repositories.some((r) => r.id === id) && (sourceTenants.find((t) => t.path === tenant.path)?.repositories.some((r) => r.id === id) ?? false);
  const appRole = deployedImageOf(env);
  const appId = roles[appRole];
  const toolboxId = roles.toolbox;
  const out: PromotedRepository[] = [];
  for (const tenant of tenantsOf(env)) {
    if (deploysTenant(tenant, toolboxProject)) {
      if (inBoth(tenant, appId)) out.push({ tenant, repositoryId: appId, role: appRole });
    } else if (inBoth(tenant, toolboxId)) out.push({ tenant, repositoryId: toolboxId, role: "toolbox" });
  }
  return out;
}

/**
 * The roles of promotion targets (in another account) that may pull a tenant's protected
 * repository of this environment: the target's protected role of the same project, when the
 * target promotes that repository ({@link promotedRepositoriesOf}).
 * @param toolboxProject path of the GitLab instance's toolbox project, if any
 */
export function promotionPullPrincipals(
  platform: PlatformInfo,
  env: EnvironmentConfig,
  targets: readonly EnvironmentConfig[],
  tenant: Tenant,
  repositoryId: string,
  toolboxProject: string | undefined,
): RepositoryPullPrincipal[] {
  return targets
    .filter((target) => target.accountId !== env.accountId)
    .flatMap((target) => {
      const own = promotedRepositoriesOf(target, env, toolboxProject).find((p) => p.tenant.path === tenant.path && p.repositoryId === repositoryId);
      if (!own) return [];
      return [{ accountId: target.accountId, roleArn: iamRoleArn(partitionOf(target.region), target.accountId, tenantRoleName(platform, target, own.tenant, "protected")) }];
    });
}

/**
 * Grants each tenant's protected role of `env` pull on exactly the protected repositories of
 * `source` its promote jobs copy ({@link promotedRepositoriesOf}), and `ecr:GetAuthorizationToken`
 * (no resource-level form) to the roles that promote anything.
 * @param toolboxProject path of the GitLab instance's toolbox project, if any
 */
export function grantPromotionPull(source: EnvironmentConfig, env: EnvironmentConfig, identity: EnvironmentIdentity, toolboxProject: string | undefined): void {
  const promoted = promotedRepositoriesOf(env, source, toolboxProject);
  for (const tenant of tenantsOf(env)) {
    const roles = identity.tenantRoles.get(tenant.name);
    const ids = promoted.filter((p) => p.tenant.path === tenant.path).map((p) => p.repositoryId);
    if (!roles || ids.length === 0) continue;
    roles.protected.addToPrincipalPolicy({ actions: [ECR_AUTH_ACTION], resources: ["*"] });
    roles.protected.addToPrincipalPolicy({ actions: [...ECR_PULL_ACTIONS], resources: ids.map((id) => promotionSourceArn(source, tenant, id)) });
  }
}
