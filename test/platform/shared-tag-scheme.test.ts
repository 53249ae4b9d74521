import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { validationMessageOf } from "../support/violations";

/*
 * Environments of one GitLab instance share the CI templates published from the tag scheme of the
 * environment declaring gitlab.ciTemplates (dev in the example), while each environment's lifecycle
 * policy comes from its own scheme. Kinds that differ made another environment's policy select tags
 * nobody pushes and miss the pushed ones.
 */
type TagScheme = NonNullable<EnvironmentConfig["registry"]["tagScheme"]>;
const withSchemes = (schemes: Record<number, TagScheme>): PlatformConfig => ({
  ...exampleConfig,
  environments: exampleConfig.environments.map((e, i) => (schemes[i] ? { ...e, registry: { ...e.registry, tagScheme: { ...e.registry.tagScheme, ...schemes[i], kinds: { ...e.registry.tagScheme?.kinds, ...schemes[i]!.kinds } } } } : e)),
});
const problems = (config: PlatformConfig): string[] => validationMessageOf(() => validateConfig(config)).split("\n").filter(Boolean);
const live = { prefix: "live-", ciTag: "live-${CI_ENVIRONMENT_NAME}", protected: true, mutable: true } as const;

describe("tag kinds on one GitLab instance", () => {
  test("fault: dev (the templates' environment) tags deploys live-<env>, production still protects deployed-: production's running image could expire; now refused at production's kind, and at staging's", () => {
    const found = problems(withSchemes({ 0: { kinds: { deployed: live } } }));
    expect(found.filter((p) => p.includes("registry/tagScheme/kinds/deployed"))).toEqual([
      expect.stringMatching(/^config\/environments\[1\]\/registry\/tagScheme\/kinds\/deployed: invalid tag kind .*"prefix":"deployed-".*Rule: a kind's selector, CI tag, mutability, protection, retention type \(count or age\) and secondary flag are those of environments\[0\] \(dev\).*"prefix":"live-"/),
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/deployed: invalid tag kind .*Fix: give kind deployed the same prefix or pattern, ciTag, mutable, protected, secondary and kind of retention \(maxCount or maxAgeDays\) in every environment on https:\/\/gitlab\.example\.com; only the count or age may differ/),
    ]);
  });

  test("fault: production alone protects live-* while the templates push deployed-production; refused", () => {
    expect(problems(withSchemes({ 2: { kinds: { deployed: live } } }))).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/deployed: invalid tag kind/)]);
  });

  test("fault: production's commit kind commit-* never matched the templates' sha-… tags (its count retention never applied); refused", () => {
    expect(problems(withSchemes({ 2: { kinds: { commit: { prefix: "commit-", ciTag: "commit-${CI_COMMIT_SHA}" } } } }))).toEqual([
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/commit: invalid tag kind/),
    ]);
  });

  test("a kind the templates push that an environment leaves out is refused at its scheme; a kind without a CI tag (pushed by a release tool) may live in one environment", () => {
    const found = problems(withSchemes({ 2: { use: ["mergeRequest", "commit", "branch", "latest", "release", "inputs", "buildCache", "deployed"] } }));
    expect(found.filter((p) => p.includes("registry/tagScheme:"))).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid tag kinds .*; missing pipeline\./)]);
    expect(problems(withSchemes({ 2: { kinds: { hotfix: { prefix: "hotfix-", retention: { maxCount: 10 } } } } }))).toEqual([]);
  });

  test("fault: production alone with maxKindsPerImage 1 (release kinds by count): its policy expired release images by the sha- count rule, while the templates were checked with dev's limit; now refused", () => {
    const release = { protected: false, retention: { maxCount: 1000 } } as const;
    const found = problems(withSchemes({ 0: { kinds: { release } }, 1: { kinds: { release } }, 2: { kinds: { release }, maxKindsPerImage: 1 } }));
    expect(found).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid maxKindsPerImage 1\. Rule: maxKindsPerImage is that of environments\[0\] \(dev\)/)]);
  });

  test("fault kind: a retention of another type (release by age in production, by count in the templates' dev), a mutable commit kind or a secondary flag that differs is refused at the kind", () => {
    const byCount = { protected: false, retention: { maxCount: 1000 } } as const;
    const byAge = { protected: false, retention: { maxAgeDays: 365 } } as const;
    const at = (kind: string) => new RegExp(`^config\\/environments\\[2\\]\\/registry\\/tagScheme\\/kinds\\/${kind}: invalid tag kind`);
    expect(problems(withSchemes({ 0: { kinds: { release: byCount } }, 1: { kinds: { release: byCount } }, 2: { kinds: { release: byAge } } }))).toEqual([expect.stringMatching(at("release"))]);
    expect(problems(withSchemes({ 2: { kinds: { commit: { mutable: true } } } })).filter((p) => p.includes("tagScheme/kinds"))).toEqual([expect.stringMatching(at("commit"))]);
    expect(problems(withSchemes({ 2: { kinds: { pipeline: { secondary: true } } } })).filter((p) => p.includes("tagScheme/kinds"))).toEqual([expect.stringMatching(at("pipeline"))]);
  });

  test("retention may differ per environment (the example keeps more commit images in production); the same kinds everywhere pass", () => {
    expect(problems(exampleConfig)).toEqual([]);
    expect(problems(withSchemes({ 0: { kinds: { deployed: live } }, 1: { kinds: { deployed: live } }, 2: { kinds: { deployed: live } } }))).toEqual([]);
  });

  test("an instance without published templates is not compared (each project's own CI decides)", () => {
    const config = withSchemes({ 2: { kinds: { deployed: live } } });
    const unpublished = { ...config, environments: config.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, ciTemplates: undefined } })) } as PlatformConfig;
    expect(problems(unpublished).filter((p) => p.includes("tagScheme"))).toEqual([]);
  });
});
