/** The security and policy rule pack: cdktf aspects that check synthesized stacks. */
export { SecurityRulePack, type SecurityRulePackProps, type Finding, evaluateSecurityRules, protectedTagPatterns } from "./pack";
export { suppressRule, suppressionsOn, type Suppression, SUPPRESSION_METADATA_TYPE } from "./suppressions";
export { SECURITY_RULES, SECURITY_RULE_IDS } from "./rules";
export { type SecurityRule, type RuleDefinition, type RuleOptions, type Severity, type RuleViolation } from "./rule";
export { StackModel, type StackElement, type ElementKind } from "./stack-model";
export { SECRET_SOURCES } from "./rules/gitlab";
export { UniquePhysicalNames, type UniquePhysicalNamesProps, PHYSICAL_NAMES } from "./unique-names";
export { type ProductionException } from "./pack";
export { isExpired } from "./suppressions";
export { type FindingSeverity } from "./rule";
export { RULE_SHORTCUTS, type RuleShortcut, ruleShortcutOn, setRuleShortcut, ruleShortcutUses } from "./shortcuts";
export { keepRulesShield } from "./rules/lifecycle-shield";
export { renderedCloudConfigOf } from "./rendered-cloud-config";
