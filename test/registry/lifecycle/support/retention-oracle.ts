import fc from "fast-check";
import { ValidationError } from "../../../../lib/core/errors";
import { matchesSelector } from "../../../../lib/registry/glob";
import { type LifecycleImage } from "../../../../lib/registry/lifecycle";
import { type Retention, type TagKind, type TagKindName, TagScheme, type TagKindOptions } from "../../../../lib/registry/tag-scheme";

/*
 * An oracle for the retention of images carrying tags of several kinds, independent of the policy
 * generator and of rule order: it judges each kind alone, from the kind's selector and retention.
 */
export const DAY = 86_400_000;
export const NOW = new Date("2026-06-15T12:00:00Z");

/** The kinds whose selector matches one of the image's tags. */
export function carriedKinds(scheme: TagScheme, image: LifecycleImage): TagKind[] {
  return scheme.kinds.filter((k) => image.tags.some((t) => matchesSelector(t, k.selector)));
}

/**
 * The kinds the guarantee covers on the image: every retained kind it carries that is not
 * `secondary` (an explicit waiver). The image may be expired only when each of them would expire it.
 */
export function guaranteedKinds(carried: readonly TagKind[]): TagKind[] {
  return carried.filter((k) => !k.protected && !k.secondary);
}

/** The kinds whose retention decides for the image: its primary retained kinds, or if none, its secondary ones. */
export function decidingKinds(carried: readonly TagKind[]): TagKind[] {
  const retained = carried.filter((k) => !k.protected);
  const primary = retained.filter((k) => !k.secondary);
  return primary.length > 0 ? primary : retained;
}

/** Images carrying a tag of every kind in `kinds`, newest first (ties: input order), as ECR ranks them. */
function carriersOf(kinds: readonly TagKind[], images: readonly LifecycleImage[]): LifecycleImage[] {
  return images
    .map((img, i) => ({ img, i }))
    .filter(({ img }) => kinds.every((kind) => img.tags.some((t) => matchesSelector(t, kind.selector))))
    .sort((a, b) => b.img.pushedAt.getTime() - a.img.pushedAt.getTime() || a.i - b.i)
    .map(({ img }) => img);
}

/** 1-based rank of `image` among the images carrying every kind of `kinds`. */
export function rankAmong(kinds: readonly TagKind[], image: LifecycleImage, images: readonly LifecycleImage[]): number {
  return carriersOf(kinds, images).indexOf(image) + 1;
}

/** Would `kind` alone expire `image`? Age: pushed more than N days ago. Count: beyond the newest N images carrying the kind. */
export function kindExpires(kind: TagKind, image: LifecycleImage, images: readonly LifecycleImage[], now: Date = NOW): boolean {
  const r = kind.retention!;
  if ("maxAgeDays" in r) return now.getTime() - image.pushedAt.getTime() > r.maxAgeDays * DAY;
  return rankAmong([kind], image, images) > r.maxCount;
}

const retention: fc.Arbitrary<Retention> = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map((maxCount) => ({ maxCount })),
  fc.integer({ min: 1, max: 12 }).map((maxAgeDays) => ({ maxAgeDays })),
);

const BUILT_IN: TagKindName[] = ["pipeline", "mergeRequest", "commit", "branch", "inputs", "latest", "release"];
/** Kinds of one's own that overlap others: semver (`*.*.*` also matches `v1.2.3`), bare SHAs (`*` matches every tag), nightly (disjoint). */
const CUSTOM: Readonly<Record<string, TagKindOptions>> = {
  semver: { pattern: "*.*.*" },
  bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}" },
  nightly: { prefix: "nightly-" },
};
const KIND_NAMES = [...BUILT_IN, ...Object.keys(CUSTOM)];

/** A generated tag scheme: accepted, or refused with the error and the options that were refused. */
export type GeneratedScheme = { readonly scheme: TagScheme } | { readonly refused: ValidationError; readonly kinds: Record<string, TagKindOptions> };

/**
 * Tag schemes over the built-in kinds and three overlapping kinds of one's own, with random
 * retentions (half of the time all of one type, so that wide selectors are accepted too),
 * protection, secondary kinds and 1-3 kinds per image.
 */
export const generatedSchemes: fc.Arbitrary<GeneratedScheme> = fc
  .record({
    use: fc.subarray(BUILT_IN, { minLength: 1 }),
    custom: fc.subarray(Object.keys(CUSTOM)),
    options: fc.tuple(...KIND_NAMES.map(() => fc.record({ protected: fc.boolean(), secondary: fc.integer({ min: 0, max: 4 }), retention }))),
    oneType: fc.constantFrom<"count" | "age" | undefined>(undefined, undefined, "count", "age"),
    maxKindsPerImage: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ use, custom, options, oneType, maxKindsPerImage }): GeneratedScheme => {
    const kinds: Record<string, TagKindOptions> = {};
    KIND_NAMES.forEach((name, i) => {
      if (!(use as readonly string[]).includes(name) && !custom.includes(name)) return;
      const o = options[i]!;
      const r = oneType === undefined ? o.retention : oneType === ("maxCount" in o.retention ? "count" : "age") ? o.retention : "maxCount" in o.retention ? { maxAgeDays: o.retention.maxCount } : { maxCount: o.retention.maxAgeDays };
      // A protected "*" or semver next to an unprotected release would keep other kinds' images forever (refused elsewhere): not generated.
      const protect = o.protected && name !== "bareSha" && !(name === "semver" && use.includes("release"));
      kinds[name] = { ...CUSTOM[name], ...(protect ? { protected: true } : { protected: false, retention: r, ...(o.secondary < 2 ? { secondary: o.secondary === 0 } : {}) }) };
    });
    try {
      return { scheme: new TagScheme("prop/tags", { use, kinds, maxKindsPerImage }) };
    } catch (error) {
      if (error instanceof ValidationError) return { refused: error, kinds };
      throw error;
    }
  });

/** A concrete tag of a kind: its selector with the wildcards filled in. */
export function tagOf(kind: TagKind, token: string): string {
  return "prefix" in kind.selector ? `${kind.selector.prefix}${token}` : kind.selector.pattern.split("*").join(token);
}

/** Images carrying tags of 1-3 of the scheme's kinds (each tag on one image only, as in ECR), pushed up to 20 days ago. */
export function images(scheme: TagScheme): fc.Arbitrary<LifecycleImage[]> {
  return fc
    .array(
      fc.record({
        kinds: fc.uniqueArray(fc.integer({ min: 0, max: scheme.kinds.length - 1 }), { minLength: 1, maxLength: 3 }),
        ageHours: fc.integer({ min: 0, max: 20 * 24 }),
      }),
      { minLength: 4, maxLength: 30 },
    )
    .map((list) =>
      list.map(({ kinds, ageHours }, i): LifecycleImage => ({
        digest: `sha256:${i}`,
        tags: kinds.map((k) => tagOf(scheme.kinds[k]!, `${i}.${k}.0`)),
        pushedAt: new Date(NOW.getTime() - ageHours * 3_600_000),
      })),
    );
}
