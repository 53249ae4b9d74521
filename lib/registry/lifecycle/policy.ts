/**
 * The validator of an ECR lifecycle policy document (the typed model and its renderer are in
 * `policy-model.ts`, re-exported here): ECR's shape and limits, and that protected tag selectors
 * are never expired.
 *
 * Sources (AWS, Amazon ECR User Guide):
 * - "Lifecycle policy properties in Amazon ECR" (lifecycle_policy_parameters.html),
 * - "Automate the cleanup of images by using lifecycle policies" (LifecyclePolicies.html,
 *   section "Lifecycle policy evaluation rules"),
 * - "Examples of lifecycle policies in Amazon ECR" (lifecycle_policy_examples.html),
 * - "Amazon ECR service quotas" (service-quotas.html) and the PutLifecyclePolicy API reference.
 *
 * Archive storage (`transition` actions, `storageClass`, `sinceImageTransitioned`) is out of scope.
 */
import { ValidationError, type Violation } from "../../core/errors";
import { describeSelector, patternsOverlap, selectorPattern, type TagSelector } from "../glob";
import { validateSelector } from "../tag-scheme";
import {
  type CountType,
  DEFAULT_PROTECTED_KEEP_COUNT,
  describeRuleSelection,
  type LifecyclePolicyDocument,
  type LifecycleRule,
  MAX_LIFECYCLE_POLICY_LENGTH,
  MAX_LIFECYCLE_RULES,
  renderLifecyclePolicy,
  ruleSelectors,
  type TagStatus,
} from "./policy-model";

export * from "./policy-model";

/** Options of {@link validateLifecyclePolicy}. */
export interface ValidateLifecyclePolicyOptions {
  /**
   * Tag selectors that must never be expired. Each needs a keep rule (`tagged`, exactly this
   * selector, `imageCountMoreThan` with at least `protectedKeepCount`), and every rule applied
   * before that keep rule must be unable to expire anything (another keep rule, or an
   * `untagged` rule).
   * @default none
   */
  readonly protectedSelectors?: readonly TagSelector[];
  /**
   * The smallest `countNumber` that makes an `imageCountMoreThan` rule a keep rule.
   * @default DEFAULT_PROTECTED_KEEP_COUNT (100,000: at least the default "Images per repository" quota)
   */
  readonly protectedKeepCount?: number;
}

const TAG_STATUSES: readonly string[] = ["tagged", "untagged", "any"] satisfies readonly TagStatus[];
const COUNT_TYPES: readonly string[] = ["imageCountMoreThan", "sinceImagePushed", "sinceImagePulled"] satisfies readonly CountType[];
const DOCUMENT_FIELDS = ["rules"];
const RULE_FIELDS = ["rulePriority", "description", "selection", "action"];
const SELECTION_FIELDS = ["tagStatus", "tagPrefixList", "tagPatternList", "countType", "countUnit", "countNumber"];
const ACTION_FIELDS = ["type"];
const ARCHIVE_FIELDS = ["storageClass", "targetStorageClass"];
const ARCHIVE_OUT_OF_SCOPE = "archive storage (transition actions, storageClass, sinceImageTransitioned) is out of scope of this model";

type Fail = (subject: string, value: unknown, rule: string, fix: string) => never;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function failAt(path: string): Fail {
  return (subject, value, rule, fix) => {
    throw new ValidationError({ path, subject, value, rule, fix } satisfies Violation);
  };
}

function checkFields(fail: Fail, object: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const archive = ARCHIVE_FIELDS.includes(key);
    fail(
      `${what} field "${key}"`,
      object[key],
      archive ? ARCHIVE_OUT_OF_SCOPE : `an ECR lifecycle ${what} has only the fields ${allowed.join(", ")}`,
      archive ? "remove it: only the standard storage class (the default) is supported" : "remove the field or correct its name",
    );
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

/** True for an `imageCountMoreThan` rule that keeps at least `keepCount` images, i.e. never expires anything. */
function isKeepRule(rule: LifecycleRule, keepCount: number): boolean {
  return rule.selection.countType === "imageCountMoreThan" && rule.selection.countNumber >= keepCount;
}

/** Checks the shape and per-rule constraints of rule `index`. */
function validateRule(path: string, index: number, rule: unknown): asserts rule is LifecycleRule {
  const where = `${path}/rules/${index}`;
  const fail: Fail = failAt(where);
  if (!isRecord(rule)) fail("rule", rule, "a lifecycle rule is a JSON object", "give rulePriority, selection and action");
  checkFields(fail, rule, RULE_FIELDS, "rule");
  const { rulePriority, description, selection, action } = rule;
  if (!isPositiveInteger(rulePriority)) {
    fail("rulePriority", rulePriority, "rulePriority must be a whole number greater than 0", "number the rules 1, 2, 3 ... in the order they should apply");
  }
  if (description !== undefined && typeof description !== "string") {
    fail("description", description, "description is an optional string", "write the description as a string or omit it");
  }

  if (!isRecord(action)) fail("action", action, 'a rule needs an action object { "type": "expire" }', 'set action to { "type": "expire" }');
  checkFields(fail, action, ACTION_FIELDS, "action");
  if (action.type !== "expire") {
    fail(
      "action.type",
      action.type,
      action.type === "transition" ? ARCHIVE_OUT_OF_SCOPE : 'the action type is "expire"',
      'use { "type": "expire" }',
    );
  }

  if (!isRecord(selection)) fail("selection", selection, "a rule needs a selection object", "give tagStatus, countType and countNumber");
  checkFields(fail, selection, SELECTION_FIELDS, "selection");
  const { tagStatus, tagPrefixList, tagPatternList, countType, countUnit, countNumber } = selection;
  if (typeof tagStatus !== "string" || !TAG_STATUSES.includes(tagStatus)) {
    fail("selection.tagStatus", tagStatus, `tagStatus is one of ${TAG_STATUSES.join(", ")}`, "pick one of them");
  }
  if (tagStatus === "tagged") {
    if (tagPrefixList !== undefined && tagPatternList !== undefined) {
      fail(
        "selection",
        { tagPrefixList, tagPatternList },
        "a rule uses tagPrefixList or tagPatternList, not both",
        "keep one list (a prefix p is the pattern p*), or split the rule in two",
      );
    }
    const [field, list] = tagPrefixList !== undefined ? (["tagPrefixList", tagPrefixList] as const) : (["tagPatternList", tagPatternList] as const);
    if (!Array.isArray(list) || list.length === 0) {
      fail(
        `selection.${field}`,
        list,
        'a "tagged" rule needs a non-empty tagPrefixList or tagPatternList',
        'list the tag prefixes or patterns the rule applies to, or use tagStatus "any"',
      );
    }
    list.forEach((entry: unknown, j: number) => {
      if (typeof entry !== "string") fail(`selection.${field}[${j}]`, entry, "list entries are strings", "quote the entry");
      validateSelector(`${where}/selection/${field}/${j}`, field === "tagPrefixList" ? { prefix: entry } : { pattern: entry });
    });
  } else if (tagPrefixList !== undefined || tagPatternList !== undefined) {
    fail(
      tagPrefixList !== undefined ? "selection.tagPrefixList" : "selection.tagPatternList",
      tagPrefixList ?? tagPatternList,
      `a rule with tagStatus "${tagStatus}" must omit both tagPrefixList and tagPatternList`,
      'remove the list, or use tagStatus "tagged"',
    );
  }

  if (countType === "sinceImageTransitioned") fail("selection.countType", countType, ARCHIVE_OUT_OF_SCOPE, "use sinceImagePushed or imageCountMoreThan");
  if (typeof countType !== "string" || !COUNT_TYPES.includes(countType)) {
    fail("selection.countType", countType, `countType is one of ${COUNT_TYPES.join(", ")}`, "pick one of them");
  }
  if (countType === "sinceImagePulled") {
    // "The sinceImagePulled count type must be used with the transition action. It cannot be
    // used with the expire action." (Examples of lifecycle policies, "Filtering on last pulled time")
    fail(
      "selection.countType",
      countType,
      'ECR accepts sinceImagePulled only with the archive "transition" action, never with "expire" (and ' + ARCHIVE_OUT_OF_SCOPE + ")",
      "use sinceImagePushed (age since push) or imageCountMoreThan",
    );
  }
  if (countType === "imageCountMoreThan") {
    if (countUnit !== undefined) {
      fail("selection.countUnit", countUnit, "countUnit is only allowed with the since* count types", "remove countUnit from the imageCountMoreThan rule");
    }
  } else if (countUnit !== "days") {
    fail("selection.countUnit", countUnit, `countType ${countType} requires countUnit "days"`, 'set countUnit to "days"');
  }
  if (!isPositiveInteger(countNumber)) {
    fail(
      "selection.countNumber",
      countNumber,
      "countNumber must be a whole number greater than 0",
      countType === "imageCountMoreThan" ? "keep at least 1 image" : "give at least 1 day",
    );
  }
}

/**
 * Checks a lifecycle policy against every constraint ECR documents, and that protected tags
 * can never be expired. Throws a {@link ValidationError} naming `path`, the value, the rule
 * and the fix on the first violation.
 *
 * Accepts parsed JSON of unknown shape, so it also guards the CLI's input.
 *
 * @param path construct or file path used in error messages
 * @param doc the policy document
 */
export function validateLifecyclePolicy(path: string, doc: unknown, options: ValidateLifecyclePolicyOptions = {}): asserts doc is LifecyclePolicyDocument {
  const fail: Fail = failAt(path);
  if (!isRecord(doc) || !Array.isArray(doc.rules)) {
    fail("lifecycle policy", doc, 'a lifecycle policy is a JSON object { "rules": [ ... ] }', "wrap the rules in { \"rules\": [...] }");
  }
  checkFields(fail, doc, DOCUMENT_FIELDS, "policy");
  const rules: readonly unknown[] = doc.rules;
  if (rules.length === 0) fail("rules", rules, "a lifecycle policy has at least one rule", "add a rule, or drop the lifecycle policy");
  if (rules.length > MAX_LIFECYCLE_RULES) {
    fail("number of rules", rules.length, `a lifecycle policy has at most ${MAX_LIFECYCLE_RULES} rules (ECR quota, not adjustable)`, "merge rules, e.g. one pattern for several tag kinds");
  }
  rules.forEach((rule, i) => validateRule(path, i, rule));
  const typed = rules as readonly LifecycleRule[];

  const seen = new Map<number, number>();
  typed.forEach((rule, i) => {
    const other = seen.get(rule.rulePriority);
    if (other !== undefined) {
      failAt(`${path}/rules/${i}`)("rulePriority", rule.rulePriority, `rulePriority values must be unique, but rules/${other} has it too`, "give every rule its own rulePriority");
    }
    seen.set(rule.rulePriority, i);
  });

  const highest = Math.max(...typed.map((r) => r.rulePriority));
  typed.forEach((rule, i) => {
    if (rule.selection.tagStatus === "any" && rule.rulePriority !== highest) {
      failAt(`${path}/rules/${i}`)(
        "rulePriority of the tagStatus \"any\" rule",
        rule.rulePriority,
        `the rule with tagStatus "any" must have the highest rulePriority (evaluated last), but ${highest} is higher; a policy therefore has at most one "any" rule`,
        `give it a rulePriority above ${highest}`,
      );
    }
  });

  const untagged = typed.flatMap((rule, i) => (rule.selection.tagStatus === "untagged" ? [i] : []));
  if (untagged.length > 1) {
    failAt(`${path}/rules/${untagged[1]}`)(
      "selection.tagStatus",
      "untagged",
      `only one rule may select untagged images, but rules/${untagged[0]} does too`,
      "merge the untagged rules into one",
    );
  }

  const selections = new Map<string, number>();
  typed.forEach((rule, i) => {
    if (rule.selection.tagStatus !== "tagged") return;
    // As patterns, so that tagPrefixList ["a"] and tagPatternList ["a*"] count as the same selection.
    const key = JSON.stringify([...new Set(ruleSelectors(rule).map(selectorPattern))].sort());
    const other = selections.get(key);
    if (other !== undefined) {
      failAt(`${path}/rules/${i}`)(
        "selection",
        rule.selection,
        `the rules must select unique sets of tag prefixes/patterns, but rules/${other} selects the same (this rule could never expire anything)`,
        "merge the two rules or change one's list",
      );
    }
    selections.set(key, i);
  });

  const length = renderLifecyclePolicy({ rules: typed }).length;
  if (length > MAX_LIFECYCLE_POLICY_LENGTH) {
    fail(
      "rendered policy length",
      length,
      `a lifecycle policy has at most ${MAX_LIFECYCLE_POLICY_LENGTH} characters (ECR quota, not adjustable)`,
      "shorten descriptions or merge rules",
    );
  }

  validateProtection(path, typed, options);
}

/** The keep count of protected kinds, checked (a whole number > 0). */
export function checkedKeepCount(path: string, keepCount = DEFAULT_PROTECTED_KEEP_COUNT): number {
  if (!isPositiveInteger(keepCount)) {
    failAt(path)("protectedKeepCount", keepCount, "the keep count is a whole number greater than 0", `use the repository's "Images per repository" quota (default ${DEFAULT_PROTECTED_KEEP_COUNT})`);
  }
  return keepCount;
}

/** Each protected selector needs a keep rule, and nothing applied before it may expire an image. */
function validateProtection(path: string, rules: readonly LifecycleRule[], options: ValidateLifecyclePolicyOptions): void {
  const fail: Fail = failAt(path);
  const keepCount = checkedKeepCount(path, options.protectedKeepCount);
  const byPriority = rules.map((rule, index) => ({ rule, index })).sort((a, b) => a.rule.rulePriority - b.rule.rulePriority);
  (options.protectedSelectors ?? []).forEach((selector, s) => {
    validateSelector(`${path}/protectedSelectors/${s}`, selector);
    const pattern = selectorPattern(selector);
    const exact = byPriority.find(({ rule }) => {
      const selectors = ruleSelectors(rule);
      return selectors.length === 1 && selectorPattern(selectors[0]!) === pattern;
    });
    const listField = "prefix" in selector ? "tagPrefixList" : "tagPatternList";
    const entry = "prefix" in selector ? selector.prefix : selector.pattern;
    const keepRule = `{ "tagStatus": "tagged", "${listField}": [${JSON.stringify(entry)}], "countType": "imageCountMoreThan", "countNumber": ${keepCount} }`;
    if (!exact) {
      fail(
        `keep rule for protected ${describeSelector(selector)}`,
        pattern,
        "every protected tag needs a keep rule that selects exactly it and never expires anything",
        `add a rule with selection ${keepRule} and a lower rulePriority than every other tagged rule`,
      );
    }
    if (!isKeepRule(exact.rule, keepCount)) {
      failAt(`${path}/rules/${exact.index}`)(
        "selection",
        exact.rule.selection,
        `this rule selects the protected ${describeSelector(selector)} and would expire such images ` +
          `(a keep rule is imageCountMoreThan with countNumber >= ${keepCount}, the images-per-repository quota)`,
        `change its selection to ${keepRule}`,
      );
    }
    for (const { rule, index } of byPriority) {
      if (rule === exact.rule) break;
      if (rule.selection.tagStatus === "untagged" || isKeepRule(rule, keepCount)) continue;
      const overlapping = ruleSelectors(rule).find((s) => patternsOverlap(selectorPattern(s), pattern));
      // An "any" rule is always last (checked above), so only tagged rules get here.
      const how = overlapping
        ? `its entry ${describeSelector(overlapping)} matches protected tags themselves`
        : "an image carrying both a tag it selects and a protected tag is claimed by it first, and expiring an image removes all its tags";
      failAt(`${path}/rules/${index}`)(
        `rulePriority of the rule with ${describeRuleSelection(rule)}`,
        rule.rulePriority,
        `it is applied before the keep rule (rulePriority ${exact.rule.rulePriority}) of the protected ${describeSelector(selector)} and would expire protected images: ${how}`,
        `move it below the keep rule: give it a rulePriority above ${exact.rule.rulePriority} (keep rules come first); narrowing its selection does not help, since one image can carry several tags`,
      );
    }
  });
}
