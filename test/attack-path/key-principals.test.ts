/*
 * The runner-side key-policy check names every principal form AWS honours: the role by a
 * reference, by its literal ARN, its account root, and the bare account id (which AWS reads as
 * the root, "AWS JSON policy elements: Principal", AWS account principals). It uses the same
 * evaluator as the IAM model (evaluateResourcePolicy), so the two cannot disagree.
 */
import { exampleScenario } from "./scenario";
import { stackModelOf } from "./runner-model";
import { canDecrypt, canReadParameter, tokensReadBy } from "./runner-routing";
import { buildIamModel, decryptsWithKey } from "./iam-model";
import { copiedStack } from "./planted";
import { type SynthJson } from "../support/synth";

type Json = Record<string, unknown>;
const base = exampleScenario();
const devJson = base.json.get("dev")!;
const ACCOUNT = "111111111111";
const model = stackModelOf("dev", devJson);
const mrHost = model.hosts.find((h) => h.runners.some((r) => r.name === "mr"))!.role;
const buildToken = model.registrations.find((r) => r.tags[0] === "acme-ci-dev-protected-build")!.tokenParameter!;
const buildParameter = model.parameters.find((p) => p.name === buildToken)!;
const mrRoleName = String((devJson.resource!.aws_iam_role as Record<string, Json>)[mrHost]!.name);

/** dev's JSON with one key policy statement added and, optionally, an identity policy on the unprotected pool's host role. */
function plantedDev(principal: string, identity: boolean): SynthJson {
  const json = copiedStack(devJson);
  const keys = json.resource!.aws_kms_key as Record<string, Json>;
  const key = keys[buildParameter.key]!;
  const policy = JSON.parse(String(key.policy)) as { Statement: Json[] };
  policy.Statement.push({ Sid: "Planted", Effect: "Allow", Principal: { AWS: principal }, Action: "kms:Decrypt", Resource: "*" });
  key.policy = JSON.stringify(policy);
  const rolePolicies = json.resource!.aws_iam_role_policy as Record<string, Json>;
  rolePolicies.planted = {
    name: "planted",
    role: `\${aws_iam_role.${mrHost}.name}`,
    policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter", ...(identity ? ["kms:Decrypt"] : [])], Resource: "*" }] }),
  };
  return json;
}

describe("runner-side key policy: every principal form AWS honours", () => {
  test("the example app: the unprotected pool's host role reads no protected runner token", () => {
    expect(canDecrypt(model, mrHost, buildParameter)).toBe(false);
    expect(tokensReadBy(model, mrHost).map((r) => r.description)).toEqual(["acme-ci dev mr"]);
  });

  test("a key statement naming the host role by its literal ARN lets it decrypt (the old check matched references only)", () => {
    const planted = stackModelOf("dev", plantedDev(`arn:aws:iam::${ACCOUNT}:role/${mrRoleName}`, false));
    expect(canDecrypt(planted, mrHost, buildParameter)).toBe(true);
    expect(canReadParameter(planted, mrHost, buildParameter)).toBe(true);
  });

  test("a key statement naming the bare account id delegates to IAM like the root ARN (the old check knew the ARN form only)", () => {
    for (const principal of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      expect({ principal, iam: true, decrypts: canDecrypt(stackModelOf("dev", plantedDev(principal, true)), mrHost, buildParameter) }).toEqual({ principal, iam: true, decrypts: true });
    }
    // Another account's id or root delegates to nothing in this one.
    for (const principal of ["222222222222", "arn:aws:iam::222222222222:root"]) {
      expect({ principal, decrypts: canDecrypt(stackModelOf("dev", plantedDev(principal, true)), mrHost, buildParameter) }).toEqual({ principal, decrypts: false });
    }
  });

  test("the runner-side check and the IAM model agree on every role, parameter and planted principal form", () => {
    const forms = [`arn:aws:iam::${ACCOUNT}:role/${mrRoleName}`, ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`, "arn:aws:iam::222222222222:root"];
    for (const form of [undefined, ...forms]) {
      for (const identity of [false, true]) {
        const json = form === undefined ? devJson : plantedDev(form, identity);
        const runner = stackModelOf("dev", json);
        const iam = buildIamModel(new Map([["dev", json]]));
        for (const parameter of runner.parameters.filter((p) => p.key !== "aws/ssm")) {
          for (const [roleId, roleArn] of runner.roleArns) {
            const role = iam.roles.find((r) => r.arn === roleArn)!;
            const key = iam.keys.find((k) => k.id === parameter.key)!;
            expect({ form, identity, roleId, parameter: parameter.name, decrypts: canDecrypt(runner, roleId, parameter) }).toEqual({
              form,
              identity,
              roleId,
              parameter: parameter.name,
              decrypts: decryptsWithKey(key, role, runner.region, parameter.arn),
            });
          }
        }
      }
    }
  });
});
