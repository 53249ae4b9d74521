/**
 * The rule pack's shortcuts: cheaper ways to reach the same findings on inputs where the result is
 * known without the full evaluation. Each is a sufficient condition for the result the full
 * evaluation would give, checked on the synthesized JSON itself (never trusted because a construct
 * said so), and falls back to the full evaluation whenever the condition does not hold; a test
 * runs the pack with and without each over the example stacks and planted bad stacks and asserts
 * the same findings (`test/checks/shortcuts.test.ts`).
 *
 * - `lifecycle-keep-rules` (ECR003): a lifecycle policy whose keep rules shield every protected tag
 *   pattern is not simulated (see `keepRulesShield` in rules/lifecycle-shield.ts).
 * - `rendered-cloud-config` (RUN001): a cloud-config text that `renderCloudConfig` rendered in this
 *   process, read back from the document it was rendered from instead of parsing the YAML (see
 *   `lib/core/rendered-texts.ts`).
 *
 * All are on by default; `PLATFORM_RULE_SHORTCUTS=0` turns every one off (to compare, or to rule
 * them out when a finding surprises). The findings cache does not key on them: they change no finding.
 */

import { check } from "../core/errors";

/** The names of the pack's shortcuts. */
export const RULE_SHORTCUTS = ["lifecycle-keep-rules", "rendered-cloud-config"] as const;

/** One of {@link RULE_SHORTCUTS}. */
export type RuleShortcut = (typeof RULE_SHORTCUTS)[number];

const turnedOff = new Set<RuleShortcut>();
const uses = new Map<RuleShortcut, number>();

/** Whether a shortcut is in use: not turned off by {@link setRuleShortcut} nor by `PLATFORM_RULE_SHORTCUTS=0`. */
export function ruleShortcutOn(name: RuleShortcut): boolean {
  return process.env.PLATFORM_RULE_SHORTCUTS !== "0" && !turnedOff.has(name);
}

/** Counts one use of a shortcut (a rule took it instead of the full evaluation). */
export function noteRuleShortcut(name: RuleShortcut): void {
  uses.set(name, (uses.get(name) ?? 0) + 1);
}

/** How often each shortcut was taken in this process (tests show they are taken where they should be). */
export function ruleShortcutUses(): Readonly<Record<RuleShortcut, number>> {
  return Object.fromEntries(RULE_SHORTCUTS.map((name) => [name, uses.get(name) ?? 0])) as Record<RuleShortcut, number>;
}

/**
 * Turns a shortcut on or off for this process (tests compare the findings both ways).
 * @throws ValidationError for a name that is not in {@link RULE_SHORTCUTS} (plain-JavaScript callers)
 */
export function setRuleShortcut(name: RuleShortcut, on: boolean): void {
  check((RULE_SHORTCUTS as readonly string[]).includes(name), {
    path: "SecurityRulePack/shortcuts",
    subject: "shortcut",
    value: name,
    rule: `a shortcut of the rule pack is one of ${RULE_SHORTCUTS.join(", ")}`,
    fix: "use one of those names",
  });
  if (on) turnedOff.delete(name);
  else turnedOff.add(name);
}
