import { ValidationError } from "../../../lib/core/errors";
import {
  DEFAULT_PROTECTED_KEEP_COUNT,
  lifecyclePolicyFromTagScheme,
  renderLifecyclePolicy,
  simulateLifecycle,
  validateLifecyclePolicy,
  type LifecyclePolicyDocument,
  type LifecycleRule,
  type ValidateLifecyclePolicyOptions,
} from "../../../lib/registry/lifecycle";
import { TagScheme } from "../../../lib/registry/tag-scheme";

const expire = { type: "expire" } as const;

/** A valid tagged rule; override any part. */
function tagged(rulePriority: number, prefix: string, countNumber = 5): LifecycleRule {
  return { rulePriority, selection: { tagStatus: "tagged", tagPrefixList: [prefix], countType: "imageCountMoreThan", countNumber }, action: expire };
}

function keep(rulePriority: number, pattern: string, countNumber = DEFAULT_PROTECTED_KEEP_COUNT): LifecycleRule {
  return { rulePriority, selection: { tagStatus: "tagged", tagPatternList: [pattern], countType: "imageCountMoreThan", countNumber }, action: expire };
}

const untagged = (rulePriority: number): LifecycleRule => ({
  rulePriority,
  selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
  action: expire,
});

/** Replaces the selection of rule 0 of a one-rule policy with raw (possibly invalid) JSON. */
function withSelection(selection: Record<string, unknown>): unknown {
  return { rules: [{ rulePriority: 1, selection, action: expire }] };
}

describe("lifecyclePolicyFromTagScheme", () => {
  it("derives the policy of the default tag scheme: keep rules, combination rules (largest first), one rule per kind, untagged", () => {
    const doc = lifecyclePolicyFromTagScheme(new TagScheme("config/tagScheme"));
    const keepSelection = (pattern: string) => ({ tagStatus: "tagged", tagPatternList: [pattern], countType: "imageCountMoreThan", countNumber: 100000 });
    expect(doc.rules.slice(0, 4)).toEqual([
      { rulePriority: 1, description: "Keep every image tagged latest (protected tag kind latest)", selection: keepSelection("latest"), action: expire },
      { rulePriority: 2, description: "Keep every image tagged v*.*.* (protected tag kind release)", selection: keepSelection("v*.*.*"), action: expire },
      { rulePriority: 3, description: "Keep every image tagged buildcache (protected tag kind buildCache)", selection: keepSelection("buildcache"), action: expire },
      {
        rulePriority: 4,
        description: "Keep every image tagged deployed-* (protected tag kind deployed)",
        selection: { tagStatus: "tagged", tagPrefixList: ["deployed-"], countType: "imageCountMoreThan", countNumber: 100000 },
        action: expire,
      },
    ]);
    // Five retained kinds (pipeline, mergeRequest, commit, branch, inputs; none secondary): C(5,3) + C(5,2)
    // combinations, then one rule each, then untagged.
    const combos = doc.rules.slice(4, 24);
    expect(combos.map((r) => r.selection.tagPatternList!.length)).toEqual([...Array(10).fill(3), ...Array(10).fill(2)]);
    const combo = (...patterns: string[]) => doc.rules.find((r) => JSON.stringify(r.selection.tagPatternList) === JSON.stringify(patterns))!;
    // Age + age: the longest age. Count + count: the largest count. Count + age (two tags pushed together): kept.
    expect(combo("MR-*", "branch-*").selection).toEqual({ tagStatus: "tagged", tagPatternList: ["MR-*", "branch-*"], countType: "sinceImagePushed", countUnit: "days", countNumber: 30 });
    expect(combo("sha-*", "inputs-*").selection).toEqual({ tagStatus: "tagged", tagPatternList: ["sha-*", "inputs-*"], countType: "imageCountMoreThan", countNumber: 100 });
    expect(combo("MR-*", "sha-*").selection).toEqual({ tagStatus: "tagged", tagPatternList: ["MR-*", "sha-*"], countType: "imageCountMoreThan", countNumber: 100000 });
    // The pipeline kind is combined like every other kind (it used to be secondary by default and in no combination).
    expect(combo("pipeline-*", "sha-*").selection).toEqual({ tagStatus: "tagged", tagPatternList: ["pipeline-*", "sha-*"], countType: "imageCountMoreThan", countNumber: 100000 });
    expect(combo("pipeline-*", "MR-*").selection).toEqual({ tagStatus: "tagged", tagPatternList: ["pipeline-*", "MR-*"], countType: "sinceImagePushed", countUnit: "days", countNumber: 30 });
    expect(doc.rules.slice(24).map((r) => [r.rulePriority, r.description, r.selection])).toEqual([
      [25, "Expire images tagged pipeline-* (tag kind pipeline) 7 days after push", { tagStatus: "tagged", tagPrefixList: ["pipeline-"], countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }],
      [26, "Expire images tagged MR-* (tag kind mergeRequest) 30 days after push", { tagStatus: "tagged", tagPrefixList: ["MR-"], countType: "sinceImagePushed", countUnit: "days", countNumber: 30 }],
      [27, "Expire images tagged sha-* (tag kind commit) beyond the newest 100", { tagStatus: "tagged", tagPrefixList: ["sha-"], countType: "imageCountMoreThan", countNumber: 100 }],
      [28, "Expire images tagged branch-* (tag kind branch) 30 days after push", { tagStatus: "tagged", tagPrefixList: ["branch-"], countType: "sinceImagePushed", countUnit: "days", countNumber: 30 }],
      [29, "Expire images tagged inputs-* (tag kind inputs) beyond the newest 50", { tagStatus: "tagged", tagPrefixList: ["inputs-"], countType: "imageCountMoreThan", countNumber: 50 }],
      [30, "Expire untagged images 1 day after push", { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }],
    ]);
    expect(renderLifecyclePolicy(doc).length).toBeLessThan(30_720);
  });

  it("refuses a scheme whose combination rules exceed ECR's 50 rules, naming the fix", () => {
    const kinds = Object.fromEntries(["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"].map((name) => [name, { prefix: `${name}-`, retention: { maxAgeDays: 3 } }]));
    expect(() => lifecyclePolicyFromTagScheme(new TagScheme("dev/tags", { use: ["latest"], kinds }))).toThrow(
      /^dev\/tags: invalid number of lifecycle rules 94\. Rule: 8 retained kinds combined up to 3 per image need 94 rules, but an ECR lifecycle policy has at most 50\. Fix: lower maxKindsPerImage/,
    );
  });

  it("derives the exact policy of a customised tag scheme, with catch-all and keep count", () => {
    const scheme = new TagScheme("dev/tags", {
      use: ["pipeline", "mergeRequest", "commit", "latest"],
      kinds: {
        mergeRequest: { retention: { maxCount: 20 } },
        commit: { protected: true },
        latest: { protected: false, retention: { maxAgeDays: 90 } },
        pipeline: { pattern: "ci-*-build", ciTag: "ci-${CI_PIPELINE_ID}-build", secondary: true },
      },
      untaggedExpiryDays: 3,
      // One kind per image: no combination rules, so the policy is the plain per-kind list.
      maxKindsPerImage: 1,
    });
    const doc = lifecyclePolicyFromTagScheme(scheme, { catchAll: { maxCount: 500 }, protectedKeepCount: 250000 });
    const expected = {
      rules: [
        {
          rulePriority: 1,
          description: "Keep every image tagged sha-* (protected tag kind commit)",
          selection: { tagStatus: "tagged", tagPrefixList: ["sha-"], countType: "imageCountMoreThan", countNumber: 250000 },
          action: expire,
        },
        // One kind per image: primary kinds in order of age, longest first (count kinds first), then the secondary pipeline kind.
        {
          rulePriority: 2,
          description: "Expire images tagged MR-* (tag kind mergeRequest) beyond the newest 20",
          selection: { tagStatus: "tagged", tagPrefixList: ["MR-"], countType: "imageCountMoreThan", countNumber: 20 },
          action: expire,
        },
        {
          rulePriority: 3,
          description: "Expire images tagged latest (tag kind latest) 90 days after push",
          selection: { tagStatus: "tagged", tagPatternList: ["latest"], countType: "sinceImagePushed", countUnit: "days", countNumber: 90 },
          action: expire,
        },
        {
          rulePriority: 4,
          description: "Expire images tagged ci-*-build (secondary tag kind pipeline) 7 days after push",
          selection: { tagStatus: "tagged", tagPatternList: ["ci-*-build"], countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
          action: expire,
        },
        {
          rulePriority: 5,
          description: "Expire untagged images 3 days after push",
          selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 3 },
          action: expire,
        },
        {
          rulePriority: 6,
          description: "Expire images no earlier rule selects beyond the newest 500 in the repository",
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 500 },
          action: expire,
        },
      ],
    };
    expect(renderLifecyclePolicy(doc)).toBe(JSON.stringify(expected));
  });

  it("describes an age-based catch-all rule in days", () => {
    const doc = lifecyclePolicyFromTagScheme(new TagScheme("t", { use: ["latest"] }), { catchAll: { maxAgeDays: 1 } });
    expect(doc.rules.at(-1)).toEqual({
      rulePriority: 3,
      description: "Expire images no earlier rule selects 1 day after push",
      selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
      action: expire,
    });
  });

  it("rejects a bad catch-all retention and a bad keep count", () => {
    const scheme = new TagScheme("dev/tags");
    expect(() => lifecyclePolicyFromTagScheme(scheme, { catchAll: { maxCount: 0 } })).toThrow(
      /^dev\/tags\/catchAll: invalid retention maxCount 0\. Rule: must be a whole number greater than 0.*Fix: keep at least 1 image/,
    );
    expect(() => lifecyclePolicyFromTagScheme(scheme, { protectedKeepCount: 0 })).toThrow(
      /^dev\/tags: invalid protectedKeepCount 0\. Rule: the keep count is a whole number greater than 0\. Fix: use the repository's "Images per repository" quota/,
    );
  });
});

describe("renderLifecyclePolicy", () => {
  it("sorts rules by priority, orders keys as ECR documents them and drops undefined fields", () => {
    const doc = {
      rules: [
        { action: expire, selection: { countNumber: 2, countType: "imageCountMoreThan", tagPatternList: ["b*"], tagStatus: "tagged" }, rulePriority: 9 },
        { description: undefined, rulePriority: 3, action: expire, selection: { countNumber: 1, countUnit: "days", countType: "sinceImagePushed", tagStatus: "untagged" } },
      ],
    } as const satisfies LifecyclePolicyDocument;
    expect(renderLifecyclePolicy(doc)).toBe(
      '{"rules":[' +
        '{"rulePriority":3,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},' +
        '{"rulePriority":9,"selection":{"tagStatus":"tagged","tagPatternList":["b*"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}',
    );
    expect(doc.rules[0].rulePriority).toBe(9); // input untouched
  });
});

interface InvalidCase {
  readonly name: string;
  readonly doc: unknown;
  readonly options?: ValidateLifecyclePolicyOptions;
  /** Matches path, value, rule and fix. */
  readonly message: RegExp;
}

const manyRules = Array.from({ length: 51 }, (_, i) => tagged(i + 1, `p${i}-`));

const invalid: readonly InvalidCase[] = [
  { name: "not an object", doc: [], message: /^policy: invalid lifecycle policy \[\]\. Rule: a lifecycle policy is a JSON object .*Fix: wrap the rules/ },
  { name: "unknown document field", doc: { rules: [tagged(1, "a")], version: 2 }, message: /^policy: invalid policy field "version" 2\. Rule: .*only the fields rules\. Fix: remove the field/ },
  { name: "no rules", doc: { rules: [] }, message: /^policy: invalid rules \[\]\. Rule: a lifecycle policy has at least one rule\. Fix: add a rule/ },
  { name: "more than 50 rules", doc: { rules: manyRules }, message: /^policy: invalid number of rules 51\. Rule: .*at most 50 rules.*Fix: merge rules/ },
  { name: "rule not an object", doc: { rules: ["x"] }, message: /^policy\/rules\/0: invalid rule "x"\. Rule: a lifecycle rule is a JSON object\. Fix: give rulePriority/ },
  { name: "rulePriority zero", doc: { rules: [tagged(0, "a")] }, message: /^policy\/rules\/0: invalid rulePriority 0\. Rule: rulePriority must be a whole number greater than 0\. Fix: number the rules/ },
  { name: "rulePriority fraction", doc: { rules: [tagged(1.5, "a")] }, message: /^policy\/rules\/0: invalid rulePriority 1\.5\. Rule: rulePriority must be a whole number/ },
  {
    name: "duplicate rulePriority",
    doc: { rules: [tagged(1, "a"), tagged(1, "b")] },
    message: /^policy\/rules\/1: invalid rulePriority 1\. Rule: rulePriority values must be unique, but rules\/0 has it too\. Fix: give every rule its own rulePriority/,
  },
  {
    name: '"any" rule not last',
    doc: { rules: [{ rulePriority: 1, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 3 }, action: expire }, tagged(2, "a")] },
    message: /^policy\/rules\/0: invalid rulePriority of the tagStatus "any" rule 1\. Rule: .*must have the highest rulePriority \(evaluated last\), but 2 is higher.*Fix: give it a rulePriority above 2/,
  },
  {
    name: 'two "any" rules',
    doc: {
      rules: [3, 4].map((rulePriority) => ({ rulePriority, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 3 }, action: expire })),
    },
    message: /^policy\/rules\/0: invalid rulePriority of the tagStatus "any" rule 3\. Rule: .*at most one "any" rule\. Fix: give it a rulePriority above 4/,
  },
  {
    name: "two untagged rules",
    doc: { rules: [untagged(1), untagged(2)] },
    message: /^policy\/rules\/1: invalid selection\.tagStatus "untagged"\. Rule: only one rule may select untagged images, but rules\/0 does too\. Fix: merge the untagged rules/,
  },
  { name: "unknown tagStatus", doc: withSelection({ tagStatus: "all", countType: "imageCountMoreThan", countNumber: 1 }), message: /^policy\/rules\/0: invalid selection\.tagStatus "all"\. Rule: tagStatus is one of tagged, untagged, any\. Fix: pick one/ },
  {
    name: "tagged without list",
    doc: withSelection({ tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.tagPatternList undefined\. Rule: a "tagged" rule needs a non-empty tagPrefixList or tagPatternList\. Fix: list the tag prefixes or patterns/,
  },
  {
    name: "tagged with empty list",
    doc: withSelection({ tagStatus: "tagged", tagPrefixList: [], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.tagPrefixList \[\]\. Rule: a "tagged" rule needs a non-empty/,
  },
  {
    name: "prefixes and patterns together",
    doc: withSelection({ tagStatus: "tagged", tagPrefixList: ["a"], tagPatternList: ["b*"], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection \{"tagPrefixList":\["a"\],"tagPatternList":\["b\*"\]\}\. Rule: a rule uses tagPrefixList or tagPatternList, not both\. Fix: keep one list/,
  },
  {
    name: "untagged rule with a list",
    doc: withSelection({ tagStatus: "untagged", tagPrefixList: ["MR-"], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.tagPrefixList \["MR-"\]\. Rule: a rule with tagStatus "untagged" must omit both tagPrefixList and tagPatternList\. Fix: remove the list/,
  },
  {
    name: "any rule with a list",
    doc: withSelection({ tagStatus: "any", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.tagPatternList \["\*"\]\. Rule: a rule with tagStatus "any" must omit both/,
  },
  {
    name: "pattern with 5 wildcards",
    doc: withSelection({ tagStatus: "tagged", tagPatternList: ["ok*", "test*1*2*3*4*"], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0\/selection\/tagPatternList\/1: invalid tag pattern "test\*1\*2\*3\*4\*"\. Rule: an ECR tag pattern may hold at most 4 '\*' wildcards\. Fix: use fewer wildcards/,
  },
  {
    name: "prefix with a wildcard",
    doc: withSelection({ tagStatus: "tagged", tagPrefixList: ["MR-*"], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0\/selection\/tagPrefixList\/0: invalid tag prefix "MR-\*"\. Rule: a prefix is literal .*Fix: use `pattern` for wildcards/,
  },
  {
    name: "prefix with a character docker tags cannot hold",
    doc: withSelection({ tagStatus: "tagged", tagPrefixList: ["feature/"], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0\/selection\/tagPrefixList\/0: invalid tag prefix "feature\/"\. Rule: a docker tag is 1-128 characters.*Fix: use only those characters/,
  },
  {
    name: "non-string list entry",
    doc: withSelection({ tagStatus: "tagged", tagPrefixList: [7], countType: "imageCountMoreThan", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.tagPrefixList\[0\] 7\. Rule: list entries are strings\. Fix: quote the entry/,
  },
  {
    name: "countUnit with imageCountMoreThan",
    doc: withSelection({ tagStatus: "untagged", countType: "imageCountMoreThan", countUnit: "days", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.countUnit "days"\. Rule: countUnit is only allowed with the since\* count types\. Fix: remove countUnit/,
  },
  {
    name: "sinceImagePushed without countUnit",
    doc: withSelection({ tagStatus: "untagged", countType: "sinceImagePushed", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.countUnit undefined\. Rule: countType sinceImagePushed requires countUnit "days"\. Fix: set countUnit to "days"/,
  },
  {
    name: "countUnit other than days",
    doc: withSelection({ tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "hours", countNumber: 1 }),
    message: /^policy\/rules\/0: invalid selection\.countUnit "hours"\. Rule: countType sinceImagePushed requires countUnit "days"/,
  },
  {
    name: "countNumber zero",
    doc: withSelection({ tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 0 }),
    message: /^policy\/rules\/0: invalid selection\.countNumber 0\. Rule: countNumber must be a whole number greater than 0\. Fix: keep at least 1 image/,
  },
  {
    name: "countNumber fraction of days",
    doc: withSelection({ tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 0.5 }),
    message: /^policy\/rules\/0: invalid selection\.countNumber 0\.5\. Rule: countNumber must be a whole number greater than 0\. Fix: give at least 1 day/,
  },
  {
    name: "countNumber as a string",
    doc: withSelection({ tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: "3" }),
    message: /^policy\/rules\/0: invalid selection\.countNumber "3"\. Rule: countNumber must be a whole number/,
  },
  {
    name: "unknown countType",
    doc: withSelection({ tagStatus: "untagged", countType: "imageCountLessThan", countNumber: 3 }),
    message: /^policy\/rules\/0: invalid selection\.countType "imageCountLessThan"\. Rule: countType is one of imageCountMoreThan, sinceImagePushed, sinceImagePulled\. Fix: pick one/,
  },
  {
    name: "sinceImagePulled with expire",
    doc: withSelection({ tagStatus: "any", countType: "sinceImagePulled", countUnit: "days", countNumber: 30 }),
    message: /^policy\/rules\/0: invalid selection\.countType "sinceImagePulled"\. Rule: ECR accepts sinceImagePulled only with the archive "transition" action, never with "expire".*Fix: use sinceImagePushed/,
  },
  {
    name: "sinceImageTransitioned (archive)",
    doc: withSelection({ tagStatus: "any", countType: "sinceImageTransitioned", countUnit: "days", countNumber: 365 }),
    message: /^policy\/rules\/0: invalid selection\.countType "sinceImageTransitioned"\. Rule: archive storage .* is out of scope of this model\. Fix: use sinceImagePushed/,
  },
  {
    name: "storageClass (archive)",
    doc: withSelection({ tagStatus: "any", storageClass: "archive", countType: "imageCountMoreThan", countNumber: 3 }),
    message: /^policy\/rules\/0: invalid selection field "storageClass" "archive"\. Rule: archive storage .* out of scope of this model\. Fix: remove it: only the standard storage class/,
  },
  {
    name: "misspelt selection field",
    doc: withSelection({ tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 3, countUnits: "days" }),
    message: /^policy\/rules\/0: invalid selection field "countUnits" "days"\. Rule: an ECR lifecycle selection has only the fields tagStatus, .*Fix: remove the field or correct its name/,
  },
  {
    name: "transition action (archive)",
    doc: { rules: [{ ...untagged(1), action: { type: "transition", targetStorageClass: "archive" } }] },
    message: /^policy\/rules\/0: invalid action field "targetStorageClass" "archive"\. Rule: archive storage .* out of scope/,
  },
  {
    name: "transition action type (archive)",
    doc: { rules: [{ ...untagged(1), action: { type: "transition" } }] },
    message: /^policy\/rules\/0: invalid action\.type "transition"\. Rule: archive storage \(transition actions.*\) is out of scope of this model\. Fix: use \{ "type": "expire" \}/,
  },
  { name: "unknown action type", doc: { rules: [{ ...untagged(1), action: { type: "delete" } }] }, message: /^policy\/rules\/0: invalid action\.type "delete"\. Rule: the action type is "expire"\. Fix: use/ },
  { name: "missing action", doc: { rules: [{ rulePriority: 1, selection: untagged(1).selection }] }, message: /^policy\/rules\/0: invalid action undefined\. Rule: a rule needs an action object/ },
  { name: "missing selection", doc: { rules: [{ rulePriority: 1, action: expire }] }, message: /^policy\/rules\/0: invalid selection undefined\. Rule: a rule needs a selection object\. Fix: give tagStatus/ },
  { name: "description not a string", doc: { rules: [{ ...untagged(1), description: 42 }] }, message: /^policy\/rules\/0: invalid description 42\. Rule: description is an optional string/ },
  {
    name: "two rules with the same set of prefixes",
    doc: {
      rules: [
        { ...tagged(1, "a"), selection: { ...tagged(1, "a").selection, tagPrefixList: ["a", "b"] } },
        { ...tagged(2, "a"), selection: { ...tagged(2, "a").selection, tagPrefixList: ["b", "a"] } },
      ],
    },
    message: /^policy\/rules\/1: invalid selection \{"tagStatus":"tagged","tagPrefixList":\["b","a"\].*\}\. Rule: the rules must select unique sets of tag prefixes\/patterns, but rules\/0 selects the same.*Fix: merge the two rules/,
  },
  {
    name: "a prefix rule and a pattern rule with the same selection",
    doc: { rules: [tagged(1, "MR-"), { ...keep(2, "MR-*"), selection: { ...keep(2, "MR-*").selection, countNumber: 3 } }] },
    message: /^policy\/rules\/1: invalid selection \{"tagStatus":"tagged","tagPatternList":\["MR-\*"\].*Rule: the rules must select unique sets .*but rules\/0 selects the same \(this rule could never expire anything\)/,
  },
  {
    name: "rendered policy over 30,720 characters",
    doc: { rules: [{ ...untagged(1), description: "x".repeat(30_700) }] },
    message: /^policy: invalid rendered policy length 308\d\d\. Rule: a lifecycle policy has at most 30720 characters.*Fix: shorten descriptions/,
  },
  // Protection of protected tags.
  {
    name: "protected selector without keep rule",
    doc: { rules: [tagged(1, "MR-")] },
    options: { protectedSelectors: [{ pattern: "latest" }] },
    message:
      /^policy: invalid keep rule for protected pattern "latest" "latest"\. Rule: every protected tag needs a keep rule .*Fix: add a rule with selection \{ "tagStatus": "tagged", "tagPatternList": \["latest"\], "countType": "imageCountMoreThan", "countNumber": 100000 \} and a lower rulePriority/,
  },
  {
    name: "keep rule whose count can expire protected images",
    doc: { rules: [keep(1, "latest", 10)] },
    options: { protectedSelectors: [{ pattern: "latest" }] },
    message: /^policy\/rules\/0: invalid selection \{.*"countNumber":10\}\. Rule: this rule selects the protected pattern "latest" and would expire such images .*Fix: change its selection to \{ "tagStatus": "tagged", "tagPatternList": \["latest"\]/,
  },
  {
    name: "keep rule below the raised keep count",
    doc: { rules: [keep(1, "latest")] },
    options: { protectedSelectors: [{ pattern: "latest" }], protectedKeepCount: 200000 },
    message: /^policy\/rules\/0: invalid selection .*"countNumber":100000\}\. Rule: .*countNumber >= 200000.*Fix: change its selection to .*"countNumber": 200000 \}/,
  },
  {
    name: "age rule on a protected selector",
    doc: { rules: [{ rulePriority: 1, selection: { tagStatus: "tagged", tagPrefixList: ["rel-"], countType: "sinceImagePushed", countUnit: "days", countNumber: 9 }, action: expire }] },
    options: { protectedSelectors: [{ prefix: "rel-" }] },
    message: /^policy\/rules\/0: invalid selection .*\. Rule: this rule selects the protected prefix "rel-" and would expire such images.*Fix: change its selection to \{ "tagStatus": "tagged", "tagPrefixList": \["rel-"\]/,
  },
  {
    name: "rule matching protected tags applied before the keep rule",
    doc: { rules: [untagged(1), tagged(2, "v"), keep(3, "v*.*.*")] },
    options: { protectedSelectors: [{ pattern: "v*.*.*" }] },
    message:
      /^policy\/rules\/1: invalid rulePriority of the rule with tagPrefixList \["v"\] 2\. Rule: it is applied before the keep rule \(rulePriority 3\) of the protected pattern "v\*\.\*\.\*" and would expire protected images: its entry prefix "v" matches protected tags themselves\. Fix: move it below the keep rule: give it a rulePriority above 3/,
  },
  {
    name: "rule for other tags applied before the keep rule",
    doc: { rules: [tagged(1, "MR-"), keep(2, "latest")] },
    options: { protectedSelectors: [{ pattern: "latest" }] },
    message:
      /^policy\/rules\/0: invalid rulePriority of the rule with tagPrefixList \["MR-"\] 1\. Rule: .*before the keep rule \(rulePriority 2\) of the protected pattern "latest" .*an image carrying both a tag it selects and a protected tag is claimed by it first.*Fix: move it below the keep rule: give it a rulePriority above 2/,
  },
  {
    name: "invalid protected selector",
    doc: { rules: [tagged(1, "a")] },
    options: { protectedSelectors: [{ pattern: "" }] },
    message: /^policy\/protectedSelectors\/0: invalid tag pattern ""\. Rule: a docker tag is 1-128 characters/,
  },
];

describe("validateLifecyclePolicy", () => {
  it.each(invalid)("rejects $name", ({ doc, options, message }) => {
    const validate = () => validateLifecyclePolicy("policy", doc, options);
    expect(validate).toThrow(ValidationError);
    expect(validate).toThrow(message);
  });

  it("accepts one untagged rule together with an any rule (only tagStatus untagged counts as selecting untagged)", () => {
    const any: LifecycleRule = { rulePriority: 9, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }, action: expire };
    expect(() => validateLifecyclePolicy("policy", { rules: [untagged(1), tagged(2, "alpha"), any] })).not.toThrow();
  });

  it("accepts a long description: ECR documents no length limit for it, only for the whole policy", () => {
    expect(() => validateLifecyclePolicy("policy", { rules: [{ ...untagged(1), description: "x".repeat(30_000) }] })).not.toThrow();
  });

  it("accepts keep rules, untagged rules and other keep rules before a keep rule, and equivalent prefix/pattern keep rules", () => {
    const doc = { rules: [untagged(1), keep(2, "latest"), keep(3, "rel-*"), tagged(4, "MR-"), keep(5, "v*")] };
    const options = { protectedSelectors: [{ pattern: "latest" }, { prefix: "rel-" }] };
    expect(() => validateLifecyclePolicy("policy", doc, options)).not.toThrow();
    // ...but a rule applied before the keep rule of "v*" is refused once "v*" is protected.
    expect(() => validateLifecyclePolicy("policy", doc, { protectedSelectors: [...options.protectedSelectors, { pattern: "v*" }] })).toThrow(
      /^policy\/rules\/3: invalid rulePriority of the rule with tagPrefixList \["MR-"\] 4\..*keep rule \(rulePriority 5\) of the protected pattern "v\*"/,
    );
  });

  it("refuses a rule that selects no protected tag before a keep rule, because the simulator shows it expires protected images", () => {
    const doc = { rules: [tagged(1, "MR-", 1), keep(2, "latest")] };
    const now = new Date("2024-06-01T00:00:00Z");
    const images = [
      { digest: "old", tags: ["MR-1", "latest"], pushedAt: new Date("2024-05-01T00:00:00Z") },
      { digest: "new", tags: ["MR-2"], pushedAt: new Date("2024-05-02T00:00:00Z") },
    ];
    expect(simulateLifecycle(doc, images, now).expired.map((d) => d.digest)).toEqual(["old"]);
    expect(() => validateLifecyclePolicy("policy", doc, { protectedSelectors: [{ pattern: "latest" }] })).toThrow(ValidationError);
  });
});
