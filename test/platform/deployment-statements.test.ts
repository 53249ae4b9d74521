import fc from "fast-check";
import { ValidationError } from "../../lib/core/errors";
import { isTenantScoped, isWriteAction, statementsForTenant, TENANT_PLACEHOLDER, validateDeploymentStatements } from "../../lib/platform/deployment-statements";

const BUCKET = "arn:aws:s3:::state";
const perTenant = [
  { actions: ["s3:ListBucket"], resources: [BUCKET], conditions: { StringLike: { "s3:prefix": ["production/{{tenant}}/", "production/{{tenant}}/*"] } } },
  { actions: ["s3:GetObject", "s3:PutObject"], resources: [`${BUCKET}/production/{{tenant}}/*`] },
];

describe("deployment statements per tenant ({{tenant}})", () => {
  test("each tenant's role gets its own name in resources and condition values, nothing else changes", () => {
    expect(statementsForTenant(perTenant, "app")).toEqual([
      { actions: ["s3:ListBucket"], resources: [BUCKET], conditions: { StringLike: { "s3:prefix": ["production/app/", "production/app/*"] } } },
      { actions: ["s3:GetObject", "s3:PutObject"], resources: [`${BUCKET}/production/app/*`] },
    ]);
    expect(isTenantScoped(perTenant[0]!)).toBe(true);
    expect(isTenantScoped({ actions: ["s3:GetObject"], resources: [BUCKET] })).toBe(false);
  });

  test("IAM policy variables and Terraform interpolations are left alone", () => {
    const statement = { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/${aws:username}/{{tenant}}/*"] };
    expect(statementsForTenant([statement], "web")[0]!.resources).toEqual(["arn:aws:s3:::b/${aws:username}/web/*"]);
  });

  test("property: no tenant's expanded statements name another tenant's placeholder or the placeholder itself", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
    fc.assert(
      fc.property(name, (tenant) => {
        const out = JSON.stringify(statementsForTenant(perTenant, tenant));
        expect(out).not.toContain(TENANT_PLACEHOLDER);
        expect(out).toContain(`production/${tenant}/*`);
      }),
    );
  });

  test("write actions: everything but Get/List/Describe/Head, wildcards included", () => {
    expect(["s3:GetObject", "s3:ListBucket", "ec2:DescribeInstances", "s3:HeadObject"].map(isWriteAction)).toEqual([false, false, false, false]);
    expect(["s3:PutObject", "s3:DeleteObject", "s3:*", "*", "s3:Get*"].map(isWriteAction)).toEqual([true, true, true, true, false]);
  });

  test("fault: a write on the environment's whole prefix next to per-tenant prefixes is refused, naming the statement and the tenant it reaches", () => {
    const wide = [...perTenant, { actions: ["s3:DeleteObject"], resources: [`${BUCKET}/production/*`] }];
    expect(() => validateDeploymentStatements("config/environments[2]/identity/deployment/statements", wide, ["app", "web"])).toThrow(ValidationError);
    expect(() => validateDeploymentStatements("config/environments[2]/identity/deployment/statements", wide, ["app", "web"])).toThrow(
      /statements\[2\]\/resources\[0\]: invalid deployment resource .*production\/\*.*lets app's deploy jobs write web's scope arn:aws:s3:::state\/production\/web\//,
    );
    // A wildcard in the tenant position covers the others too.
    expect(() => validateDeploymentStatements("p", [...perTenant, { actions: ["s3:PutObject"], resources: [`${BUCKET}/production/*/*`] }], ["app", "web"])).toThrow(/web's scope/);
  });

  test("the check can fail: per-tenant statements, reads of the whole prefix, Deny statements, one tenant and unscoped configurations pass", () => {
    expect(() => validateDeploymentStatements("p", perTenant, ["app", "web"])).not.toThrow();
    expect(() => validateDeploymentStatements("p", [...perTenant, { actions: ["s3:GetObject"], resources: [`${BUCKET}/production/*`] }], ["app", "web"])).not.toThrow();
    expect(() => validateDeploymentStatements("p", [...perTenant, { effect: "Deny", actions: ["s3:*"], resources: [`${BUCKET}/*`] }], ["app", "web"])).not.toThrow();
    expect(() => validateDeploymentStatements("p", [...perTenant, { actions: ["s3:PutObject"], resources: [`${BUCKET}/*`] }], ["app"])).not.toThrow();
  });
});
