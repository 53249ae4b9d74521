/**
 * ECR003 simulates a policy on synthetic probe images instead of real ones. These properties show
 * that the probes raise no false alarm on well-formed policies and miss no protected image that
 * some repository content would lose.
 */
import fc from "fast-check";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../lib/registry/lifecycle";
import { matchesPattern, type TagSelector } from "../../lib/registry/glob";
import { TAG_KINDS, TagScheme, type Retention, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { protectedTagPatterns } from "../../lib/checks/pack";
import { protectedTagExpiries } from "../../lib/checks/rules/ecr";
import { isValidLifecyclePolicy, ruleOfGenerated } from "../support/generated-lifecycle-rules";

const KEEP = 100_000;
const now = new Date("2024-06-15T12:00:00Z");
const PROTECTED = ["latest", "v*.*.*"];
const numRuns = 300;

const retention: fc.Arbitrary<Retention> = fc.oneof(
  fc.integer({ min: 1, max: 300 }).map((maxCount) => ({ maxCount })),
  fc.integer({ min: 1, max: 60 }).map((maxAgeDays) => ({ maxAgeDays })),
);

const schemes = fc
  .record({ use: fc.subarray([...TAG_KINDS], { minLength: 1 }), kinds: fc.tuple(...TAG_KINDS.map(() => fc.record({ protected: fc.boolean(), retention }))), catchAll: fc.option(retention, { nil: undefined }) })
  .map(({ use, kinds, catchAll }) => {
    const options = kinds.map((k): TagKindOptions => (k.protected ? { protected: true } : { protected: false, retention: k.retention }));
    return { scheme: new TagScheme("prop", { use, maxKindsPerImage: 2, kinds: Object.fromEntries(TAG_KINDS.map((name, i) => [name, options[i]!])) }), catchAll };
  });

const selectors: readonly TagSelector[] = [{ prefix: "a" }, { prefix: "MR-" }, { prefix: "v" }, { pattern: "a*" }, { pattern: "*1" }, { pattern: "v*.*" }, { pattern: "latest" }, { pattern: "v1.*" }, { pattern: "*" }];
const entry = fc.constantFrom(...selectors);
const rule = fc.record({
  selection: fc.oneof(
    { weight: 1, arbitrary: fc.constant({ tagStatus: "any" as const }) },
    { weight: 1, arbitrary: fc.constant({ tagStatus: "untagged" as const }) },
    { weight: 5, arbitrary: fc.uniqueArray(entry, { minLength: 1, maxLength: 2 }) },
  ),
  count: fc.oneof(
    fc.integer({ min: 1, max: 4 }).map((countNumber) => ({ countType: "imageCountMoreThan" as const, countNumber })),
    fc.constant({ countType: "imageCountMoreThan" as const, countNumber: KEEP }),
    fc.integer({ min: 1, max: 40 }).map((countNumber) => ({ countType: "sinceImagePushed" as const, countUnit: "days" as const, countNumber })),
  ),
});
/** Valid policies only (ECR003 reports invalid ones as such before simulating). */
const policies = fc
  .array(rule, { minLength: 1, maxLength: 5 })
  .map((list) => ({ rules: list.map(ruleOfGenerated) }))
  .filter(isValidLifecyclePolicy);

/** Repository content: each tag on one image at most, as in ECR. */
const tagPool = ["latest", "v1.2.3", "v2.0.10", "v1.0.0", "a1", "a", "ab", "MR-5", "MR-61", "v1.1", "x1", "sha-abc", "zzz", "vx"];
const worlds: fc.Arbitrary<LifecycleImage[]> = fc
  .array(fc.record({ tags: fc.subarray(tagPool, { maxLength: 3 }), age: fc.integer({ min: 0, max: 60 * 24 }) }), { maxLength: 12 })
  .map((list) => {
    const used = new Set<string>();
    return list.map(({ tags, age }, i) => {
      const own = tags.filter((t) => !used.has(t));
      own.forEach((t) => used.add(t));
      return { digest: `sha256:${i}`, tags: own, pushedAt: new Date(now.getTime() - age * 3_600_000) };
    });
  });

describe("ECR003 probes", () => {
  test("no finding on a policy derived from any tag scheme", () => {
    fc.assert(
      fc.property(schemes, ({ scheme, catchAll }) => {
        const doc = lifecyclePolicyFromTagScheme(scheme, { catchAll });
        expect(protectedTagExpiries(doc, protectedTagPatterns(scheme), KEEP)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  test("whenever some repository content loses a protected image, the probes flag that tag pattern", () => {
    let losses = 0;
    fc.assert(
      fc.property(policies, worlds, (doc, world) => {
        const lost = simulateLifecycle(doc, world, now).expired.flatMap((d) => PROTECTED.filter((p) => d.tags.some((t) => matchesPattern(t, p))));
        if (lost.length === 0) return;
        losses++;
        const flagged = protectedTagExpiries(doc, PROTECTED, KEEP).map((f) => f.pattern);
        for (const pattern of lost) expect(flagged).toContain(pattern);
      }),
      { numRuns },
    );
    expect(losses).toBeGreaterThan(numRuns / 10); // not vacuous
  });
});
