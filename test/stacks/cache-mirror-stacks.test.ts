import { Testing } from "cdktf";
import { cacheObjectPrefix } from "../../lib/cache/runner-cache-settings";
import { EcrPullThroughMirror } from "../../lib/mirror/ecr-pull-through-mirror";
import { NexusMirror } from "../../lib/mirror/nexus-mirror";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig } from "../../stacks/config";
import { EnvironmentStack } from "../../stacks/environment-stack";
import { exampleConfig } from "../../stacks/example-config";
import { onlyResource, resourcesOf, type SynthJson } from "../support/synth";
import { expectViolation } from "../support/violations";

// The runner cache and registry mirror of the example stacks (issue 5).

const stacks = buildPlatform(Testing.app(), exampleConfig);
const text = (env: string) => Testing.synth(stacks.environments.get(env)!);
const json = (env: string) => JSON.parse(text(env)) as SynthJson;

describe("runner cache and registry mirror in the example stacks", () => {
  test("a cache bucket per environment, the lifecycle on the prefix the runners use", () => {
    for (const [env, days] of [["dev", 7], ["staging", 14], ["production", 30]] as const) {
      const stack = stacks.environments.get(env)!;
      const accountId = exampleConfig.environments.find((e) => e.name === env)!.accountId;
      // The cache bucket and its access-log bucket (audit trail on by default).
      expect(Object.values(resourcesOf(json(env), "aws_s3_bucket")).map((b) => b.bucket).sort()).toEqual([`acme-ci-${env}-cache-${accountId}`, `acme-ci-${env}-cache-${accountId}-logs`]);
      const lifecycles = Object.entries(resourcesOf(json(env), "aws_s3_bucket_lifecycle_configuration")).filter(([id]) => !id.includes("access-logs"));
      expect(lifecycles).toHaveLength(1);
      const rules = lifecycles[0]![1].rule as Array<Record<string, unknown>>;
      expect(rules[0]).toEqual(expect.objectContaining({ filter: [{ prefix: cacheObjectPrefix(stack.cache.cacheSettings) }], expiration: [{ days }] }));
    }
  });

  test("dev and staging pull through ECR with the account stack's rules; production runs a Nexus host", () => {
    const dev = stacks.environments.get("dev")!;
    expect(dev.mirror).toBeInstanceOf(EcrPullThroughMirror);
    expect((dev.mirror as EcrPullThroughMirror).rules).toBe(stacks.accounts.get("nonprod")!.registry.pullThroughCacheRules);
    expect(dev.mirrorEndpoint!.registryMirrors).toEqual([]);
    expect(Object.keys(stacks.environments.get("staging")!.mirrorEndpoint!.imagePrefixes)).toEqual(["public.ecr.aws", "quay.io"]);
    expect(resourcesOf(json("dev"), "aws_instance")).toEqual({});

    const production = stacks.environments.get("production")!;
    expect(production.mirror).toBeInstanceOf(NexusMirror);
    expect(production.mirrorEndpoint!.registryMirrors).toEqual(["http://mirror.ci.internal:8082"]);
    expect(Object.keys(production.mirrorEndpoint!.rawProxyUrls)).toEqual(["lang-common", "buildpack-registry", "lang-jvm"]);
    expect(onlyResource(json("production"), "aws_ebs_volume").lifecycle).toEqual({ prevent_destroy: true });
    // Without a network of its own, the Nexus host joins the runners' VPC (first private subnet).
    expect(onlyResource(json("production"), "aws_instance").subnet_id).toMatch(/^\$\{aws_subnet\.platform_network_private-subnet-0_[A-F0-9]+\.id\}$/);
  });

  test("outputs: the cache bucket, the mirror's image prefixes, the Nexus URL and the name (not the value) of its admin-password parameter", () => {
    const cacheAndMirror = (env: string) => Object.keys(json(env).output!).filter((k) => k.startsWith("mirror-") || k.startsWith("runner-cache"));
    expect(cacheAndMirror("dev")).toEqual(["mirror-image-prefixes", "mirror-registry-mirrors", "runner-cache-bucket"]);
    expect(cacheAndMirror("production")).toEqual(["mirror-admin-password-parameter", "mirror-image-prefixes", "mirror-registry-mirrors", "mirror-url", "runner-cache-bucket"]);
    const outputs = json("production").output!;
    expect(outputs["mirror-registry-mirrors"]!.value).toEqual(["http://mirror.ci.internal:8082"]);
    expect(json("dev").output!["mirror-registry-mirrors"]!.value).toEqual([]);
    expect(outputs["mirror-url"]!.value).toBe("http://mirror.ci.internal:8081");
    expect(outputs["mirror-admin-password-parameter"]!.value).toBe("/acme-ci-production-mirror/admin-password");
  });

  test("the Nexus admin password is not in Terraform state: no parameter resource, no password value", () => {
    const production = text("production");
    // The only SSM parameters Terraform manages are the runner tokens (documented as in state), the
    // deploy jobs' last good digests (digests, not secrets) and the runner hosts' script (String).
    const parameters = Object.values(resourcesOf(json("production"), "aws_ssm_parameter")).map((p) => String(p.name));
    expect(
      parameters.filter(
        (name) => !/^\/acme-ci\/production\/(runner\/[a-z-]+\/token|deploy\/[a-z-]+\/last-good-digest)$/.test(name) && !/^\/runner-fleet\/acme-ci-production(-[a-z]+)?\/script-[0-9a-f]{12}\/\d+$/.test(name),
      ),
    ).toEqual([]);
    expect(production).not.toMatch(/\\"password\\"\s*:|"password"\s*:/);
  });

  test("an ECR pull-through mirror without the account stack is a clear error", () => {
    const env = exampleConfig.environments[0]!;
    expectViolation(() => new EnvironmentStack(Testing.app(), "dev", exampleConfig as PlatformConfig, env), {
      path: "dev/platform/mirror",
      subject: "registry settings",
      value: undefined,
      rule: /reuses the pull-through cache rules of the environment's account and region/,
      fix: /pass registrySettings .*pass the AccountStack/,
    });
  });

  test("snapshot of the production mirror's cloud-config (readable diff of what the host runs)", () => {
    expect((stacks.environments.get("production")!.mirror as NexusMirror).userData).toMatchSnapshot();
  });
});
