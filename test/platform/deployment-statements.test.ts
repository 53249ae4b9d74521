import fc from "fast-check";
import { ValidationError } from "../../lib/core/errors";
import { violationOf } from "../support/synth";
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
      /statements\[2\]\/resources\[0\]: invalid deployment resource .*production\/\*.*in app's role reaches ARNs of web's scope arn:aws:s3:::state\/production\/web\//,
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

  test("fault: a write pattern that overlaps another tenant's scope without matching it whole is refused (the check compared against one sample ARN)", () => {
    // Every tenant's state object, next to per-tenant prefixes: app's role could overwrite web's state.
    const stateFiles = [...perTenant, { actions: ["s3:PutObject"], resources: [`${BUCKET}/production/*/terraform.tfstate`] }];
    expect(() => validateDeploymentStatements("p", stateFiles, ["app", "web"])).toThrow(/p\[2\]\/resources\[0\].*reaches ARNs of web's scope arn:aws:s3:::state\/production\/web\/\*/);
    // A single-character wildcard in the tenant's position, and a tenant name that another one extends.
    expect(() => validateDeploymentStatements("p", [...perTenant, { actions: ["s3:PutObject"], resources: [`${BUCKET}/production/???/x`] }], ["app", "web"])).toThrow(/web's scope/);
    const prefix = [{ actions: ["s3:PutObject"], resources: [`${BUCKET}/production/{{tenant}}*`] }];
    expect(() => validateDeploymentStatements("p", prefix, ["app", "app2"])).toThrow(/app's role reaches ARNs of app2's scope/);
    // Disjoint per-tenant patterns stay accepted.
    expect(() => validateDeploymentStatements("p", [...perTenant, { actions: ["s3:PutObject"], resources: [`${BUCKET}/staging/*/terraform.tfstate`] }], ["app", "web"])).not.toThrow();
  });

  test("a write scoped to the tenant by a condition passes; negated, IfExists and ForAllValues conditions do not scope", () => {
    const byTag = (op: string) => [...perTenant, { actions: ["ecs:UpdateService"], resources: ["*"], conditions: { [op]: { "aws:ResourceTag/tenant": "{{tenant}}" } } }];
    expect(() => validateDeploymentStatements("p", byTag("StringEquals"), ["app", "web"])).not.toThrow();
    expect(() => validateDeploymentStatements("p", byTag("ForAnyValue:StringLike"), ["app", "web"])).not.toThrow();
    for (const op of ["StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringEquals"]) {
      expect(() => validateDeploymentStatements("p", byTag(op), ["app", "web"])).toThrow(/deployment resource/);
    }
  });

  test("the fix for a write on * names a tenant ARN or a tenant condition (it read 'e.g. {{tenant}}/*')", () => {
    const error = violationOf(() => validateDeploymentStatements("p", [...perTenant, { actions: ["s3:PutObject"], resources: ["*"] }], ["app", "web"]));
    expect(error.message).toContain("name the tenant in the ARN (e.g. arn:aws:s3:::<bucket>/<environment>/{{tenant}}/*), scope the statement by a condition whose value is {{tenant}}");
    expect(error.message).not.toContain("e.g. {{tenant}}/*");
  });

  test.each([
    ["{{ tenant }}", `${BUCKET}/production/{{ tenant }}/*`],
    ["{{Tenant}}", `${BUCKET}/production/{{Tenant}}/*`],
    ["{tenant}", `${BUCKET}/production/{tenant}/*`],
    ["{{project}}", `${BUCKET}/production/{{project}}/*`],
  ])("fault: a misspelt placeholder %s in a resource is refused (it reached IAM as literal text)", (wrong, resource) => {
    for (const tenants of [["app"], ["app", "web"]]) {
      const error = violationOf(() => validateDeploymentStatements("config/environments[2]/identity/deployment/statements", [{ actions: ["s3:PutObject"], resources: [resource] }], tenants));
      expect(error.message).toContain(`statements[0]/resources[0]: invalid deployment statement placeholder`);
      expect(error.message).toContain(`${wrong} is not the tenant placeholder`);
    }
  });

  test("fault: a misspelt placeholder in a condition value is refused; the placeholder and IAM policy variables pass", () => {
    const inCondition = { actions: ["s3:ListBucket"], resources: [BUCKET], conditions: { StringLike: { "s3:prefix": ["production/{{ tenant }}/*"] } } };
    expect(() => validateDeploymentStatements("p", [inCondition], ["app"])).toThrow(/p\[0\]\/conditions\/StringLike\/s3:prefix: invalid deployment statement placeholder/);
    expect(() => validateDeploymentStatements("p", [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/${aws:username}/{{tenant}}/*"] }], ["app"])).not.toThrow();
  });
});
