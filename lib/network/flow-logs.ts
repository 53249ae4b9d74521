import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LOG_RETENTION_DAYS } from "../core/log-retention";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { RoleGrants } from "../identity/role-policy";

/**
 * VPC flow logs of a created network: an audit trail of every connection
 * accepted or rejected in the VPC (which host talked to which address and
 * port), on by default.
 *
 * Cost (AWS pricing, "Vended logs"): CloudWatch Logs ingestion of vended logs
 * (about $0.50 per GB in most regions, less in volume tiers) plus storage
 * (about $0.03 per GB-month) until `retentionDays`. A CI VPC whose image and
 * cache traffic goes through NAT and the S3 gateway endpoint typically logs a
 * few GB a month; each flow record is ~100 bytes per 10-minute aggregation.
 * Turn it off with `flowLogs: false`.
 *
 * Facts relied on (Amazon VPC User Guide, "Publish flow logs to CloudWatch
 * Logs"): the service principal `vpc-flow-logs.amazonaws.com` assumes a role
 * that may `logs:CreateLogStream`, `logs:PutLogEvents` and
 * `logs:DescribeLogStreams` on the group (here scoped to the one group, and
 * the trust scoped with `aws:SourceAccount` against the confused deputy);
 * `max_aggregation_interval` is 60 or 600 seconds.
 */
export interface FlowLogOptions {
  /**
   * Days the log group keeps flow records (a CloudWatch Logs retention value).
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * Customer-managed KMS key ARN for the log group (its key policy must allow `logs.<region>.amazonaws.com`).
   * @default CloudWatch Logs' own encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Which traffic to record.
   * @default "ALL"
   */
  readonly trafficType?: "ACCEPT" | "REJECT" | "ALL";
}


const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** Props of {@link VpcFlowLogs}. */
export interface VpcFlowLogsProps extends FlowLogOptions {
  /** The VPC. */
  readonly vpcId: string;
  /** Name prefix (the log group is `/vpc/<name>/flow-logs`, the role `<name>-flow-logs`). */
  readonly name: string;
  /** Resource tags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Flow logs of one VPC into a CloudWatch Logs group with retention (see {@link FlowLogOptions}). */
export class VpcFlowLogs extends Construct {
  /** The log group. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The flow log. */
  public readonly flowLog: FlowLog;

  public constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    const path = this.node.path;
    const retentionDays = props.retentionDays ?? 90;
    check(isUnresolved(retentionDays) || LOG_RETENTION_DAYS.includes(retentionDays), {
      path,
      subject: "flowLogs.retentionDays",
      value: retentionDays,
      rule: `CloudWatch Logs keeps logs for one of ${LOG_RETENTION_DAYS.join(", ")} days`,
      fix: "use e.g. 90 (or 365 for a year of audit trail)",
    });
    const trafficType = props.trafficType ?? "ALL";
    check(["ACCEPT", "REJECT", "ALL"].includes(trafficType), {
      path,
      subject: "flowLogs.trafficType",
      value: trafficType,
      rule: 'flow logs record "ACCEPT", "REJECT" or "ALL" traffic',
      fix: 'use "ALL" (the default) for an audit trail',
    });
    if (props.kmsKeyArn !== undefined && !isUnresolved(props.kmsKeyArn)) {
      check(KMS_KEY_ARN.test(props.kmsKeyArn), {
        path,
        subject: "flowLogs.kmsKeyArn",
        value: props.kmsKeyArn,
        rule: "CloudWatch Logs takes the key's ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias",
        fix: "pass the key ARN, e.g. from `aws kms describe-key --key-id alias/<name> --query KeyMetadata.Arn`",
      });
    }
    const tags = props.tags ? { tags: { ...props.tags } } : {};
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/vpc/${props.name}/flow-logs`,
      retentionInDays: retentionDays,
      ...(props.kmsKeyArn !== undefined ? { kmsKeyId: props.kmsKeyArn } : {}),
      ...tags,
    });
    const account = new DataAwsCallerIdentity(this, "account");
    const role = new IamRole(this, "role", {
      name: `${props.name}-flow-logs`,
      description: `VPC flow logs of ${props.name} into CloudWatch Logs`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": account.accountId } },
          },
        ],
      }),
      ...tags,
    });
    const logGroupArn = this.logGroup.arn;
    new RoleGrants(this, "grants", role.name).addToPrincipalPolicy({
      actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      resources: [logGroupArn, `${logGroupArn}:*`],
    });
    this.flowLog = new FlowLog(this, "flow-log", {
      vpcId: props.vpcId,
      trafficType,
      logDestinationType: "cloud-watch-logs",
      logDestination: logGroupArn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      ...tags,
    });
  }
}
