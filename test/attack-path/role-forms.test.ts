/*
 * The IAM model reads every form provider-aws 21.22.1 has for giving a role permissions, and
 * throws on a policy form it does not know: a planted administrator grant in any form on the
 * role unprotected refs reach is caught.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { boundaryViolations } from "./boundaries";
import { buildIamModel, roleAllows } from "./iam-model";
import { copiedStack, copiedStacks, plantedIn, policyText, plantableResources, roleIdIn } from "./planted";
import { exampleScenario } from "./scenario";
import { UNMODELLED_GRANT_FORMS } from "./unmodelled-grants";

const PROVIDER_LIB = path.dirname(path.dirname(require.resolve("@cdktf/provider-aws/lib/kms-grant")));


const base = exampleScenario();
const UNPROTECTED = "acme-ci-dev-app-unprotected";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const caught = expect.arrayContaining([expect.stringMatching(new RegExp(`reaches ${UNPROTECTED}, which pushes acme/dev/app/app, run by protected pipelines$`))]);
const roleOf = (scenario: ReturnType<typeof plantedIn>) => scenario.model.roles.find((r) => r.name === UNPROTECTED)!;

describe("attack paths: every form that gives a role permissions", () => {
  test("the example app holds before anything is planted, and its unprotected role is not an administrator", () => {
    expect(boundaryViolations(base)).toEqual([]);
    expect(roleAllows(base.model.roles.find((r) => r.name === UNPROTECTED)!, "iam:CreateUser", "*")).toBe(false);
  });

  test("managed_policy_arns: [AdministratorAccess] on the unprotected role is caught (the old model ignored the attribute)", () => {
    const scenario = plantedIn(base, (json) => {
      const dev = json.get("dev")!;
      plantableResources(dev, "aws_iam_role")[roleIdIn(dev, UNPROTECTED)]!.managed_policy_arns = [ADMIN];
    });
    expect(roleAllows(roleOf(scenario), "iam:CreateUser", "*")).toBe(true);
    expect(boundaryViolations(scenario)).toEqual(caught);
  });

  test("an inline_policy block on aws_iam_role granting push everywhere is caught", () => {
    const scenario = plantedIn(base, (json) => {
      const dev = json.get("dev")!;
      plantableResources(dev, "aws_iam_role")[roleIdIn(dev, UNPROTECTED)]!.inline_policy = [{ name: "planted", policy: policyText({ Effect: "Allow", Action: "ecr:*", Resource: "*" }) }];
    });
    expect(boundaryViolations(scenario)).toEqual(caught);
  });

  test("aws_iam_policy_attachment (roles list) and aws_iam_role_policy_attachments_exclusive attaching AdministratorAccess are caught", () => {
    const viaAttachment = plantedIn(base, (json) => {
      const dev = json.get("dev")!;
      plantableResources(dev, "aws_iam_policy_attachment").planted = { name: "planted", roles: [`\${aws_iam_role.${roleIdIn(dev, UNPROTECTED)}.name}`], policy_arn: ADMIN };
    });
    const viaExclusive = plantedIn(base, (json) => {
      const dev = json.get("dev")!;
      plantableResources(dev, "aws_iam_role_policy_attachments_exclusive").planted = { role_name: `\${aws_iam_role.${roleIdIn(dev, UNPROTECTED)}.name}`, policy_arns: [ADMIN] };
    });
    for (const scenario of [viaAttachment, viaExclusive]) expect(boundaryViolations(scenario)).toEqual(caught);
  });

  test("fails closed on grants the model does not read: an aws_kms_grant on the secrets key for the unprotected role (the old model ignored it), and every other listed form", () => {
    for (const type of UNMODELLED_GRANT_FORMS.keys()) {
      // The dev stack alone: the model throws while reading it (the other stacks would only slow the loop).
      const json = new Map([["dev", copiedStack(base.json.get("dev")!)]]);
      const dev = json.get("dev")!;
      const [keyId] = Object.keys(plantableResources(dev, "aws_kms_key"));
      plantableResources(dev, type).planted =
        type === "aws_kms_grant"
          ? { name: "planted", key_id: `\${aws_kms_key.${keyId!}.key_id}`, grantee_principal: `\${aws_iam_role.${roleIdIn(dev, UNPROTECTED)}.arn}`, operations: ["Decrypt"] }
          : { planted: true };
      expect(() => buildIamModel(json)).toThrow(new RegExp(`^attack-path model: dev uses ${type}, an unknown grant form .*; add it to the model`));
    }
    expect(UNMODELLED_GRANT_FORMS.has("aws_kms_grant")).toBe(true);
    // Every listed type is a resource of the pinned provider (lib/<name>).
    for (const type of UNMODELLED_GRANT_FORMS.keys()) expect({ type, lib: existsSync(path.join(PROVIDER_LIB, type.replace(/^aws_/, "").replace(/_/g, "-"))) }).toEqual({ type, lib: true });
  });

  test("fails closed: an unknown policy form, or managed_policy_arns that is not a list, makes the model throw", () => {
    const json = copiedStacks(base.json);
    plantableResources(json.get("dev")!, "aws_iam_role_policy_grants_future").planted = { role: UNPROTECTED };
    expect(() => buildIamModel(json)).toThrow(/dev uses aws_iam_role_policy_grants_future, a policy form the model does not read/);
    expect(() =>
      plantedIn(base, (j) => {
        const dev = j.get("dev")!;
        plantableResources(dev, "aws_iam_role")[roleIdIn(dev, UNPROTECTED)]!.managed_policy_arns = "${var.arns}";
      }),
    ).toThrow(/managed_policy_arns is not a list/);
  });
});
