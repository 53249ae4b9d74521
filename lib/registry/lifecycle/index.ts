/** ECR lifecycle policies: typed model, validator, renderer, tag-scheme policy, offline simulator and preview CLI. */
export {
  DEFAULT_PROTECTED_KEEP_COUNT,
  MAX_LIFECYCLE_POLICY_LENGTH,
  MAX_LIFECYCLE_RULES,
  describeRuleSelection,
  renderLifecyclePolicy,
  ruleSelectors,
  validateLifecyclePolicy,
  type CountType,
  type LifecycleAction,
  type LifecyclePolicyDocument,
  type LifecycleRule,
  type LifecycleSelection,
  type TagStatus,
  type ValidateLifecyclePolicyOptions,
} from "./policy";
export { combinedRetention, DEFAULT_UNPROTECTED_MAX_AGE_DAYS, lifecyclePolicyFromTagScheme, selectsEveryTag, type TagSchemePolicyOptions } from "./scheme-policy";
export { simulateLifecycle, type ImageDecision, type LifecycleImage, type RuleReference, type SimulationResult } from "./simulator";
export { main as lifecyclePreviewMain, parseImagesInput, parsePolicyInput, USAGE as LIFECYCLE_PREVIEW_USAGE, type CliIo } from "./cli";
