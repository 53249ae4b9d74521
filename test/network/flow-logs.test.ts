import { Network, type NetworkProps } from "../../lib/network/network";
import { onlyResource, resourcesOf, synth, testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

function build(props: Partial<NetworkProps> = {}) {
  const stack = testStack();
  const network = new Network(stack, "network", { name: "acme-ci-dev", availabilityZones: ["eu-central-1a", "eu-central-1b"], ...props });
  return { network, json: synth(stack).json };
}

describe("VPC flow logs (audit trail on by default)", () => {
  test("a created network logs all traffic of its VPC into a CloudWatch group kept 90 days", () => {
    const { network, json } = build();
    expect(network.flowLogs).toBeDefined();
    const flowLog = onlyResource(json, "aws_flow_log");
    expect(flowLog).toMatchObject({ traffic_type: "ALL", log_destination_type: "cloud-watch-logs", max_aggregation_interval: 600 });
    expect(String(flowLog.vpc_id)).toMatch(/aws_vpc\.network_vpc_/);
    expect(String(flowLog.log_destination)).toMatch(/aws_cloudwatch_log_group\.network_flow-logs_log-group_.*\.arn/);
    expect(onlyResource(json, "aws_cloudwatch_log_group")).toMatchObject({ name: "/vpc/acme-ci-dev/flow-logs", retention_in_days: 90 });
  });

  test("the delivery role: only the flow-logs service of this account, only this log group", () => {
    const { json } = build();
    const role = onlyResource(json, "aws_iam_role");
    const trust = JSON.parse(String(role.assume_role_policy)) as { Statement: Array<Record<string, unknown>> };
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": expect.stringMatching(/data\.aws_caller_identity\..*\.account_id/) } },
      },
    ]);
    const policy = JSON.parse(String(onlyResource(json, "aws_iam_role_policy").policy)) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]!.Action).toEqual(["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]);
    expect(policy.Statement[0]!.Resource.every((r) => r.includes("aws_cloudwatch_log_group.network_flow-logs_log-group"))).toBe(true);
  });

  test("retention and KMS are configurable; flowLogs: false turns the audit trail off", () => {
    const key = "arn:aws:kms:eu-central-1:111111111111:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
    expect(onlyResource(build({ flowLogs: { retentionDays: 365, kmsKeyArn: key } }).json, "aws_cloudwatch_log_group")).toMatchObject({ retention_in_days: 365, kms_key_id: key });
    const off = build({ flowLogs: false });
    expect(off.network.flowLogs).toBeUndefined();
    expect(resourcesOf(off.json, "aws_flow_log")).toEqual({});
    expect(resourcesOf(off.json, "aws_iam_role")).toEqual({});
  });

  test("a retention CloudWatch Logs does not offer is refused", () => {
    expectViolation(() => build({ flowLogs: { retentionDays: 100 } }), {
      path: "test/network/flow-logs",
      subject: "flowLogs.retentionDays",
      value: 100,
      rule: /CloudWatch Logs keeps logs for one of 1, 3, 5, .*90, 120/,
      fix: /use e\.g\. 90/,
    });
  });
});
