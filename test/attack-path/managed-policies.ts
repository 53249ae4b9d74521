/*
 * What AWS-managed policies attached to a role allow, for the attack-path model.
 * Administrator-level policies (lib/identity/admin-policies.ts) allow everything:
 * IAMFullAccess and AWSOrganizationsFullAccess do not, literally, but a role holding
 * them can give itself any permission, so for reachability they are the same.
 * Other AWS-managed policies are modelled by their documented JSON; any other one
 * fails closed: the model throws instead of guessing what it allows.
 */
import { ADMINISTRATOR_MANAGED_POLICIES } from "../../lib/identity/admin-policies";

type Doc = { readonly Statement: unknown };

/**
 * AWS-managed policies the stacks attach that are not administrator-level, with their
 * documents (AWS Managed Policy Reference Guide, checked 2026-11-30).
 */
export const KNOWN_MANAGED_POLICIES: ReadonlyMap<string, Doc> = new Map([
  [
    // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSDataLifecycleManagerServiceRole.html (v8)
    "service-role/AWSDataLifecycleManagerServiceRole",
    {
      Statement: [
        {
          Effect: "Allow",
          Action: [
            "ec2:CreateSnapshot",
            "ec2:CreateSnapshots",
            "ec2:DeleteSnapshot",
            "ec2:DescribeInstances",
            "ec2:DescribeVolumes",
            "ec2:DescribeSnapshots",
            "ec2:EnableFastSnapshotRestores",
            "ec2:DescribeFastSnapshotRestores",
            "ec2:DisableFastSnapshotRestores",
            "ec2:CopySnapshot",
            "ec2:ModifySnapshotAttribute",
            "ec2:DescribeSnapshotAttribute",
            "ec2:DescribeSnapshotTierStatus",
            "ec2:ModifySnapshotTier",
            "ec2:DescribeAvailabilityZones",
          ],
          Resource: "*",
        },
        { Effect: "Allow", Action: ["ec2:CreateTags"], Resource: "arn:aws:ec2:*::snapshot/*" },
        {
          Effect: "Allow",
          Action: ["events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule", "events:ListTargetsByRule", "events:PutTargets", "events:RemoveTargets"],
          Resource: "arn:aws:events:*:*:rule/AwsDataLifecycleRule.managed-cwe.*",
        },
      ],
    },
  ],
]);

const AWS_MANAGED = /^arn:aws(?:-cn|-us-gov)?:iam::aws:policy\/(.+)$/;

/** What one managed policy ARN allows: `all` (administrator-level), a document, or a thrown error for an unknown one. */
export function managedPolicyOf(arn: string, customerManaged: ReadonlyMap<string, Doc> = new Map()): "all" | Doc {
  const aws = AWS_MANAGED.exec(arn);
  if (aws) {
    const pathAndName = aws[1]!;
    const name = pathAndName.slice(pathAndName.lastIndexOf("/") + 1);
    if (ADMINISTRATOR_MANAGED_POLICIES.includes(name)) return "all";
    const known = KNOWN_MANAGED_POLICIES.get(pathAndName);
    if (known) return known;
    throw new Error(`attack-path model: unknown managed policy ${arn}, add it to the model (test/attack-path/managed-policies.ts) with its documented JSON, or to ADMINISTRATOR_MANAGED_POLICIES`);
  }
  const own = customerManaged.get(arn);
  if (own) return own;
  throw new Error(`attack-path model: unknown managed policy ${arn} (not an aws_iam_policy of the synthesized stacks), add it to the model`);
}
