import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RunnerCacheBucket } from "../../lib/cache/cache-bucket";
import { awsProviderContextOf, checkAgainstAwsProvider } from "../../lib/core/provider-context";
import { testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

const bucket = { bucketName: "acme-ci-dev-cache-111111111111" };

describe("account and region checked against the stack's AWS provider", () => {
  test("a cache bucket in another region than the provider's is refused, naming both", () => {
    const stack = testStack();
    new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: ["111111111111"] });
    expectViolation(() => new RunnerCacheBucket(stack, "cache", { ...bucket, region: "eu-west-1" }), {
      path: "test/cache",
      subject: "region",
      value: "eu-west-1",
      rule: /region of the stack's AWS provider \(eu-central-1\)/,
      fix: /use region "eu-central-1"/,
    });
    expect(() => new RunnerCacheBucket(stack, "cache-2", { ...bucket, region: "eu-central-1" })).not.toThrow();
  });

  test("no default provider, an aliased one, or one without a region leaves the props unchecked", () => {
    const bare = testStack();
    expect(awsProviderContextOf(bare)).toBeUndefined();
    expect(() => new RunnerCacheBucket(bare, "cache", { ...bucket, region: "eu-west-1" })).not.toThrow();
    const aliased = testStack();
    new AwsProvider(aliased, "aws-us", { region: "us-east-1", alias: "us" });
    expect(() => new RunnerCacheBucket(aliased, "cache", { ...bucket, region: "eu-west-1" })).not.toThrow();
    const open = testStack();
    new AwsProvider(open, "aws", {});
    expect(awsProviderContextOf(open)).toEqual({});
  });

  test("an account outside allowed_account_ids is refused", () => {
    const stack = testStack();
    new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: ["111111111111"] });
    expectViolation(() => checkAgainstAwsProvider(stack, "test/thing", { accountId: "222222222222" }), {
      path: "test/thing",
      subject: "accountId",
      value: "222222222222",
      rule: /allowed_account_ids \["111111111111"\]/,
      fix: /use the account of the stack's provider/,
    });
    expect(() => checkAgainstAwsProvider(stack, "test/thing", { accountId: "111111111111", region: "eu-central-1" })).not.toThrow();
  });
});
