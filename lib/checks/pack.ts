import { AnnotationMetadataEntryType, App, type IAspect, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { type IConstruct } from "constructs";
import { check } from "../core/errors";
import { selectorPattern } from "../registry/glob";
import { DEFAULT_PROTECTED_KEEP_COUNT } from "../registry/lifecycle/policy";
import { TagScheme, validateSelector } from "../registry/tag-scheme";
import { type FindingSeverity, type RuleOptions, type Severity } from "./rule";
import { SECURITY_RULE_IDS, SECURITY_RULES } from "./rules";
import { type StackElement, StackModel } from "./stack-model";
import { isExpired, type Suppression, suppressionsOn } from "./suppressions";
import { type CachedFinding, findingsCacheDirectory, findingsKey, readFindings, writeFindings } from "./findings-cache";
import { checkSynthesizedJson } from "./synthesized-json";

/** Props of a {@link SecurityRulePack}. */
export interface SecurityRulePackProps {
  /**
   * The stacks are a production environment: DATA001 then requires `prevent_destroy` on
   * registries and data volumes.
   * @default false
   */
  readonly production?: boolean;
  /**
   * ECR tag patterns (`*` wildcards, ECR `tagPatternList` syntax) that lifecycle policies must
   * never expire (ECR003).
   * @default the protected kinds of the default TagScheme: ["latest", "v*.*.*"]
   */
  readonly protectedTags?: readonly string[];
  /**
   * `imageCountMoreThan` counts at or above this never expire anything in the lifecycle simulation
   * (ECR003): the account's "Images per repository" quota.
   * @default DEFAULT_PROTECTED_KEEP_COUNT (100,000, the default quota)
   */
  readonly protectedKeepCount?: number;
  /**
   * Severity per rule id, overriding the rule's default (e.g. `{ EC2003: "error" }`). With
   * `production: true`, downgrading an error-level rule needs a matching entry in `exceptions`.
   * @default each rule's own severity (see SECURITY_RULES)
   */
  readonly severity?: Readonly<Record<string, Severity>>;
  /**
   * Identifies hosts that serve a registry mirror (NET002), tested against construct path
   * segments and the values of `Name`, `role`, `component`, `service` and `app` tags.
   * User data that runs `sonatype/nexus` also marks a mirror host.
   * @default /mirror|nexus/i
   */
  readonly mirrorHostPattern?: RegExp;
  /**
   * Named, reasoned exceptions that allow a severity override to downgrade an error-level rule
   * in production (`severity: { IAM002: "warning" }` with `production: true` is refused without one).
   * @default none
   */
  readonly exceptions?: readonly ProductionException[];
  /**
   * The date suppressions are judged against (expired suppressions hide nothing).
   * @default the current date
   */
  readonly today?: Date;
}

/** A production exception: who accepted downgrading an error-level rule, and why. */
export interface ProductionException {
  /** The downgraded rule's id, e.g. `IAM002`. */
  readonly ruleId: string;
  /** Who accepted the exception (a person or a team, e.g. `platform-security`). */
  readonly name: string;
  /** Why the downgrade is acceptable in production. */
  readonly reason: string;
}

/** One finding of one rule on one element of a stack. */
export interface Finding {
  /** The rule's id, e.g. `IAM002`. */
  readonly ruleId: string;
  /** The rule's title. */
  readonly title: string;
  /** The effective severity (after overrides); `info` for an unchecked value. */
  readonly severity: FindingSeverity;
  /** The element at fault. */
  readonly element: StackElement;
  /** What is wrong, specifically. */
  readonly detail: string;
  /** How to fix it. */
  readonly fix: string;
}

const PACK = "SecurityRulePack";

/** The annotation level of each finding severity. */
const LEVEL: Readonly<Record<FindingSeverity, AnnotationMetadataEntryType>> = {
  error: AnnotationMetadataEntryType.ERROR,
  warning: AnnotationMetadataEntryType.WARN,
  info: AnnotationMetadataEntryType.INFO,
};

/**
 * The ECR patterns of a tag scheme's protected kinds, e.g. `["latest", "v*.*.*"]`: the pack's
 * `protectedTags`. The build cache kind is left out (`TagScheme.irreplaceableKinds`): expiring a
 * BuildKit cache costs one slower build, not an image anyone runs.
 */
export function protectedTagPatterns(scheme: TagScheme): string[] {
  return scheme.irreplaceableKinds.map((kind) => selectorPattern(kind.selector));
}

/** Renders a finding as an annotation message: rule id, what is wrong, the construct path, the fix. */
export function formatFinding(finding: Pick<Finding, "ruleId" | "title" | "detail" | "fix"> & { readonly element: Pick<StackElement, "address"> }, constructPath: string): string {
  return (
    `${finding.ruleId} ${finding.title}: ${finding.detail}. ` +
    `Construct: ${constructPath} (${finding.element.address}). Fix: ${finding.fix}. ` +
    `To accept it, suppressRule(construct, "${finding.ruleId}", "<reason>", "<expiry YYYY-MM-DD>").`
  );
}

/** The default `protectedTags` (the default TagScheme's protected kinds), derived once per process: every stack's pack asks. */
let defaultProtectedTags: readonly string[] | undefined;

/** Validates the props and resolves their defaults. */
function resolveOptions(props: SecurityRulePackProps): { options: RuleOptions; severity: ReadonlyMap<string, Severity>; today: Date } {
  const protectedTags = props.protectedTags ?? (defaultProtectedTags ??= Object.freeze(protectedTagPatterns(new TagScheme(PACK))));
  protectedTags.forEach((pattern, i) => validateSelector(`${PACK}/protectedTags[${i}]`, { pattern }));
  const protectedKeepCount = props.protectedKeepCount ?? DEFAULT_PROTECTED_KEEP_COUNT;
  check(Number.isInteger(protectedKeepCount) && protectedKeepCount > 0, {
    path: PACK,
    subject: "protectedKeepCount",
    value: protectedKeepCount,
    rule: "a whole number greater than 0 (the images-per-repository quota)",
    fix: "pass the account's quota, or leave it out for 100,000",
  });
  for (const [id, level] of Object.entries(props.severity ?? {})) {
    check(SECURITY_RULE_IDS.includes(id), {
      path: `${PACK}/severity`,
      subject: "rule id",
      value: id,
      rule: `severity overrides name rules of the pack (${SECURITY_RULE_IDS.join(", ")})`,
      fix: "use a rule id from the rule table in docs/rule-pack.md",
    });
    check(level === "error" || level === "warning", {
      path: `${PACK}/severity/${id}`,
      subject: "severity",
      value: level,
      rule: 'a severity is "error" (fails synth) or "warning" (annotates)',
      fix: 'use "error" or "warning"; to accept a finding, suppress it with a reason',
    });
  }
  validateExceptions(props);
  check(props.today === undefined || (props.today instanceof Date && !Number.isNaN(props.today.getTime())), {
    path: PACK,
    subject: "today",
    value: props.today,
    rule: "the date suppressions are judged against is a valid Date",
    fix: "pass new Date(\"2027-01-31\"), or leave it out for the current date",
  });
  const pattern = props.mirrorHostPattern ?? /mirror|nexus/i;
  return {
    today: props.today ?? new Date(),
    options: {
      production: props.production ?? false,
      protectedTags,
      protectedKeepCount,
      // Without the g/y flags, RegExp.test keeps no state between calls.
      mirrorHostPattern: new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")),
    },
    severity: new Map<string, Severity>(Object.entries(props.severity ?? {})),
  };
}

/** Refuses downgrades of error-level rules in production without a named, reasoned exception. */
function validateExceptions(props: SecurityRulePackProps): void {
  (props.exceptions ?? []).forEach((e, i) => {
    const path = `${PACK}/exceptions[${i}]`;
    check(SECURITY_RULE_IDS.includes(e.ruleId), { path, subject: "rule id", value: e.ruleId, rule: "an exception names a rule of the pack", fix: "use the id printed in the finding" });
    check(typeof e.name === "string" && e.name.trim() !== "", { path, subject: "name", value: e.name, rule: "an exception names who accepted it", fix: 'set name, e.g. "platform-security"' });
    check(typeof e.reason === "string" && e.reason.trim() !== "", { path, subject: "reason", value: e.reason, rule: "an exception says why the downgrade is acceptable", fix: "write the reason reviewers will read" });
  });
  if (!props.production) return;
  for (const [id, level] of Object.entries(props.severity ?? {})) {
    const rule = SECURITY_RULES.find((r) => r.id === id);
    if (rule?.severity !== "error" || level === "error") continue;
    check((props.exceptions ?? []).some((e) => e.ruleId === id), {
      path: `${PACK}/severity/${id}`,
      subject: "severity override",
      value: level,
      rule: `${id} is an error-level rule and the stacks are production: it cannot be downgraded without a named, reasoned exception`,
      fix: `fix the findings, suppress single findings with a reason and expiry, or add exceptions: [{ ruleId: "${id}", name: "<who accepts it>", reason: "<why>" }]`,
    });
  }
}

/**
 * Evaluates every rule on a synthesized stack (`stack.toTerraform()` or a parsed `cdk.tf.json`)
 * and returns the findings, without suppressions (those live on constructs). For tooling that
 * reads synthesized JSON; in a cdktf app use the {@link SecurityRulePack} aspect.
 */
export function evaluateSecurityRules(json: unknown, props: SecurityRulePackProps = {}): Finding[] {
  const { options, severity } = resolveOptions(props);
  return evaluate(new StackModel(json), options, severity);
}

/** Runs every rule on one stack model, applying severity overrides. */
function evaluate(model: StackModel, options: RuleOptions, severity: ReadonlyMap<string, Severity>): Finding[] {
  return SECURITY_RULES.flatMap((rule) =>
    rule.check(model, options).map((v) => ({
      ruleId: rule.id,
      title: rule.title,
      severity: v.unchecked ? ("info" as const) : (severity.get(rule.id) ?? rule.severity),
      element: v.element,
      detail: v.unchecked ? `unchecked: ${v.detail}` : v.detail,
      fix: v.fix ?? rule.fix,
    })),
  );
}

/**
 * The security and policy rule pack as a cdktf aspect. It evaluates the JSON synth writes for
 * each stack it is added to (`toTerraform()`: lazily rendered policies included, after every
 * aspect ran), runs every rule, and annotates the construct behind each finding (found by its
 * metadata path): `error` findings fail synth, `warning` findings are listed. Suppressions
 * ({@link suppressRule}) are honoured and listed as info; unused ones as warnings.
 *
 * The stack is resolved once per synth for the pack, `UniquePhysicalNames` and the
 * written `cdk.tf.json` together (see `checkSynthesizedJson`): the findings are annotated in the
 * stack's custom synthesis, before cdktf collects the annotations and fails on errors.
 *
 * Add it to every stack. cdktf 0.21 invokes aspects from each stack down, so a pack added to
 * the App is never run.
 * @example
 * Aspects.of(stack).add(new SecurityRulePack({ production: true }));
 */
export class SecurityRulePack implements IAspect {
  private readonly options: RuleOptions;
  private readonly severity: ReadonlyMap<string, Severity>;
  private readonly today: Date;
  /** Stacks already evaluated (each synth runs aspects again; annotate only once). */
  private readonly seen = new WeakSet<TerraformStack>();

  /** @throws ValidationError for invalid props (unknown rule ids, bad tag patterns) */
  public constructor(props: SecurityRulePackProps = {}) {
    ({ options: this.options, severity: this.severity, today: this.today } = resolveOptions(props));
  }

  /** Called by cdktf for the scope the aspect was added to and every construct below it. */
  public visit(node: IConstruct): void {
    if (App.isApp(node)) return; // not reached in cdktf 0.21 (aspects run from each stack down); harmless
    if (TerraformStack.isStack(node)) {
      if (!this.seen.has(node)) checkSynthesizedJson(node, (json) => this.evaluateStack(node, json));
      this.seen.add(node);
      return;
    }
    // Reached a construct before its stack: the pack was added below the stack.
    const stack = TerraformStack.of(node);
    if (this.seen.has(stack)) return;
    this.seen.add(stack);
    annotate(
      node,
      AnnotationMetadataEntryType.WARN,
      `${PACK} was added to ${node.node.path}, below its stack, and checks nothing: it evaluates whole stacks. ` +
        `Add it to the stack: Aspects.of(stack).add(new SecurityRulePack(...)).`,
    );
  }

  /**
   * The stack's findings: from the findings cache when `PLATFORM_RULE_CACHE` names one and it
   * holds this JSON, these options and this code (see findings-cache.ts); evaluated otherwise.
   */
  private findingsOf(json: Record<string, unknown>): CachedFinding[] {
    const dir = findingsCacheDirectory();
    const key = dir === undefined ? undefined : findingsKey(json, this.options, this.severity);
    const cached = dir === undefined || key === undefined ? undefined : readFindings(dir, key);
    if (cached) return cached;
    const findings = evaluate(new StackModel(json), this.options, this.severity).map(
      (f): CachedFinding => ({ ruleId: f.ruleId, title: f.title, severity: f.severity, address: f.element.address, ...(f.element.path === undefined ? {} : { path: f.element.path }), detail: f.detail, fix: f.fix }),
    );
    if (dir !== undefined && key !== undefined) writeFindings(dir, key, findings);
    return findings;
  }

  private evaluateStack(stack: TerraformStack, json: Record<string, unknown>): void {
    const findings = this.findingsOf(json);
    const constructs = stack.node.findAll();
    const byPath = new Map(constructs.map((c): [string, IConstruct] => [c.node.path, c]));
    const stackLevel = new Map<string, IConstruct>();
    for (const c of constructs) {
      if (c instanceof TerraformVariable) stackLevel.set(`var.${c.friendlyUniqueId}`, c);
      else if (c instanceof TerraformOutput) stackLevel.set(`output.${c.friendlyUniqueId}`, c);
      else if (c instanceof TerraformLocal) stackLevel.set(`local.${c.friendlyUniqueId}`, c);
    }
    const all = constructs.flatMap((c) => suppressionsOn(c).map((s) => ({ ...s, hidden: [] as CachedFinding[] })));
    const suppressions = all.filter((s) => !isExpired(s, this.today));
    const expired = all.filter((s) => isExpired(s, this.today));

    for (const finding of findings) {
      const target = (finding.path && byPath.get(finding.path)) || stackLevel.get(finding.address) || stack;
      const suppression = nearestSuppression(target, finding.ruleId, suppressions);
      if (suppression) {
        suppression.hidden.push(finding);
        continue;
      }
      const lapsed = nearestSuppression(target, finding.ruleId, expired);
      const note = lapsed ? ` (The suppression at ${lapsed.scope.node.path} expired on ${lapsed.expires}; reason was ${JSON.stringify(lapsed.reason)}.)` : "";
      annotate(target, LEVEL[finding.severity], formatFinding({ ...finding, element: { address: finding.address } }, target.node.path) + note);
    }

    for (const s of suppressions) {
      const where = s.scope.node.path;
      if (s.hidden.length > 0) {
        const addresses = [...new Set(s.hidden.map((f) => f.address))].join(", ");
        annotate(s.scope, AnnotationMetadataEntryType.INFO, `${PACK}: ${s.ruleId} suppressed at ${where}, reason: ${JSON.stringify(s.reason)}, expires ${s.expires} (hides ${s.hidden.length} finding(s) on ${addresses})`);
      } else {
        annotate(
          s.scope,
          AnnotationMetadataEntryType.WARN,
          `${PACK}: the suppression of ${s.ruleId} at ${where} (reason: ${JSON.stringify(s.reason)}) matches no finding; remove it so that it cannot hide a future one`,
        );
      }
    }
  }
}

/**
 * Adds a cdktf annotation (what `Annotations.of(scope).addError/addWarning/addInfo` add) without
 * a stack trace: the trace would point into this pack, and the cdktf CLI prints it under every error.
 */
function annotate(scope: IConstruct, level: AnnotationMetadataEntryType, message: string): void {
  scope.node.addMetadata(level, message, { stackTrace: false });
}

/** The suppression of `ruleId` closest to `target` on the path from its stack down to it. */
function nearestSuppression<S extends Suppression>(target: IConstruct, ruleId: string, suppressions: readonly S[]): S | undefined {
  const scopes = target.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const hit = suppressions.find((s) => s.scope === scopes[i] && s.ruleId === ruleId);
    if (hit) return hit;
  }
  return undefined;
}
