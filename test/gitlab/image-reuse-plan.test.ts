import { pipelineKinds } from "../../lib/gitlab/image-reuse-plan";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { ValidationError } from "../../lib/core/errors";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../lib/registry/lifecycle";

/*
 * A tag plan may put an extra kind on a pipeline's commit image only when the second pipeline with
 * the same tag value can still write it: the kind moves (mutable), or its value is per commit
 * (${CI_COMMIT_SHA}; in Git tag pipelines also ${CI_COMMIT_TAG}).
 */
describe("pipeline tag plans: immutable kinds that are not per commit", () => {
  const scheme = (kinds = {}) => new TagScheme("test/tagScheme", { kinds });

  test("the default plans pass: latest moves, the release tag is per Git tag", () => {
    const kinds = pipelineKinds("test", scheme({ release: { prefix: "v", ciTag: "${CI_COMMIT_TAG}", retention: { maxCount: 50 }, protected: false } }), {});
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
    const withRelease = scheme({ release: { prefix: "v", ciTag: "${CI_COMMIT_TAG}", retention: { maxCount: 50 }, protected: false } });
    expect(() => pipelineKinds("test", withRelease, { gitTag: ["commit", "release"] })).not.toThrow();
    expect(() => pipelineKinds("test", withRelease, { defaultBranch: ["commit", "release"] })).toThrow(/test\/tags\/defaultBranch\[1\]/);
  });
});

/*
 * Every tag of a pipeline's list sits on the commit image. A count kind next to an age kind on one
 * image is kept by the lifecycle policy (no ECR rule expires an image only when both would), so a
 * plan that does this on every image makes the images permanent.
 */
describe("pipeline tag plans: a count kind and an age kind on one image", () => {
  const DAY = 86_400_000;
  const now = new Date("2026-06-15T12:00:00Z");
  const nightly = { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", retention: { maxAgeDays: 7 } };
  const images = [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }];
  const refusal = (fn: () => unknown): ValidationError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    throw new Error("not refused");
  };
  /** 300 default-branch images, one a day, each tagged as the plan says; how many the scheme's policy expires. */
  const expiredOf = (scheme: TagScheme, tags: (i: number, sha: string) => string[]) => {
    const daily: LifecycleImage[] = Array.from({ length: 300 }, (_, i) => {
      const sha = i.toString(16).padStart(40, "0");
      return { digest: `sha256:${i}`, tags: tags(i, sha), pushedAt: new Date(now.getTime() - i * DAY) };
    });
    return simulateLifecycle(lifecyclePolicyFromTagScheme(scheme), daily, now).expired.length;
  };

  test("defaultBranch [commit, latest, nightly] with nightly by age (commit by count) is refused at nightly's entry: its images were never expired", () => {
    const scheme = new TagScheme("test/tagScheme", { kinds: { nightly } });
    // The old plan check let it through, and the policy kept all 300 daily images (once latest moved on).
    expect(expiredOf(scheme, (_, sha) => [`sha-${sha}`, `nightly-${sha}`])).toBe(0);
    const error = refusal(() => imageReuseTemplate("test/templates", { tagScheme: scheme, tags: { defaultBranch: ["commit", "latest", "nightly"] }, images }));
    expect(error).toMatchObject({ path: "test/templates/tags/defaultBranch[2]", subject: "tag kind", value: "nightly" });
    expect(error.rule).toMatch(/defaultBranch pipelines put this kind \(age: 7 days\) and "commit" \(count: the newest 100\) on one image; .*kept forever/);
    expect(error.fix).toMatch(/same retention type .*protected or `secondary: true`.*leave it out of the plan/);
  });

  test("gitTag [commit, release] with release unprotected by age is refused at release's entry", () => {
    const scheme = new TagScheme("test/tagScheme", { kinds: { release: { protected: false, retention: { maxAgeDays: 365 } } } });
    expect(refusal(() => pipelineKinds("test", scheme, {}))).toMatchObject({ path: "test/tags/gitTag[1]", value: "release" });
  });

  test("accepted: one retention type, a protected or a secondary extra kind; then the images do expire", () => {
    const byCount = new TagScheme("test/tagScheme", { kinds: { nightly: { ...nightly, retention: { maxCount: 30 } } } });
    expect(() => pipelineKinds("test", byCount, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
    // Both kinds count: beyond the larger count (100) every kind would expire the image, and it is expired.
    expect(expiredOf(byCount, (_, sha) => [`sha-${sha}`, `nightly-${sha}`])).toBe(200);
    const secondary = new TagScheme("test/tagScheme", { kinds: { nightly: { ...nightly, secondary: true } } });
    expect(() => pipelineKinds("test", secondary, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
    expect(expiredOf(secondary, (_, sha) => [`sha-${sha}`, `nightly-${sha}`])).toBe(200);
    const kept = new TagScheme("test/tagScheme", { kinds: { nightly: { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", protected: true } } });
    expect(() => pipelineKinds("test", kept, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
  });
});
