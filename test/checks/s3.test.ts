import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3AccountPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-account-public-access-block";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { type Construct } from "constructs";
import { tlsOnlyPolicy } from "../../lib/cache/cache-bucket";
import { checkStack, findingsOf, onlyFinding } from "../support/annotations";

// The policy our cache bucket writes: the rule must accept exactly that.
const tlsOnly = (bucketArn: string) => JSON.stringify(tlsOnlyPolicy(bucketArn));

/** A bucket with everything the S3 rules ask for; `omit` leaves one part out. */
function bucket(scope: Construct, omit?: "pab" | "sse" | "policy"): S3Bucket {
  const b = new S3Bucket(scope, "cache", { bucket: "acme-ci-cache" });
  if (omit !== "pab") {
    new S3BucketPublicAccessBlock(scope, "pab", { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  }
  if (omit !== "sse") {
    new S3BucketServerSideEncryptionConfigurationA(scope, "sse", { bucket: b.bucket, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
  }
  if (omit !== "policy") new S3BucketPolicy(scope, "policy", { bucket: b.id, policy: tlsOnly(b.arn) });
  return b;
}

test("a bucket with a public access block, default encryption and a TLS-only policy passes", () => {
  expect(checkStack((s) => bucket(s))).toEqual([]);
});

describe("S3001 public access block", () => {
  test("fires when the bucket has none", () => {
    const finding = onlyFinding(checkStack((s) => bucket(s, "pab")), "S3001", "test/cache");
    expect(finding.message).toContain("the bucket has no aws_s3_bucket_public_access_block");
    expect(finding.message).toContain("Fix: add an aws_s3_bucket_public_access_block for the bucket with block_public_acls = true");
  });

  test("fires when a setting is off, linking the block by the bucket's literal name", () => {
    const annotations = checkStack((s) => {
      bucket(s, "pab");
      new S3BucketPublicAccessBlock(s, "partial", { bucket: "acme-ci-cache", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true });
    });
    expect(onlyFinding(annotations, "S3001", "test/cache").message).toContain("its public access block leaves restrict_public_buckets off");
  });

  test("an account-wide public access block covers every bucket", () => {
    const annotations = checkStack((s) => {
      bucket(s, "pab");
      new S3AccountPublicAccessBlock(s, "account", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    });
    expect(annotations).toEqual([]);
  });
});

describe("S3002 server-side encryption", () => {
  test("fires without an encryption configuration", () => {
    const finding = onlyFinding(checkStack((s) => bucket(s, "sse")), "S3002", "test/cache");
    expect(finding.message).toContain("the bucket has no aws_s3_bucket_server_side_encryption_configuration");
  });

  test("fires when the configuration has no default algorithm", () => {
    const annotations = checkStack((s) => {
      const b = bucket(s, "sse");
      new S3BucketServerSideEncryptionConfigurationA(s, "empty", { bucket: b.id, rule: [{ bucketKeyEnabled: true }] });
    });
    expect(onlyFinding(annotations, "S3002", "test/cache").message).toContain("sets no apply_server_side_encryption_by_default.sse_algorithm");
  });
});

describe("S3003 TLS-only bucket policy", () => {
  test("fires without a bucket policy", () => {
    const finding = onlyFinding(checkStack((s) => bucket(s, "policy")), "S3003", "test/cache");
    expect(finding.message).toContain("the bucket has no aws_s3_bucket_policy");
    expect(finding.message).toContain('Condition: { Bool: { "aws:SecureTransport": "false" } }');
  });

  test("fires when the policy does not deny insecure transport", () => {
    const annotations = checkStack((s) => {
      const b = bucket(s, "policy");
      new S3BucketPolicy(s, "other", {
        bucket: b.id,
        policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: b.arn }] }),
      });
    });
    expect(onlyFinding(annotations, "S3003", "test/cache").message).toContain('has no Deny statement for Principal "*", Action "s3:*"');
  });

  test("accepts the deny from an aws_iam_policy_document data source", () => {
    const annotations = checkStack((s) => {
      const b = bucket(s, "policy");
      const doc = new DataAwsIamPolicyDocument(s, "tls", {
        statement: [
          {
            effect: "Deny",
            principals: [{ type: "AWS", identifiers: ["*"] }],
            actions: ["s3:*"],
            resources: [b.arn, `${b.arn}/*`],
            condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          },
        ],
      });
      new S3BucketPolicy(s, "doc-policy", { bucket: b.id, policy: doc.json });
    });
    expect(findingsOf(annotations, "S3003")).toEqual([]);
    expect(annotations).toEqual([]);
  });
});
