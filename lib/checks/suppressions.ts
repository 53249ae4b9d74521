import { type IConstruct } from "constructs";
import { check } from "../core/errors";
import { SECURITY_RULE_IDS } from "./rules";

/** The construct metadata type that records a suppression. */
export const SUPPRESSION_METADATA_TYPE = "gitlab-ci-platform:checks:suppress";

/** A rule suppressed on a construct and everything below it, with the written reason. */
export interface Suppression {
  /** The suppressed rule's id, e.g. `IAM002`. */
  readonly ruleId: string;
  /** Why the finding is accepted, as written by whoever suppressed it. */
  readonly reason: string;
  /** The construct the suppression was added to. */
  readonly scope: IConstruct;
}

/**
 * Suppresses a rule of the security rule pack on `scope` and everything below it. The reason is
 * required and is listed in the synth output (an info annotation) wherever the suppression hides
 * a finding; a suppression that hides nothing is reported as a warning.
 *
 * @param scope the construct (a resource, one of our constructs, or a whole stack)
 * @param ruleId a rule id of {@link SECURITY_RULES}, e.g. `IAM002`
 * @param reason why the finding is accepted, for reviewers (non-empty)
 * @throws ValidationError for an unknown rule id, an empty reason, or a second suppression of the same rule on the same construct
 *
 * @example
 * suppressRule(role, "IAM002", "ec2:DescribeInstances has no resource-level form; read-only");
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string): void {
  const path = scope.node.path;
  check(SECURITY_RULE_IDS.includes(ruleId), {
    path,
    subject: "suppressed rule id",
    value: ruleId,
    rule: `a suppression names a rule of the security rule pack (${SECURITY_RULE_IDS.join(", ")})`,
    fix: "use the id printed in the finding, e.g. IAM002",
  });
  check(typeof reason === "string" && reason.trim() !== "", {
    path,
    subject: `reason for suppressing ${ruleId}`,
    value: reason,
    rule: "every suppression needs a written reason; it is listed in the synth output for reviewers",
    fix: `say why the finding is acceptable here, e.g. suppressRule(construct, "${ruleId}", "read-only action without a resource-level form")`,
  });
  const prior = suppressionsOn(scope).find((s) => s.ruleId === ruleId);
  check(prior === undefined, {
    path,
    subject: `suppression of ${ruleId}`,
    value: reason,
    rule: `the construct already suppresses ${ruleId} with the reason ${JSON.stringify(prior?.reason)}`,
    fix: "keep one suppression per rule and construct; merge the reasons",
  });
  scope.node.addMetadata(SUPPRESSION_METADATA_TYPE, { ruleId, reason: reason.trim() }, { stackTrace: false });
}

/** The suppressions added to `scope` itself (not its children or ancestors). */
export function suppressionsOn(scope: IConstruct): Suppression[] {
  return scope.node.metadata
    .filter((entry) => entry.type === SUPPRESSION_METADATA_TYPE)
    .map((entry) => {
      const data = entry.data as { ruleId: string; reason: string };
      return { ruleId: data.ruleId, reason: data.reason, scope };
    });
}
