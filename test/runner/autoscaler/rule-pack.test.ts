import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DESCRIBE_WILDCARD_ACTIONS } from "../../../lib/core/iam";
import { checkStack, findingsOf } from "../../support/annotations";

const onStar = (actions: readonly string[]) =>
  checkStack((s) => new IamRolePolicy(s, "policy", { role: "manager", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] }) }));

test("IAM002 admits exactly the fleeting plugin's describe calls on Resource \"*\"", () => {
  expect(DESCRIBE_WILDCARD_ACTIONS).toEqual(["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "ec2:DescribeSpotInstanceRequests"]);
  expect(findingsOf(onStar(DESCRIBE_WILDCARD_ACTIONS), "IAM002")).toEqual([]);
});

test.each(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup", "ec2-instance-connect:SendSSHPublicKey", "ec2:DescribeTags", "ec2:TerminateInstances"])(
  "IAM002 still fires on %s on Resource \"*\"",
  (action) => {
    const findings = findingsOf(onStar([...DESCRIBE_WILDCARD_ACTIONS, action]), "IAM002");
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain(`allows ${action} on Resource "*"`);
  },
);
