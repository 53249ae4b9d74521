import { TerraformOutput } from "cdktf";
import { type Construct } from "constructs";
import { ContainerRepository, type RepositoryPullPrincipal } from "../registry/repository";
import { type TagScheme } from "../registry/tag-scheme";
import { type EnvironmentConfig, protectsData } from "./config";
import { type TenantRepositories } from "./environment-identity";
import { type Tenant, tenantRepositoryName, tenantsOf, trustLevelsOf } from "./tenancy";

/**
 * The repositories of every tenant of an environment, created in `scope` (the
 * platform): per tenant and repository id one protected repository
 * `<prefix>/<tenant>/<id>` (construct id `repository-<tenant>-<id>`) and one
 * unprotected repository `<prefix>/<tenant>/unprotected/<id>` (construct id
 * `repository-<tenant>-unprotected-<id>`, only in an environment with an
 * unprotected runner pool: `servesUnprotected`), each with a static-id output of its
 * URL (`repository-url-<tenant>-<id>`, `repository-url-<tenant>-unprotected-<id>`)
 * and tags naming its tenant and trust level. The unprotected repository's lifecycle policy keeps
 * no protected kind and expires images no retained kind selects after the repository's
 * `unprotectedMaxAgeDays` (see `ContainerRepositoryProps.unprotected`).
 * @param pullPrincipalsOf roles of other accounts that may pull a tenant's protected repository
 *   (the protected roles of the environments images are promoted to); none by default
 * @returns the repositories by tenant name, then trust level, then repository id
 */
export function tenantRepositoriesOf(
  scope: Construct,
  env: EnvironmentConfig,
  tagScheme: TagScheme,
  pullPrincipalsOf: (tenant: Tenant, repositoryId: string) => readonly RepositoryPullPrincipal[] = () => [],
): ReadonlyMap<string, TenantRepositories> {
  const byTenant = new Map<string, TenantRepositories>();
  for (const tenant of tenantsOf(env, scope.node.path)) {
    const levels = { protected: new Map<string, ContainerRepository>(), unprotected: new Map<string, ContainerRepository>() };
    for (const trust of trustLevelsOf(env)) {
      for (const repo of tenant.repositories) {
        const id = trust === "protected" ? `${tenant.name}-${repo.id}` : `${tenant.name}-unprotected-${repo.id}`;
        const pullPrincipals = trust === "protected" ? pullPrincipalsOf(tenant, repo.id) : [];
        const repository = new ContainerRepository(scope, `repository-${id}`, {
          repositoryName: tenantRepositoryName(env, tenant, repo.id, trust),
          tagScheme,
          preventDestroy: protectsData(env, env.registry.preventDestroy),
          ...(repo.catchAllRetention ? { catchAllRetention: repo.catchAllRetention } : {}),
          ...(trust === "unprotected" ? { unprotected: repo.unprotectedMaxAgeDays !== undefined ? { maxAgeDays: repo.unprotectedMaxAgeDays } : {} } : {}),
          ...(pullPrincipals.length > 0 ? { pullPrincipals } : {}),
          tags: { description: repo.description, tenant: tenant.name, trust },
        });
        levels[trust].set(repo.id, repository);
        new TerraformOutput(scope, `repository-url-${id}`, {
          staticId: true,
          value: repository.repositoryUrl,
          description: `${repo.description} (${tenant.path}, ${trust} pipelines)`,
        });
      }
    }
    byTenant.set(tenant.name, levels);
  }
  return byTenant;
}
