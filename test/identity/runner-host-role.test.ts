import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { onlyResource, resourcesOf, synth, testStack, violationOf } from "../support/synth";

describe("RunnerHostRole", () => {
  test("an EC2 role and instance profile with Session Manager access only", () => {
    const stack = testStack();
    new RunnerHostRole(stack, "host", { roleName: "acme-ci-dev-runner" });
    const { json } = synth(stack);
    const role = onlyResource(json, "aws_iam_role");
    expect(JSON.parse(role.assume_role_policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: ["sts:AssumeRole"] }],
    });
    expect(onlyResource(json, "aws_iam_instance_profile").name).toBe("acme-ci-dev-runner");
    // Not the managed AmazonSSMManagedInstanceCore policy: it can read every SSM parameter.
    expect(resourcesOf(json, "aws_iam_role_policy_attachment")).toEqual({});
    expect(JSON.parse(onlyResource(json, "aws_iam_role_policy").policy as string).Statement).toEqual([
      {
        // ssm:UpdateInstanceInformation takes the instance resource type: the account's instances, not "*".
        Effect: "Allow",
        Action: ["ssm:UpdateInstanceInformation"],
        Resource: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.[^}]+\.partition\}:ec2:\*:\$\{data\.aws_caller_identity\.[^}]+\.account_id\}:instance\/\*$/)],
      },
      {
        Effect: "Allow",
        Action: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        Resource: ["*"],
      },
    ]);
  });

  test("a grant that outgrows IAM's inline policy quota fails synth with the role's path", () => {
    const stack = testStack();
    const role = new RunnerHostRole(stack, "host", { roleName: "big" });
    for (let i = 0; i < 400; i++) role.addToPrincipalPolicy({ actions: ["s3:GetObject"], resources: [`arn:aws:s3:::bucket-number-${i}/*`] });
    expect(violationOf(() => synth(stack)).message).toMatch(
      /test\/host\/grants: invalid inline policy size "\d+ characters"\. Rule: IAM limits a role's inline policies to 10240 characters/,
    );
  });

  test("a role name over 64 characters", () => {
    const name = "r".repeat(65);
    const error = violationOf(() => new RunnerHostRole(testStack(), "host", { roleName: name }));
    expect(error.message).toMatch(/^test\/host: invalid role name "r{65}"\. Rule: an IAM role name is 1-64 characters.*Fix: shorten it by 1 characters/);
  });

  test("grantWriteLogs: stream creation on the group, PutLogEvents on its streams, nothing on *", () => {
    const stack = testStack();
    const role = new RunnerHostRole(stack, "host", { roleName: "acme-ci-dev-runner" });
    const group = "arn:aws:logs:eu-central-1:111111111111:log-group:/acme-ci/dev/runner";
    role.grantWriteLogs(group);
    const statements = JSON.parse(onlyResource(synth(stack).json, "aws_iam_role_policy").policy as string).Statement as Array<{ Action: string[] }>;
    expect(statements.filter((s) => s.Action.some((a) => a.startsWith("logs:")))).toEqual([
      { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:DescribeLogStreams"], Resource: [group] },
      { Effect: "Allow", Action: ["logs:PutLogEvents"], Resource: [`${group}:log-stream:*`] },
    ]);
  });

  test("grantWriteLogs with a log group ARN that carries the :* suffix", () => {
    const role = new RunnerHostRole(testStack(), "host", { roleName: "r" });
    const error = violationOf(() => role.grantWriteLogs("arn:aws:logs:eu-central-1:111111111111:log-group:runner:*"));
    expect(error.message).toMatch(
      /^test\/host\/grantWriteLogs: invalid log group ARN "arn:aws:logs:eu-central-1:111111111111:log-group:runner:\*"\. Rule: a log group ARN is .*without a trailing :\*.*Fix: pass the arn attribute/,
    );
  });
});
