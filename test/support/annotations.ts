import { AnnotationMetadataEntryType, Aspects, Testing, type TerraformStack } from "cdktf";
import { type IConstruct } from "constructs";
import { SecurityRulePack, type SecurityRulePackProps } from "../../lib/checks/pack";
import { testStack } from "./synth";

/** An annotation (cdktf's error/warning/info metadata) on a construct. */
export interface Annotation {
  readonly level: "error" | "warning" | "info";
  readonly path: string;
  readonly message: string;
}

const LEVELS: Readonly<Record<string, Annotation["level"]>> = {
  [AnnotationMetadataEntryType.ERROR]: "error",
  [AnnotationMetadataEntryType.WARN]: "warning",
  [AnnotationMetadataEntryType.INFO]: "info",
};

/** Every annotation on `scope` and below, in construct order. */
export function annotationsOf(scope: IConstruct): Annotation[] {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata.filter((m) => LEVELS[m.type] !== undefined).map((m) => ({ level: LEVELS[m.type]!, path: c.node.path, message: String(m.data) })),
  );
}

/** Builds constructs in a fresh stack named "test", applies the rule pack, synthesizes, and returns the annotations. */
export function checkStack(build: (stack: TerraformStack) => void, props: SecurityRulePackProps = {}): Annotation[] {
  const stack = testStack();
  build(stack);
  Aspects.of(stack).add(new SecurityRulePack(props));
  Testing.synth(stack);
  return annotationsOf(stack);
}

/** The annotations of one rule (messages start with the rule id). */
export function findingsOf(annotations: readonly Annotation[], ruleId: string): Annotation[] {
  return annotations.filter((a) => a.message.startsWith(`${ruleId} `));
}

/**
 * The single finding of `ruleId`, asserting that it sits on the construct at `path`, names that
 * path and says how to fix it.
 */
export function onlyFinding(annotations: readonly Annotation[], ruleId: string, path: string): Annotation {
  const found = findingsOf(annotations, ruleId);
  expect(found.map((a) => a.path)).toEqual([path]);
  const finding = found[0]!;
  expect(finding.message).toContain(`Construct: ${path} (`);
  expect(finding.message).toMatch(/\. Fix: .{20,}\. To accept it, /);
  expect(finding.message.endsWith(`To accept it, suppressRule(construct, "${ruleId}", "<reason>", "<expiry YYYY-MM-DD>").`)).toBe(true);
  return finding;
}
