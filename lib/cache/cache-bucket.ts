import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { dnsSuffixOf, partitionOf, validateRegion } from "../core/aws";
import { check, checkOneOf } from "../core/errors";
import { type IGrantable, type PolicyStatement } from "../core/iam";
import { checkAgainstAwsProvider } from "../core/provider-context";
import { TRUST_LEVELS, type TrustLevel } from "../core/trust";
import { CacheAccessLogBucket, type CacheAccessLogOptions } from "./access-log-bucket";
import { tlsOnlyPolicy } from "./tls-only-policy";

import { cacheObjectPrefix, type RunnerCacheAccess, type RunnerCacheSettings } from "./runner-cache-settings";
import { validateCacheBucketName, validateCacheExpirationDays, validateCachePath, validateKmsKeyArn } from "./cache-validation";

export { tlsOnlyPolicy } from "./tls-only-policy";
export { validateCacheBucketName, validateCacheExpirationDays, validateCachePath } from "./cache-validation";

/** Server-side encryption of the cache bucket. */
export type CacheBucketEncryption =
  | { readonly type: "S3" }
  | {
      readonly type: "KMS";
      /** ARN of the customer-managed KMS key (`arn:aws:kms:<region>:<account>:key/<id>`), used with an S3 bucket key. */
      readonly kmsKeyArn: string;
    };

/** Props of a {@link RunnerCacheBucket}. */
export interface RunnerCacheBucketProps {
  /** Globally unique bucket name: 3-63 lower-case letters, digits and '-'. */
  readonly bucketName: string;
  /**
   * The bucket's region (the runner's `BucketLocation`). When the stack's default AWS
   * provider sets a region, this must be it (the bucket is created there).
   */
  readonly region: string;
  /**
   * Key prefix the runners write under (`[runners.cache] Path`), without leading or trailing slash; "" for the whole bucket.
   * @default "runner-cache"
   */
  readonly path?: string;
  /**
   * Whether all runners share one cache (`[runners.cache] Shared`).
   * @default true
   */
  readonly shared?: boolean;
  /**
   * Days after which cache objects expire (lifecycle rule on the cache prefix).
   * @default 14
   */
  readonly expirationDays?: number;
  /**
   * The lifecycle rule's prefix, if you want to state it by hand. It must equal
   * the prefix derived from `path` (`<path>/`), otherwise the rule would miss the cache.
   * @default derived from `path` with {@link cacheObjectPrefix}
   */
  readonly lifecyclePrefix?: string;
  /**
   * Server-side encryption.
   * @default { type: "S3" } (SSE-S3, AES256)
   */
  readonly encryption?: CacheBucketEncryption;
  /**
   * Let `terraform destroy` delete the bucket while it still holds cache objects. Opt-in only.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * S3 server access logs of the cache bucket, into a log bucket this
   * construct creates (see {@link CacheAccessLogOptions} for what it costs).
   * `false` turns the audit trail off.
   * @default on: a `<bucketName>-logs` bucket, logs kept 90 days
   */
  readonly accessLogs?: CacheAccessLogOptions | false;
  /**
   * Resource tags.
   * @default none (the provider's default tags still apply)
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Actions the runner manager needs on cache objects (it signs the URLs the helper uses). */
export const CACHE_OBJECT_ACTIONS = ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"] as const;
/** Actions needed on the KMS key when the bucket uses SSE-KMS. */
export const CACHE_KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;


/**
 * The S3 bucket behind the runners' distributed cache: SSE (S3 or KMS with a
 * bucket key), all public access blocked, bucket-owner-enforced ownership, a
 * policy denying requests without TLS, versioning off, and a lifecycle that
 * expires cache objects on exactly the prefix the runners write to (derived
 * from the same {@link RunnerCacheSettings} the runner's config.toml uses) and
 * aborts incomplete multipart uploads after a day.
 *
 * @example
 * const cache = new RunnerCacheBucket(this, "cache", { bucketName: "acme-ci-dev-cache-111111111111", region: "eu-central-1" });
 * new RunnerFleet(this, "runners", { cache, ... }); // uses <path>/protected or <path>/unprotected by its trust level
 */
export class RunnerCacheBucket extends Construct implements RunnerCacheAccess {
  /** The `aws_s3_bucket`. */
  public readonly bucket: S3Bucket;
  /** The `aws_s3_bucket_lifecycle_configuration`. */
  public readonly lifecycle: S3BucketLifecycleConfiguration;
  /** The settings the runner's `[runners.cache]` section is written from. */
  public readonly cacheSettings: RunnerCacheSettings;
  /** The prefix the expiry rule applies to: `<path>/`, or "" for the whole bucket. */
  public readonly lifecyclePrefix: string;
  /** The bucket ARN (`arn:<partition>:s3:::<name>`). */
  public readonly bucketArn: string;
  /** The bucket's region. */
  public readonly region: string;
  /** The access-log bucket, unless `accessLogs: false`. */
  public readonly accessLogs?: CacheAccessLogBucket;
  private readonly kmsKeyArn?: string;
  /** The parts handed out by {@link cacheAccessFor}, by sub-path (one object per part, so grants dedupe). */
  private readonly parts = new Map<string, RunnerCacheAccess>();
  /** Which fleet of which trust level uses which prefix. */
  private readonly claims: Array<{ prefix: string; trustLevel: TrustLevel; user: string }> = [];

  public constructor(scope: Construct, id: string, props: RunnerCacheBucketProps) {
    super(scope, id);
    const path = this.node.path;
    validateCacheBucketName(path, props.bucketName);
    validateRegion(path, "region", props.region);
    checkAgainstAwsProvider(this, path, { region: props.region });
    const cachePath = props.path ?? "runner-cache";
    validateCachePath(path, cachePath);
    const expirationDays = props.expirationDays ?? 14;
    validateCacheExpirationDays(path, expirationDays);
    this.lifecyclePrefix = cacheObjectPrefix({ path: cachePath });
    if (props.lifecyclePrefix !== undefined) {
      check(props.lifecyclePrefix === this.lifecyclePrefix, {
        path,
        subject: "lifecyclePrefix",
        value: props.lifecyclePrefix,
        rule: `the expiry rule must cover exactly the prefix the runners write to, ${JSON.stringify(this.lifecyclePrefix)} for cache path ${JSON.stringify(cachePath)}`,
        fix: `remove lifecyclePrefix (it is derived from path), or set path to ${JSON.stringify(props.lifecyclePrefix.replace(/\/+$/, ""))}`,
      });
    }
    const encryption = props.encryption ?? { type: "S3" };
    checkOneOf(path, "encryption.type", encryption.type, ["S3", "KMS"]);
    if (encryption.type === "KMS") validateKmsKeyArn(path, encryption.kmsKeyArn, props.region);
    this.kmsKeyArn = encryption.type === "KMS" ? encryption.kmsKeyArn : undefined;
    this.region = props.region;
    this.bucketArn = `arn:${partitionOf(props.region)}:s3:::${props.bucketName}`;

    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    const bucket = this.bucket.id;
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        encryption.type === "KMS"
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: encryption.kmsKeyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    // Cache objects are disposable: no versions to pay for or to expire.
    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Disabled" } });
    new S3BucketPolicy(this, "tls-only-policy", { bucket, policy: JSON.stringify(tlsOnlyPolicy(this.bucketArn)) });
    this.lifecycle = new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-runner-cache",
          status: "Enabled",
          filter: [this.lifecyclePrefix === "" ? {} : { prefix: this.lifecyclePrefix }],
          expiration: [{ days: expirationDays }],
        },
        {
          id: "abort-incomplete-multipart-uploads",
          status: "Enabled",
          filter: [{}],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });

    if (props.accessLogs !== false) {
      this.accessLogs = new CacheAccessLogBucket(this, "access-logs", {
        ...(props.accessLogs ?? {}),
        sourceBucketName: props.bucketName,
        sourceBucketId: bucket,
        sourceBucketArn: this.bucketArn,
        region: props.region,
        ...(props.tags ? { tags: props.tags } : {}),
      });
    }

    this.cacheSettings = {
      bucketName: this.bucket.bucket,
      bucketRegion: props.region,
      serverAddress: `s3.${props.region}.${dnsSuffixOf(props.region)}`,
      path: cachePath,
      shared: props.shared ?? true,
      serverSideEncryption: encryption.type,
      ...(encryption.type === "KMS" ? { kmsKeyArn: encryption.kmsKeyArn } : {}),
    };
  }

  /**
   * The shared cache settings, as {@link RunnerCacheAccess} names them: pass the
   * bucket itself as a fleet's `cache` (`new RunnerFleet(scope, id, { cache: bucket, ... })`),
   * and the fleet writes `[runners.cache]` from these settings and grants its hosts
   * {@link grantReadWrite}. The same object as {@link cacheSettings}.
   */
  public get settings(): RunnerCacheSettings {
    return this.cacheSettings;
  }

  /** The bucket name (a reference to the bucket resource). */
  public get bucketName(): string {
    return this.bucket.bucket;
  }

  /**
   * What the runner manager needs (it signs the cache URLs the helper uses):
   * object get/put/delete/get-version on the cache prefix only, `s3:ListBucket`
   * on the bucket narrowed by an `s3:prefix` condition to the same prefix (a
   * listing of any other key space is refused; the condition key is documented
   * for ListBucket in the Service Authorization Reference, "Actions, resources,
   * and condition keys for Amazon S3"), and the KMS actions on the key when the
   * bucket uses SSE-KMS. With the cache path "" and no sub-path (the whole
   * bucket) the listing is the bucket, unconditioned.
   * @param subPath limit the object grant and the listing to `<path>/<subPath>/` (see {@link cacheAccessFor})
   */
  public readWriteStatements(subPath?: string): PolicyStatement[] {
    const prefix = subPath === undefined ? this.lifecyclePrefix : cacheObjectPrefix({ path: this.subPathOf(subPath) });
    return [
      { actions: [...CACHE_OBJECT_ACTIONS], resources: [`${this.bucketArn}/${prefix}*`] },
      {
        actions: ["s3:ListBucket"],
        resources: [this.bucketArn],
        ...(prefix === "" ? {} : { conditions: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } } }),
      },
      ...(this.kmsKeyArn ? [{ actions: [...CACHE_KMS_ACTIONS], resources: [this.kmsKeyArn] }] : []),
    ];
  }

  /**
   * Grants {@link readWriteStatements} to `grantee` (the runner host role) and returns them.
   * @param subPath a part of the cache (e.g. `protected`): the grant covers `<path>/<subPath>/` only
   */
  public grantReadWrite(grantee: IGrantable, subPath?: string): PolicyStatement[] {
    const statements = this.readWriteStatements(subPath);
    statements.forEach((s) => grantee.addToPrincipalPolicy(s));
    return statements;
  }

  /**
   * The cache settings and grant of one part of the cache, `<path>/<subPath>`: runners
   * of different trust levels get separate parts, so an untrusted job cannot plant cache
   * content that a trusted job restores. The bucket's expiry rule covers every part
   * (it applies to `<path>/`).
   * @param subPath 1-63 of `a-z0-9-`, e.g. `protected` or `unprotected`
   * @throws ValidationError for a sub-path that is not a plain name
   */
  public cacheAccessFor(subPath: string): RunnerCacheAccess {
    const known = this.parts.get(subPath);
    if (known) return known;
    const settings = { ...this.cacheSettings, path: this.subPathOf(subPath) };
    const part: RunnerCacheAccess = {
      settings,
      grantReadWrite: (grantee) => void this.grantReadWrite(grantee, subPath),
      claim: (trustLevel, user) => this.claimPrefix(cacheObjectPrefix(settings), trustLevel, user),
    };
    this.parts.set(subPath, part);
    return part;
  }

  /**
   * The part of the cache of one trust level, `<path>/protected` or
   * `<path>/unprotected` ({@link cacheAccessFor} of the trust level's name). A
   * fleet given the bucket itself as its `cache` calls this with its own trust
   * level, so the safe split is what happens without asking for it.
   * @throws ValidationError for a trust level other than `protected` or `unprotected`
   */
  public forTrustLevel(trustLevel: TrustLevel): RunnerCacheAccess {
    checkOneOf(this.node.path, "trustLevel", trustLevel, TRUST_LEVELS);
    return this.cacheAccessFor(trustLevel);
  }

  /**
   * Records that a fleet of `trustLevel` uses the whole cache prefix (`<path>/`);
   * see {@link RunnerCacheAccess.claim}.
   * @throws ValidationError when that prefix, or one nested with it, already serves the other trust level
   */
  public claim(trustLevel: TrustLevel, user: string): void {
    this.claimPrefix(this.lifecyclePrefix, trustLevel, user);
  }

  /**
   * One prefix serves one trust level: GitLab Runner's shared cache keys are
   * `<Path>/project/<id>/<key>` for every runner (docs "Advanced configuration",
   * `[runners.cache]` `Shared`), and the host roles may put any object under their
   * prefix, so an unprotected job on a prefix a protected job restores from can
   * plant cache content (`.gitlab-ci.yml` `cache:` restores by key alone).
   */
  private claimPrefix(prefix: string, trustLevel: TrustLevel, user: string): void {
    checkOneOf(user, "trustLevel", trustLevel, TRUST_LEVELS);
    const other = this.claims.find((c) => c.trustLevel !== trustLevel && (c.prefix.startsWith(prefix) || prefix.startsWith(c.prefix)));
    check(other === undefined, {
      path: user,
      subject: "cache",
      value: { bucket: this.bucketArn, prefix, trustLevel },
      rule: `${other?.user} (${other?.trustLevel}) already uses the cache prefix ${JSON.stringify(other?.prefix)} of ${this.node.path}, equal to or nested with this one; one prefix serves one trust level, or an unprotected job could plant cache content that a protected job restores`,
      fix: "pass the cache bucket itself as the fleet's cache (each fleet then uses the part of its own trust level), or give each trust level its own part with cacheAccessFor",
    });
    this.claims.push({ prefix, trustLevel, user });
  }

  private subPathOf(subPath: string): string {
    check(/^[a-z0-9][a-z0-9-]{0,62}$/.test(subPath), {
      path: this.node.path,
      subject: "cache sub-path",
      value: subPath,
      rule: "a part of the cache is named by 1-63 lower-case letters, digits and '-' (one key segment below the cache path)",
      fix: "use e.g. protected or unprotected",
    });
    return this.cacheSettings.path === "" ? subPath : `${this.cacheSettings.path}/${subPath}`;
  }
}
