/**
 * Public API: cdktf constructs for a fast GitLab CI platform on AWS.
 * Import from the package root; it never loads a provider package root.
 */

// Conventions shared by every construct.
export { ValidationError, type Violation, formatViolation } from "./core/errors";
export {
  PolicyDocument,
  type PolicyStatement,
  type PolicyConditions,
  type PolicyDocumentJson,
  type IGrantable,
  mergeStatements,
  statementToJson,
} from "./core/iam";
export { validateAccountId, validateRegion, partitionOf } from "./core/aws";
export { type StringPart, isUnresolved, splitTokens, replaceTokens, escapeForFunctionArgument } from "./core/tokens";

// Container registries.
export {
  TagScheme,
  TAG_KINDS,
  DEFAULT_TAG_KINDS,
  type TagKindName,
  type TagKind,
  type TagKindOptions,
  type TagSchemeProps,
  type Retention,
} from "./registry/tag-scheme";
export { type TagSelector, matchesPattern, matchesSelector, patternsOverlap, selectorsOverlap } from "./registry/glob";
export {
  ContainerRepository,
  type ContainerRepositoryProps,
  type RepositoryEncryption,
  type TagMutabilityMode,
  ECR_PULL_ACTIONS,
  ECR_PUSH_ACTIONS,
  ECR_AUTH_ACTION,
  MOVING_TAG_KINDS,
  validateRepositoryName,
} from "./registry/repository";
export {
  RegistrySettings,
  type RegistrySettingsProps,
  type RegistryScanningOptions,
  type PullThroughCacheRuleOptions,
  type PullThroughUpstream,
  PULL_THROUGH_UPSTREAMS,
  PULL_THROUGH_SECRET_PREFIX,
} from "./registry/registry-settings";
export * from "./registry/lifecycle";

// Identity (shared pieces; the OIDC and CI roles land with the identities issue).
export { RunnerHostRole, type RunnerHostRoleProps, validateRoleName, ROLE_NAME } from "./identity/runner-host-role";
export { RoleGrants, serviceTrustPolicy, ROLE_INLINE_POLICY_MAX_CHARS } from "./identity/role-policy";
export { SESSION_MANAGER_ACTIONS, WILDCARD_RESOURCE_ACTIONS } from "./core/iam";

// Contracts between the parts (producers and consumers land with their issues).
export { type RunnerCacheSettings, cacheObjectPrefix } from "./cache/runner-cache-settings";
export { type MirrorEndpoint } from "./mirror/mirror-endpoint";
export { type NetworkRef } from "./network/network-ref";
export { type RunnerTokenSource } from "./gitlab/runner-token-source";
export { ExistingRunnerTokenParameter, type ExistingRunnerTokenParameterProps } from "./gitlab/existing-runner-token";

// Network: a small VPC for runner hosts, or an existing one given by ids (both are NetworkRefs).
export { Network, type NetworkProps, type NatGatewayMode } from "./network/network";
export { ExistingNetwork, type ExistingNetworkProps } from "./network/existing-network";
export { type Ipv4Cidr, parseCidr, formatCidr, subnetOf } from "./network/cidr";

// Runner fleet: autoscaling GitLab runner hosts (docker executor) with a typed
// config.toml, cloud-init user data, token at boot, graceful drain and
// job-slot scaling; the models and validators are usable on their own.
export {
  RunnerFleet,
  type RunnerFleetProps,
  type RunnerDefinition,
  type RunnerFleetCapacity,
  type RunnerFleetPurchaseOptions,
  type JobSlotScalingOptions,
  type RunnerRootVolume,
  type RunnerInstanceRefreshOptions,
  type RunnerEgressRule,
  type PullableRepository,
  type RunnerCacheAccess,
  mirrorPorts,
  DRAIN_MARGIN_SECONDS,
  MAX_HEARTBEAT_TIMEOUT_SECONDS,
  MAX_LIFECYCLE_WAIT_SECONDS,
  SYSTEM_DISK_GIB,
  JOB_SLOT_METRIC_NAME,
  LOG_RETENTION_DAYS,
} from "./runner/fleet";
export {
  type RunnerManagerConfig,
  type RunnerEntry,
  type DockerExecutorSettings,
  type DockerAccess,
  type PullPolicy,
  type RunnerLogFormat,
  type RunnerLogLevel,
  RUNNER_METRICS_ADDRESS,
  DOCKER_SOCKET_VOLUME,
  DIND_CERTS_VOLUME,
  STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT,
  validateRunnerConfig,
  validateGitLabInstanceUrl,
  runnerConfigDocument,
  renderRunnerConfig,
  effectiveVolumes,
  sumOfLimits,
} from "./runner/config-toml";
export {
  type DockerDaemonSettings,
  type DockerLogDriver,
  DOCKERD_CONFIG_KEYS,
  LOG_OPT_KEYS,
  validateMirrorUrl,
  validateInsecureRegistry,
  validateDaemonSettings,
  daemonConfigDocument,
  renderDaemonJson,
} from "./runner/daemon-json";
export {
  type RunnerSchedule,
  type OfficeHoursOptions,
  type CapacityValues,
  officeHours,
  cronProblem,
  timeZoneProblem,
  validateCapacity,
  validateSchedule,
} from "./runner/schedule";
export { type CloudConfigDocument, type CloudConfigFile, type CloudConfigPackage, renderCloudConfig } from "./runner/cloud-config";
export {
  type RunnerHostInput,
  type RunnerHostVersions,
  type RunnerHostArchitecture,
  DEFAULT_RUNNER_HOST_VERSIONS,
  USER_DATA_LIMIT_BYTES,
  HOST_PATHS,
  HOST_UNITS,
  tokenPlaceholder,
  gitlabRunnerPackageUrls,
  runnerHostEnvironment,
  runnerHostCloudConfig,
  renderRunnerHostUserData,
  cloudwatchAgentConfig,
  compressedUserDataSize,
  validateUserDataSize,
  validateVersions,
} from "./runner/user-data";
export { RUNNER_FLEET_SCRIPT, RUNNER_FLEET_LOGROTATE, renderEnvironmentFile, renderSystemdUnit, type SystemdUnit } from "./runner/host-files";
