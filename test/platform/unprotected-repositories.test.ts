import { App, TerraformStack } from "cdktf";
import { type EnvironmentConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { type LifecyclePolicyDocument } from "../../lib/registry/lifecycle";
import { tenantRepositoriesOf } from "../../lib/platform/tenant-repositories";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { exampleSynthJson } from "../support/example-synth";

/*
 * The example's unprotected repositories (merge-request pushes) get a policy of their own: no keep
 * rule for protected kinds, and a catch-all by age; the protected repositories keep theirs.
 */
type Resource = { name?: string; repository?: string; policy?: string; tags?: Record<string, string> };
const resources = (json: unknown, type: string): Record<string, Resource> => ((json as { resource?: Record<string, Record<string, Resource>> }).resource ?? {})[type] ?? {};

describe("lifecycle policies of the example's repositories by trust level", () => {
  const policies: { name: string; trust?: string; policy: LifecyclePolicyDocument }[] = [];
  for (const json of exampleSynthJson().values()) {
    const repos = resources(json, "aws_ecr_repository");
    for (const lifecycle of Object.values(resources(json, "aws_ecr_lifecycle_policy"))) {
      const id = /aws_ecr_repository\.([^.]+)\.name/.exec(lifecycle.repository ?? "")?.[1];
      policies.push({ name: repos[id!]!.name!, trust: repos[id!]!.tags?.trust, policy: JSON.parse(lifecycle.policy!) as LifecyclePolicyDocument });
    }
  }
  const unprotected = policies.filter((p) => p.trust === "unprotected");

  test("unprotected repositories keep no protected kind and expire other images after 14 days", () => {
    expect(unprotected.length).toBeGreaterThan(0);
    expect(unprotected.every((p) => p.name.includes("/unprotected/"))).toBe(true);
    for (const { name, policy } of unprotected) {
      expect({ name, keeps: policy.rules.filter((r) => /^Keep /.test(r.description ?? "")).map((r) => r.description) }).toEqual({ name, keeps: [] });
      expect({ name, last: policy.rules.at(-1)!.selection }).toEqual({ name, last: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 } });
    }
  });

  test("protected repositories keep latest, releases, the build cache and deployed-*", () => {
    // The tenants' protected repositories (pull-through cache repositories hold upstream images and have a policy of their own).
    const guarded = policies.filter((p) => p.trust === "protected");
    expect(guarded.length).toBeGreaterThan(0);
    for (const { policy } of guarded) expect(policy.rules.filter((r) => /^Keep every image tagged/.test(r.description ?? "")).length).toBe(4);
  });
});

describe("unprotectedMaxAgeDays of a repository", () => {
  const dev = exampleConfig.environments[0]!;
  const withDays = (days: unknown): EnvironmentConfig => ({ ...dev, registry: { ...dev.registry, repositories: dev.registry.repositories.map((r) => ({ ...r, unprotectedMaxAgeDays: days as number })) } });

  test("sets the unprotected repository's age bound; the protected one is unchanged", () => {
    const stack = new TerraformStack(new App(), "s");
    const env = withDays(5);
    const repos = tenantRepositoriesOf(stack, env, new TagScheme(stack, "tags"));
    const [tenant] = [...repos.values()];
    expect(tenant!.unprotected.size).toBeGreaterThan(0);
    for (const repo of tenant!.unprotected.values()) expect(repo.lifecyclePolicy.rules.at(-1)!.selection.countNumber).toBe(5);
    for (const repo of tenant!.protected.values()) expect(repo.lifecyclePolicy.rules.at(-1)!.selection.tagStatus).toBe("untagged");
  });

  test("a bad value is refused at the repository's config path", () => {
    expect(() => validateConfig({ ...exampleConfig, environments: [withDays(0), ...exampleConfig.environments.slice(1)] })).toThrow(/config\/environments\[0\]\/registry\/repositories\[0\]: invalid unprotectedMaxAgeDays 0\. Rule: must be a whole number greater than 0/);
  });
});
