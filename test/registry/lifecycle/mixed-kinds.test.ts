import { ValidationError } from "../../../lib/core/errors";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../../lib/registry/lifecycle";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TagScheme, type TagKindOptions } from "../../../lib/registry/tag-scheme";

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
      kinds: {
        bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } },
        pipeline: { retention: { maxCount: 500 } },
        mergeRequest: { retention: { maxCount: 300 } },
        branch: { retention: { maxCount: 50 } },
      },
    });
    const images = Array.from({ length: 310 }, (_, i) => image(i, [`MR-${i}-${hex(i)}`], 40));
    const result = decide(scheme, images);
    // Each carries mergeRequest and bareSha ("*"): expired beyond the larger count (300), by the combination's own rule.
    expect(result.expired.map((d) => d.digest)).toEqual(images.slice(300).map((i) => i.digest));
    expect(result.expired[0]!.reason).toMatch(/^expired by rule \d+: it is #301 newest of the 310 images/);
  });

  test("{pipeline-…, sha-…}: expired only when both kinds would, so kept (a count and an age kind); with pipeline explicitly secondary the commit kind decides", () => {
    const old = image(0, ["pipeline-1001", `sha-${hex(0)}`], 30);
    const newer = Array.from({ length: 120 }, (_, i) => image(i + 1, [`sha-${hex(i + 1)}`], 1));
    // The pipeline kind is a normal kind: no ECR rule expires an image only when both a count and an age rule would.
    expect(decide(new TagScheme("dev/tags"), [old, ...newer]).decisions[0]).toMatchObject({ digest: "sha256:0", expired: false });
    // Waiving the guarantee is explicit: a secondary pipeline kind yields to the commit kind's count.
    const waived = new TagScheme("dev/tags", { kinds: { pipeline: { secondary: true } } });
    const result = decide(waived, [old, ...newer]);
    expect(result.decisions[0]).toMatchObject({ digest: "sha256:0", expired: true });
    expect(result.decisions[0]!.reason).toMatch(/^expired by rule \d+: it is #121 newest of the 121 images/);
    expect(decide(waived, [old, ...newer.slice(0, 50)]).decisions[0]).toMatchObject({ expired: false });
  });

  test("a pipeline kind given 90 days keeps {pipeline-…, MR-…} past the merge-request kind's 30 days (it was secondary by default and expired at 30)", () => {
    const scheme = new TagScheme("dev/tags", { kinds: { pipeline: { retention: { maxAgeDays: 90 } } } });
    expect(scheme.kind("pipeline").secondary).toBe(false);
    const images = [image(0, ["pipeline-1001", `MR-7-${hex(0)}`], 45), image(1, ["pipeline-1002", `MR-7-${hex(1)}`], 91), image(2, [`MR-8-${hex(2)}`], 45)];
    // 45 days: the pipeline kind keeps it; 91 days: both kinds would, expired; an MR image alone: its 30 days.
    expect(decide(scheme, images).decisions.map((d) => d.expired)).toEqual([false, true, true]);
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

test("the TSDoc semver example (TagSchemeProps.kinds), as written: never expired, also on a commit image beyond the newest 100", () => {
  const source = readFileSync(path.join(__dirname, "../../../lib/registry/tag-scheme.ts"), "utf8");
  const line = /^\s*\* kinds: (\{ semver: .*\})$/m.exec(source);
  expect(line).not.toBeNull();
  // The documented example, evaluated as written.
  const kinds = new Function(`return ${line![1]!};`)() as Record<string, TagKindOptions>;
  const scheme = new TagScheme("dev/tags", { kinds });
  const commits = Array.from({ length: 150 }, (_, i) => image(i + 10, [`sha-${hex(i + 10)}`], 1));
  const images: LifecycleImage[] = [image(0, ["1.2.3"], 400), image(1, [`sha-${hex(1)}`, "1.2.4"], 200), ...commits];
  const result = decide(scheme, images);
  expect(result.decisions.slice(0, 2).map((d) => d.expired)).toEqual([false, false]);
  // Not vacuous: the commit kind does expire plain commit images beyond its newest 100.
  expect(result.expired.length).toBeGreaterThan(0);
  // A year by age as a primary kind is refused: "*.*.*" also selects sha-1.2.3 of the commit kind (by count).
  expect(() => new TagScheme("dev/tags", { use: ["commit"], kinds: { semver: { pattern: "*.*.*", retention: { maxAgeDays: 365 } } } })).toThrow(
    /kinds\/semver: invalid selector "\*\.\*\.\*".*and "commit" \(count: the newest 100, prefix "sha-"\)/,
  );
});

describe("a kind that selects every tag (pattern *) on top of maxKindsPerImage", () => {
  const scheme = new TagScheme("dev/tags", {
    use: ["latest"],
    maxKindsPerImage: 2,
    kinds: { a: { prefix: "a-", retention: { maxCount: 5 } }, b: { prefix: "b-", retention: { maxCount: 10 } }, everything: { pattern: "*", retention: { maxCount: 20 } } },
  });
  const images = Array.from({ length: 15 }, (_, i) => image(i, [`a-${i}`, `b-${i}`], 1));

  test("{a-…, b-…} also carries the * kind: kept within its newest 20 (the {a, b} rule claimed it first and expired beyond 10)", () => {
    expect(decide(scheme, images).expired).toEqual([]);
    // Beyond every kind's count (20), it is expired.
    const more = Array.from({ length: 25 }, (_, i) => image(i, [`a-${i}`, `b-${i}`], 1));
    expect(decide(scheme, more).expired.map((d) => d.digest)).toEqual(more.slice(20).map((i) => i.digest));
  });

  test("every combination rule carries the * kind, combinations of up to maxKindsPerImage other kinds", () => {
    const combos = lifecyclePolicyFromTagScheme(scheme).rules.filter((r) => (r.selection.tagPatternList?.length ?? 0) > 1).map((r) => r.selection.tagPatternList);
    expect(combos).toEqual([
      ["a-*", "b-*", "*"],
      ["a-*", "*"],
      ["b-*", "*"],
    ]);
  });
});
