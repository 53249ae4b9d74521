/*
 * The write net under the named checks: the runner fleets' launch templates and Auto Scaling
 * groups are a protected scope (planted on the dev unprotected role in a copy of the example's JSON),
 * except the unprotected pool's own fleet.
 */
import { ACCOUNT, named, net, plant, REGION } from "./write-net-plants";

describe("attack paths: the write net under the named checks (runner fleets)", () => {
  test.each([
    [
      "autoscaling:UpdateAutoScalingGroup on staging's protected runner group (its launch template, capacity and instance types)",
      { Action: "autoscaling:UpdateAutoScalingGroup", Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/acme-ci-staging-runners` },
      /may autoscaling:UpdateAutoScalingGroup on .*autoScalingGroupName\/acme-ci-staging-runners: the Auto Scaling group acme-ci-staging-runners of staging is protected/,
    ],
    [
      "ec2:CreateLaunchTemplateVersion on dev's protected runner launch template, by reference (new user data for the socket-binding hosts)",
      { Action: "ec2:CreateLaunchTemplateVersion", Resource: "${aws_launch_template.platform_runner-fleet_launch-template_88D1D1A2.arn}" },
      /may ec2:CreateLaunchTemplateVersion on arn:aws:ec2:.*launch-template\/lt-dev-platform_runner-fleet_launch-template_88D1D1A2: the launch template acme-ci-dev-runner-host of dev is protected/,
    ],
    [
      "autoscaling:* on production's deploy group (any write action, expanded)",
      { Action: "autoscaling:*", Resource: `arn:aws:autoscaling:${REGION}:222222222222:autoScalingGroup:*:autoScalingGroupName/acme-ci-production-deploy-runners` },
      /may autoscaling:UpdateAutoScalingGroup on .*acme-ci-production-deploy-runners: the Auto Scaling group acme-ci-production-deploy-runners of production is protected/,
    ],
  ])("fault: %s is caught (the protected scope left out launch templates and Auto Scaling groups)", (_, statement, expected) => {
    const planted = plant({ Effect: "Allow", ...statement });
    expect(net(planted)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    expect(named(planted)).toEqual([]);
  });

  test("the unprotected pool's own fleet (the autoscaler manager and its worker group, launch templates) is not a protected scope", () => {
    const own = plant(
      { Effect: "Allow", Action: "autoscaling:UpdateAutoScalingGroup", Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/acme-ci-dev-unprotected-mr-workers` },
      { Effect: "Allow", Action: "ec2:CreateLaunchTemplateVersion", Resource: "${aws_launch_template.platform_unprotected-autoscaler_workers-mr_launch-template_AA06E21B.arn}" },
    );
    expect(net(own)).toEqual([]);
  });

  test("an SSH key sent to another fleet's Auto Scaling group is caught; the allowance holds only for groups the role itself scales", () => {
    const ssh = (group: string) => ({ Effect: "Allow", Action: "ec2-instance-connect:SendSSHPublicKey", Resource: "*", Condition: { StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": group } } });
    // Staging's protected, socket-binding runner hosts share the account with dev: SSH into them is a takeover.
    expect(net(plant(ssh("acme-ci-staging-runners")))).toEqual([expect.stringMatching(/may ec2-instance-connect:SendSSHPublicKey on \*/)]);
    // The same group the role is also allowed to scale is its own (the docker-autoscaler manager's case): not reported.
    const scaled = plant(ssh("acme-ci-dev-unprotected-mr-workers"), { Effect: "Allow", Action: "autoscaling:SetDesiredCapacity", Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/acme-ci-dev-unprotected-mr-workers` });
    expect(net(scaled).filter((v) => v.includes("SendSSHPublicKey"))).toEqual([]);
  });
});
