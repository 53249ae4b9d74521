import { describeValue, ValidationError } from "../../core/errors";
import { recall } from "../../core/memo";
import { matchesPattern, matchesSelector, type TagSelector } from "../../registry/glob";
import { ruleSelectors, validateLifecyclePolicy, type LifecyclePolicyDocument, type LifecycleRule } from "../../registry/lifecycle/policy";
import { simulateLifecycle, type ImageDecision, type LifecycleImage } from "../../registry/lifecycle/simulator";
import { type RuleViolation, type SecurityRule } from "../rule";
import { evaluateValue } from "../terraform-eval";
import { blocks, isExpression, isRecord, isTrue, soleReference, type StackElement, type StackModel } from "../stack-model";
import { noteRuleShortcut, ruleShortcutOn } from "../shortcuts";
import { keepRulesShield } from "./lifecycle-shield";
import { isCacheRepositoryPolicy, pullThroughCacheRepositories } from "./pull-through-cache";
import { violationsOf } from "./violations";

const REPOSITORY = "aws_ecr_repository";
const SCANNING_FREQUENCIES = ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"];

/** True when a registry scanning configuration in the stack scans `repositoryName` on push or continuously. */
function registryScans(model: StackModel, repositoryName: unknown): boolean {
  return model.resources("aws_ecr_registry_scanning_configuration").some((c) =>
    blocks(c.config.rule).some(
      (rule) =>
        SCANNING_FREQUENCIES.includes(String(rule.scan_frequency)) &&
        blocks(rule.repository_filter).some(
          (f) =>
            f.filter === "*" ||
            (typeof f.filter === "string" && typeof repositoryName === "string" && !isExpression(repositoryName) && matchesPattern(repositoryName, f.filter)),
        ),
    ),
  );
}

/** ECR001: repositories scan images on push (or a registry scanning rule covers them). */
export const repositoryScanOnPush: SecurityRule = {
  id: "ECR001",
  title: "ECR repository without scan on push",
  rationale: "Images pulled by every CI job should be scanned for known vulnerabilities when pushed, not found later in production.",
  severity: "error",
  resourceTypes: [REPOSITORY, "aws_ecr_registry_scanning_configuration"],
  fix: "set image_scanning_configuration { scan_on_push = true } (or a registry scanning configuration rule that matches the repository)",
  check: (model) =>
    violationsOf(model.resources(REPOSITORY), (e) =>
      blocks(e.config.image_scanning_configuration).some((s) => isTrue(s.scan_on_push)) || registryScans(model, e.config.name)
        ? []
        : ["image_scanning_configuration.scan_on_push is not true and no registry scanning rule covers the repository"],
    ),
};

/** ECR002: repositories never set force_delete. */
export const repositoryForceDelete: SecurityRule = {
  id: "ECR002",
  title: "ECR repository with force_delete",
  rationale: "force_delete lets one `terraform destroy` or a renamed construct id delete the repository with every image in it, releases included.",
  severity: "error",
  resourceTypes: [REPOSITORY],
  fix: "remove force_delete (or set it to false); delete images deliberately before removing a repository",
  check: (model) => violationsOf(model.resources(REPOSITORY), (e) => (isTrue(e.config.force_delete) ? ["force_delete is true"] : [])),
};

const NOW = new Date("2030-01-01T00:00:00Z");
const DAY_MS = 86_400_000;

/** A concrete tag the selector matches; `index` makes tags of wildcard selectors unique. */
function exampleTag(selector: TagSelector, index: number | string): string {
  return "prefix" in selector ? `${selector.prefix}${index}` : selector.pattern.replace(/\*/g, String(index));
}

/** What probes fill wildcards and prefixes with: different fills escape different selectors of other rules. */
const FILLS = ["0", "x", "1.2.3", ""];

/** Concrete tags the selector matches, one per fill (a literal pattern has one). */
function exampleTags(selector: TagSelector): string[] {
  return [...new Set(FILLS.map((fill) => exampleTag(selector, fill)))].filter((tag) => tag !== "");
}

/**
 * One tag per entry of `rule` that as few other rules' entries as possible also match: a real
 * tag that escapes an earlier keep rule is the worst case the probe must cover.
 */
function escapingTags(rule: LifecycleRule, others: readonly TagSelector[]): string[] {
  return ruleSelectors(rule).map((entry) => {
    const score = (tag: string): number => others.filter((s) => matchesSelector(tag, s)).length;
    return exampleTags(entry).reduce((best, tag) => (score(tag) < score(best) ? tag : best));
  });
}

/** A literal selector matches one tag only, and a tag sits on one image at a time. */
function isLiteral(selector: TagSelector): boolean {
  return "pattern" in selector && !selector.pattern.includes("*");
}

/**
 * Newer images that make every `imageCountMoreThan` rule (below the keep count) select more
 * images than it keeps, so an old image it selects is beyond its count.
 */
function countFillers(doc: LifecyclePolicyDocument, keepCount: number): LifecycleImage[] {
  const fillers: LifecycleImage[] = [];
  let unique = 1;
  for (const rule of doc.rules) {
    const { countType, countNumber, tagStatus } = rule.selection;
    if (countType !== "imageCountMoreThan" || countNumber >= keepCount) continue;
    const selectors = ruleSelectors(rule);
    if (selectors.some(isLiteral)) continue;
    for (let k = 0; k < countNumber; k++, unique++) {
      const tags = tagStatus === "tagged" ? selectors.map((s) => exampleTag(s, unique)) : [];
      fillers.push({ digest: `sha256:filler-${unique}`, tags, pushedAt: new Date(NOW.getTime() - (fillers.length + 1) * 60_000) });
    }
  }
  return fillers;
}

/**
 * The policy with every `imageCountMoreThan` count below the keep count lowered to 1. Which rule
 * claims an image, and whether a rule can expire it, does not depend on such a count, only on how
 * many newer images it takes: the lowered policy expires a probe exactly when the real one would,
 * with one filler per rule instead of hundreds.
 */
function withMinimalCounts(doc: LifecyclePolicyDocument, keepCount: number): LifecyclePolicyDocument {
  return {
    rules: doc.rules.map((rule) =>
      rule.selection.countType === "imageCountMoreThan" && rule.selection.countNumber < keepCount ? { ...rule, selection: { ...rule.selection, countNumber: 1 } } : rule,
    ),
  };
}

/** The first expired image carrying a protected tag when `doc` runs on the probe plus `fillers` (`countFillers(doc, …)`). */
function protectedExpiry(doc: LifecyclePolicyDocument, probe: LifecycleImage, fillers: readonly LifecycleImage[], isProtected: (tag: string) => boolean): ImageDecision | undefined {
  return simulateLifecycle(doc, [probe, ...fillers], NOW).expired.find((d) => d.tags.some(isProtected));
}

/**
 * Simulates the policy on synthetic images and returns, per protected pattern, the first expired
 * image that carries a protected tag. The probe image is older than every age rule and carries an
 * example of the protected tag alone, with the tags of each tagged rule, and with all of them;
 * newer filler images exceed every count below the keep count.
 */
export function protectedTagExpiries(doc: LifecyclePolicyDocument, protectedTags: readonly string[], keepCount: number): Array<{ pattern: string; decision: ImageDecision }> {
  const oldest = Math.max(0, ...doc.rules.filter((r) => r.selection.countType !== "imageCountMoreThan").map((r) => r.selection.countNumber));
  const pushedAt = new Date(NOW.getTime() - (oldest + 1) * DAY_MS);
  const minimal = withMinimalCounts(doc, keepCount);
  // The fillers depend on the policy only, not on the probe: built once for every probe.
  const minimalFillers = countFillers(minimal, keepCount);
  const tagged = doc.rules.filter((r) => r.selection.tagStatus === "tagged");
  const ruleTags = tagged.map((rule) => escapingTags(rule, tagged.filter((r) => r !== rule).flatMap(ruleSelectors)));
  const isProtected = (tag: string): boolean => protectedTags.some((p) => matchesPattern(tag, p));
  return protectedTags.flatMap((pattern) => {
    const variants = exampleTags({ pattern }).flatMap((tag) =>
      [[tag], ...ruleTags.map((tags) => [tag, ...tags]), [tag, ...ruleTags.flatMap((tags) => tags)]].map((tags) => [...new Set(tags)]),
    );
    for (const tags of variants) {
      const probe: LifecycleImage = { digest: "sha256:probe", tags, pushedAt };
      const quick = protectedExpiry(minimal, probe, minimalFillers, isProtected);
      // Found: run the real policy on this probe for the exact reason (real counts, enough fillers).
      if (quick) return [{ pattern, decision: protectedExpiry(doc, probe, countFillers(doc, keepCount), isProtected) ?? quick }];
    }
    return [];
  });
}

/** Why a lifecycle policy value fails ECR003: unreadable, rejected by ECR, or expiring protected tags. */
function lifecycleProblems(address: string, policy: unknown, protectedTags: readonly string[], keepCount: number): string[] {
  if (typeof policy !== "string") return [`the policy is not a JSON string (${describeValue(policy)})`];
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    return [
      isExpression(policy)
        ? `the policy is a Terraform expression (${describeValue(policy)}), so it cannot be simulated offline`
        : `the policy is not valid JSON (${describeValue(policy)})`,
    ];
  }
  try {
    validateLifecyclePolicy(address, doc);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return [`ECR rejects the policy: ${error.subject} ${describeValue(error.value)}: ${error.rule}`];
  }
  // Keep rules that shield every protected pattern: no probe can expire a protected image (lifecycle-shield.ts).
  if (ruleShortcutOn("lifecycle-keep-rules") && keepRulesShield(doc, protectedTags, keepCount)) {
    noteRuleShortcut("lifecycle-keep-rules");
    return [];
  }
  return protectedTagExpiries(doc, protectedTags, keepCount).map(({ pattern, decision }) => {
    const rule = decision.rule!;
    const name = `rule ${rule.rulePriority}${rule.description ? ` ("${rule.description}")` : ""}`;
    return `${name} would expire an image tagged ${decision.tags.join(", ")}, which carries the protected tag pattern "${pattern}" (${decision.reason})`;
  });
}

/**
 * Whether a lifecycle policy belongs to a repository of unprotected pushes: its `repository` is the
 * name of an `aws_ecr_repository` tagged `trust = "unprotected"` (as the platform tags the tenants'
 * merge-request repositories, tenant-repositories.ts). Nothing there is released or deployed and any
 * merge-request job can push `latest` or `v9.9.9`, so its policy expires those tags by design.
 */
function ofUnprotectedRepository(model: StackModel, policy: StackElement): boolean {
  const ref = soleReference(policy.config.repository);
  const repository = ref?.type === "aws_ecr_repository" ? model.get(ref.address) : undefined;
  const tags = repository?.config.tags;
  return isRecord(tags) && tags.trust === "unprotected";
}

/** ECR003: simulated lifecycle policies never expire an image carrying a protected tag (the policies of pull-through cache repositories, see {@link pullThroughCacheRepositories}, are not simulated: they hold upstream images; nor those of repositories of unprotected pushes, see {@link ofUnprotectedRepository}). */
export const lifecycleExpiresProtectedTags: SecurityRule = {
  id: "ECR003",
  title: "ECR lifecycle policy can expire protected tags",
  rationale: "Expiring an image deletes all its tags, so a rule that claims an image tagged MR-12 and latest deletes latest; protected tags need top-priority keep rules.",
  severity: "error",
  resourceTypes: ["aws_ecr_lifecycle_policy", "aws_ecr_repository"],
  fix: 'give each protected tag its own keep rule before every other tagged rule (tagged, tagPatternList ["latest"], imageCountMoreThan 100000), as ContainerRepository derives from the TagScheme',
  check: (model, options) => {
    // Repositories of one tag scheme share their policy text: simulate each text once.
    const byText = new Map<unknown, readonly string[]>();
    // Pull-through cache repositories created up front hold upstream images, not the platform's protected tags.
    const cache = pullThroughCacheRepositories(model);
    return violationsOf(model.resources("aws_ecr_lifecycle_policy").filter((e) => !isCacheRepositoryPolicy(e, cache)), (e) => {
      if (ofUnprotectedRepository(model, e)) return [];
      const policy = e.config.policy;
      if (!byText.has(policy)) byText.set(policy, problemsOfText(e.address, policy, options.protectedTags, options.protectedKeepCount));
      return [...byText.get(policy)!];
    });
  },
};

/**
 * Problems by policy text, protected tags and keep count, for the process: the stacks of one app
 * share their tag schemes, and the result depends on nothing else (not on the address). Kept to
 * the last {@link MAX_REMEMBERED} texts, so a long-running process does not grow with it.
 */
const remembered = new Map<string, readonly string[]>();
const MAX_REMEMBERED = 256;

function problemsOfText(address: string, policy: unknown, protectedTags: readonly string[], keepCount: number): readonly string[] {
  if (typeof policy !== "string") return lifecycleProblems(address, policy, protectedTags, keepCount);
  const key = JSON.stringify([policy, protectedTags, keepCount, ruleShortcutOn("lifecycle-keep-rules")]);
  return recall(remembered, key, () => lifecycleProblems(address, policy, protectedTags, keepCount), MAX_REMEMBERED);
}

/**
 * ECR004: repositories (and repository creation templates for pushed or replicated repositories)
 * keep image tags immutable. The provider's default for `image_tag_mutability` is `MUTABLE`;
 * `IMMUTABLE` and `IMMUTABLE_WITH_EXCLUSION` (immutable except for the tags of the exclusion
 * filters, e.g. `latest`, `MR-*`) pass. Pull-through-cache templates, and the cache repositories
 * created up front under a pull-through cache rule's prefix in the same stack, are not checked: the
 * cache updates upstream tags such as `latest` in place.
 * Source: Amazon ECR User Guide, "Preventing image tags from being overwritten"; Terraform AWS
 * provider docs for aws_ecr_repository (`image_tag_mutability`, default MUTABLE).
 */
export const mutableTags: SecurityRule = {
  id: "ECR004",
  title: "ECR repository with mutable image tags",
  rationale: "With mutable tags anyone who can push can replace a release tag (v1.2.3) or a deployed image behind everyone's back; what was tested is no longer what runs.",
  severity: "error",
  resourceTypes: [REPOSITORY, "aws_ecr_repository_creation_template"],
  fix: 'set image_tag_mutability = "IMMUTABLE", or "IMMUTABLE_WITH_EXCLUSION" with exclusion filters for the moving tags (latest, MR-*) as ContainerRepository does',
  check: (model) =>
    violationsOf(
      mutabilityTargets(model),
      (e) => mutabilityProblems(model, e.config.image_tag_mutability),
    ).concat(uncheckedMutability(model)),
};

/** Repositories other than pull-through cache repositories, and creation templates other than pull-through-cache-only ones. */
function mutabilityTargets(model: StackModel) {
  const cache = pullThroughCacheRepositories(model);
  return [
    ...model.resources(REPOSITORY).filter((e) => !cache.includes(e)),
    ...model
      .resources("aws_ecr_repository_creation_template")
      .filter((t) => !(Array.isArray(t.config.applied_for) && t.config.applied_for.length === 1 && t.config.applied_for[0] === "PULL_THROUGH_CACHE")),
  ];
}

/** What is wrong with an `image_tag_mutability` value (locals followed); none when known only at apply time. */
function mutabilityProblems(model: StackModel, raw: unknown): string[] {
  const r = isExpression(raw) ? evaluateValue(model, raw) : { known: true as const, value: raw };
  if (!r.known) return [];
  const value = r.value;
  if (value === "IMMUTABLE" || value === "IMMUTABLE_WITH_EXCLUSION") return [];
  return [value === undefined ? "image_tag_mutability is not set, so it is MUTABLE (the provider's default)" : `image_tag_mutability is ${JSON.stringify(value)}`];
}

/** Repositories whose mutability is known only at apply time: unchecked, never passing. */
function uncheckedMutability(model: StackModel): RuleViolation[] {
  return mutabilityTargets(model).flatMap((element) => {
    const raw = element.config.image_tag_mutability;
    if (!isExpression(raw)) return [];
    const r = evaluateValue(model, raw);
    return r.known ? [] : [{ element, unchecked: true, detail: `image_tag_mutability is ${String(raw)}, known only at apply time (${r.reason})` }];
  });
}
