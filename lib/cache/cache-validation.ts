/*
 * The rules of a runner cache bucket's props, shared by `RunnerCacheBucket` and the platform's
 * configuration check: the bucket name, the cache path GitLab Runner writes under, the expiry and
 * the KMS key.
 */
import { validateBucketName } from "../core/aws";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/** One segment of a cache path: S3's safe key characters without the IAM wildcards `*` and `?`. */
const CACHE_PATH_SEGMENT = /^[A-Za-z0-9!_.'()-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * Checks a cache bucket name: S3's naming rules, and no dots (a dotted name
 * breaks TLS for virtual-hosted requests, which the runner makes).
 */
export function validateCacheBucketName(path: string, name: string): void {
  validateBucketName(path, "bucketName", name);
  if (isUnresolved(name)) return;
  check(!name.includes("."), {
    path,
    subject: "bucketName",
    value: name,
    rule: "a cache bucket name has no dots: they break TLS for the runner's virtual-hosted S3 requests",
    fix: `use hyphens instead: ${JSON.stringify(name.replace(/\./g, "-"))}`,
  });
}

/**
 * The rule of a cache bucket's `expirationDays`: a whole number of days, at least 1 (S3 lifecycle
 * `Expiration.Days` must be a positive integer). Shared by `RunnerCacheBucket` and the
 * platform's configuration check.
 * @throws ValidationError naming `path`
 */
export function validateCacheExpirationDays(path: string, expirationDays: number): void {
  check(isUnresolved(expirationDays) || (Number.isInteger(expirationDays) && expirationDays >= 1), {
    path,
    subject: "expirationDays",
    value: expirationDays,
    rule: "cache objects expire after a whole number of days, at least 1 (S3 lifecycle expiration days are > 0)",
    fix: "use e.g. 14; to keep cache objects forever, raise the number instead of using 0",
  });
}

/**
 * Checks a cache path (`[runners.cache] Path`; tokens pass; "" is the whole
 * bucket). GitLab Runner builds object keys with Go's `path.Join(Path, ...)`
 * (cache/cache.go, `generateObjectName`), which cleans the path: `.` and `..`
 * segments, doubled and trailing slashes vanish, so keys would land outside
 * the prefix the IAM grant and the lifecycle rule use (403s, nothing expires).
 * `*` and `?` are IAM wildcards: in the grant `bucket/<path>/*` they widen it.
 * So the path must already be clean: segments of S3's safe characters, no
 * `.`/`..` segment, no empty segment, no leading or trailing `/`.
 */
export function validateCachePath(path: string, cachePath: string, subject = "path"): void {
  if (isUnresolved(cachePath) || cachePath === "") return;
  const segments = typeof cachePath === "string" ? cachePath.split("/") : [];
  const clean = segments.filter((s) => s !== "" && s !== "." && s !== "..").map((s) => s.replace(/[*?]/g, "")).filter((s) => s !== "");
  const suggestion = JSON.stringify(clean.join("/") || "runner-cache");
  const violation = (rule: string) => ({ path, subject, value: cachePath, rule, fix: `use e.g. ${suggestion}` });
  check(typeof cachePath === "string" && cachePath.length <= 256, violation("the cache path is a string of at most 256 characters"));
  check(
    segments.every((s) => s !== "" && s !== "." && s !== ".."),
    violation("GitLab Runner cleans the cache path with Go's path.Join, so empty, '.' and '..' segments and leading, trailing or doubled '/' would move the keys outside the IAM grant and the expiry rule"),
  );
  check(
    segments.every((s) => CACHE_PATH_SEGMENT.test(s)),
    violation("a cache path segment holds only S3's safe key characters (letters, digits, ! _ . ' ( ) -); '*' and '?' are IAM wildcards and would widen the grant"),
  );
}

/**
 * Checks the customer-managed key of a cache bucket's SSE-KMS: a key ARN (IAM grants do not work
 * on aliases or key ids) in the bucket's region (S3 uses only keys of its own region). Tokens pass.
 * @throws ValidationError naming `path`
 */
export function validateKmsKeyArn(path: string, arn: string, region: string): void {
  if (isUnresolved(arn)) return;
  const match = KMS_KEY_ARN.exec(arn);
  check(match !== null, {
    path,
    subject: "encryption.kmsKeyArn",
    value: arn,
    rule: "SSE-KMS needs the key's ARN (arn:aws:kms:<region>:<account>:key/<id>); IAM grants do not work on aliases or key ids",
    fix: "pass the key ARN, e.g. from `aws kms describe-key --key-id alias/<name> --query KeyMetadata.Arn`",
  });
  check(isUnresolved(region) || match[1] === region, {
    path,
    subject: "encryption.kmsKeyArn region",
    value: match[1],
    rule: `S3 only uses KMS keys in the bucket's region ${region}`,
    fix: `create (or replicate) the key in ${region}`,
  });
}
