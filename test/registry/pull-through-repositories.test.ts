import fc from "fast-check";
import { RegistrySettings, type RegistrySettingsProps } from "../../lib/registry/registry-settings";
import { validateRegistrySettings } from "../../lib/registry/registry-settings";
import { onlyResource, resourcesOf, synth, testStack, violationOf } from "../support/synth";

type Json = Record<string, unknown>;
const KMS_KEY = "arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const DOCKER_HUB_SECRET = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf";
const TEMPLATE_ROLE = "arn:aws:iam::111111111111:role/ecr-template";

function build(props: RegistrySettingsProps = {}) {
  const stack = testStack();
  const settings = new RegistrySettings(stack, "registry", { accountId: "111111111111", region: "eu-central-1", ...props });
  return { settings, json: synth(stack).json };
}

/**
 * The template's fields that describe the repositories it creates, and those that describe the
 * template itself (which repositories, and how ECR applies it). A template field in neither list
 * fails the comparison below: a new setting must be given to the repositories created up front too.
 */
const TEMPLATE_SETTINGS = ["image_tag_mutability", "encryption_configuration", "lifecycle_policy", "repository_policy", "resource_tags"];
const TEMPLATE_ITSELF = ["prefix", "applied_for", "description", "custom_role_arn"];

/** What the template gives a repository ECR creates on a first pull, in repository terms. */
function settingsOfTemplate(template: Json): Json {
  const unknown = Object.keys(template).filter((k) => !TEMPLATE_SETTINGS.includes(k) && !TEMPLATE_ITSELF.includes(k));
  if (unknown.length > 0) throw new Error(`the creation template sets ${unknown.join(", ")}, which the comparison does not know`);
  return {
    image_tag_mutability: template.image_tag_mutability,
    encryption_configuration: template.encryption_configuration,
    lifecycle_policy: template.lifecycle_policy,
    repository_policy: template.repository_policy,
    tags: template.resource_tags,
  };
}

/** What a synthesized cache repository created up front has, with its lifecycle and repository policies. */
function settingsOfRepository(json: ReturnType<typeof build>["json"], name: string): Json {
  const [id, repo] = Object.entries(resourcesOf(json, "aws_ecr_repository")).find(([, r]) => r.name === name)!;
  const ref = `\${aws_ecr_repository.${id}.name}`;
  const policyOf = (type: string) => Object.values(resourcesOf(json, type)).find((p) => p.repository === ref)?.policy;
  const { name: _name, ...rest } = repo;
  return {
    ...rest,
    image_tag_mutability: repo.image_tag_mutability,
    lifecycle_policy: policyOf("aws_ecr_lifecycle_policy"),
    repository_policy: policyOf("aws_ecr_repository_policy"),
  };
}

describe("pull-through cache repositories created up front (cachedRepositories)", () => {
  test("each listed upstream path becomes <prefix>/<path>, with a lifecycle policy, never force_delete", () => {
    const { json, settings } = build({
      pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/alpine", "docker/library/busybox"] }, { upstream: "quay", prefix: "quay-io", cachedRepositories: ["prometheus/node-exporter"] }],
    });
    const names = Object.values(resourcesOf(json, "aws_ecr_repository")).map((r) => r.name);
    expect(names.sort()).toEqual(["ecr-public/docker/library/alpine", "ecr-public/docker/library/busybox", "quay-io/prometheus/node-exporter"]);
    expect(Object.values(resourcesOf(json, "aws_ecr_repository")).filter((r) => r.force_delete !== undefined)).toEqual([]);
    expect(Object.keys(resourcesOf(json, "aws_ecr_lifecycle_policy"))).toHaveLength(3);
    expect([...settings.cachedRepositories.keys()].sort()).toEqual(names.sort());
  });

  test("without cachedRepositories no repository is created (the first pull creates it)", () => {
    const { json, settings } = build({ pullThroughCache: [{ upstream: "ecr-public" }] });
    expect(resourcesOf(json, "aws_ecr_repository")).toEqual({});
    expect(settings.cachedRepositories.size).toBe(0);
  });

  test("the repositories carry exactly the settings the creation template gives (default, KMS, another expiry)", () => {
    const cases: RegistrySettingsProps[] = [
      {},
      { cacheEncryption: { type: "KMS", kmsKeyArn: KMS_KEY }, creationTemplateRoleArn: TEMPLATE_ROLE },
      { cacheEncryption: { type: "KMS" }, creationTemplateRoleArn: TEMPLATE_ROLE, cachedImageExpiryDays: 7 },
    ];
    for (const props of cases) {
      const { json, settings } = build({ ...props, pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/alpine"] }] });
      const template = settingsOfTemplate(onlyResource(json, "aws_ecr_repository_creation_template"));
      expect(settingsOfRepository(json, "ecr-public/docker/library/alpine")).toEqual(template);
      expect(template.image_tag_mutability).toBe(settings.cacheRepositorySettings!.imageTagMutability);
    }
  });

  test("property: for any expiry and encryption, repository and template settings agree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3650 }), fc.boolean(), (days, kms) => {
        const { json } = build({
          cachedImageExpiryDays: days,
          ...(kms ? { cacheEncryption: { type: "KMS", kmsKeyArn: KMS_KEY }, creationTemplateRoleArn: TEMPLATE_ROLE } : {}),
          pullThroughCache: [{ upstream: "k8s", cachedRepositories: ["pause"] }],
        });
        const repository = settingsOfRepository(json, "k8s/pause");
        expect(repository).toEqual(settingsOfTemplate(onlyResource(json, "aws_ecr_repository_creation_template")));
        expect(JSON.parse(String(repository.lifecycle_policy)).rules[1].selection.countNumber).toBe(days);
      }),
      { numRuns: 15 },
    );
  });

  test("the comparison fails when the template alone changes (a template setting the repositories lack)", () => {
    const { json } = build({ pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/alpine"] }] });
    const template = onlyResource(json, "aws_ecr_repository_creation_template");
    const repository = settingsOfRepository(json, "ecr-public/docker/library/alpine");
    expect(repository).not.toEqual(settingsOfTemplate({ ...template, resource_tags: { team: "platform" } }));
    expect(repository).not.toEqual(settingsOfTemplate({ ...template, image_tag_mutability: "IMMUTABLE" }));
    expect(() => settingsOfTemplate({ ...template, image_tag_mutability_exclusion_filter: [] })).toThrow(/does not know/);
  });

  describe("bad input (at construction and at the config path)", () => {
    const rule = (cachedRepositories: unknown[], extra: Json = {}) => ({ pullThroughCache: [{ upstream: "ecr-public", ...extra, cachedRepositories } as never] });

    test("an empty path names the prefix itself", () => {
      const error = violationOf(() => build(rule([""])));
      expect(error.message).toMatch(/^test\/registry\/pullThroughCache\[0\]\/cachedRepositories\[0\]: invalid upstream repository path ""\. Rule: .*names the prefix ecr-public itself/);
    });

    test("a Docker Hub official image without library/ (docker-hub/alpine is a repository no pull uses: official images are pulled as docker-hub/library/<name>)", () => {
      const dockerHub = (path: string) => ({ pullThroughCache: [{ upstream: "docker-hub" as const, credentialSecretArn: DOCKER_HUB_SECRET, cachedRepositories: [path] }] });
      const error = violationOf(() => build(dockerHub("alpine")));
      expect(error.message).toMatch(/^test\/registry\/pullThroughCache\[0\]\/cachedRepositories\[0\]: invalid upstream repository path "alpine"\. Rule: Docker Hub's official images are pulled through the cache as docker-hub\/library\/<name>.*docker-hub\/alpine would be a repository no pull uses.*Fix: .*library\/alpine/s);
      // The same at the config path, and the fix is accepted (other users' images keep their namespace).
      expect(violationOf(() => validateRegistrySettings("config/accounts[0]/registry", dockerHub("alpine"))).message).toMatch(/^config\/accounts\[0\]\/registry\/pullThroughCache\[0\]\/cachedRepositories\[0\]: invalid upstream repository path "alpine"/);
      expect(() => build(dockerHub("library/alpine"))).not.toThrow();
      expect(() => build(dockerHub("bitnami/redis"))).not.toThrow();
      // Other upstreams have no such namespace rule.
      expect(() => build(rule(["pause"], { upstream: "k8s" }))).not.toThrow();
    });

    test("a path that repeats the rule's prefix", () => {
      const error = violationOf(() => build(rule(["ecr-public/docker/library/alpine"])));
      expect(error.message).toMatch(/cachedRepositories\[0\]: invalid upstream repository path "ecr-public\/docker\/library\/alpine"\..*would create ecr-public\/ecr-public\/docker\/library\/alpine.*Fix: remove the leading ecr-public\//);
    });

    test("full names outside the ECR repository name grammar or longer than 256 characters", () => {
      expect(violationOf(() => build(rule(["Docker/Library/Alpine"]))).message).toMatch(/cachedRepositories\[0\]: invalid repository name "ecr-public\/Docker\/Library\/Alpine"/);
      expect(violationOf(() => build(rule(["docker//alpine"]))).message).toMatch(/invalid repository name "ecr-public\/docker\/\/alpine"/);
      expect(violationOf(() => build(rule(["alpine/"]))).message).toMatch(/invalid repository name/);
      // The whole name counts: "ecr-public/" (11) and a path of 245 make 256, the most ECR allows; 246 is one too many.
      const longest = `a${"/b".repeat(122)}`;
      expect(longest.length).toBe(245);
      expect(() => build(rule([longest]))).not.toThrow();
      expect(violationOf(() => build(rule([`a${longest}`]))).message).toMatch(/cachedRepositories\[0\]: invalid repository name .*an ECR repository name is 2 to 256 characters long/);
    });

    test("a repository listed twice, in one rule or through two rules' prefixes", () => {
      expect(violationOf(() => build(rule(["docker/library/alpine", "docker/library/alpine"]))).message).toMatch(/cachedRepositories\[1\]: invalid cached repository "ecr-public\/docker\/library\/alpine"\. Rule: each cached repository is created once/);
      const twoRules: RegistrySettingsProps = {
        pullThroughCache: [
          { upstream: "ecr-public", prefix: "mirror", cachedRepositories: ["docker/library/alpine"] },
          { upstream: "quay", prefix: "mirror/docker", cachedRepositories: ["library/alpine"] },
        ],
      };
      expect(violationOf(() => build(twoRules)).message).toMatch(/^test\/registry\/pullThroughCache\[1\]\/cachedRepositories\[0\]: invalid cached repository "mirror\/docker\/library\/alpine"/);
    });

    test("plain JavaScript: a list that is not a list, an entry that is not a string", () => {
      expect(violationOf(() => build({ pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: "docker/library/alpine" as never }] })).message).toMatch(/pullThroughCache\[0\]: invalid cachedRepositories "docker\/library\/alpine"\. Rule: cachedRepositories is a list/);
      expect(violationOf(() => build(rule([42]))).message).toMatch(/cachedRepositories\[0\]: invalid upstream repository path 42/);
    });

    test("the configuration pass reports the same rules at config/accounts[i]/registry", () => {
      const error = violationOf(() => validateRegistrySettings("config/accounts[0]/registry", rule(["ecr-public/x"])));
      expect(error.message).toMatch(/^config\/accounts\[0\]\/registry\/pullThroughCache\[0\]\/cachedRepositories\[0\]: invalid upstream repository path/);
    });
  });
});
