import { App, TerraformStack } from "cdktf";
import { type IConstruct } from "constructs";
import { check } from "../core/errors";
import { SECURITY_RULE_IDS } from "./rules";

/** The construct metadata type that records a suppression. */
export const SUPPRESSION_METADATA_TYPE = "gitlab-ci-platform:checks:suppress";

/** A rule suppressed on a construct and everything below it, with the written reason and an expiry date. */
export interface Suppression {
  /** The suppressed rule's id, e.g. `IAM002`. */
  readonly ruleId: string;
  /** Why the finding is accepted, as written by whoever suppressed it. */
  readonly reason: string;
  /** The last day (UTC, `YYYY-MM-DD`) on which the suppression hides findings; from the next day they return. */
  readonly expires: string;
  /** The construct the suppression was added to. */
  readonly scope: IConstruct;
}

/** An ISO calendar date, `YYYY-MM-DD`. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date in `YYYY-MM-DD` form. */
function isCalendarDate(value: unknown): value is string {
  if (typeof value !== "string" || !ISO_DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** True when the suppression no longer applies on `today` (its expiry date is before today, UTC). */
export function isExpired(suppression: Pick<Suppression, "expires">, today: Date = new Date()): boolean {
  return suppression.expires < today.toISOString().slice(0, 10);
}

/**
 * Suppresses a rule of the security rule pack on one construct (a resource or one of our
 * constructs) and everything below it, until an expiry date. The reason is required and is listed
 * in the synth output (an info annotation) wherever the suppression hides a finding; a suppression
 * that hides nothing is reported as a warning; an expired one hides nothing and its findings
 * return with a note.
 *
 * A suppression names resources: it cannot be added to a whole stack or app (a blanket
 * suppression would hide every future finding of the rule).
 *
 * @param scope the construct whose findings (and whose children's) are accepted; not a stack or app
 * @param ruleId a rule id of {@link SECURITY_RULES}, e.g. `IAM002`
 * @param reason why the finding is accepted, for reviewers (non-empty)
 * @param expires the last day the suppression applies, `YYYY-MM-DD` (UTC)
 * @throws ValidationError for an unknown rule id, an empty reason, an invalid expiry date, a stack or app as scope, or a second suppression of the same rule on the same construct
 *
 * @example
 * suppressRule(role, "IAM002", "ec2:DescribeInstances has no resource-level form; read-only", "2027-03-31");
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string, expires: string): void {
  const path = scope.node.path;
  check(SECURITY_RULE_IDS.includes(ruleId), {
    path,
    subject: "suppressed rule id",
    value: ruleId,
    rule: `a suppression names a rule of the security rule pack (${SECURITY_RULE_IDS.join(", ")})`,
    fix: "use the id printed in the finding, e.g. IAM002",
  });
  check(!TerraformStack.isStack(scope) && !App.isApp(scope) && scope.node.scope !== undefined, {
    path: path || "(app)",
    subject: `scope of the suppression of ${ruleId}`,
    value: path || "(app)",
    rule: "a suppression names the resources it accepts: a stack-wide (or app-wide) suppression would hide every present and future finding of the rule",
    fix: "suppress the rule on the construct or resource the finding names (its path is printed in the finding)",
  });
  check(typeof reason === "string" && reason.trim() !== "", {
    path,
    subject: `reason for suppressing ${ruleId}`,
    value: reason,
    rule: "every suppression needs a written reason; it is listed in the synth output for reviewers",
    fix: `say why the finding is acceptable here, e.g. suppressRule(construct, "${ruleId}", "read-only action without a resource-level form", "2027-03-31")`,
  });
  check(isCalendarDate(expires), {
    path,
    subject: `expiry date of the suppression of ${ruleId}`,
    value: expires,
    rule: "every suppression expires: a calendar date YYYY-MM-DD (UTC), after which the finding returns",
    fix: 'pass the last day the exception is accepted, e.g. "2027-03-31", and revisit it then',
  });
  const prior = suppressionsOn(scope).find((s) => s.ruleId === ruleId);
  check(prior === undefined, {
    path,
    subject: `suppression of ${ruleId}`,
    value: reason,
    rule: `the construct already suppresses ${ruleId} with the reason ${JSON.stringify(prior?.reason)}`,
    fix: "keep one suppression per rule and construct; merge the reasons",
  });
  scope.node.addMetadata(SUPPRESSION_METADATA_TYPE, { ruleId, reason: reason.trim(), expires }, { stackTrace: false });
}

/** The suppressions added to `scope` itself (not its children or ancestors). */
export function suppressionsOn(scope: IConstruct): Suppression[] {
  return scope.node.metadata
    .filter((entry) => entry.type === SUPPRESSION_METADATA_TYPE)
    .map((entry) => {
      const data = entry.data as { ruleId: string; reason: string; expires: string };
      return { ruleId: data.ruleId, reason: data.reason, expires: data.expires, scope };
    });
}
