import { imageReuseTemplate } from "../../../lib/gitlab/image-reuse-template";
import { ValidationError } from "../../../lib/core/errors";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../../lib/registry/lifecycle";
import { TagScheme } from "../../../lib/registry/tag-scheme";

/*
 * Images of older templates carry `pipeline-<id>` next to `sha-<commit>` on one digest. Under the
 * default scheme the pipeline kind (7 days after push) is an age kind and the commit kind (newest
 * 100) a count kind; an image is expired only when every kind it carries would expire it, and no ECR
 * rule can say "older than 7 days and beyond the newest 100" (a rule has one countType, and the first
 * rule that selects an image decides: Amazon ECR User Guide, "Lifecycle policy evaluation rules"), so
 * the combination rule keeps such an image: confirmed here, for a year and 300 newer commits. What
 * bounds it: the templates never push a per-pipeline tag (the tag plan refuses one), so the kept set is
 * the legacy images and does not grow. Two ways to let them go, both shown: mark the pipeline kind
 * secondary (an explicit waiver: the commit kind then decides), or remove the legacy tags (ECR's
 * BatchDeleteImage by tag removes only that tag from an image that has others: "You can remove a tag
 * from an image by specifying the image's tag in your request", AWS CLI reference, batch-delete-image).
 */
const DAY = 86_400_000;
const now = new Date("2027-01-01T00:00:00Z");
const sha = (i: number) => i.toString(16).padStart(40, "0");
/** 300 commit images, one a day; the oldest 50 from older templates also carry pipeline-<id>. */
const images = (legacy: (i: number) => string[]): LifecycleImage[] =>
  Array.from({ length: 300 }, (_, i) => ({ digest: `sha256:${i}`, tags: [`sha-${sha(i)}`, ...(i >= 250 ? legacy(i) : [])], pushedAt: new Date(now.getTime() - (i + 65) * DAY) }));
const legacyOf = (scheme: TagScheme, legacy: (i: number) => string[]) => {
  const result = simulateLifecycle(lifecyclePolicyFromTagScheme(scheme), images(legacy), now);
  return { expired: result.expired.map((d) => Number(d.digest.slice(7))), keptLegacy: result.kept.filter((d) => d.tags.some((t) => t.startsWith("pipeline-"))) };
};
const pipelineTag = (i: number) => [`pipeline-${1000 + i}`];

describe("legacy {pipeline-<id>, sha-<commit>} images", () => {
  test("confirmed: the default scheme keeps them for good (a year old, 250+ newer commits), by the pipeline + commit combination rule", () => {
    const { expired, keptLegacy } = legacyOf(new TagScheme("t"), pipelineTag);
    expect(keptLegacy).toHaveLength(50);
    for (const image of keptLegacy) expect(image.rule?.description).toMatch(/^Keep images carrying .*pipeline.*commit|^Keep images carrying .*commit.*pipeline/);
    // The commit images without a legacy tag still follow the commit kind: beyond the newest 100, expired.
    expect(expired).toEqual(Array.from({ length: 150 }, (_, i) => 100 + i));
  });

  test("the set does not grow: no template plan may push a per-pipeline tag", () => {
    const scheme = new TagScheme("t");
    for (const tags of [{ defaultBranch: ["commit", "latest", "pipeline"] }, { mergeRequest: ["mergeRequest", "pipeline"] }]) {
      expect(() => imageReuseTemplate("t/templates", { tagScheme: scheme, tags })).toThrow(ValidationError);
      expect(() => imageReuseTemplate("t/templates", { tagScheme: scheme, tags })).toThrow(/changes with every pipeline or job/);
    }
  });

  test("with pipeline: { secondary: true } the commit kind decides: beyond the newest 100 they expire", () => {
    const { expired, keptLegacy } = legacyOf(new TagScheme("t", { kinds: { pipeline: { secondary: true } } }), pipelineTag);
    expect(keptLegacy).toEqual([]);
    expect(expired).toEqual(Array.from({ length: 200 }, (_, i) => 100 + i));
  });

  test("with the legacy pipeline- tags removed (batch-delete-image by tag), the default scheme expires them by the commit kind", () => {
    const { expired, keptLegacy } = legacyOf(new TagScheme("t"), () => []);
    expect(keptLegacy).toEqual([]);
    expect(expired).toEqual(Array.from({ length: 200 }, (_, i) => 100 + i));
  });

  test("legacy {pipeline-<id>, MR-<iid>-<commit>} images (two age kinds) expire with the longer age, 30 days", () => {
    const mr = (age: number): LifecycleImage => ({ digest: `sha256:mr${age}`, tags: [`pipeline-${age}`, `MR-1-${sha(age)}`], pushedAt: new Date(now.getTime() - age * DAY) });
    const result = simulateLifecycle(lifecyclePolicyFromTagScheme(new TagScheme("t")), [mr(10), mr(29), mr(31), mr(400)], now);
    expect(result.expired.map((d) => d.digest)).toEqual(["sha256:mr31", "sha256:mr400"]);
  });
});
