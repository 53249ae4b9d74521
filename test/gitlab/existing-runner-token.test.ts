import { ExistingRunnerTokenParameter } from "../../lib/gitlab/existing-runner-token";
import { PolicyDocument } from "../../lib/core/iam";
import { violationOf } from "../support/synth";

describe("ExistingRunnerTokenParameter", () => {
  const props = { parameterName: "/acme-ci/dev/runner/token", accountId: "111111111111", region: "eu-central-1" };

  test("grants GetParameter on exactly its parameter", () => {
    const doc = new PolicyDocument();
    new ExistingRunnerTokenParameter("cfg", props).grantRead(doc);
    expect(doc.toJson().Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: ["arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/token"],
      },
    ]);
  });

  test("adds kms:Decrypt on a customer key", () => {
    const doc = new PolicyDocument();
    const key = "arn:aws:kms:eu-central-1:111111111111:key/1234";
    new ExistingRunnerTokenParameter("cfg", { ...props, kmsKeyArn: key }).grantRead(doc);
    expect(doc.toJson().Statement).toContainEqual({ Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key] });
  });

  test.each(["/aws/reserved", "has space", "/a//b", ""])("rejects the parameter name %p", (parameterName) => {
    const error = violationOf(() => new ExistingRunnerTokenParameter("cfg/runner", { ...props, parameterName }));
    expect(error.message).toMatch(/^cfg\/runner: invalid parameterName .*Rule: an SSM parameter name is .*Fix: use a name such as/);
  });
});
