import { type Construct } from "constructs";
import { InstanceRole, type InstanceRoleProps } from "./instance-role";

export { ROLE_NAME, validateRoleName } from "./instance-role";

/** Props of a {@link RunnerHostRole}: those of an {@link InstanceRole} without the description. */
export interface RunnerHostRoleProps extends Omit<InstanceRoleProps, "description"> {}

/**
 * The identity of runner hosts: an EC2 role and instance profile with SSM
 * Session Manager access (no SSH) and nothing else by default (not the
 * AmazonSSMManagedInstanceCore policy, which can read every SSM parameter). Other
 * constructs add to it through their grant methods: `repository.grantPull(role)`,
 * `cache.grantReadWrite(role)`, `token.grantRead(role)` and so on.
 */
export class RunnerHostRole extends InstanceRole {
  public constructor(scope: Construct, id: string, props: RunnerHostRoleProps) {
    super(scope, id, { ...props, description: "GitLab runner hosts: SSM access plus what other constructs grant" });
  }
}
