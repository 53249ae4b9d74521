/**
 * AWS managed policies that make a role an administrator of its account, or
 * let it become one (full IAM or Organizations access). A role that holds one
 * must be reachable only from protected CI refs.
 *
 * Source: AWS Managed Policy Reference Guide,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html
 * (checked 2026-11-30): AdministratorAccess (`*` on `*`), PowerUserAccess
 * (everything but `iam:*`, `organizations:*`, `account:*`, on `*`; enough to
 * run any workload with any existing role), IAMFullAccess (`iam:*`),
 * AWSOrganizationsFullAccess (`organizations:*`), AdministratorAccess-Amplify
 * and AdministratorAccess-AWSElasticBeanstalk (broad service administration
 * including `iam:PassRole` and role creation).
 */
export const ADMINISTRATOR_MANAGED_POLICIES: readonly string[] = [
  "AdministratorAccess",
  "PowerUserAccess",
  "IAMFullAccess",
  "AWSOrganizationsFullAccess",
  "AdministratorAccess-Amplify",
  "AdministratorAccess-AWSElasticBeanstalk",
];

/** AWS managed policy ARNs: `arn:<partition>:iam::aws:policy/[<path>/]<name>`. */
const AWS_MANAGED_POLICY = /^arn:aws(?:-cn|-us-gov)?:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

/**
 * Whether a managed policy ARN names one of the {@link ADMINISTRATOR_MANAGED_POLICIES}
 * (in any partition, under any path). Customer-managed policies are not judged.
 */
export function isAdministratorPolicy(policyArn: string): boolean {
  const match = AWS_MANAGED_POLICY.exec(policyArn);
  return match !== null && ADMINISTRATOR_MANAGED_POLICIES.includes(match[1]!);
}
