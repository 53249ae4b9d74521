/**
 * The rule pack's shortcuts (lib/checks/shortcuts.ts) change no finding: the pack runs with and
 * without each over the example app's stacks as synthesized (in this process, so the texts the
 * constructs rendered are registered), under stricter options, and over planted bad stacks, and
 * the findings are the same list. Each shortcut is also shown to be taken on the example (else the
 * comparison would prove nothing and the saving would not exist), and not taken for what was
 * planted.
 */
import { evaluateSecurityRules, type Finding, type SecurityRulePackProps } from "../../lib/checks/pack";
import { RULE_SHORTCUTS, ruleShortcutUses, setRuleShortcut, type RuleShortcut } from "../../lib/checks/shortcuts";
import { exampleStackTexts } from "../support/example-stacks";

type StackJson = { resource?: Record<string, Record<string, Record<string, unknown>>> };

const synthesizedStacks = (): Map<string, string> => exampleStackTexts("checks-shortcuts-");

/** Every runner registration takes unprotected jobs; the user data texts stay as rendered (registered). */
function unprotectedRegistrations(json: string): StackJson {
  const doc = JSON.parse(json) as StackJson;
  for (const runner of Object.values(doc.resource?.gitlab_user_runner ?? {})) runner.access_level = "not_protected";
  return doc;
}

/** As above, and the runner configurations privileged (the user data texts edited: no longer registered). */
function privilegedUnprotected(json: string): StackJson {
  return JSON.parse(JSON.stringify(unprotectedRegistrations(json)).replace(/privileged = false/g, "privileged = true")) as StackJson;
}

/**
 * Every lifecycle policy's keep rules count 3 instead of the quota: images tagged v*.*.* can expire
 * (a literal tag such as latest sits on one image at a time, so its rule still never expires it).
 */
function weakKeepRules(json: string): StackJson {
  const doc = JSON.parse(json) as StackJson;
  for (const policy of Object.values(doc.resource?.aws_ecr_lifecycle_policy ?? {})) {
    policy.policy = String(policy.policy).replace(/"countNumber":100000/g, '"countNumber":3');
  }
  return doc;
}

const line = (stack: string, f: Finding): string => `${stack} ${f.ruleId} ${f.severity} ${f.element.address}: ${f.detail} | ${f.fix}`;

/** Runs `fn` with the named shortcuts turned off, the others on. */
function without<T>(off: readonly RuleShortcut[], fn: () => T): T {
  off.forEach((name) => setRuleShortcut(name, false));
  try {
    return fn();
  } finally {
    RULE_SHORTCUTS.forEach((name) => setRuleShortcut(name, true));
  }
}

describe("the rule pack's shortcuts change no finding", () => {
  const atStart = ruleShortcutUses();
  // Synth runs the pack too: ECR003 remembers its result per policy text from then on.
  const stacks = synthesizedStacks();
  const findings = (props: SecurityRulePackProps, transform: (json: string) => unknown): string[] =>
    [...stacks].flatMap(([name, json]) => evaluateSecurityRules(transform(json), props).map((f) => line(name, f)));

  const variants: ReadonlyArray<{ name: string; props: SecurityRulePackProps; transform: (json: string) => unknown; expect: readonly string[] }> = [
    { name: "the example as synthesized", props: {}, transform: (j) => JSON.parse(j), expect: [] },
    { name: "production with broad protected tags", props: { production: true, protectedTags: ["*", "v*", "main-*"] }, transform: (j) => JSON.parse(j), expect: ["ECR003", "DATA001"] },
    { name: "registrations unprotected (rendered texts unchanged)", props: {}, transform: unprotectedRegistrations, expect: ["RUN001"] },
    { name: "registrations unprotected and privileged runners (texts edited)", props: {}, transform: privilegedUnprotected, expect: ["RUN001"] },
    { name: "keep rules that can expire (policies edited)", props: {}, transform: weakKeepRules, expect: ["ECR003"] },
  ];

  // First in the file: ECR003 keeps one result per policy text for the process, so the planted
  // policies below reach the simulation here for the first time.
  test("each shortcut is taken on the example as synthesized, and less or not at all for what was planted", () => {
    const delta = (run: () => unknown): Record<RuleShortcut, number> => {
      const before = ruleShortcutUses();
      run();
      const after = ruleShortcutUses();
      return Object.fromEntries(RULE_SHORTCUTS.map((n) => [n, after[n] - before[n]])) as Record<RuleShortcut, number>;
    };
    const example = delta(() => findings({}, (j) => JSON.parse(j)));
    // The tag schemes' policy texts are shielded by their keep rules (taken in synth, remembered since).
    expect(ruleShortcutUses()["lifecycle-keep-rules"] - atStart["lifecycle-keep-rules"]).toBeGreaterThanOrEqual(1);
    // The runner hosts' cloud-configs as rendered (the text with Terraform's escapes evaluated).
    expect(example["rendered-cloud-config"]).toBeGreaterThanOrEqual(4);
    // Edited runner configurations are parsed: only the texts the edit did not touch are read from their documents.
    const edited = delta(() => findings({}, privilegedUnprotected));
    expect(edited["rendered-cloud-config"]).toBeLessThan(example["rendered-cloud-config"]);
    // A policy whose keep rule can expire is simulated.
    expect(delta(() => findings({}, weakKeepRules))["lifecycle-keep-rules"]).toBe(0);
  });

  test.each(variants)("$name: the same findings with every shortcut, without each, and without all", ({ props, transform, expect: rules }) => {
    const all = findings(props, transform);
    for (const rule of rules) expect(all.some((l) => l.split(" ")[1] === rule)).toBe(true);
    if (rules.length === 0) expect(all).toEqual([]);
    for (const name of RULE_SHORTCUTS) expect(without([name], () => findings(props, transform))).toEqual(all);
    expect(without(RULE_SHORTCUTS, () => findings(props, transform))).toEqual(all);
  });

});
