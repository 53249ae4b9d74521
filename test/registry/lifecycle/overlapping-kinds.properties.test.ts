import fc from "fast-check";
import { ValidationError } from "../../../lib/core/errors";
import {
  lifecyclePolicyFromTagScheme,
  simulateLifecycle,
  type LifecycleImage,
} from "../../../lib/registry/lifecycle";
import { selectsEveryTag } from "../../../lib/registry/lifecycle/scheme-policy";
import {
  type Retention,
  TagScheme,
  type TagKindOptions,
} from "../../../lib/registry/tag-scheme";
import {
  carriedKinds,
  DAY,
  decidingKinds,
  kindExpires,
  NOW,
  tagOf,
} from "./support/retention-oracle";
import { violationOf } from "../../support/synth";

/*
 * Tags that one selector after another also selects: prefixes a, ab and abc, the semver pattern
 * *.*.*, release candidates *-rc* and an unprotected release kind v*.*.*, so that one tag (abc-1,
 * v1.2.3-rc1) carries up to five kinds. A tag can carry more kinds than maxKindsPerImage, and
 * combination rules then cover only some of them: the first rule that selects the image decides.
 * The guarantee holds for every single-tag image of an accepted scheme, whatever the bound: it
 * is expired only when every kind it carries would expire it. Schemes where the policy cannot
 * keep that promise must be refused.
 */
const OVERLAPPING: Readonly<Record<string, TagKindOptions>> = {
  a: { prefix: "a" },
  ab: { prefix: "ab" },
  abc: { prefix: "abc" },
  semver: { pattern: "*.*.*" },
  rc: { pattern: "*-rc*" },
};
/** Fragments that make a kind's tag also match the other selectors: abc…, …-rc…, ….1.2. */
const FRAGMENTS = ["", "b", "bc", "bc-rc", "1-rc", ".1.2-rc", "1.2", "-rc1.2."];

const retention = (type: "count" | "age"): fc.Arbitrary<Retention> =>
  type === "age"
    ? fc.integer({ min: 1, max: 15 }).map((maxAgeDays) => ({ maxAgeDays }))
    : fc.integer({ min: 1, max: 4 }).map((maxCount) => ({ maxCount }));

type Generated = { scheme: TagScheme } | { refused: ValidationError };

const schemes = (retentionType: "count" | "age"): fc.Arbitrary<Generated> =>
  fc
    .record({
      type: fc.constant(retentionType),
      order: fc.shuffledSubarray(Object.keys(OVERLAPPING), { minLength: 2 }),
      release: fc.boolean(),
      maxKindsPerImage: fc.integer({ min: 1, max: 3 }),
    })
    .chain(({ type, order, release, maxKindsPerImage }) =>
      fc
        .tuple(
          fc.array(retention(type), {
            minLength: order.length + 1,
            maxLength: order.length + 1,
          })
        )
        .map(([retentions]): Generated => {
          const kinds: Record<string, TagKindOptions> = {};
          order.forEach(
            (name, i) =>
              (kinds[name] = {
                ...OVERLAPPING[name],
                retention: retentions[i]!,
              })
          );
          if (release)
            kinds.release = {
              protected: false,
              retention: retentions[order.length]!,
            };
          try {
            return {
              scheme: new TagScheme("prop/tags", {
                use: release ? ["release"] : ["latest"],
                kinds,
                maxKindsPerImage,
              }),
            };
          } catch (error) {
            if (error instanceof ValidationError) return { refused: error };
            throw error;
          }
        })
    );

/** Single-tag images, each tag one kind's selector filled with a fragment that may reach further selectors. */
function images(scheme: TagScheme): fc.Arbitrary<LifecycleImage[]> {
  const retained = scheme.retainedKinds;
  return fc
    .array(
      fc.record({
        kind: fc.integer({ min: 0, max: retained.length - 1 }),
        fragment: fc.constantFrom(...FRAGMENTS),
        ageHours: fc.integer({ min: 0, max: 20 * 24 }),
      }),
      { minLength: 3, maxLength: 25 }
    )
    .map((list) =>
      list.map(
        ({ kind, fragment, ageHours }, i): LifecycleImage => ({
          digest: `sha256:${i}`,
          tags: [tagOf(retained[kind]!, `${fragment}${i}`)],
          pushedAt: new Date(NOW.getTime() - ageHours * 3_600_000),
        })
      )
    );
}

describe.each(["age", "count"] as const)(
  "retention of tags that match three or more overlapping %s kinds (generated policy, offline simulator)",
  (retentionType) => {
    it("an image whose one tag matches more kinds than maxKindsPerImage is expired only when every kind would expire it; schemes that cannot promise it are refused", () => {
      const seen = {
        beyondBound: 0,
        beyondBoundExpired: 0,
        refusedForKindsPerTag: 0,
        accepted: 0,
      };
      fc.assert(
        fc.property(
          schemes(retentionType).chain((g) =>
            "scheme" in g && g.scheme.retainedKinds.length > 0
              ? fc.tuple(fc.constant(g), images(g.scheme))
              : fc.tuple(fc.constant(g), fc.constant([] as LifecycleImage[]))
          ),
          ([generated, imgs]) => {
            if ("refused" in generated) {
              if (
                /more kinds than maxKindsPerImage/.test(generated.refused.rule)
              )
                seen.refusedForKindsPerTag++;
              return;
            }
            const scheme = generated.scheme;
            seen.accepted++;
            const result = simulateLifecycle(
              lifecyclePolicyFromTagScheme(scheme),
              imgs,
              NOW
            );
            result.decisions.forEach((decision, i) => {
              const image = imgs[i]!;
              const deciding = decidingKinds(carriedKinds(scheme, image));
              const beyond =
                deciding.filter((k) => !selectsEveryTag(k)).length >
                scheme.maxKindsPerImage;
              if (beyond) seen.beyondBound++;
              if (!decision.expired) return;
              if (beyond) seen.beyondBoundExpired++;
              const wouldExpire = deciding.map((kind) => ({
                kind: kind.name,
                wouldExpire: kindExpires(kind, image, imgs),
              }));
              expect({
                tags: image.tags,
                days: (NOW.getTime() - image.pushedAt.getTime()) / DAY,
                rule: decision.rule,
                wouldExpire,
              }).toEqual({
                tags: image.tags,
                days: (NOW.getTime() - image.pushedAt.getTime()) / DAY,
                rule: decision.rule,
                wouldExpire: wouldExpire.map((w) => ({
                  ...w,
                  wouldExpire: true,
                })),
              });
            });
          }
        ),
        { numRuns: 400, seed: 20261130 }
      );
      // Not vacuous: accepted schemes had tags beyond the bound, some of them expired (correctly), and schemes were refused for it.
      // Count kinds beyond the bound are accepted only for nested selectors with the largest count first, so they are rarer.
      const least =
        retentionType === "age"
          ? {
              accepted: 100,
              beyondBound: 100,
              beyondBoundExpired: 20,
              refusedForKindsPerTag: 20,
            }
          : {
              accepted: 50,
              beyondBound: 5,
              beyondBoundExpired: 0,
              refusedForKindsPerTag: 50,
            };
      for (const key of Object.keys(least) as (keyof typeof least)[])
        expect({ key, more: seen[key] > least[key] }).toEqual({
          key,
          more: true,
        });
    });
  }
);

describe("three kinds on one tag with maxKindsPerImage 2", () => {
  const pushed = (tag: string, days: number): LifecycleImage => ({
    digest: `sha256:${tag}`,
    tags: [tag],
    pushedAt: new Date(NOW.getTime() - days * DAY),
  });
  const expiredTags = (scheme: TagScheme, images: LifecycleImage[]) =>
    simulateLifecycle(
      lifecyclePolicyFromTagScheme(scheme),
      images,
      NOW
    ).expired.map((d) => d.tags[0]);

  test("prefixes a, ab, abc at 10, 20, 30 days: refused (the a + ab rule would expire abc-1 at day 25); listed abc first, abc-1 is kept until day 30", () => {
    const kinds = (order: string[]) =>
      Object.fromEntries(
        order.map((name) => [
          name,
          {
            prefix: name,
            retention: { maxAgeDays: { a: 10, ab: 20, abc: 30 }[name]! },
          },
        ])
      );
    const error = violationOf(
      () =>
        new TagScheme("test/tagScheme", {
          use: ["latest"],
          maxKindsPerImage: 2,
          kinds: kinds(["a", "ab", "abc"]),
        })
    );
    expect(error).toMatchObject({
      path: "test/tagScheme/kinds/abc",
      subject: "selector",
      value: "abc*",
    });
    expect(error.rule).toMatch(
      /one tag can match 3 kinds, "a" \(prefix "a", age: 10 days\), "ab" .*"abc" .*more kinds than maxKindsPerImage 2; .*the first rule that selects such an image is the one for a \+ ab \(age: 20 days\), which would expire it before "abc"'s 30 days/
    );
    expect(error.fix).toMatch(
      /raise maxKindsPerImage to 3, make the selectors disjoint, or mark a kind `secondary: true`; or define "abc" before the other kinds of your own/
    );
    const ordered = new TagScheme("test/tagScheme", {
      use: ["latest"],
      maxKindsPerImage: 2,
      kinds: kinds(["abc", "ab", "a"]),
    });
    expect(
      expiredTags(ordered, [
        pushed("abc-1", 25),
        pushed("abc-2", 31),
        pushed("ab-3", 25),
        pushed("a-4", 11),
      ])
    ).toEqual(["abc-2", "ab-3", "a-4"]);
    expect(
      () =>
        new TagScheme("test/tagScheme", {
          use: ["latest"],
          maxKindsPerImage: 3,
          kinds: kinds(["a", "ab", "abc"]),
        })
    ).not.toThrow();
  });

  test("release (unprotected, 30 d), *.*.* (365 d) and *-rc* (400 d): refused (v1.2.3-rc1 would expire at day 380); *-rc* listed first keeps it to day 400", () => {
    const release = { protected: false, retention: { maxAgeDays: 30 } };
    const semver = { pattern: "*.*.*", retention: { maxAgeDays: 365 } };
    const rc = { pattern: "*-rc*", retention: { maxAgeDays: 400 } };
    const error = violationOf(
      () =>
        new TagScheme("test/tagScheme", {
          use: ["release"],
          maxKindsPerImage: 2,
          kinds: { release, semver, rc },
        })
    );
    expect(error).toMatchObject({
      path: "test/tagScheme/kinds/rc",
      value: "*-rc*",
    });
    expect(error.rule).toMatch(
      /the first rule that selects such an image is the one for release \+ semver \(age: 365 days\), which would expire it before "rc"'s 400 days/
    );
    const ordered = new TagScheme("test/tagScheme", {
      use: ["release"],
      maxKindsPerImage: 2,
      kinds: { release, rc, semver },
    });
    expect(
      expiredTags(ordered, [
        pushed("v1.2.3-rc1", 380),
        pushed("v1.2.4-rc1", 401),
        pushed("v1.2.5", 366),
        pushed("v1.2.6", 364),
      ])
    ).toEqual(["v1.2.4-rc1", "v1.2.5"]);
  });

  test("count kinds on one tag beyond the bound: refused unless the first rule keeps the largest count and each kind it leaves out selects its tags (abc… are a…)", () => {
    const counts = {
      abc: { prefix: "abc", retention: { maxCount: 3 } },
      ab: { prefix: "ab", retention: { maxCount: 2 } },
      a: { prefix: "a", retention: { maxCount: 1 } },
    };
    // abc + ab (newest 3) leaves out a: every abc… image carries an a… tag, ranked no better among them: accepted.
    expect(
      () =>
        new TagScheme("test/tagScheme", {
          use: ["latest"],
          maxKindsPerImage: 2,
          kinds: counts,
        })
    ).not.toThrow();
    // Listed a, ab, abc: the a + ab rule keeps the newest 2, short of abc's 3.
    const reversed = { a: counts.a, ab: counts.ab, abc: counts.abc };
    expect(
      violationOf(
        () =>
          new TagScheme("test/tagScheme", {
            use: ["latest"],
            maxKindsPerImage: 2,
            kinds: reversed,
          })
      ).path
    ).toBe("test/tagScheme/kinds/abc");
    // v*.*.*, *.*.* and *-rc* select no subset of one another: v1.2.3-rc1 ranked among release + semver images may be within rc's newest 5.
    const error = violationOf(
      () =>
        new TagScheme("test/tagScheme", {
          use: ["release"],
          maxKindsPerImage: 2,
          kinds: {
            release: { protected: false, retention: { maxCount: 5 } },
            semver: { pattern: "*.*.*", retention: { maxCount: 5 } },
            rc: { pattern: "*-rc*", retention: { maxCount: 5 } },
          },
        })
    );
    expect(error).toMatchObject({ path: "test/tagScheme/kinds/rc" });
    expect(error.rule).toMatch(
      /one tag can match 3 kinds, .*the one for release \+ semver \(count: the newest 5\), which ranks the image among the images carrying those kinds only, so it can expire an image within the newest 5 of "rc"/
    );
  });
});
