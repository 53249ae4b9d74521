import { TerraformOutput } from "cdktf";
import fc from "fast-check";
import { RunnerCacheBucket, type RunnerCacheBucketProps } from "../../lib/cache/cache-bucket";
import { cacheObjectPrefix, type RunnerCacheSettings } from "../../lib/cache/runner-cache-settings";
import { PolicyDocument } from "../../lib/core/iam";
import { onlyResource, resourcesOf, synth, testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

const NAME = "acme-ci-dev-cache-111111111111";
const KEY = "arn:aws:kms:eu-central-1:111111111111:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";

function build(props: Partial<RunnerCacheBucketProps> = {}) {
  const stack = testStack();
  // The access-log bucket has tests of its own (access-logs.test.ts): these look at the cache bucket alone.
  const cache = new RunnerCacheBucket(stack, "cache", { bucketName: NAME, region: "eu-central-1", accessLogs: false, ...props });
  return { cache, json: synth(stack).json };
}

/** The object key gitlab-runner writes (path.Join semantics): `<Path>/[runner/<token>/]project/<id>/<key>`. */
function runnerObjectKey(settings: Pick<RunnerCacheSettings, "path" | "shared">, token: string, project: number, key: string): string {
  const parts = [settings.path, ...(settings.shared ? [] : ["runner", token]), "project", String(project), key];
  return parts.filter((p) => p !== "").join("/");
}

describe("RunnerCacheBucket", () => {
  test("secure defaults: SSE-S3, public access blocked, owner-enforced, versioning off, no force_destroy", () => {
    const { json } = build();
    expect(onlyResource(json, "aws_s3_bucket")).toEqual({ bucket: NAME, force_destroy: false });
    expect(onlyResource(json, "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
    expect(onlyResource(json, "aws_s3_bucket_public_access_block")).toEqual(
      expect.objectContaining({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true }),
    );
    expect(onlyResource(json, "aws_s3_bucket_ownership_controls").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
    expect(onlyResource(json, "aws_s3_bucket_versioning").versioning_configuration).toEqual({ status: "Disabled" });
  });

  test("the bucket policy denies every request without TLS", () => {
    const { json } = build();
    expect(JSON.parse(onlyResource(json, "aws_s3_bucket_policy").policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${NAME}`, `arn:aws:s3:::${NAME}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  });

  test("KMS encryption uses the key with an S3 bucket key", () => {
    const { json, cache } = build({ encryption: { type: "KMS", kmsKeyArn: KEY } });
    expect(onlyResource(json, "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KEY }, bucket_key_enabled: true },
    ]);
    expect(cache.cacheSettings).toEqual(expect.objectContaining({ serverSideEncryption: "KMS", kmsKeyArn: KEY }));
  });

  test("force_destroy only as an opt-in", () => {
    expect(onlyResource(build({ forceDestroy: true }).json, "aws_s3_bucket").force_destroy).toBe(true);
  });

  test("lifecycle: expire after N days on the cache prefix, abort incomplete multipart uploads after a day", () => {
    const { json } = build({ expirationDays: 7 });
    expect(onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule).toEqual([
      { id: "expire-runner-cache", status: "Enabled", filter: [{ prefix: "runner-cache/" }], expiration: [{ days: 7 }] },
      { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: [{}], abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }] },
    ]);
  });

  test("an empty cache path expires the whole bucket (empty filter)", () => {
    const { json, cache } = build({ path: "" });
    expect((onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule as unknown[])[0]).toEqual(
      expect.objectContaining({ filter: [{}] }),
    );
    expect(cache.lifecyclePrefix).toBe("");
  });

  test("exposes the runner cache settings", () => {
    const stack = testStack();
    const cache = new RunnerCacheBucket(stack, "cache", { bucketName: NAME, region: "eu-central-1", path: "ci/cache", shared: false });
    new TerraformOutput(stack, "settings", { value: cache.cacheSettings });
    expect(synth(stack).json.output!.settings!.value).toEqual({
      bucketName: expect.stringMatching(/^\$\{aws_s3_bucket\.cache_bucket_[0-9A-F]+\.bucket\}$/),
      bucketRegion: "eu-central-1",
      serverAddress: "s3.eu-central-1.amazonaws.com",
      path: "ci/cache",
      shared: false,
      serverSideEncryption: "S3",
    });
    expect(cache.region).toBe("eu-central-1");
    expect(build({ region: "cn-north-1" }).cache.cacheSettings.serverAddress).toBe("s3.cn-north-1.amazonaws.com.cn");
  });

  test("property: every object key the runners write lies under the lifecycle prefix, and the rule filters on it", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== "." && s !== "..");
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 0, maxLength: 3 }),
        fc.boolean(),
        fc.stringMatching(/^[A-Za-z0-9]{8}$/),
        fc.integer({ min: 1, max: 1e6 }),
        segment,
        (parts, shared, token, project, key) => {
          const { cache, json } = build({ path: parts.join("/"), shared });
          const rule = (onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule as Array<{ filter: Array<{ prefix?: string }> }>)[0]!;
          const prefix = rule.filter[0]!.prefix ?? "";
          expect(prefix).toBe(cacheObjectPrefix(cache.cacheSettings));
          expect(runnerObjectKey(cache.cacheSettings, token, project, key).startsWith(prefix)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  describe("grantReadWrite", () => {
    test("exactly what the runner manager needs, on the cache prefix", () => {
      const document = new PolicyDocument();
      build().cache.grantReadWrite(document);
      expect(document.toJson()).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            Resource: [`arn:aws:s3:::${NAME}/runner-cache/*`],
          },
          {
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: [`arn:aws:s3:::${NAME}`],
            Condition: { StringLike: { "s3:prefix": ["runner-cache/", "runner-cache/*"] } },
          },
        ],
      });
    });

    test("adds the KMS actions on the key with SSE-KMS", () => {
      const document = new PolicyDocument();
      build({ path: "", encryption: { type: "KMS", kmsKeyArn: KEY } }).cache.grantReadWrite(document);
      expect(document.toJson().Statement).toEqual([
        {
          Effect: "Allow",
          Action: ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          Resource: [`arn:aws:s3:::${NAME}/*`],
        },
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [`arn:aws:s3:::${NAME}`] },
        { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [KEY] },
      ]);
    });
  });

  describe("bad input", () => {
    test("an expiry of 0 days", () => {
      expectViolation(() => build({ expirationDays: 0 }), {
        path: "test/cache",
        subject: "expirationDays",
        value: 0,
        rule: /whole number of days, at least 1/,
        fix: /use e\.g\. 14/,
      });
    });

    test("a lifecycle prefix given by hand that misses the cache path", () => {
      expectViolation(() => build({ path: "cache", lifecyclePrefix: "runner-cache/" }), {
        path: "test/cache",
        subject: "lifecyclePrefix",
        value: "runner-cache/",
        rule: /must cover exactly the prefix the runners write to, "cache\/" for cache path "cache"/,
        fix: /remove lifecyclePrefix .*or set path to "runner-cache"/,
      });
      expect(() => build({ path: "cache", lifecyclePrefix: "cache/" })).not.toThrow();
    });

    test("a cache path with a leading slash", () => {
      expectViolation(() => build({ path: "/runner-cache/" }), {
        path: "test/cache",
        subject: "path",
        value: "/runner-cache/",
        rule: /GitLab Runner cleans the cache path with Go's path\.Join.*leading, trailing or doubled '\/'/,
        fix: /use e\.g\. "runner-cache"/,
      });
    });

    test("a bucket name with upper case", () => {
      expectViolation(() => build({ bucketName: "Acme-CI-Cache" }), {
        path: "test/cache",
        subject: "bucketName",
        value: "Acme-CI-Cache",
        rule: /3-63 characters of lower-case letters, digits/,
        fix: /use 3-63 lower-case letters, digits and hyphens/,
      });
    });

    test("a bucket name with dots (valid for S3, but it breaks TLS for the runner)", () => {
      expectViolation(() => build({ bucketName: "acme.ci.cache" }), {
        path: "test/cache",
        subject: "bucketName",
        value: "acme.ci.cache",
        rule: /no dots: they break TLS/,
        fix: /use hyphens instead: "acme-ci-cache"/,
      });
    });

    test("a KMS key given by alias", () => {
      expectViolation(() => build({ encryption: { type: "KMS", kmsKeyArn: "alias/ci-cache" } }), {
        path: "test/cache",
        subject: "encryption.kmsKeyArn",
        value: "alias/ci-cache",
        rule: /needs the key's ARN/,
        fix: /pass the key ARN/,
      });
    });

    test("a KMS key in another region", () => {
      expectViolation(() => build({ encryption: { type: "KMS", kmsKeyArn: KEY.replace("eu-central-1", "us-east-1") } }), {
        path: "test/cache",
        subject: "encryption.kmsKeyArn region",
        value: "us-east-1",
        rule: /only uses KMS keys in the bucket's region eu-central-1/,
        fix: /create \(or replicate\) the key in eu-central-1/,
      });
    });

    test("a region name", () => {
      expectViolation(() => build({ region: "Frankfurt" }), {
        path: "test/cache",
        subject: "region",
        value: "Frankfurt",
        rule: /an AWS region looks like eu-central-1/,
        fix: /use a region code/,
      });
    });
  });

  test("resources carry stable construct ids", () => {
    const { json } = build();
    expect(Object.keys(resourcesOf(json, "aws_s3_bucket"))[0]).toMatch(/^cache_bucket_/);
    expect(Object.keys(resourcesOf(json, "aws_s3_bucket_lifecycle_configuration"))[0]).toMatch(/^cache_lifecycle_/);
  });
});

describe("cache parts per trust level", () => {
  test("each part gets its own Path and a grant on its own prefix only; the expiry rule covers both", () => {
    const { cache: bucket, json } = build({ path: "runner-cache" });
    const protectedAccess = bucket.cacheAccessFor("protected");
    const unprotectedAccess = bucket.cacheAccessFor("unprotected");
    expect([protectedAccess.settings.path, unprotectedAccess.settings.path]).toEqual(["runner-cache/protected", "runner-cache/unprotected"]);
    const policy = new PolicyDocument();
    unprotectedAccess.grantReadWrite(policy);
    const objects = policy.mergedStatements.find((s) => s.actions.includes("s3:PutObject"))!;
    expect(objects.resources).toEqual([`arn:aws:s3:::${NAME}/runner-cache/unprotected/*`]);
    const rule = (onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule as { filter: { prefix?: string }[] }[])[0]!;
    for (const access of [protectedAccess, unprotectedAccess]) expect(`${access.settings.path}/`.startsWith(rule.filter[0]!.prefix!)).toBe(true);
  });

  test("a part is one plain key segment", () => {
    const { cache: bucket } = build();
    for (const bad of ["", "a/b", "../protected", "Protected"]) {
      expect(() => bucket.cacheAccessFor(bad)).toThrow(/invalid cache sub-path .*Rule: a part of the cache is named by 1-63 lower-case letters/);
    }
  });
});
