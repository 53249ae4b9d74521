import { Token } from "cdktf";
import { check } from "../core/errors";
import { type PolicyConditions, type PolicyStatement } from "../core/iam";

/**
 * The placeholder a deployment statement's resource ARNs and condition values may carry for the
 * tenant whose deployment role gets the statement: `{{tenant}}`, replaced by the tenant's name
 * (`ProjectConfig.name`, e.g. `app`) in each tenant's role. It cannot be read as anything else:
 * Terraform interpolates only `${…}` and `%{…}` (Terraform language, "Strings and Templates"), and
 * IAM policy variables are `${…}` too (IAM User Guide, "IAM policy elements: Variables and tags").
 */
export const TENANT_PLACEHOLDER = "{{tenant}}";

/** Whether a statement's resources or condition values name the tenant ({@link TENANT_PLACEHOLDER}). */
export function isTenantScoped(statement: PolicyStatement): boolean {
  return statement.resources.some((r) => r.includes(TENANT_PLACEHOLDER)) || JSON.stringify(statement.conditions ?? {}).includes(TENANT_PLACEHOLDER);
}

const expand = (value: string, tenant: string) => value.split(TENANT_PLACEHOLDER).join(tenant);

/**
 * `statements` as the deployment role of `tenant` gets them: {@link TENANT_PLACEHOLDER} in every
 * resource ARN and condition value replaced by the tenant's name; everything else unchanged.
 */
export function statementsForTenant(statements: readonly PolicyStatement[], tenant: string): PolicyStatement[] {
  return statements.map((s) => {
    const conditions: PolicyConditions | undefined = s.conditions
      ? Object.fromEntries(
          Object.entries(s.conditions).map(([op, keys]) => [
            op,
            Object.fromEntries(Object.entries(keys).map(([key, v]) => [key, typeof v === "string" ? expand(v, tenant) : v.map((x) => expand(x, tenant))])),
          ]),
        )
      : undefined;
    return { ...s, resources: s.resources.map((r) => expand(r, tenant)), ...(conditions ? { conditions } : {}) };
  });
}

/**
 * Whether an action may change something: everything but `Get*`, `List*`, `Describe*` and `Head*`
 * (the read verbs of the AWS service authorization reference), `*` and `service:*` included.
 */
export function isWriteAction(action: string): boolean {
  const verb = action.split(":")[1] ?? action;
  return !/^(Get|List|Describe|Head)/.test(verb);
}

/** IAM's resource matching (`*` any run of characters, `?` one), case-sensitive (IAM User Guide, "IAM JSON policy elements: Resource"). */
function iamMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(arn);
}

/**
 * Refuses deployment statements that let one tenant's deployment role write into another
 * tenant's scope: with several tenants, every resource ARN that names {@link TENANT_PLACEHOLDER}
 * is a tenant's own scope, and no Allow statement with a write action ({@link isWriteAction}) may
 * match the scope of another tenant in any tenant's role (e.g. `bucket/production/*` next to
 * `bucket/production/{{tenant}}/*`). Unresolved tokens are not checked.
 * @param path config path of the statements (`config/environments[0]/identity/deployment/statements`)
 * @param statements the configured statements
 * @param tenants the environment's tenant names
 * @throws ValidationError naming the statement, the resource and the tenant whose scope it covers
 */
export function validateDeploymentStatements(path: string, statements: readonly PolicyStatement[], tenants: readonly string[]): void {
  if (tenants.length < 2) return;
  const scopes = statements.flatMap((s) => (s.effect === "Deny" ? [] : s.resources.filter((r) => r.includes(TENANT_PLACEHOLDER) && !Token.isUnresolved(r))));
  if (scopes.length === 0) return;
  statements.forEach((s, j) => {
    if (s.effect === "Deny" || !s.actions.some(isWriteAction)) return;
    s.resources.forEach((resource, k) => {
      if (Token.isUnresolved(resource)) return;
      for (const own of tenants) {
        const pattern = expand(resource, own);
        for (const other of tenants.filter((t) => t !== own)) {
          // The other tenant's scope with its own wildcards read as literal characters: a pattern matching it covers part of that scope.
          const covered = scopes.map((scope) => expand(scope, other)).find((scope) => iamMatches(pattern, scope.replace(/[*?]/g, "x")));
          check(covered === undefined, {
            path: `${path}[${j}]/resources[${k}]`,
            subject: "deployment resource",
            value: resource,
            rule: `each tenant's deployment role gets every statement, so a write action (${s.actions.filter(isWriteAction).join(", ")}) on it lets ${own}'s deploy jobs write ${other}'s scope ${covered}`,
            fix: `narrow it to the tenant's own scope with ${TENANT_PLACEHOLDER} (e.g. ${resource.replace(/\*?$/, "")}${TENANT_PLACEHOLDER}/*), or make the statement read-only`,
          });
        }
      }
    });
  });
}
