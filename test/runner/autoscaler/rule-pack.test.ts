import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { allowedOnAnyResource } from "../../../lib/core/iam";
import { actionsOfService } from "../../../lib/core/iam-data";
import { FLEETING_AWS_DESCRIBE_ACTIONS, FLEETING_AWS_GROUP_ACTIONS, fleetingAwsPluginStatements } from "../../../lib/runner/autoscaler/plugin-policy";
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

test("ec2:osuser is a condition key of SendSSHPublicKey in AWS's service authorization data (so the condition is not silently ignored)", () => {
  const action = actionsOfService("ec2-instance-connect").find((a) => a.name === "SendSSHPublicKey");
  expect(action?.conditionKeys).toContain("ec2:osuser");
});

test("the plugin policy refuses an OS user that is not a Linux login (root included), and names it", () => {
  const scope = { partition: "aws", region: "eu-central-1", accountId: "111111111111", groupName: "acme-ci-dev-mr-workers" };
  expect(() => fleetingAwsPluginStatements(scope, true, "root")).toThrow(/worker group acme-ci-dev-mr-workers: invalid connector username \(ec2:osuser\) "root"/);
  expect(() => fleetingAwsPluginStatements(scope, true, "*")).toThrow(/Linux user name/);
  // With a static key there is no SendSSHPublicKey statement to scope.
  expect(fleetingAwsPluginStatements(scope, false, "root").flatMap((s) => s.actions)).not.toContain("ec2-instance-connect:SendSSHPublicKey");
});
