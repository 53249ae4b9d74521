import { RunnerCacheBucket } from "../../lib/cache/cache-bucket";
import { type PolicyStatement } from "../../lib/core/iam";
import { type RunnerCacheAccess } from "../../lib/runner/fleet";
import { testStack } from "../support/synth";

describe("RunnerCacheBucket is a RunnerCacheAccess", () => {
  test("a fleet takes the bucket itself: its settings are the cache settings, its grant is the bucket's read-write grant", () => {
    const cache = new RunnerCacheBucket(testStack(), "cache", { bucketName: "acme-ci-dev-cache-111111111111", region: "eu-central-1" });
    // No adapter object: the bucket is assignable where the fleet wants cache access.
    const access: RunnerCacheAccess = cache;
    expect(access.settings).toBe(cache.cacheSettings);
    expect(access.settings).toEqual(expect.objectContaining({ bucketRegion: "eu-central-1", serverAddress: "s3.eu-central-1.amazonaws.com" }));
    const granted: PolicyStatement[] = [];
    access.grantReadWrite({ addToPrincipalPolicy: (s) => granted.push(s) });
    expect(granted).toEqual(cache.readWriteStatements());
    expect(granted.map((s) => s.actions).flat()).toEqual(expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:ListBucket"]));
  });
});
