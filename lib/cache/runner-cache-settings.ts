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
