import { type StackElement, type StackModel } from "./stack-model";

/** `error` fails synth; `warning` annotates the construct and lets synth pass. */
export type Severity = "error" | "warning";

/** The severity of a finding: a rule's severity, or `info` for a value the rule could not check. */
export type FindingSeverity = Severity | "info";

/** What every rule documents about itself (the rule table of docs/rule-pack.md is this data). */
export interface RuleDefinition {
  /** Stable id, e.g. `IAM002`; used in messages, suppressions and severity overrides. Never reused. */
  readonly id: string;
  /** Short name of the problem, e.g. `IAM statement allows actions on Resource "*"`. */
  readonly title: string;
  /** Why it matters, in one line. */
  readonly rationale: string;
  /** Default severity. */
  readonly severity: Severity;
  /** Terraform types the rule reads (`data.` prefix for data sources, `*` for every block). */
  readonly resourceTypes: readonly string[];
  /** How to fix a finding, in general; findings may give a more specific fix. */
  readonly fix: string;
}

/** Options every rule may read, resolved from the pack's props. */
export interface RuleOptions {
  /** Whether the stack is a production environment. */
  readonly production: boolean;
  /** ECR tag patterns (`*` wildcards) that lifecycle policies must never expire. */
  readonly protectedTags: readonly string[];
  /** `imageCountMoreThan` counts at or above this never expire anything (the images-per-repository quota). */
  readonly protectedKeepCount: number;
  /** Matches construct path segments, `Name`/`role` tags or user data of hosts that serve a registry mirror. */
  readonly mirrorHostPattern: RegExp;
}

/** One problem a rule found on one element. */
export interface RuleViolation {
  /** The element at fault (its construct path locates the annotation). */
  readonly element: StackElement;
  /** What is wrong, specifically, e.g. `statement 2 allows s3:GetObject on Resource "*"`. */
  readonly detail: string;
  /**
   * How to fix this finding.
   * @default the rule's general fix
   */
  readonly fix?: string;
  /**
   * The rule could not check the element because a value it needs is known only at apply time
   * (`detail` says which). Reported at `info` severity: never as passing, never failing synth.
   * @default false
   */
  readonly unchecked?: boolean;
}

/** A rule: its definition and the check that finds violations in a stack. */
export interface SecurityRule extends RuleDefinition {
  /** Finds the violations of this rule in one stack; at most one per element. */
  check(model: StackModel, options: RuleOptions): readonly RuleViolation[];
}
