import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { iamWildcardFindings, policiesOf } from "../support/iam-policies";
import { synth, testStack, type SynthJson } from "../support/synth";
import { exampleSynthJson } from "../support/example-synth";

// Every account and environment stack of the example (gitlab-shared holds no IAM).
const synthesized = new Map<string, SynthJson>([...exampleSynthJson()].filter(([id]) => id !== "gitlab-shared"));

describe("IAM wildcards in the example stacks", () => {
  test.each([...synthesized.keys()])("stack %s: no * action, no * resource except for actions without a resource-level form", (name) => {
    expect(iamWildcardFindings(synthesized.get(name)!)).toEqual([]);
  });

  test("the walker reads every kind of policy the stacks hold", () => {
    const kinds = new Set(
      [...synthesized.values()].flatMap((json) => policiesOf(json).policies.map((p) => p.location.replace(/^(\w+)\.[^.]+\.(.+)$/, "$1.$2"))),
    );
    expect([...kinds].sort()).toEqual([
      "aws_ecr_repository_policy.policy",
      "aws_iam_role.assume_role_policy",
      "aws_iam_role_policy.policy",
      "aws_iam_user_policy.policy",
      "aws_kms_key.policy",
      "aws_s3_bucket_policy.policy",
    ]);
    // Every role's trust policy and every inline policy of dev is among them.
    const dev = synthesized.get("dev")!;
    const count = (type: string) => Object.keys(dev.resource?.[type] ?? {}).length;
    const found = policiesOf(dev).policies.map((p) => p.location.split(".")[0]);
    expect(found.filter((t) => t === "aws_iam_role")).toHaveLength(count("aws_iam_role"));
    expect(found.filter((t) => t === "aws_iam_role_policy")).toHaveLength(count("aws_iam_role_policy"));
    // dev: per tenant (app, web, toolbox) a protected and an unprotected CI role, a deployment role per deploying tenant (app, web), runner host,
    // the unprotected pool's host role, and the VPC flow-log delivery role.
    expect(count("aws_iam_role")).toBe(11);
  });
});

describe("the wildcard walker can fail", () => {
  const stack = testStack("bad");
  const doc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
  new IamRolePolicy(stack, "star-action", { role: "r", policy: doc({ Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::b/*"] }) });
  new IamRolePolicy(stack, "star-resource", { role: "r", policy: doc({ Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetAuthorizationToken"], Resource: "*" }) });
  new IamPolicy(stack, "not-action", { name: "p", policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) });
  new IamRole(stack, "anyone", { name: "r", assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }) });
  new S3BucketPolicy(stack, "bucket", { bucket: "b", policy: doc({ Effect: "Allow", Principal: "*", Action: "*", Resource: "arn:aws:s3:::b" }) });
  const hcl = new DataAwsIamPolicyDocument(stack, "hcl", { statement: [{ actions: ["kms:Decrypt"], resources: ["*"] }] });
  new IamRolePolicy(stack, "reference", { role: "r", policy: hcl.json });
  // The TLS-only guard: wildcards in a Deny restrict, they grant nothing.
  new S3BucketPolicy(stack, "tls-only", {
    bucket: "b",
    policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }),
  });
  const findings = iamWildcardFindings(synth(stack).json);
  const problemsAt = (prefix: string) => findings.filter((f) => f.location.startsWith(prefix)).map((f) => f.problem);

  test("a Deny with wildcards (the TLS-only bucket policy) is not a finding", () => {
    expect(problemsAt("aws_s3_bucket_policy.tls-only")).toEqual([]);
  });

  test("a * action", () => {
    expect(problemsAt("aws_iam_role_policy.star-action")).toEqual(['wildcard action "s3:*"']);
  });

  test("a * resource for an action that has a resource-level form (GetAuthorizationToken alone would pass)", () => {
    expect(problemsAt("aws_iam_role_policy.star-resource")).toEqual([
      'resource "*" for ecr:BatchGetImage (they take a resource type: name its ARNs)',
    ]);
  });

  test("NotAction in a managed policy", () => {
    expect(problemsAt("aws_iam_policy.not-action")).toEqual(["NotAction (grants every other action)"]);
  });

  test("a * principal in a trust policy and in a bucket policy", () => {
    expect(problemsAt("aws_iam_role.anyone")).toEqual(['wildcard principal "*"']);
    expect(problemsAt("aws_s3_bucket_policy.bucket")).toEqual(['wildcard action "*"', 'wildcard principal "*"']);
  });

  test("an aws_iam_policy_document data source and a policy the walker cannot read", () => {
    expect(problemsAt("data.aws_iam_policy_document.hcl")).toEqual([
      expect.stringMatching(/^resource "\*" for kms:Decrypt /),
    ]);
    expect(problemsAt("aws_iam_role_policy.reference")).toEqual([
      expect.stringMatching(/^policy attribute is not a JSON document: \$\{data\.aws_iam_policy_document\.hcl\.json\}/),
    ]);
  });
});
