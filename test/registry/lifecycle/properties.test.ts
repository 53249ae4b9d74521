import fc from "fast-check";
import { matchesSelector, type TagSelector } from "../../../lib/registry/glob";
import {
  lifecyclePolicyFromTagScheme,
  ruleSelectors,
  simulateLifecycle,
  type LifecycleImage,
  type LifecycleRule,
  type LifecycleSelection,
} from "../../../lib/registry/lifecycle";
import { DEFAULT_TAG_KINDS, TAG_KINDS, TagScheme, type Retention, type TagKindOptions } from "../../../lib/registry/tag-scheme";

const HOUR = 3_600_000;
const now = new Date("2024-06-15T12:00:00Z");
const numRuns = 200;

/** Independent oracle: does `rule` select an image with these tags? (AND over list entries.) */
function selects(rule: LifecycleRule, tags: readonly string[]): boolean {
  const { tagStatus } = rule.selection;
  if (tagStatus === "any") return true;
  if (tagStatus === "untagged") return tags.length === 0;
  return tags.length > 0 && ruleSelectors(rule).every((entry) => tags.some((tag) => matchesSelector(tag, entry)));
}

const tagChar = fc.constantFrom(..."av1.-_");
const token = fc.oneof(
  fc.integer({ min: 1, max: 999 }).map(String),
  fc.constantFrom("main", "feature-x", "v1.2.3", "v10.0.1", "latest", "1.2", "abc123"),
  fc.string({ unit: tagChar, minLength: 1, maxLength: 5 }),
);
/** A tag CI would write for some kind: its ciTag with the GitLab variables filled in. */
const ciTag = fc.tuple(fc.constantFrom(...TAG_KINDS), token).map(([kind, value]) => DEFAULT_TAG_KINDS[kind].ciTag.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, value));
const otherTag = fc.string({ unit: tagChar, minLength: 1, maxLength: 8 });
/** Tags of protected kinds of the default scheme, so that images mixing protected and unprotected tags are frequent. */
const releaseTag = fc.constantFrom("latest", "v1.2.3", "v2.0.10");
const tags = fc.oneof(fc.constant([]), fc.uniqueArray(fc.oneof(ciTag, ciTag, releaseTag, otherTag), { minLength: 1, maxLength: 4 }));

const images: fc.Arbitrary<LifecycleImage[]> = fc
  .array(fc.record({ tags, pushed: fc.integer({ min: 0, max: 60 * 24 }), pulled: fc.option(fc.integer({ min: 0, max: 60 * 24 }), { nil: undefined }) }), { maxLength: 40, size: "medium" })
  .map((list) =>
    list.map(({ tags, pushed, pulled }, i) => ({
      digest: `sha256:${i}`,
      tags,
      pushedAt: new Date(now.getTime() - pushed * HOUR),
      ...(pulled === undefined ? {} : { lastPulledAt: new Date(now.getTime() - Math.min(pulled, pushed) * HOUR) }),
    })),
  );

const retention: fc.Arbitrary<Retention> = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map((maxCount) => ({ maxCount })),
  fc.integer({ min: 1, max: 40 }).map((maxAgeDays) => ({ maxAgeDays })),
);

/** A customised tag scheme: kinds used, which are protected, retentions, untagged expiry, catch-all. */
const schemes = fc
  .record({
    use: fc.subarray([...TAG_KINDS], { minLength: 1 }),
    kinds: fc.tuple(...TAG_KINDS.map(() => fc.record({ protected: fc.boolean(), retention }))),
    untaggedExpiryDays: fc.integer({ min: 1, max: 10 }),
    catchAll: fc.option(retention, { nil: undefined }),
  })
  .map(({ use, kinds, untaggedExpiryDays, catchAll }) => {
    const options = kinds.map((k): TagKindOptions => (k.protected ? { protected: true } : { protected: false, retention: k.retention }));
    const scheme = new TagScheme("prop/tags", { use, untaggedExpiryDays, maxKindsPerImage: 2, kinds: Object.fromEntries(TAG_KINDS.map((name, i) => [name, options[i]!])) });
    return { scheme, catchAll };
  });

const selectors: readonly TagSelector[] = [{ prefix: "a" }, { prefix: "MR-" }, { prefix: "v" }, { pattern: "a*" }, { pattern: "*1" }, { pattern: "v*.*" }, { pattern: "latest" }];
const selection: fc.Arbitrary<Pick<LifecycleSelection, "tagStatus" | "tagPrefixList" | "tagPatternList">> = fc.oneof(
  fc.constant({ tagStatus: "any" as const }),
  fc.constant({ tagStatus: "untagged" as const }),
  fc.subarray([...selectors], { minLength: 1, maxLength: 2 }).map((list) =>
    "prefix" in list[0]! ? { tagStatus: "tagged" as const, tagPrefixList: list.map((s) => ("prefix" in s ? s.prefix : `${s.pattern}`)) } : { tagStatus: "tagged" as const, tagPatternList: list.map((s) => ("prefix" in s ? `${s.prefix}*` : s.pattern)) },
  ),
);
const count: fc.Arbitrary<Pick<LifecycleSelection, "countType" | "countUnit" | "countNumber">> = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map((countNumber) => ({ countType: "imageCountMoreThan" as const, countNumber })),
  fc.tuple(fc.constantFrom("sinceImagePushed" as const, "sinceImagePulled" as const), fc.integer({ min: 1, max: 40 })).map(([countType, countNumber]) => ({ countType, countUnit: "days" as const, countNumber })),
);
const rules: fc.Arbitrary<LifecycleRule[]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 6 })
  .chain((priorities) => fc.tuple(...priorities.map((rulePriority) => fc.record({ selection, count }).map(({ selection, count }): LifecycleRule => ({ rulePriority, selection: { ...selection, ...count }, action: { type: "expire" } })))));

describe("lifecycle properties", () => {
  it("(a) a policy derived from any tag scheme never expires an image carrying a protected tag", () => {
    const seen = { mixedImages: 0, expired: 0 };
    fc.assert(
      fc.property(schemes, images, ({ scheme, catchAll }, images) => {
        const result = simulateLifecycle(lifecyclePolicyFromTagScheme(scheme, { catchAll }), images, now);
        const protectedSelectors = scheme.protectedKinds.map((k) => k.selector);
        const isProtected = (tagList: readonly string[]) => tagList.some((tag) => protectedSelectors.some((s) => matchesSelector(tag, s)));
        seen.mixedImages += images.filter((image) => isProtected(image.tags) && image.tags.some((tag) => scheme.classify(tag)?.protected === false)).length;
        seen.expired += result.expired.length;
        expect(result.expired.filter((d) => isProtected(d.tags))).toEqual([]);
      }),
      { numRuns },
    );
    // The property is not vacuous: images mixing protected and unprotected tags were generated, and images expired.
    expect(seen.mixedImages).toBeGreaterThan(numRuns / 4);
    expect(seen.expired).toBeGreaterThan(numRuns);
  });

  it("(b) every image is claimed by at most one rule: the first rule, by priority, that selects it", () => {
    fc.assert(
      fc.property(rules, images, (rules, images) => {
        const result = simulateLifecycle({ rules }, images, now);
        const byPriority = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
        expect(result.decisions.map((d) => d.digest)).toEqual(images.map((i) => i.digest));
        expect([...result.expired, ...result.kept].map((d) => d.digest).sort()).toEqual(images.map((i) => i.digest).sort());
        result.decisions.forEach((decision, i) => {
          const first = byPriority.find((rule) => selects(rule, images[i]!.tags));
          expect(decision.rule?.rulePriority).toBe(first?.rulePriority);
          if (decision.expired) expect(decision.rule).toBeDefined();
        });
      }),
      { numRuns },
    );
  });

  it("(c) a single imageCountMoreThan N rule expires exactly max(0, selected - N) images, the oldest ones", () => {
    fc.assert(
      fc.property(selection, fc.integer({ min: 1, max: 10 }), images, (selection, countNumber, images) => {
        const rule: LifecycleRule = { rulePriority: 1, selection: { ...selection, countType: "imageCountMoreThan", countNumber }, action: { type: "expire" } };
        const result = simulateLifecycle({ rules: [rule] }, images, now);
        const selected = images.filter((image) => selects(rule, image.tags));
        const expired = new Set(result.expired.map((d) => d.digest));
        expect(expired.size).toBe(Math.max(0, selected.length - countNumber));
        const pushed = (list: readonly LifecycleImage[]) => list.map((image) => image.pushedAt.getTime());
        const expiredImages = selected.filter((image) => expired.has(image.digest));
        expect(expiredImages).toHaveLength(expired.size);
        const keptSelected = selected.filter((image) => !expired.has(image.digest));
        expect(Math.max(...pushed(expiredImages))).toBeLessThanOrEqual(Math.min(...pushed(keptSelected)));
      }),
      { numRuns },
    );
  });
});
