import { pipelineKinds } from "../../lib/gitlab/image-reuse-plan";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { ValidationError } from "../../lib/core/errors";

/*
 * A tag plan may put an extra kind on a pipeline's commit image only when the second pipeline with
 * the same tag value can still write it: the kind moves (mutable), or its value is per commit
 * (${CI_COMMIT_SHA}; in Git tag pipelines also ${CI_COMMIT_TAG}).
 */
describe("pipeline tag plans: immutable kinds that are not per commit", () => {
  const scheme = (kinds = {}) => new TagScheme("test/tagScheme", { kinds });

  test("the default plans pass: latest moves, the release tag is per Git tag", () => {
    const kinds = pipelineKinds("test", scheme({ release: { prefix: "v", ciTag: "${CI_COMMIT_TAG}", retention: { maxAgeDays: 365 }, protected: false } }), {});
    expect(kinds.map((k) => [k.name, k.commitKind.name, k.extraKinds.map((e) => e.name)])).toEqual([
      ["mergeRequest", "mergeRequest", []],
      ["defaultBranch", "commit", ["latest"]],
      ["gitTag", "commit", ["release"]],
    ]);
  });

  test("a branch kind made mutable may go on the default branch's pipelines", () => {
    const kinds = pipelineKinds("test", scheme({ branch: { prefix: "branch-", ciTag: "branch-${CI_COMMIT_REF_SLUG}", retention: { maxAgeDays: 30 }, protected: false, mutable: true } }), { defaultBranch: ["commit", "latest", "branch"] });
    expect(kinds.find((k) => k.name === "defaultBranch")!.extraKinds.map((k) => k.name)).toEqual(["latest", "branch"]);
  });

  test("the immutable branch kind on the default branch is refused at its plan entry", () => {
    expect(() => pipelineKinds("test", scheme(), { defaultBranch: ["commit", "latest", "branch"] })).toThrow(ValidationError);
    expect(() => pipelineKinds("test", scheme(), { defaultBranch: ["commit", "latest", "branch"] })).toThrow(/test\/tags\/defaultBranch\[2\].*branch-\$\{CI_COMMIT_REF_SLUG\} takes the same value in many defaultBranch pipelines/s);
  });

  test("a Git tag value is per commit only in Git tag pipelines", () => {
    const withRelease = scheme({ release: { prefix: "v", ciTag: "${CI_COMMIT_TAG}", retention: { maxAgeDays: 365 }, protected: false } });
    expect(() => pipelineKinds("test", withRelease, { gitTag: ["commit", "release"] })).not.toThrow();
    expect(() => pipelineKinds("test", withRelease, { defaultBranch: ["commit", "release"] })).toThrow(/test\/tags\/defaultBranch\[1\]/);
  });
});
