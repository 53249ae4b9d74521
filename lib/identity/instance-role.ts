import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { checkedBoundary } from "../core/aws";
import { check } from "../core/errors";
import { IAM_NAME, type IGrantable, type PolicyStatement, SESSION_MANAGER_ACTIONS, validateIamName } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { RoleGrants, serviceTrustPolicy } from "./role-policy";

/** Props of an {@link InstanceRole}. */
export interface InstanceRoleProps {
  /** Role name (also the instance profile's name), at most 64 characters. */
  readonly roleName: string;
  /**
   * The role's description.
   * @default "EC2 host: SSM Session Manager access plus what other constructs grant"
   */
  readonly description?: string;
  /**
   * ARN of a permissions boundary for the role.
   * @default none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Resource tags.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** IAM role names: 1-64 characters of `\w+=,.@-`. */
export const ROLE_NAME = IAM_NAME;

/** Checks an IAM role name (tokens pass). */
export function validateRoleName(path: string, name: string): void {
  validateIamName(path, "role", name);
}

/** CloudWatch Logs log group ARNs (without the `:*` suffix). */
const LOG_GROUP_ARN = /^arn:aws(?:-cn|-us-gov)?:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_./#-]{1,512}$/;

/**
 * The identity of an EC2 host (runner host, mirror host): a role and instance
 * profile with SSM Session Manager access (no SSH) and nothing else by default
 * (not the AmazonSSMManagedInstanceCore policy, which can read every SSM
 * parameter). Other constructs add to it through their grant methods.
 */
export class InstanceRole extends Construct implements IGrantable {
  /** The `aws_iam_role`. */
  public readonly role: IamRole;
  /** The `aws_iam_instance_profile` for instances and launch templates. */
  public readonly instanceProfile: IamInstanceProfile;
  /** The grants collected for the role (one inline policy). */
  public readonly grants: RoleGrants;

  public constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id);
    validateRoleName(this.node.path, props.roleName);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description ?? "EC2 host: SSM Session Manager access plus what other constructs grant",
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      ...(props.permissionsBoundaryArn !== undefined ? { permissionsBoundary: checkedBoundary(this.node.path, props.permissionsBoundaryArn) } : {}),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    this.instanceProfile = new IamInstanceProfile(this, "profile", { name: props.roleName, role: this.role.name });
    this.grants = new RoleGrants(this, "grants", this.role.name);
    // Session Manager only. Not AmazonSSMManagedInstanceCore: it also grants
    // ssm:GetParameter(s) on *, which would let a host read every SecureString
    // in the account (runner tokens, the mirror's admin password).
    // The ssmmessages actions take no resource type (only "*"); ssm:UpdateInstanceInformation
    // takes the instance type, so it is granted on the account's instances (AWS Service
    // Authorization Reference, Systems Manager and Session Manager Message Gateway Service).
    const partition = new DataAwsPartition(this, "partition");
    const account = new DataAwsCallerIdentity(this, "account");
    const [register, ...channels] = SESSION_MANAGER_ACTIONS;
    this.grants.addToPrincipalPolicy({ actions: [register], resources: [`arn:${partition.partition}:ec2:*:${account.accountId}:instance/*`] });
    this.grants.addToPrincipalPolicy({ actions: channels, resources: ["*"] });
  }

  /** Adds a statement to the role's inline policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.grants.addToPrincipalPolicy(statement);
  }

  /**
   * Lets the host's log agent write to one CloudWatch Logs group:
   * `logs:CreateLogStream` and `logs:DescribeLogStreams` on the group,
   * `logs:PutLogEvents` on its streams. No `logs:CreateLogGroup`: create the
   * group in Terraform (with a retention).
   * @param logGroupArn the group's ARN without the `:*` suffix (the `arn` of `aws_cloudwatch_log_group`)
   */
  public grantWriteLogs(logGroupArn: string): void {
    if (!isUnresolved(logGroupArn)) {
      check(LOG_GROUP_ARN.test(logGroupArn), {
        path: `${this.node.path}/grantWriteLogs`,
        subject: "log group ARN",
        value: logGroupArn,
        rule: "a log group ARN is arn:<partition>:logs:<region>:<account>:log-group:<name>, without a trailing :* (the streams are added)",
        fix: "pass the arn attribute of the aws_cloudwatch_log_group",
      });
    }
    this.addToPrincipalPolicy({ actions: ["logs:CreateLogStream", "logs:DescribeLogStreams"], resources: [logGroupArn] });
    this.addToPrincipalPolicy({ actions: ["logs:PutLogEvents"], resources: [`${logGroupArn}:log-stream:*`] });
  }

  /** The role ARN. */
  public get roleArn(): string {
    return this.role.arn;
  }

  /** The role name. */
  public get roleName(): string {
    return this.role.name;
  }

  /** The instance profile name, for instances and launch templates. */
  public get instanceProfileName(): string {
    return this.instanceProfile.name;
  }

  /** The instance profile ARN. */
  public get instanceProfileArn(): string {
    return this.instanceProfile.arn;
  }
}
