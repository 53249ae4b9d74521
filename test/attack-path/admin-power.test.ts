/*
 * Administrator-level power reachable from an unprotected ref or a runner host, in every form IAM
 * grants it: an administrator managed policy, or a statement with `*`, `iam:*` or a
 * privilege-escalation action on every resource of its type (or on the role itself). Each planted
 * grant, in a copy of the example's JSON, is caught by boundaryViolations; the old boundaries saw
 * only deployment roles by name (and hosts not at all).
 */
import { type SynthJson } from "../support/synth";
import { administratorPowerOf } from "./admin-power";
import { boundaryViolations, runnerHostReach } from "./boundaries";
import { deploys } from "./iam-model";
import { grantRoleIn, type Json, plantedIn, plantableResources, roleIdIn } from "./planted";
import { stackModelOf } from "./runner-model";
import { exampleScenario } from "./scenario";

const base = exampleScenario();
const ACCOUNT = "111111111111";
const UNPROTECTED = "acme-ci-dev-app-unprotected";
const dev = base.json.get("dev")!;
const MR_HOST = String(plantableResources(dev, "aws_iam_role")[stackModelOf("dev", dev).hosts.find((h) => h.runners.some((r) => r.name === "mr"))!.role]!.name);
const admin = (v: string) => v.includes("holds administrator-level power");
const plantOn = (role: string, ...statements: Json[]) => plantedIn(base, (json) => grantRoleIn(json.get("dev")!, role, ...statements));
const found = (scenario: ReturnType<typeof plantOn>, who: string) => boundaryViolations(scenario).filter((v) => admin(v) && v.includes(who));

describe("attack paths: administrator-level power from an unprotected ref or a runner host", () => {
  test("the example app: none, and every runner host is looked at", () => {
    expect(boundaryViolations(base).filter((v) => admin(v) || v.startsWith("runner host"))).toEqual([]);
    const hosts = runnerHostReach(base).map((h) => h.host);
    expect(hosts.some((h) => h.includes(MR_HOST))).toBe(true);
    expect(hosts.length).toBeGreaterThanOrEqual(3);
    // Not vacuous: the judge recognises an administrator managed policy.
    const role = base.model.roles.find((r) => r.name === UNPROTECTED)!;
    expect(administratorPowerOf({ ...role, managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }).length).toBeGreaterThan(0);
    expect(administratorPowerOf(role)).toEqual([]);
  });

  test.each<[string, Json, RegExp]>([
    ["Action * on *", { Effect: "Allow", Action: "*", Resource: "*" }, /iam:Put\w+Policy on any \w+ of the account/],
    ["iam:* on *", { Effect: "Allow", Action: "iam:*", Resource: "*" }, /iam:AttachRolePolicy on any role of the account/],
    ["iam:Put* on every role of the account", { Effect: "Allow", Action: "iam:Put*", Resource: `arn:aws:iam::${ACCOUNT}:role/*` }, /iam:PutRolePolicy on any role of the account/],
    ["iam:CreatePolicyVersion on *", { Effect: "Allow", Action: "iam:CreatePolicyVersion", Resource: "*" }, /iam:CreatePolicyVersion on any policy/],
    ["iam:PassRole on * narrowed to EC2 by a condition", { Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } } }, /iam:PassRole on any role/],
    ["iam:CreateAccessKey on every user", { Effect: "Allow", Action: "iam:CreateAccessKey", Resource: `arn:aws:iam::${ACCOUNT}:user/*` }, /iam:CreateAccessKey on any user/],
    ["iam:UpdateAssumeRolePolicy on *", { Effect: "Allow", Action: "iam:UpdateAssumeRolePolicy", Resource: "*" }, /iam:UpdateAssumeRolePolicy on any role/],
    ["sts:AssumeRole on *", { Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }, /sts:AssumeRole on any role/],
    ["iam:PutRolePolicy on itself", { Effect: "Allow", Action: "iam:PutRolePolicy", Resource: `arn:aws:iam::${ACCOUNT}:role/${UNPROTECTED}` }, /iam:PutRolePolicy on itself/],
  ])("an inline statement of the unprotected role with %s is caught (the old boundaries knew only managed policies on deployment roles)", (_name, statement, power) => {
    expect(found(plantOn(UNPROTECTED, statement), `reaches ${UNPROTECTED}, which`)).toEqual(expect.arrayContaining([expect.stringMatching(power)]));
  });

  test("not administrator-level: escalation actions on named other roles, read-only IAM on *, a Deny that covers the Allow", () => {
    for (const statements of [
      [{ Effect: "Allow", Action: ["iam:PutRolePolicy", "iam:PassRole"], Resource: `arn:aws:iam::${ACCOUNT}:role/some-other-role` }],
      [{ Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" }],
      [{ Effect: "Allow", Action: "iam:*", Resource: "*" }, { Effect: "Deny", Action: "iam:*", Resource: "*" }],
    ]) {
      expect({ statements, found: found(plantOn(UNPROTECTED, ...statements), UNPROTECTED) }).toEqual({ statements, found: [] });
    }
  });

  test("a customer-managed policy with * on * attached to the unprotected role is caught like AdministratorAccess", () => {
    const scenario = plantedIn(base, (json) => {
      const stack = json.get("dev")!;
      plantableResources(stack, "aws_iam_policy").planted = { name: "planted-admin", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) };
      plantableResources(stack, "aws_iam_role_policy_attachment").planted = { role: `\${aws_iam_role.${roleIdIn(stack, UNPROTECTED)}.name}`, policy_arn: "${aws_iam_policy.planted.arn}" };
    });
    const managed = plantedIn(base, (json) => {
      const stack = json.get("dev")!;
      plantableResources(stack, "aws_iam_role_policy_attachment").planted = { role: `\${aws_iam_role.${roleIdIn(stack, UNPROTECTED)}.name}`, policy_arn: "arn:aws:iam::aws:policy/IAMFullAccess" };
    });
    for (const s of [scenario, managed]) expect(found(s, `reaches ${UNPROTECTED}, which`).length).toBeGreaterThan(0);
  });

  test("the merge-request pool's host role with iam:* on *, or an administrator managed policy, is caught as a runner host's reach (hosts were not looked at)", () => {
    expect(found(plantOn(MR_HOST, { Effect: "Allow", Action: "iam:*", Resource: "*" }), `runner host dev/`)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^runner host dev/\\S+ \\(${MR_HOST}\\): reaches ${MR_HOST}, which holds administrator-level power`))]),
    );
    const managed = plantedIn(base, (json) => {
      const stack = json.get("dev")!;
      plantableResources(stack, "aws_iam_role_policy_attachment").planted = { role: `\${aws_iam_role.${roleIdIn(stack, MR_HOST)}.name}`, policy_arn: "arn:aws:iam::aws:policy/PowerUserAccess" };
    });
    expect(found(managed, `(${MR_HOST}): reaches ${MR_HOST}`).length).toBeGreaterThan(0);
  });

  test("a runner host role that may assume a deployment role (trust and IAM) is caught", () => {
    const deployment = base.model.roles.find((r) => r.stack === "dev" && deploys(r))!;
    const scenario = plantedIn(base, (json) => {
      const stack: SynthJson = json.get("dev")!;
      const role = plantableResources(stack, "aws_iam_role")[roleIdIn(stack, deployment.name)]!;
      const trust = JSON.parse(String(role.assume_role_policy)) as { Statement: Json[] };
      trust.Statement.push({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/${MR_HOST}` }, Action: "sts:AssumeRole" });
      role.assume_role_policy = JSON.stringify(trust);
      grantRoleIn(stack, MR_HOST, { Effect: "Allow", Action: "sts:AssumeRole", Resource: deployment.arn });
    });
    expect(boundaryViolations(scenario).filter((v) => v.startsWith("runner host"))).toEqual([expect.stringMatching(new RegExp(`\\(${MR_HOST}\\): reaches the deployment role ${deployment.name}$`))]);
  });
});
