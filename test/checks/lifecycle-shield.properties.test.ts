/**
 * ECR003's shortcut (lib/checks/rules/lifecycle-shield.ts): a policy whose keep rules shield every
 * protected pattern is not simulated. These tests show the shortcut is only taken where the
 * simulation finds nothing, over random policies, protected patterns and keep counts (small ones
 * included, where a "keep" count can be exceeded by the simulation's own images), and that it is
 * taken for every policy a tag scheme derives.
 */
import fc from "fast-check";
import { lifecyclePolicyFromTagScheme, validateLifecyclePolicy, type LifecyclePolicyDocument, type LifecycleRule } from "../../lib/registry/lifecycle";
import { TAG_KINDS, TagScheme, type Retention, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { protectedTagPatterns } from "../../lib/checks/pack";
import { protectedTagExpiries } from "../../lib/checks/rules/ecr";
import { keepRulesShield } from "../../lib/checks/rules/lifecycle-shield";
import { isValidLifecyclePolicy, ruleOfGenerated } from "../support/generated-lifecycle-rules";

const KEEP = 100_000;

/** Selectors, the protected patterns among them, as patterns and as the equivalent prefixes. */
const PATTERNS = ["latest", "v*.*.*", "v*", "MR-*", "*", "a*", "*1", "v1.*"];
const selectorEntry = fc.oneof(
  fc.constantFrom(...PATTERNS).map((pattern) => ({ pattern })),
  fc.constantFrom("v", "MR-", "a", "").map((prefix) => ({ prefix })),
);
const countFor = (keep: number) =>
  fc.oneof(
    fc.integer({ min: 1, max: 6 }).map((countNumber) => ({ countType: "imageCountMoreThan" as const, countNumber })),
    fc.constantFrom(keep, keep + 1, KEEP).map((countNumber) => ({ countType: "imageCountMoreThan" as const, countNumber })),
    fc.integer({ min: 1, max: 40 }).map((countNumber) => ({ countType: "sinceImagePushed" as const, countUnit: "days" as const, countNumber })),
  );
const ruleFor = (keep: number) =>
  fc.record({
    selection: fc.oneof(
      { weight: 1, arbitrary: fc.constant({ tagStatus: "any" as const }) },
      { weight: 1, arbitrary: fc.constant({ tagStatus: "untagged" as const }) },
      { weight: 6, arbitrary: fc.array(selectorEntry, { minLength: 1, maxLength: 2 }) },
    ),
    count: countFor(keep),
  });

/** Valid policies (ECR003 reports invalid ones before simulating) with their keep count and protected patterns. */
const cases = fc
  .constantFrom(1, 2, 3, 5, KEEP)
  .chain((keep) =>
    fc.record({
      keep: fc.constant(keep),
      protectedTags: fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 0, maxLength: 3 }),
      rules: fc.array(ruleFor(keep), { minLength: 1, maxLength: 7 }),
    }),
  )
  .map(({ keep, protectedTags, rules }) => ({ keep, protectedTags, doc: { rules: rules.map(ruleOfGenerated) } }))
  .filter(({ doc }) => isValidLifecyclePolicy(doc));

describe("ECR003's keep-rule shortcut", () => {
  test("taken only where the probe simulation finds no protected expiry", () => {
    let shielded = 0;
    let simulatedExpiries = 0;
    fc.assert(
      fc.property(cases, ({ keep, protectedTags, doc }) => {
        const expiries = protectedTagExpiries(doc, protectedTags, keep);
        if (expiries.length > 0) simulatedExpiries++;
        if (!keepRulesShield(doc, protectedTags, keep)) return;
        shielded++;
        expect(expiries).toEqual([]);
      }),
      { numRuns: 1500 },
    );
    // Not vacuous: the shortcut is taken often, and the simulation does find expiries in the same space.
    expect(shielded).toBeGreaterThan(100);
    expect(simulatedExpiries).toBeGreaterThan(100);
  });

  test("a keep rule whose count the simulation's own images exceed is not a keep rule (keep count 3, three fillers it selects)", () => {
    const rule = (rulePriority: number, pattern: string, countNumber: number): LifecycleRule => ({
      rulePriority,
      selection: { tagStatus: "tagged", tagPatternList: [pattern], countType: "imageCountMoreThan", countNumber },
      action: { type: "expire" },
    });
    const doc: LifecyclePolicyDocument = { rules: [rule(1, "v*", 3), rule(2, "v1*", 2), rule(3, "v2*", 2), rule(4, "v3*", 2)] };
    validateLifecyclePolicy("named", doc);
    // Rule 1 counts 3 >= the keep count 3, yet the probe and one filler per later rule make 4 images it selects.
    expect(protectedTagExpiries(doc, ["v*"], 3).map((e) => e.pattern)).toEqual(["v*"]);
    expect(keepRulesShield(doc, ["v*"], 3)).toBe(false);
    // With a count above every simulation's images, rule 1 shields "v*" and the simulation agrees.
    const high: LifecyclePolicyDocument = { rules: [rule(1, "v*", 5), ...doc.rules.slice(1)] };
    expect(keepRulesShield(high, ["v*"], 3)).toBe(true);
    expect(protectedTagExpiries(high, ["v*"], 3)).toEqual([]);
  });

  test("a rule before the keep rule that can expire, a keep rule with a second selector, or a prefix holding '*' is not a shield", () => {
    const keep = (rulePriority: number, selection: Partial<LifecycleRule["selection"]>): LifecycleRule => ({
      rulePriority,
      selection: { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: KEEP, ...selection },
      action: { type: "expire" },
    });
    const mr: LifecycleRule = { rulePriority: 1, selection: { tagStatus: "tagged", tagPrefixList: ["MR-"], countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }, action: { type: "expire" } };
    expect(keepRulesShield({ rules: [mr, keep(2, { tagPatternList: ["latest"] })] }, ["latest"], KEEP)).toBe(false);
    expect(keepRulesShield({ rules: [keep(1, { tagPatternList: ["latest", "v*"] })] }, ["latest"], KEEP)).toBe(false);
    expect(keepRulesShield({ rules: [keep(1, { tagPrefixList: ["v*"] })] }, ["v**"], KEEP)).toBe(false);
    expect(keepRulesShield({ rules: [keep(1, { tagPrefixList: ["v"] }), { ...mr, rulePriority: 2 }] }, ["v*"], KEEP)).toBe(true);
  });

  test("taken for every policy a tag scheme derives, with the scheme's protected kinds", () => {
    const retention: fc.Arbitrary<Retention> = fc.oneof(
      fc.integer({ min: 1, max: 300 }).map((maxCount) => ({ maxCount })),
      fc.integer({ min: 1, max: 60 }).map((maxAgeDays) => ({ maxAgeDays })),
    );
    const schemes = fc
      .record({ use: fc.subarray([...TAG_KINDS], { minLength: 1 }), kinds: fc.tuple(...TAG_KINDS.map(() => fc.record({ protected: fc.boolean(), retention }))) })
      .map(({ use, kinds }) => {
        const options = kinds.map((k): TagKindOptions => (k.protected ? { protected: true } : { protected: false, retention: k.retention }));
        return new TagScheme("prop", { use, maxKindsPerImage: 2, kinds: Object.fromEntries(TAG_KINDS.map((name, i) => [name, options[i]!])) });
      });
    fc.assert(
      fc.property(schemes, (scheme) => {
        expect(keepRulesShield(lifecyclePolicyFromTagScheme(scheme), protectedTagPatterns(scheme), KEEP)).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect(keepRulesShield(lifecyclePolicyFromTagScheme(new TagScheme("default")), ["latest", "v*.*.*"], KEEP)).toBe(true);
  });
});
