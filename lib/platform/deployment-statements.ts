import { Token } from "cdktf";
import { check } from "../core/errors";
import { type PolicyConditions, type PolicyStatement } from "../core/iam";
import { iamPatternsIntersect } from "../core/iam-patterns";

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

/**
 * Condition operators that restrict a statement to the values they list: a condition of one of
 * these whose value names {@link TENANT_PLACEHOLDER} (e.g. `StringEquals` on
 * `aws:ResourceTag/tenant`) scopes the statement to the tenant. Negated operators, `…IfExists`
 * (true when the key is absent) and `ForAllValues:` (true for an empty set) do not restrict (IAM
 * User Guide, "IAM JSON policy elements: Condition operators" and "Multivalued context keys").
 */
const SCOPING_OPERATORS = /^(ForAnyValue:)?(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$/;

/** Whether a condition of a scoping operator names the tenant: the statement then applies to the tenant's own resources only. */
function scopedByCondition(statement: PolicyStatement): boolean {
  return Object.entries(statement.conditions ?? {}).some(
    ([op, keys]) => SCOPING_OPERATORS.test(op) && Object.values(keys).some((v) => (typeof v === "string" ? [v] : v).every((x) => x.includes(TENANT_PLACEHOLDER))),
  );
}

/** `{{…}}` and `{tenant}`-like words that are not the placeholder: a misspelt placeholder would reach IAM as literal text. */
const NEAR_PLACEHOLDER = /\{\{[^{}]*\}\}|(?<![{$%])\{\s*tenant\s*\}(?!\})/gi;

/** The values of a statement that may carry the placeholder: resources and condition values, with their config paths. */
function placeholderSites(statement: PolicyStatement, at: string): [string, string][] {
  return [
    ...statement.resources.map((r, k): [string, string] => [`${at}/resources[${k}]`, r]),
    ...Object.entries(statement.conditions ?? {}).flatMap(([op, keys]) =>
      Object.entries(keys).flatMap(([key, v]) => (typeof v === "string" ? [v] : v).map((x): [string, string] => [`${at}/conditions/${op}/${key}`, x])),
    ),
  ];
}

/**
 * Refuses deployment statements that let one tenant's deployment role write into another
 * tenant's scope. With several tenants, every resource ARN that names {@link TENANT_PLACEHOLDER}
 * is a tenant's own scope, and no Allow statement with a write action ({@link isWriteAction}) may,
 * in any tenant's role, name a resource pattern that some ARN of another tenant's scope also
 * matches (the two patterns intersect: e.g. `bucket/production/*` or
 * `bucket/production/*\/terraform.tfstate` next to `bucket/production/{{tenant}}/*`). A statement
 * scoped to the tenant by a condition (a `StringEquals`/`StringLike`/`ArnEquals`/`ArnLike`
 * condition, or their `ForAnyValue:` forms, whose value names the placeholder, e.g.
 * `aws:ResourceTag/tenant`) passes. Also refuses a misspelt placeholder (`{{ tenant }}`,
 * `{{Tenant}}`, `{tenant}`, any other `{{…}}`) in resources and condition values. Unresolved tokens
 * are not checked.
 * @param path config path of the statements (`config/environments[0]/identity/deployment/statements`)
 * @param statements the configured statements
 * @param tenants the environment's tenant names
 * @throws ValidationError naming the statement, the resource and the tenant whose scope it covers,
 *   or the misspelt placeholder
 */
export function validateDeploymentStatements(path: string, statements: readonly PolicyStatement[], tenants: readonly string[]): void {
  statements.forEach((s, j) => {
    for (const [at, value] of placeholderSites(s, `${path}[${j}]`)) {
      if (Token.isUnresolved(value)) continue;
      const wrong = [...value.matchAll(NEAR_PLACEHOLDER)].map((m) => m[0]).filter((m) => m !== TENANT_PLACEHOLDER);
      check(wrong.length === 0, {
        path: at,
        subject: "deployment statement placeholder",
        value,
        rule: `${wrong.join(", ")} is not the tenant placeholder: only ${TENANT_PLACEHOLDER} (exactly, lower case, no blanks) is replaced by the tenant's name; anything else reaches IAM as literal text`,
        fix: `write ${TENANT_PLACEHOLDER}`,
      });
    }
  });
  if (tenants.length < 2) return;
  const scopes = statements.flatMap((s) => (s.effect === "Deny" ? [] : s.resources.filter((r) => r.includes(TENANT_PLACEHOLDER) && !Token.isUnresolved(r))));
  statements.forEach((s, j) => {
    if (s.effect === "Deny" || !s.actions.some(isWriteAction) || scopedByCondition(s)) return;
    s.resources.forEach((resource, k) => {
      if (Token.isUnresolved(resource)) return;
      for (const own of tenants) {
        const pattern = expand(resource, own);
        for (const other of tenants.filter((t) => t !== own)) {
          const covered = scopes.map((scope) => expand(scope, other)).find((scope) => iamPatternsIntersect(pattern, scope));
          check(covered === undefined, {
            path: `${path}[${j}]/resources[${k}]`,
            subject: "deployment resource",
            value: resource,
            rule: `each tenant's deployment role gets every statement, so a write action (${s.actions.filter(isWriteAction).join(", ")}) on ${pattern} in ${own}'s role reaches ARNs of ${other}'s scope ${covered}`,
            fix: resource.includes(TENANT_PLACEHOLDER)
              ? `put ${TENANT_PLACEHOLDER} where no other tenant's scope can match (its own path segment, e.g. …/${TENANT_PLACEHOLDER}/…), or make the statement read-only`
              : `name the tenant in the ARN (e.g. arn:aws:s3:::<bucket>/<environment>/${TENANT_PLACEHOLDER}/*), scope the statement by a condition whose value is ${TENANT_PLACEHOLDER} (StringEquals aws:ResourceTag/<key>), or make it read-only`,
          });
        }
      }
    });
  });
}
