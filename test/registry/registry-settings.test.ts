import { RegistrySettings, type RegistrySettingsProps } from "../../lib/registry/registry-settings";
import { onlyResource, resourcesOf, synth, testStack, violationOf } from "../support/synth";

const SECRET = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf";

function build(props: RegistrySettingsProps = {}) {
  const stack = testStack();
  const settings = new RegistrySettings(stack, "registry", { accountId: "111111111111", region: "eu-central-1", ...props });
  return { settings, json: synth(stack).json };
}

describe("RegistrySettings", () => {
  test("default: basic scan on push for every repository, no pull-through cache", () => {
    const { json } = build();
    expect(onlyResource(json, "aws_ecr_registry_scanning_configuration")).toEqual({
      scan_type: "BASIC",
      rule: [{ scan_frequency: "SCAN_ON_PUSH", repository_filter: [{ filter: "*", filter_type: "WILDCARD" }] }],
    });
    expect(resourcesOf(json, "aws_ecr_pull_through_cache_rule")).toEqual({});
    expect(resourcesOf(json, "aws_ecr_repository_creation_template")).toEqual({});
  });

  test("pull-through rules: anonymous upstreams without, credentialed ones with a secret", () => {
    const { json } = build({
      pullThroughCache: [{ upstream: "ecr-public" }, { upstream: "quay", prefix: "quay-io" }, { upstream: "docker-hub", credentialSecretArn: SECRET }],
    });
    const rules = Object.values(resourcesOf(json, "aws_ecr_pull_through_cache_rule"));
    const byPrefix = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.ecr_repository_prefix).localeCompare(String(b.ecr_repository_prefix));
    expect(rules.sort(byPrefix)).toEqual([
      { ecr_repository_prefix: "docker-hub", upstream_registry_url: "registry-1.docker.io", credential_arn: SECRET },
      { ecr_repository_prefix: "ecr-public", upstream_registry_url: "public.ecr.aws" },
      { ecr_repository_prefix: "quay-io", upstream_registry_url: "quay.io" },
    ]);
  });

  test("the rules are also exposed as plain values for consumers in other stacks", () => {
    const { settings } = build({ pullThroughCache: [{ upstream: "quay", prefix: "quay-io" }, { upstream: "docker-hub", credentialSecretArn: SECRET }] });
    expect(settings.pullThroughCacheRules).toEqual([
      { prefix: "quay-io", upstream: "quay", upstreamRegistryUrl: "quay.io" },
      { prefix: "docker-hub", upstream: "docker-hub", upstreamRegistryUrl: "registry-1.docker.io" },
    ]);
  });

  test("a creation template gives cached repositories encryption and an expiry lifecycle policy", () => {
    const { json, settings } = build({ pullThroughCache: [{ upstream: "k8s" }], cachedImageExpiryDays: 45 });
    const template = onlyResource(json, "aws_ecr_repository_creation_template");
    expect(template).toEqual(
      expect.objectContaining({
        prefix: "ROOT",
        applied_for: ["PULL_THROUGH_CACHE"],
        encryption_configuration: [{ encryption_type: "AES256" }],
      }),
    );
    const policy = JSON.parse(template.lifecycle_policy as string);
    expect(policy).toEqual(settings.cacheLifecyclePolicy);
    expect(policy.rules[1].selection).toEqual({ tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 45 });
  });

  describe("bad input", () => {
    test("a credential secret whose name lacks the ecr-pullthroughcache/ prefix", () => {
      const bad = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:dockerhub-creds-AbCdEf";
      const error = violationOf(() => build({ pullThroughCache: [{ upstream: "docker-hub", credentialSecretArn: bad }] }));
      expect(error.message).toMatch(/^test\/registry\/pullThroughCache\[0\]: invalid credentialSecretArn /);
      expect(error.message).toContain(bad);
      expect(error.message).toMatch(/secrets whose name starts with "ecr-pullthroughcache\/"/);
      expect(error.message).toMatch(/Fix: recreate the secret as ecr-pullthroughcache\/dockerhub-creds/);
    });

    test("a credential that is not a Secrets Manager ARN", () => {
      const error = violationOf(() => build({ pullThroughCache: [{ upstream: "ghcr", credentialSecretArn: "ecr-pullthroughcache/ghcr" }] }));
      expect(error.message).toMatch(/must be a Secrets Manager secret ARN/);
    });

    test("a credentialed upstream without a secret, and an anonymous one with a secret", () => {
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "docker-hub" }] })).message).toMatch(
        /the docker-hub upstream needs a Secrets Manager secret/,
      );
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "quay", credentialSecretArn: SECRET }] })).message).toMatch(
        /the quay upstream is pulled anonymously/,
      );
    });

    test("a secret in another region or account", () => {
      const other = SECRET.replace("eu-central-1", "us-east-1");
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "docker-hub", credentialSecretArn: other }] })).message).toMatch(
        /must be in the registry's region eu-central-1/,
      );
    });

    test("duplicate and malformed prefixes", () => {
      expect(
        violationOf(() => build({ pullThroughCache: [{ upstream: "quay" }, { upstream: "k8s", prefix: "quay" }] })).message,
      ).toMatch(/each pull-through cache rule needs its own repository prefix/);
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "quay", prefix: "Quay" }] })).message).toMatch(
        /invalid prefix "Quay"/,
      );
    });

    test("an unknown upstream", () => {
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "artifactory" as never }] })).message).toMatch(
        /invalid upstream "artifactory"\. Rule: pull-through cache supports ecr-public, k8s, quay, docker-hub, ghcr, gitlab-container-registry/,
      );
    });

    test("a zero expiry for cached images", () => {
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "quay" }], cachedImageExpiryDays: 0 })).message).toMatch(
        /^test\/registry\/cachedImageExpiryDays\/rules\/1: invalid selection\.countNumber 0\. Rule: countNumber must be a whole number greater than 0/,
      );
    });

    test("continuous scanning with basic scanning", () => {
      expect(violationOf(() => build({ scanning: { frequency: "CONTINUOUS_SCAN" } })).message).toMatch(/continuous scanning needs ENHANCED/);
    });
  });
});
