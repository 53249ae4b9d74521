import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { type Construct } from "constructs";
import { RegistrySettings } from "../../lib/registry/registry-settings";
import { checkStack, findingsOf } from "../support/annotations";

/*
 * Pull-through cache repositories created up front (RegistrySettings cachedRepositories) have the
 * creation template's settings: MUTABLE tags, a lifecycle policy expiring every cached image, no
 * prevent_destroy. ECR003, ECR004 and DATA001 leave them unchecked, as ECR004 leaves the pull-through
 * template, and only them: a repository under a prefix no rule of the stack has is checked.
 */
const OPTIONS = { production: true, protectedTags: ["*"] };
const rulesOf = (annotations: ReturnType<typeof checkStack>) => ["ECR003", "ECR004", "DATA001"].flatMap((id) => findingsOf(annotations, id).map((a) => `${id} ${a.path}`)).sort();

/** A repository as the cache creates it, but built by hand: MUTABLE, the cache's expiry policy, no prevent_destroy. */
function cacheLike(scope: Construct, id: string, name: string): void {
  const repo = new EcrRepository(scope, id, { name, imageTagMutability: "MUTABLE", imageScanningConfiguration: { scanOnPush: true } });
  const policy = { rules: [{ rulePriority: 1, description: "Expire after 30 days", selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 30 }, action: { type: "expire" } }] };
  new EcrLifecyclePolicy(scope, `${id}-lifecycle`, { repository: repo.name, policy: JSON.stringify(policy) });
}

describe("the rule pack and pull-through cache repositories created up front", () => {
  test("the cache repositories of RegistrySettings are not findings of ECR003, ECR004 or DATA001", () => {
    const annotations = checkStack((s) => new RegistrySettings(s, "registry", { pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/alpine"] }] }), OPTIONS);
    expect(rulesOf(annotations)).toEqual([]);
  });

  test("a repository with the same settings outside every pull-through prefix of its stack is (three findings)", () => {
    const annotations = checkStack((s) => {
      new RegistrySettings(s, "registry", { pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/alpine"] }] });
      cacheLike(s, "other", "acme/alpine");
      // Under the prefix's name but not below it: "ecr-publicity/..." is no cache repository of "ecr-public".
      cacheLike(s, "near", "ecr-publicity/alpine");
    }, OPTIONS);
    expect(rulesOf(annotations)).toEqual(["DATA001 test/near", "DATA001 test/other", "ECR003 test/near-lifecycle", "ECR003 test/other-lifecycle", "ECR004 test/near", "ECR004 test/other"]);
  });

  test("a repository named like a cache repository in a stack without the pull-through rule is checked", () => {
    const annotations = checkStack((s) => cacheLike(s, "cache", "ecr-public/docker/library/alpine"), OPTIONS);
    expect(rulesOf(annotations)).toEqual(["DATA001 test/cache", "ECR003 test/cache-lifecycle", "ECR004 test/cache"]);
  });
});
