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
      expect.stringMatching(/^config\/environments\[1\]\/registry\/tagScheme\/kinds\/deployed: invalid tag kind .*"selector":"prefix \\"deployed-\\"".*Rule: a kind whose tags are pushed into this environment's registry by the published CI templates \(image-reuse\.yml, deploy\.yml\).* selects the same tags and has the CI tag, mutability and protection it has in environments\[0\] \(dev\).*"selector":"prefix \\"live-\\""/),
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/deployed: invalid tag kind .*Fix: give kind deployed the same prefix or pattern \(as far as the tags it selects\), ciTag, mutable and protected in every environment on https:\/\/gitlab\.example\.com; the retention may differ/),
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
    const found = problems(withSchemes({ 2: { use: ["mergeRequest", "commit", "branch", "latest", "release", "inputs", "buildCache", "pipeline"] } }));
    expect(found.filter((p) => p.includes("registry/tagScheme:"))).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid tag kinds .*; missing deployed\./)]);
    expect(problems(withSchemes({ 2: { kinds: { hotfix: { prefix: "hotfix-", retention: { maxCount: 10 } } } } }))).toEqual([]);
  });

  test("fault: production alone with maxKindsPerImage 1 (release kinds by count): its policy expired release images by the sha- count rule, while the templates were checked with dev's limit; now refused by the templates' kinds-per-image check run with production's scheme", () => {
    const release = { protected: false, retention: { maxCount: 1000 } } as const;
    const found = problems(withSchemes({ 0: { kinds: { release } }, 1: { kinds: { release } }, 2: { kinds: { release }, maxKindsPerImage: 1 } }));
    expect(found).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid tag kinds \["commit","release"\]\. Rule: images tagged by the published CI templates .*\(built from the tag scheme of environments\[0\] \(dev\).*tags\/gitTag: gitTag pipelines put 2 retained primary kinds .*maxKindsPerImage 1/)]);
  });

  test("fault: production's own kinds without a CI tag (shaKeep sha-*0*, vKeep v*.*) select the release pipeline's pushed tags: 4 retained kinds on one image, more than the 3 its policy has rules for (the old comparison skipped kinds without a CI tag); refused, the fix names the templates' environment", () => {
    const release = { protected: false, retention: { maxCount: 1000 } } as const;
    const own = { release, shaKeep: { pattern: "sha-*0*", retention: { maxCount: 500 } }, vKeep: { pattern: "v*.*", retention: { maxCount: 200 } } };
    const found = problems(withSchemes({ 0: { kinds: { release } }, 1: { kinds: { release } }, 2: { kinds: own } }));
    expect(found).toEqual([
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid tag kinds .*tags\/gitTag: gitTag pipelines put 4 retained primary kinds on the commit image \(commit, release, shaKeep, vKeep.*Fix: .*the files' plan is that of environments\[0\] \(dev\)/),
    ]);
    // The same kinds in dev, whose scheme the templates are checked with, are refused there at synth; here only one of them is accepted.
    expect(problems(withSchemes({ 0: { kinds: { release } }, 1: { kinds: { release } }, 2: { kinds: { release, vKeep: own.vKeep } } }))).toEqual([]);
  });

  test("the templates' own environment is checked in the configuration pass too (before, only when the gitlab-shared stack was built, at its construct path): dev alone with maxKindsPerImage 1 and release by count is refused at dev's scheme", () => {
    const release = { protected: false, retention: { maxCount: 1000 } } as const;
    const found = problems(withSchemes({ 0: { kinds: { release }, maxKindsPerImage: 1 }, 1: { kinds: { release } }, 2: { kinds: { release } } }));
    expect(found).toEqual([expect.stringMatching(/^config\/environments\[0\]\/registry\/tagScheme: invalid tag kinds \["commit","release"\]\. .*tags\/gitTag: gitTag pipelines put 2 retained primary kinds .*maxKindsPerImage 1/)]);
  });

  test("fault kind: a retention of another type on one image (release by age next to the commit kind by count in production) is refused by the templates' retention-type check run with production's scheme; a mutable commit kind is refused at the kind", () => {
    const byCount = { protected: false, retention: { maxCount: 1000 } } as const;
    const byAge = { protected: false, retention: { maxAgeDays: 365 } } as const;
    expect(problems(withSchemes({ 0: { kinds: { release: byCount } }, 1: { kinds: { release: byCount } }, 2: { kinds: { release: byAge } } }))).toEqual([
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid tag kind "release"\. Rule: .*tags\/gitTag\[1\]: gitTag pipelines put this kind \(age: 365 days\) and "commit" \(count: the newest 300\) on one image/),
    ]);
    // The same type difference is accepted when production's scheme makes it safe (release secondary: the commit kind decides alone).
    expect(problems(withSchemes({ 0: { kinds: { release: byCount } }, 1: { kinds: { release: byCount } }, 2: { kinds: { release: { ...byAge, secondary: true } } } }))).toEqual([]);
    expect(problems(withSchemes({ 2: { kinds: { commit: { mutable: true } } } })).filter((p) => p.includes("tagScheme/kinds"))).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/commit: invalid tag kind/)]);
  });

  test("false refusal: { pattern: \"sha-*\" } in production selects the tags dev's { prefix: \"sha-\" } selects (ECR: * matches any run, none included); accepted, while prefix sha (a wider selection: shadow-1) is still refused", () => {
    expect(problems(withSchemes({ 2: { kinds: { commit: { prefix: undefined, pattern: "sha-*" } } } }))).toEqual([]);
    expect(problems(withSchemes({ 2: { kinds: { commit: { prefix: undefined, pattern: "sha-**" } } } }))).toEqual([]);
    expect(problems(withSchemes({ 2: { kinds: { commit: { prefix: "sha" } } } })).filter((p) => p.includes("tagScheme/kinds"))).toEqual([
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/commit: invalid tag kind .*"selector":"prefix \\"sha\\""/),
    ]);
  });

  test("false refusal: production without the pipeline kind (the templates never push pipeline-… tags); accepted, while leaving out a kind they push (inputs) is still refused", () => {
    const withoutPipeline = ["mergeRequest", "commit", "branch", "latest", "release", "inputs", "buildCache", "deployed"] as const;
    expect(problems(withSchemes({ 2: { use: [...withoutPipeline] } }))).toEqual([]);
    const withoutInputs = withoutPipeline.filter((k) => k !== "inputs");
    expect(problems(withSchemes({ 2: { use: [...withoutInputs] } })).filter((p) => p.includes("registry/tagScheme:"))).toEqual([expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme: invalid tag kinds .*; missing inputs\./)]);
  });

  test("fault: a second environment on the same GitLab URL declaring gitlab.ciTemplates (another project) was accepted but never published; refused at its declaration (one ciTemplates per GitLab instance), and so is a second toolboxProject", () => {
    const second = (i: number, gitlab: Partial<EnvironmentConfig["gitlab"]>): PlatformConfig => ({ ...exampleConfig, environments: exampleConfig.environments.map((e, k) => (k === i ? { ...e, gitlab: { ...e.gitlab, ...gitlab } } : e)) });
    expect(problems(second(2, { ciTemplates: { project: "acme/prod-templates" } }))).toEqual([
      expect.stringMatching(/^config\/environments\[2\]\/gitlab\/ciTemplates: invalid ciTemplates "acme\/prod-templates"\. Rule: one ciTemplates per GitLab instance: .* environments\[0\] \(dev: acme\/ci-templates\).*Fix: declare gitlab\.ciTemplates in one environment per GitLab instance/),
    ]);
    expect(problems(second(1, { toolboxProject: { path: "acme/toolbox2" } })).filter((p) => p.includes("invalid toolboxProject"))).toEqual([expect.stringMatching(/^config\/environments\[1\]\/gitlab\/toolboxProject: invalid toolboxProject "acme\/toolbox2"\. Rule: one toolboxProject per GitLab instance/)]);
    // The same project twice is the ownership check's (one line, not two).
    expect(problems(second(2, { ciTemplates: { project: "acme/ci-templates" } }))).toEqual([expect.stringMatching(/^config\/environments\[2\]\/gitlab\/ciTemplates: invalid CI templates project/)]);
  });

  test("fault: an instance with a toolbox project but no published templates was not compared, though the toolbox CI file (built from dev's scheme) promotes sha-… and latest into staging and production; production with latest as current is now refused, with its commit kind's own retention accepted", () => {
    const toolboxOnly = (config: PlatformConfig): PlatformConfig => ({ ...config, environments: config.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, ciTemplates: undefined } })) });
    expect(problems(toolboxOnly(withSchemes({ 2: { kinds: { latest: { pattern: "current", ciTag: "current" } } } }))).filter((p) => p.includes("tagScheme"))).toEqual([
      expect.stringMatching(/^config\/environments\[2\]\/registry\/tagScheme\/kinds\/latest: invalid tag kind .*Rule: a kind whose tags are pushed into this environment's registry by the toolbox project's CI file \(acme\/toolbox\/\.gitlab-ci\.yml\).*environments\[0\] \(dev\)/),
    ]);
    // The kinds the toolbox file never pushes (deployed, release: no deploy.yml, no Git tag pipelines) may differ.
    expect(problems(toolboxOnly(withSchemes({ 2: { kinds: { deployed: live } } }))).filter((p) => p.includes("tagScheme"))).toEqual([]);
  });

  test("retention may differ per environment (the example keeps more commit images in production); the same kinds everywhere pass", () => {
    expect(problems(exampleConfig)).toEqual([]);
    expect(problems(withSchemes({ 0: { kinds: { deployed: live } }, 1: { kinds: { deployed: live } }, 2: { kinds: { deployed: live } } }))).toEqual([]);
  });

  test("an instance without published templates or a toolbox project is not compared (each project's own CI decides)", () => {
    const config = withSchemes({ 2: { kinds: { deployed: live, latest: { pattern: "current", ciTag: "current" } } } });
    const unpublished = { ...config, environments: config.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, ciTemplates: undefined, toolboxProject: undefined } })) } as PlatformConfig;
    expect(problems(unpublished).filter((p) => p.includes("tagScheme"))).toEqual([]);
  });
});
