import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { Construct } from "constructs";
import { partitionOf, validateBucketName } from "../core/aws";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { tlsOnlyPolicy } from "./tls-only-policy";
import { checkAgainstAwsProvider } from "../core/provider-context";

/**
 * S3 server access logging of the cache bucket: who read, wrote and deleted
 * which cache object, from where (requester, source IP, operation, key,
 * status). On by default: an audit trail of the cache is what shows a
 * poisoned or leaked cache after the fact.
 *
 * Cost: log delivery is free; the log objects are billed as S3 Standard
 * storage (a busy runner fleet writes a few hundred bytes per cache request,
 * typically well under 1 GB a month) and expire after `retentionDays`.
 * Source: Amazon S3 User Guide, "Logging requests with server access logging"
 * (delivery is best effort; the target bucket must be in the same region and
 * account, use SSE-S3 (SSE-KMS is not supported for the target), and grant
 * the `logging.s3.amazonaws.com` service principal `s3:PutObject`, scoped
 * with `aws:SourceArn` and `aws:SourceAccount`).
 */
export interface CacheAccessLogOptions {
  /**
   * Name of the log bucket this construct creates.
   * @default `<cache bucket name>-logs` (must fit S3's 63 characters; pass a name otherwise)
   */
  readonly bucketName?: string;
  /**
   * Days after which log objects expire.
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * Let `terraform destroy` delete the log bucket while it holds logs.
   * @default false (the audit trail is data: never destroyed by default)
   */
  readonly forceDestroy?: boolean;
}

/** Props of {@link CacheAccessLogBucket}. */
export interface CacheAccessLogBucketProps extends CacheAccessLogOptions {
  /** The logged bucket's name (literal, for the default log bucket name). */
  readonly sourceBucketName: string;
  /** The logged bucket's id (a reference). */
  readonly sourceBucketId: string;
  /** The logged bucket's ARN. */
  readonly sourceBucketArn: string;
  /** The region of both buckets. */
  readonly region: string;
  /** Resource tags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The name of a cache bucket's access-log bucket: the given one, or `<cache bucket>-logs`. */
export function accessLogBucketNameOf(sourceBucketName: string, options: CacheAccessLogOptions = {}): string {
  return options.bucketName ?? `${sourceBucketName}-logs`;
}

/**
 * Checks an access-log bucket name ({@link accessLogBucketNameOf}): at most 63 characters (a
 * default name is never cut), then S3's bucket naming rules (`validateBucketName`). The
 * construct runs it, and the platform's configuration pass with the config path of the cache
 * section, so every environment's too-long default name is reported in one run.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (3-63 characters).
 *
 * @param path where the name is reported (construct path, or a config path such as `config/environments[1]/cache`)
 * @throws ValidationError naming the path, the name, the rule and the fix
 */
export function validateAccessLogBucketName(path: string, bucketName: string): void {
  check(isUnresolved(bucketName) || bucketName.length <= 63, {
    path,
    subject: "accessLogs.bucketName",
    value: bucketName,
    rule: "the default log bucket name <cache bucket>-logs must fit S3's 63 characters",
    fix: "pass accessLogs.bucketName (at most 63 characters), e.g. a shorter <project>-<env>-cache-logs-<account>, or shorten the project or environment name",
  });
  validateBucketName(path, "accessLogs.bucketName", bucketName);
}

/** The key prefix of the access logs in the log bucket. */
export const ACCESS_LOG_PREFIX = "s3-access-logs/";

/**
 * The target bucket of a cache bucket's server access logs (SSE-S3, all
 * public access blocked, bucket-owner-enforced, TLS only, only the S3 logging
 * service may write, logs expire) and the `aws_s3_bucket_logging` of the cache
 * bucket.
 */
export class CacheAccessLogBucket extends Construct {
  /** The log bucket. */
  public readonly bucket: S3Bucket;
  /** The log bucket's name. */
  public readonly bucketName: string;

  public constructor(scope: Construct, id: string, props: CacheAccessLogBucketProps) {
    super(scope, id);
    const path = this.node.path;
    checkAgainstAwsProvider(this, path, { region: props.region });
    this.bucketName = accessLogBucketNameOf(props.sourceBucketName, props);
    validateAccessLogBucketName(path, this.bucketName);
    const retentionDays = props.retentionDays ?? 90;
    check(isUnresolved(retentionDays) || (Number.isInteger(retentionDays) && retentionDays >= 1), {
      path,
      subject: "accessLogs.retentionDays",
      value: retentionDays,
      rule: "access logs expire after a whole number of days, at least 1",
      fix: "use e.g. 90 (or 365 for a year of audit trail)",
    });
    const tags = props.tags ? { tags: { ...props.tags } } : {};
    this.bucket = new S3Bucket(this, "bucket", { bucket: this.bucketName, forceDestroy: props.forceDestroy ?? false, ...tags });
    const bucket = this.bucket.id;
    const arn = `arn:${partitionOf(props.region)}:s3:::${this.bucketName}`;
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPublicAccessBlock(this, "public-access-block", { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", { bucket, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    const account = new DataAwsCallerIdentity(this, "account");
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          ...(tlsOnlyPolicy(arn).Statement as readonly object[]),
          {
            Sid: "S3ServerAccessLogsPolicy",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${arn}/${ACCESS_LOG_PREFIX}*`,
            Condition: { ArnLike: { "aws:SourceArn": props.sourceBucketArn }, StringEquals: { "aws:SourceAccount": account.accountId } },
          },
        ],
      }),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [{ id: "expire-access-logs", status: "Enabled", filter: [{ prefix: ACCESS_LOG_PREFIX }], expiration: [{ days: retentionDays }] }],
    });
    new S3BucketLoggingA(this, "logging", { bucket: props.sourceBucketId, targetBucket: bucket, targetPrefix: ACCESS_LOG_PREFIX });
  }
}
