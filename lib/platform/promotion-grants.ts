import { partitionOf } from "../core/aws";
import { iamRoleArn } from "../core/iam";
import { ECR_AUTH_ACTION, ECR_PULL_ACTIONS, type RepositoryPullPrincipal } from "../registry/repository";
import { type EnvironmentConfig, type PlatformInfo } from "./config";
import { type EnvironmentIdentity } from "./environment-identity";
import { promotionSourceArn } from "./promotion";
import { type Tenant, tenantRoleName, tenantsOf } from "./tenancy";

/*
 * The IAM of promotion by digest: the target environment's protected role of a tenant pulls
 * that tenant's protected repository in the source environment, and nothing else of it.
 * - Identity side (target stack): pull actions on exactly the source repository ARNs, always
 *   (same account: the identity policy alone grants it; cross-account it is half of the grant).
 * - Resource side (source stack), cross-account only: the source repository's policy names the
 *   target role exactly (`RepositoryPullPrincipal`); within one account it stays unset.
 * Amazon ECR User Guide, "Private repository policies" / "Allow another account": cross-account
 * access needs both the repository policy and the principal's identity policy.
 */

/**
 * The roles of promotion targets (in another account) that may pull a tenant's protected
 * repository of this environment: the target's protected role of the same project, when the
 * target has the repository.
 */
export function promotionPullPrincipals(
  platform: PlatformInfo,
  env: EnvironmentConfig,
  targets: readonly EnvironmentConfig[],
  tenant: Tenant,
  repositoryId: string,
): RepositoryPullPrincipal[] {
  return targets
    .filter((target) => target.accountId !== env.accountId)
    .flatMap((target) => {
      const own = tenantsOf(target).find((t) => t.path === tenant.path);
      if (!own || !own.repositories.some((r) => r.id === repositoryId)) return [];
      return [{ accountId: target.accountId, roleArn: iamRoleArn(partitionOf(target.region), target.accountId, tenantRoleName(platform, target, own, "protected")) }];
    });
}

/**
 * Grants each tenant's protected role of `env` pull on its own protected repositories in
 * `source` (the repositories of ids the tenant has in both environments).
 */
export function grantPromotionPull(source: EnvironmentConfig, env: EnvironmentConfig, identity: EnvironmentIdentity): void {
  const sourceTenants = tenantsOf(source);
  for (const tenant of tenantsOf(env)) {
    const from = sourceTenants.find((t) => t.path === tenant.path);
    const roles = identity.tenantRoles.get(tenant.name);
    if (!from || !roles) continue;
    const ids = tenant.repositories.map((r) => r.id).filter((id) => from.repositories.some((r) => r.id === id));
    if (ids.length === 0) continue;
    roles.protected.addToPrincipalPolicy({ actions: [ECR_AUTH_ACTION], resources: ["*"] });
    roles.protected.addToPrincipalPolicy({ actions: [...ECR_PULL_ACTIONS], resources: ids.map((id) => promotionSourceArn(source, tenant, id)) });
  }
}
