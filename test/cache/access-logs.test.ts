import { RunnerCacheBucket, type RunnerCacheBucketProps } from "../../lib/cache/cache-bucket";
import { ACCESS_LOG_PREFIX } from "../../lib/cache/access-log-bucket";
import { resourcesOf, synth, testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

const NAME = "acme-ci-dev-cache-111111111111";

function build(props: Partial<RunnerCacheBucketProps> = {}) {
  const stack = testStack();
  const cache = new RunnerCacheBucket(stack, "cache", { bucketName: NAME, region: "eu-central-1", ...props });
  return { cache, json: synth(stack).json };
}

const byBucket = (json: ReturnType<typeof build>["json"], type: string) => Object.values(resourcesOf(json, type));
/** The resources of a type that belong to the log bucket (logical ids under `cache/access-logs`). */
const ofLogBucket = (json: ReturnType<typeof build>["json"], type: string) =>
  Object.entries(resourcesOf(json, type))
    .filter(([id]) => id.startsWith("cache_access-logs_"))
    .map(([, r]) => r);

describe("cache bucket access logs (audit trail on by default)", () => {
  test("by default the cache bucket logs every request into <bucket>-logs, SSE-S3, private, TLS-only, expiring after 90 days", () => {
    const { cache, json } = build();
    expect(cache.accessLogs?.bucketName).toBe(`${NAME}-logs`);
    expect(byBucket(json, "aws_s3_bucket").map((b) => b.bucket).sort()).toEqual([NAME, `${NAME}-logs`]);
    const [logging] = byBucket(json, "aws_s3_bucket_logging");
    expect(logging).toMatchObject({ target_prefix: ACCESS_LOG_PREFIX });
    expect(String(logging!.bucket)).toMatch(/aws_s3_bucket\.cache_bucket_/);
    expect(String(logging!.target_bucket)).toMatch(/aws_s3_bucket\.cache_access-logs_bucket_/);
    expect(byBucket(json, "aws_s3_bucket_server_side_encryption_configuration").map((e) => e.rule)).toEqual([
      [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
      [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    ]);
    expect(ofLogBucket(json, "aws_s3_bucket_lifecycle_configuration")[0]!.rule).toEqual([{ id: "expire-access-logs", status: "Enabled", filter: [{ prefix: ACCESS_LOG_PREFIX }], expiration: [{ days: 90 }] }]);
  });

  test("only the S3 logging service writes, only for this cache bucket and account, only under the log prefix", () => {
    const { json } = build();
    const statements = (JSON.parse(String(ofLogBucket(json, "aws_s3_bucket_policy")[0]!.policy)) as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(statements[1]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${NAME}-logs/${ACCESS_LOG_PREFIX}*`,
      Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:::${NAME}` } },
    });
    expect(JSON.stringify(statements[1])).toMatch(/aws:SourceAccount.*data\.aws_caller_identity/);
  });

  test("partition-aware: in aws-cn the log bucket ARNs are arn:aws-cn", () => {
    const { json } = build({ region: "cn-north-1" });
    const policy = String(ofLogBucket(json, "aws_s3_bucket_policy")[0]!.policy);
    expect(policy).toContain(`arn:aws-cn:s3:::${NAME}-logs`);
    expect(policy).not.toMatch(/arn:aws:/);
  });

  test("opt-out: accessLogs false creates no log bucket and no logging", () => {
    const { cache, json } = build({ accessLogs: false });
    expect(cache.accessLogs).toBeUndefined();
    expect(byBucket(json, "aws_s3_bucket")).toHaveLength(1);
    expect(byBucket(json, "aws_s3_bucket_logging")).toHaveLength(0);
  });

  test("retention and name are configurable", () => {
    const { json } = build({ accessLogs: { bucketName: "acme-ci-audit-logs", retentionDays: 365 } });
    expect(byBucket(json, "aws_s3_bucket").map((b) => b.bucket)).toContain("acme-ci-audit-logs");
    expect(JSON.stringify(ofLogBucket(json, "aws_s3_bucket_lifecycle_configuration")[0])).toContain('"days":365');
  });

  test("a default log bucket name longer than 63 characters is refused, not cut", () => {
    const long = `acme-ci-${"x".repeat(40)}-111111111111`;
    expectViolation(() => build({ bucketName: long }), {
      path: "test/cache/access-logs",
      subject: "accessLogs.bucketName",
      value: `${long}-logs`,
      rule: /must fit S3's 63 characters/,
      fix: /pass accessLogs\.bucketName/,
    });
  });
});
