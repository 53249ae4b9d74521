import { type IGrantable } from "../core/iam";
import { type TrustLevel } from "../core/trust";

/**
 * The S3 distributed-cache settings shared by the cache bucket (which derives
 * its lifecycle prefix from them) and the runner's config.toml
 * (`[runners.cache]`), so the two cannot disagree.
 */
export interface RunnerCacheSettings {
  /** Bucket name (`[runners.cache.s3] BucketName`). */
  readonly bucketName: string;
  /** Bucket region (`BucketLocation`). */
  readonly bucketRegion: string;
  /** S3 endpoint host (`ServerAddress`), e.g. `s3.eu-central-1.amazonaws.com`. */
  readonly serverAddress: string;
  /** Key prefix inside the bucket (`[runners.cache] Path`), without leading or trailing slash; "" for none. */
  readonly path: string;
  /** Whether runners share one cache (`Shared`): keys `<Path>/project/<id>/…` instead of `<Path>/runner/<token>/project/<id>/…`. */
  readonly shared: boolean;
  /** Server-side encryption the runner requests (`ServerSideEncryption`): `S3` or `KMS`. */
  readonly serverSideEncryption: "S3" | "KMS";
  /** KMS key id/ARN when `serverSideEncryption` is `KMS` (`ServerSideEncryptionKeyID`). */
  readonly kmsKeyArn?: string;
}

/**
 * The object-key prefix every cache object lives under, for both shared and
 * per-runner layouts: `<Path>/`, or "" (the whole bucket) when Path is empty.
 */
export function cacheObjectPrefix(settings: Pick<RunnerCacheSettings, "path">): string {
  return settings.path === "" ? "" : `${settings.path}/`;
}

/**
 * The S3 distributed cache as the fleet needs it: the shared settings for
 * `[runners.cache]` and a grant for the hosts (only the runner manager signs
 * cache URLs, so only the host role needs access). The cache bucket construct
 * provides both; the fleet always applies the grant, so a forgotten grant
 * cannot cause cache 403s.
 */
export interface RunnerCacheAccess {
  /** The shared cache settings. */
  readonly settings: RunnerCacheSettings;
  /** Grants read and write on the cache objects (and ListBucket, and KMS if used). */
  grantReadWrite(grantee: IGrantable): void;
  /**
   * The part of this cache that runners of one trust level use. A fleet given
   * a cache that offers it (the `RunnerCacheBucket` itself) uses the part
   * of its own trust level instead of the whole cache, so protected and
   * unprotected jobs never share a prefix unless someone hands them one.
   * @default none: the fleet uses the cache as given
   */
  forTrustLevel?(trustLevel: TrustLevel): RunnerCacheAccess;
  /**
   * Records that a fleet (`user`, its construct path) of `trustLevel` writes to
   * this cache. A cache that tracks its users refuses a second trust level on
   * the same or a nested prefix: an unprotected job could otherwise plant cache
   * content that a protected job restores.
   * @throws ValidationError when the prefix already serves the other trust level
   * @default nothing is recorded
   */
  claim?(trustLevel: TrustLevel, user: string): void;
}
