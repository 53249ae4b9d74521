import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { IAM_NAME, type IGrantable, type PolicyStatement, SESSION_MANAGER_ACTIONS, validateIamName } from "../core/iam";
import { RoleGrants, serviceTrustPolicy } from "./role-policy";

/** Props of a {@link RunnerHostRole}. */
export interface RunnerHostRoleProps {
  /** Role name (also the instance profile's name), at most 64 characters. */
  readonly roleName: string;
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

/**
 * The identity of runner hosts: an EC2 role and instance profile with SSM
 * Session Manager access (no SSH) and nothing else by default (not the
 * AmazonSSMManagedInstanceCore policy, which can read every SSM parameter). Other
 * constructs add to it through their grant methods: `repository.grantPull(role)`,
 * `cache.grantReadWrite(role)`, `token.grantRead(role)` and so on.
 */
export class RunnerHostRole extends Construct implements IGrantable {
  /** The `aws_iam_role`. */
  public readonly role: IamRole;
  /** The `aws_iam_instance_profile` for launch templates. */
  public readonly instanceProfile: IamInstanceProfile;
  /** The grants collected for the role (one inline policy). */
  public readonly grants: RoleGrants;

  public constructor(scope: Construct, id: string, props: RunnerHostRoleProps) {
    super(scope, id);
    validateRoleName(this.node.path, props.roleName);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: "GitLab runner hosts: SSM access plus what other constructs grant",
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
      ...(props.permissionsBoundaryArn ? { permissionsBoundary: props.permissionsBoundaryArn } : {}),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    this.instanceProfile = new IamInstanceProfile(this, "profile", { name: props.roleName, role: this.role.name });
    this.grants = new RoleGrants(this, "grants", this.role.name);
    // Session Manager only. Not AmazonSSMManagedInstanceCore: it also grants
    // ssm:GetParameter(s) on *, which would let a runner host read every
    // SecureString in the account (other runners' tokens, the mirror's admin password).
    this.grants.addToPrincipalPolicy({ actions: [...SESSION_MANAGER_ACTIONS], resources: ["*"] });
  }

  /** Adds a statement to the role's inline policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.grants.addToPrincipalPolicy(statement);
  }

  /** The role ARN. */
  public get roleArn(): string {
    return this.role.arn;
  }

  /** The role name. */
  public get roleName(): string {
    return this.role.name;
  }

  /** The instance profile name, for launch templates. */
  public get instanceProfileName(): string {
    return this.instanceProfile.name;
  }

  /** The instance profile ARN. */
  public get instanceProfileArn(): string {
    return this.instanceProfile.arn;
  }
}
