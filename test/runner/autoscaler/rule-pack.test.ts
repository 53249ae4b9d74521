import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { allowedOnAnyResource } from "../../../lib/core/iam";
import { FLEETING_AWS_DESCRIBE_ACTIONS, FLEETING_AWS_GROUP_ACTIONS } from "../../../lib/runner/autoscaler/plugin-policy";
import { checkStack, findingsOf } from "../../support/annotations";

const onStar = (actions: readonly string[]) =>
  checkStack((s) => new IamRolePolicy(s, "policy", { role: "manager", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] }) }));

test("the plugin's describe calls take no resource type, so the rule pack admits them on Resource \"*\"", () => {
  expect(FLEETING_AWS_DESCRIBE_ACTIONS.map((a) => allowedOnAnyResource(a))).toEqual([true, true, true]);
  expect(findingsOf(onStar(FLEETING_AWS_DESCRIBE_ACTIONS), "IAM002")).toEqual([]);
});

test.each([...FLEETING_AWS_GROUP_ACTIONS, "ec2-instance-connect:SendSSHPublicKey", "ec2:TerminateInstances"])("%s must name its resources (IAM002 fires on \"*\")", (action) => {
  expect(allowedOnAnyResource(action)).toBe(false);
  const findings = findingsOf(onStar([...FLEETING_AWS_DESCRIBE_ACTIONS, action]), "IAM002");
  expect(findings).toHaveLength(1);
  expect(findings[0]!.message).toContain(action);
});
