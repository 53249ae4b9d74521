import {
  lifecyclePolicyFromTagScheme,
  simulateLifecycle,
  validateLifecyclePolicy,
  type LifecycleImage,
  type LifecyclePolicyDocument,
  type LifecycleRule,
  type LifecycleSelection,
} from "../../../lib/registry/lifecycle";
import { TagScheme } from "../../../lib/registry/tag-scheme";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const now = new Date("2024-06-15T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const image = (digest: string, tags: readonly string[], pushedDaysAgo: number, pulledDaysAgo?: number): LifecycleImage => ({
  digest,
  tags,
  pushedAt: ago(pushedDaysAgo * DAY),
  ...(pulledDaysAgo === undefined ? {} : { lastPulledAt: ago(pulledDaysAgo * DAY) }),
});

function rule(rulePriority: number, selection: LifecycleSelection): LifecycleRule {
  return { rulePriority, description: `Rule ${rulePriority}`, selection, action: { type: "expire" } };
}

/** The rule-1/rule-2 selection of the documentation examples, by list kind. */
type ListKind = "tagPatternList" | "tagPrefixList";
const list = (kind: ListKind, ...prefixes: string[]) => ({ [kind]: kind === "tagPatternList" ? prefixes.map((p) => `${p}*`) : prefixes });
const countRule = (kind: ListKind, count: number, ...prefixes: string[]): LifecycleSelection => ({
  tagStatus: "tagged",
  ...list(kind, ...prefixes),
  countType: "imageCountMoreThan",
  countNumber: count,
});

/** Simulates a documentation example after checking that the validator accepts its policy. */
function expiredBy(policy: LifecyclePolicyDocument, images: readonly LifecycleImage[]): string[] {
  validateLifecyclePolicy("doc example", policy);
  return simulateLifecycle(policy, images, now).expired.map((d) => d.digest);
}

// Worked examples of "Examples of lifecycle policies in Amazon ECR",
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html
// The current page uses tagPatternList ["prod*"]; earlier versions used tagPrefixList ["prod"]: both are run.
describe.each<ListKind>(["tagPatternList", "tagPrefixList"])("AWS documentation examples (%s)", (kind) => {
  it("Filtering on image age: expires prod* images older than 14 days (the page gives the policy only)", () => {
    const policy = { rules: [rule(1, { tagStatus: "tagged", ...list(kind, "prod"), countType: "sinceImagePushed", countUnit: "days", countNumber: 14 })] };
    const images = [image("old-prod", ["prod-1"], 15), image("young-prod", ["prod-2"], 13), image("old-beta", ["beta-1"], 30), image("untagged", [], 30)];
    expect(expiredBy(policy, images)).toEqual(["old-prod"]);
  });

  it("Filtering on image count: keeps only one untagged image (the page gives the policy only)", () => {
    const policy = { rules: [rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 })] };
    const images = [image("u-old", [], 3), image("u-new", [], 1), image("tagged", ["x"], 9), image("u-mid", [], 2)];
    expect(expiredBy(policy, images)).toEqual(["u-old", "u-mid"]);
  });

  const multipleRulesRepo = [image("A", ["beta-1", "prod-1"], 10), image("B", ["beta-2", "prod-2"], 9), image("C", ["beta-3"], 8)];

  it("Filtering on multiple rules, example A: Image A is expired", () => {
    const policy = { rules: [rule(1, countRule(kind, 1, "prod")), rule(2, countRule(kind, 1, "beta"))] };
    expect(expiredBy(policy, multipleRulesRepo)).toEqual(["A"]);
    // Rule 2 marks Image B too, but Rule 1 saw it first.
    expect(simulateLifecycle(policy, multipleRulesRepo, now).decisions[1]!.reason).toBe(
      "kept: selected first by rule 1 (it is #1 newest of the 2 images rule 1 selects, which keeps the newest 1); rule 2 would expire it but cannot, as rule 1 claimed it first",
    );
  });

  it("Filtering on multiple rules, example B: Images A and B are expired", () => {
    const policy = { rules: [rule(1, countRule(kind, 1, "beta")), rule(2, countRule(kind, 1, "prod"))] };
    expect(expiredBy(policy, multipleRulesRepo)).toEqual(["A", "B"]);
  });

  it("Filtering on multiple tags in a single rule, example A: Image C is expired", () => {
    const policy = { rules: [rule(1, { tagStatus: "tagged", ...list(kind, "alpha", "beta"), countType: "sinceImagePushed", countNumber: 5, countUnit: "days" })] };
    const images = [
      image("A", ["alpha-1"], 12),
      image("B", ["beta-1"], 11),
      image("C", ["alpha-2", "beta-2"], 10),
      image("D", ["alpha-3"], 4),
      image("E", ["beta-3"], 3),
      image("F", ["alpha-4", "beta-4"], 2),
    ];
    expect(expiredBy(policy, images)).toEqual(["C"]);
  });

  it("Filtering on multiple tags in a single rule, example B: Images A and B are expired", () => {
    const policy = { rules: [rule(1, countRule(kind, 1, "alpha", "beta"))] };
    const images = [image("A", ["alpha-1", "beta-1", "gamma-1"], 10), image("B", ["alpha-2", "beta-2"], 9), image("C", ["alpha-3", "beta-3", "gamma-2"], 8)];
    expect(expiredBy(policy, images)).toEqual(["A", "B"]);
  });

  it("Filtering on all images, example A: Images A, B and C are expired", () => {
    const policy = { rules: [rule(1, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 })] };
    const images = [image("A", ["alpha-1"], 4), image("B", ["beta-1"], 3), image("C", [], 2), image("D", ["alpha-2"], 1)];
    expect(expiredBy(policy, images)).toEqual(["A", "B", "C"]);
  });

  it("Filtering on all images, example B: Images A, B and D are expired", () => {
    const policy = {
      rules: [
        rule(1, countRule(kind, 1, "alpha")),
        rule(2, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }),
        rule(3, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }),
      ],
    };
    // The page lists D and E as "pushed 1 day ago"; its outcome (rule 3 keeps E, the newest, and
    // marks D) requires E to be the newer one, and rule 2 keeping E requires E to be under a day old.
    const images = [
      image("A", ["alpha-1", "beta-1"], 4),
      image("B", [], 3),
      image("C", ["alpha-2"], 2),
      { digest: "D", tags: ["git hash"], pushedAt: ago(DAY + HOUR) },
      { digest: "E", tags: [], pushedAt: ago(DAY - HOUR) },
    ];
    expect(expiredBy(policy, images)).toEqual(["A", "B", "D"]);
  });
});

describe("simulateLifecycle", () => {
  const age = (countType: "sinceImagePushed" | "sinceImagePulled", countNumber: number): LifecyclePolicyDocument => ({
    rules: [{ rulePriority: 1, selection: { tagStatus: "any", countType, countUnit: "days", countNumber }, action: { type: "expire" } }],
  });

  it("expires images more than N days old, not those exactly N days old", () => {
    const images = [image("exactly", ["a"], 7), image("older", ["b"], 7 + 1 / 24), image("younger", ["c"], 6.9)];
    expect(simulateLifecycle(age("sinceImagePushed", 7), images, now).expired.map((d) => d.digest)).toEqual(["older"]);
  });

  it("sinceImagePulled uses the last pull time, and the push time for images never pulled", () => {
    const images = [image("pulled-recently", ["a"], 100, 2), image("pulled-long-ago", ["b"], 100, 40), image("never-pulled-old", ["c"], 40), image("never-pulled-new", ["d"], 5)];
    const result = simulateLifecycle(age("sinceImagePulled", 30), images, now);
    expect(result.expired.map((d) => d.digest)).toEqual(["pulled-long-ago", "never-pulled-old"]);
    expect(result.decisions.map((d) => d.reason)).toEqual([
      "kept: selected first by rule 1 (last pulled 2.0 days ago, within the 30 days of rule 1)",
      "expired by rule 1: last pulled 40.0 days ago, more than the 30 days of rule 1",
      "expired by rule 1: never pulled, pushed 40.0 days ago, more than the 30 days of rule 1",
      "kept: selected first by rule 1 (never pulled, pushed 5.0 days ago, within the 30 days of rule 1)",
    ]);
  });

  it("reports the deciding rule, its description and the reason for every image, in input order", () => {
    const policy = {
      rules: [
        { rulePriority: 2, selection: { tagStatus: "tagged", tagPrefixList: ["MR-"], countType: "imageCountMoreThan", countNumber: 1 }, action: { type: "expire" } },
        { rulePriority: 1, description: "Keep latest", selection: { tagStatus: "tagged", tagPatternList: ["latest"], countType: "imageCountMoreThan", countNumber: 100 }, action: { type: "expire" } },
      ],
    } as const satisfies LifecyclePolicyDocument;
    const images = [image("mr-old", ["MR-1"], 3), image("other", ["feature"], 9), image("mr-new", ["MR-2", "latest"], 1), image("mr-mid", ["MR-3"], 2)];
    const result = simulateLifecycle(policy, images, now);
    expect(result.decisions).toEqual([
      { digest: "mr-old", tags: ["MR-1"], expired: true, rule: { rulePriority: 2 }, reason: "expired by rule 2: it is #3 newest of the 3 images rule 2 selects, which keeps the newest 1" },
      { digest: "other", tags: ["feature"], expired: false, reason: "no rule selects it" },
      {
        digest: "mr-new",
        tags: ["MR-2", "latest"],
        expired: false,
        rule: { rulePriority: 1, description: "Keep latest" },
        reason: "kept: selected first by rule 1 (it is #1 newest of the 1 images rule 1 selects, which keeps the newest 100)",
      },
      { digest: "mr-mid", tags: ["MR-3"], expired: true, rule: { rulePriority: 2 }, reason: "expired by rule 2: it is #2 newest of the 3 images rule 2 selects, which keeps the newest 1" },
    ]);
    expect(result.expired.map((d) => d.digest)).toEqual(["mr-old", "mr-mid"]);
    expect(result.kept.map((d) => d.digest)).toEqual(["other", "mr-new"]);
  });

  it("evaluates the default tag scheme policy on 20,000 images quickly", () => {
    const policy = lifecyclePolicyFromTagScheme(new TagScheme("t"), { catchAll: { maxCount: 5000 } });
    const kinds = ["pipeline-", "MR-", "sha-", "branch-", "v1.", "latest", "other-"];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const images = Array.from({ length: 20_000 }, (_, i): LifecycleImage => {
      const tags = Array.from({ length: Math.floor(random() * 3) }, (_, t) => {
        const prefix = kinds[Math.floor(random() * kinds.length)]!;
        return prefix === "latest" ? prefix : prefix === "v1." ? `v1.${i}.${t}` : `${prefix}${i}-${t}`;
      });
      return { digest: `sha256:${i}`, tags, pushedAt: ago(random() * 120 * DAY) };
    });
    // CPU time of this process, not wall time: a shared machine's neighbours stretch wall time many times over.
    const start = process.cpuUsage();
    const result = simulateLifecycle(policy, images, now);
    const used = process.cpuUsage(start);
    const elapsed = (used.user + used.system) / 1000;
    expect(result.decisions).toHaveLength(20_000);
    expect(result.expired.length + result.kept.length).toBe(20_000);
    // 31 rules with combination rules and the catch-all: ~0.5 s of CPU on an idle 2-core machine; the bound leaves room for a loaded one.
    expect(elapsed).toBeLessThan(2500);
  });
});
