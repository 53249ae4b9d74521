import { ValidationError } from "../../../lib/core/errors";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../../lib/registry/lifecycle";
import { TagScheme } from "../../../lib/registry/tag-scheme";

/*
 * Count kinds and age kinds on one image. No ECR rule expires an image only when both a count and
 * an age rule would, so the policy generator used to keep such combinations forever: with a pattern
 * "*" kind by count next to the merge-request kind by age, every merge-request image (it also
 * matches "*") was kept forever, and an old {pipeline-…, sha-…} image outlived the commit kind's count.
 */
const DAY = 86_400_000;
const now = new Date("2026-06-15T12:00:00Z");
const hex = (n: number) => n.toString(16).padStart(40, "0");
const image = (i: number, tags: string[], daysAgo: number): LifecycleImage => ({ digest: `sha256:${i}`, tags, pushedAt: new Date(now.getTime() - daysAgo * DAY - i * 60_000) });
const decide = (scheme: TagScheme, images: LifecycleImage[]) => simulateLifecycle(lifecyclePolicyFromTagScheme(scheme), images, now);

describe("count and age kinds on one image", () => {
  test("a bare-SHA kind (pattern *, by count) next to merge requests by age is refused: every merge-request image carried both and was kept forever", () => {
    let error: unknown;
    try {
      new TagScheme("dev/tags", { kinds: { bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ path: "dev/tags/kinds/bareSha", subject: "selector", value: "*" });
  });

  test("the documented bare-SHA scheme (merge requests and branches by count too) expires merge-request images beyond their count", () => {
    const scheme = new TagScheme("dev/tags", {
      kinds: { bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } }, mergeRequest: { retention: { maxCount: 300 } }, branch: { retention: { maxCount: 50 } } },
    });
    const images = Array.from({ length: 310 }, (_, i) => image(i, [`MR-${i}-${hex(i)}`], 40));
    const result = decide(scheme, images);
    // Each carries mergeRequest and bareSha ("*"): expired beyond the larger count (300), by the combination's own rule.
    expect(result.expired.map((d) => d.digest)).toEqual(images.slice(300).map((i) => i.digest));
    expect(result.expired[0]!.reason).toMatch(/^expired by rule \d+: it is #301 newest of the 310 images/);
  });

  test("{pipeline-…, sha-…} older than the pipeline kind's 7 days and beyond the newest 100 commit images is expired (it was kept forever)", () => {
    const old = image(0, ["pipeline-1001", `sha-${hex(0)}`], 30);
    const newer = Array.from({ length: 120 }, (_, i) => image(i + 1, [`sha-${hex(i + 1)}`], 1));
    const result = decide(new TagScheme("dev/tags"), [old, ...newer]);
    expect(result.decisions[0]).toMatchObject({ digest: "sha256:0", expired: true });
    expect(result.decisions[0]!.reason).toMatch(/^expired by rule \d+: it is #121 newest of the 121 images/);
    // Within the newest 100 it is kept whatever its age: the commit kind decides, the pipeline tag rides along.
    expect(decide(new TagScheme("dev/tags"), [old, ...newer.slice(0, 50)]).decisions[0]).toMatchObject({ expired: false });
  });

  test("with one kind per image, an overlapping longer-lived age kind defined later decides (release for 400 days, semver for 500: v1.2.3 at 450 days was expired)", () => {
    const scheme = new TagScheme("dev/tags", {
      maxKindsPerImage: 1,
      use: ["release", "latest"],
      kinds: { release: { protected: false, retention: { maxAgeDays: 400 } }, semver: { pattern: "*.*.*", retention: { maxAgeDays: 500 } } },
    });
    const result = decide(scheme, [image(0, ["v1.2.3"], 450), image(1, ["v1.2.4"], 501)]);
    expect(result.decisions.map((d) => d.expired)).toEqual([false, true]);
  });
});

test("the documented semver kind with a retention is accepted as secondary and refused as primary next to the commit kind (\"*.*.*\" also selects sha-1.2.3)", () => {
  const semver = { pattern: "*.*.*", retention: { maxAgeDays: 365 } };
  expect(() => new TagScheme("dev/tags", { kinds: { semver } })).toThrow(/kinds\/semver: invalid selector "\*\.\*\.\*".*and "commit" \(count: the newest 100, prefix "sha-"\)/);
  const scheme = new TagScheme("dev/tags", { kinds: { semver: { ...semver, secondary: true } } });
  const images: LifecycleImage[] = [image(0, ["1.2.3"], 300), image(1, ["1.2.4"], 400), image(2, ["sha-" + hex(2), "2.0.0"], 2)];
  // Alone it keeps a year; on a commit image the commit kind decides (within the newest 100: kept).
  expect(decide(scheme, images).decisions.map((d) => d.expired)).toEqual([false, true, false]);
});
