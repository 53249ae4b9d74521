import fc from "fast-check";
import { TerraformVariable } from "cdktf";
import { actionName, expandAction } from "../../lib/core/iam-data";
import { administratorGrantsOf, PRIVILEGE_ESCALATION_ACTIONS } from "../../lib/identity/admin-policies";
import { DeploymentRole } from "../../lib/identity/deployment-role";
import { GitLabCiRole } from "../../lib/identity/gitlab-ci-role";
import { GitLabOidcProvider } from "../../lib/identity/gitlab-oidc-provider";
import { InstanceRole } from "../../lib/identity/instance-role";
import { testStack, violationOf } from "../support/synth";

const ESCALATIONS = PRIVILEGE_ESCALATION_ACTIONS.flatMap(expandAction).map(actionName);

describe("administratorGrantsOf: statements with administrator-level power", () => {
  test("the escalation patterns expand against the service authorization reference (iam:Put*Policy is the three Put*Policy actions)", () => {
    expect(ESCALATIONS).toEqual(expect.arrayContaining(["iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:PassRole", "sts:AssumeRole"]));
    expect(ESCALATIONS).not.toEqual(expect.arrayContaining(["iam:GetRolePolicy"]));
    // Every pattern names at least one action (a misspelt pattern would expand to nothing and silently judge nothing).
    for (const pattern of PRIVILEGE_ESCALATION_ACTIONS) expect({ pattern, actions: expandAction(pattern).length > 0 }).toEqual({ pattern, actions: true });
  });

  test("property: any escalation action, in any letter case or covered by a wildcard, on * is found; on a named resource it is not", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ESCALATIONS), fc.constantFrom("exact", "lower", "service-wildcard", "all"), (action, form) => {
        const entry = form === "exact" ? action : form === "lower" ? action.toLowerCase() : form === "service-wildcard" ? `${action.split(":")[0]}:*` : "*";
        expect(administratorGrantsOf([{ actions: [entry], resources: ["*"] }]).length).toBe(1);
        expect(administratorGrantsOf([{ actions: [entry], resources: ["arn:aws:iam::111111111111:role/one-named-role"] }])).toEqual([]);
      }),
    );
  });

  test("every resource of the type in one or any account counts; the role itself counts for the actions that change a role", () => {
    expect(administratorGrantsOf([{ actions: ["iam:AttachRolePolicy"], resources: ["arn:aws:iam::111111111111:role/*"] }])).toEqual([{ statement: 0, action: "iam:AttachRolePolicy", resource: "arn:aws:iam::111111111111:role/*", escalation: "iam:AttachRolePolicy" }]);
    expect(administratorGrantsOf([{ actions: ["iam:CreateAccessKey"], resources: ["arn:aws:iam::*:user/*"] }])[0]?.escalation).toBe("iam:CreateAccessKey");
    const own = { actions: ["iam:PutRolePolicy"], resources: ["arn:aws:iam::111111111111:role/deploy"] };
    expect(administratorGrantsOf([own], "deploy").map((g) => g.escalation)).toEqual(["iam:PutRolePolicy"]);
    expect(administratorGrantsOf([own], "other")).toEqual([]);
    // Passing or assuming itself is no escalation.
    expect(administratorGrantsOf([{ actions: ["iam:PassRole", "sts:AssumeRole"], resources: ["arn:aws:iam::111111111111:role/deploy"] }], "deploy")).toEqual([]);
  });

  test("not administrator-level: read-only IAM, other services on *, Deny statements, unresolved tokens", () => {
    const stack = testStack();
    const token = new TerraformVariable(stack, "arn", { type: "string" }).stringValue;
    expect(
      administratorGrantsOf([
        { actions: ["iam:Get*", "iam:List*"], resources: ["*"] },
        { actions: ["s3:*", "ec2:*"], resources: ["*"] },
        { effect: "Deny", actions: ["*"], resources: ["*"] },
        { actions: ["iam:PassRole"], resources: [token] },
      ]),
    ).toEqual([]);
  });

  test("one finding per statement, naming its index", () => {
    const grants = administratorGrantsOf([{ actions: ["s3:GetObject"], resources: ["*"] }, { actions: ["*"], resources: ["*"] }, { actions: ["iam:PassRole"], resources: ["*"] }]);
    expect(grants.map((g) => g.statement)).toEqual([1, 2]);
  });
});

describe("DeploymentRole with administrator-level statements", () => {
  const protectedOnly = (scope: ReturnType<typeof testStack>) =>
    new GitLabCiRole(scope, "prot", {
      provider: GitLabOidcProvider.fromExisting(scope, "oidc-p", { url: "https://gitlab.example.com", accountId: "111111111111" }),
      roleName: "acme-ci-dev-app-protected",
      region: "eu-central-1",
      subjects: [{ projectPath: "acme/app", branch: "main", protectedRefsOnly: true }],
    });

  test("accepted when only roles of protected refs can assume it, as with an administrator managed policy", () => {
    const stack = testStack();
    expect(() => new DeploymentRole(stack, "deploy", { roleName: "acme-ci-dev-deployment", assumedBy: [protectedOnly(stack)], statements: [{ actions: ["*"], resources: ["*"] }] })).not.toThrow();
  });

  test("refused with path, value, rule and fix when a runner host role can assume it (the old check read managed policies only)", () => {
    const error = violationOf(() => {
      const stack = testStack();
      return new DeploymentRole(stack, "deploy", {
        roleName: "acme-ci-dev-deployment",
        assumedBy: [protectedOnly(stack), new InstanceRole(stack, "host", { roleName: "acme-ci-dev-runner-host" })],
        statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::state/*"] }, { actions: ["iam:*"], resources: ["*"] }],
      });
    });
    expect(error.message).toMatch(
      /^test\/deploy\/statements\[1\]: invalid administrator-level statement \{"action":"iam:\*","resource":"\*"\}\. Rule: iam:\* on \* allows iam:\w+, with which the role can give itself any permission .*1 of its callers .*Fix: assume it only from the protected CI role, or narrow the statement/,
    );
  });
});
