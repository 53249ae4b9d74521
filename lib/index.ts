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
export {
  validateAccountId,
  validateRegion,
  partitionOf,
  dnsSuffixOf,
  validateParameterName,
  ssmParameterArn,
  SSM_PARAMETER_NAME,
  parseSecretArn,
  type SecretArnParts,
  SECRET_ARN,
} from "./core/aws";
export { escapeTerraformTemplate } from "./core/terraform-text";
export { isIpv4Network, IPV4_CIDR } from "./core/net";

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
  type PullThroughCacheRuleInfo,
  PULL_THROUGH_UPSTREAMS,
  PULL_THROUGH_SECRET_PREFIX,
} from "./registry/registry-settings";
export * from "./registry/lifecycle";

// Identity (shared pieces; the OIDC and CI roles land with the identities issue).
export { RunnerHostRole, type RunnerHostRoleProps, validateRoleName, ROLE_NAME } from "./identity/runner-host-role";
export { InstanceRole, type InstanceRoleProps } from "./identity/instance-role";
export { RoleGrants, serviceTrustPolicy, ROLE_INLINE_POLICY_MAX_CHARS } from "./identity/role-policy";
export { SESSION_MANAGER_ACTIONS, WILDCARD_RESOURCE_ACTIONS } from "./core/iam";

// Runner cache: the S3 bucket behind [runners.cache], and the settings the runner's config.toml is written from.
export {
  RunnerCacheBucket,
  type RunnerCacheBucketProps,
  type CacheBucketEncryption,
  CACHE_OBJECT_ACTIONS,
  CACHE_KMS_ACTIONS,
  tlsOnlyPolicy,
  validateBucketName,
} from "./cache/cache-bucket";

// Registry mirror: a Nexus host (Docker Hub + registry.gitlab.com + raw proxies) or ECR pull-through cache,
// both producing a MirrorEndpoint for the runner fleet and the GitLab side.
export {
  NexusMirror,
  type NexusMirrorProps,
  type NexusDataVolumeOptions,
  type MirrorDnsOptions,
  type DockerProxyPorts,
  NEXUS_IMAGE,
  DEFAULT_MIRROR_INSTANCE_TYPE,
  MIN_DATA_VOLUME_GIB,
  USER_DATA_MAX_BYTES,
  DATA_VOLUME_DEVICE,
  SNAPSHOT_TAG_KEY,
  AL2023_AMI_PARAMETER,
} from "./mirror/nexus-mirror";
export {
  EcrPullThroughMirror,
  type EcrPullThroughMirrorProps,
  type PullThroughCacheRuleSource,
  ECR_PULL_THROUGH_ACTIONS,
} from "./mirror/ecr-pull-through-mirror";
export {
  INSTANCE_MEMORY_MIB,
  NEXUS_RECOMMENDED_MEMORY_MIB,
  NEXUS_MIN_MEMORY_MIB,
  NEXUS_MIN_HEAP_MIB,
  NEXUS_MAX_HEAP_MIB,
  type NexusJvmMemory,
  type InstanceMemoryOptions,
  nexusJvmMemory,
  resolveInstanceMemory,
} from "./mirror/instance-memory";
export {
  type NexusProvisioningConfig,
  type NexusProvisioningOptions,
  type NexusRepositorySpec,
  type NexusTaskSpec,
  type RawProxyOptions,
  nexusProvisioningConfig,
  NEXUS_REQUIRED_REALMS,
  NEXUS_DOCKER_HUB_PROXY,
  NEXUS_GITLAB_PROXY,
  NEXUS_DOCKER_GROUP,
  NEXUS_HTTP_PORT,
  DOCKER_HUB_REMOTE,
  GITLAB_REGISTRY_REMOTE,
  DOCKER_METADATA_MAX_AGE_MINUTES,
  CONTENT_MAX_AGE_MINUTES,
} from "./mirror/nexus-provisioning";
export {
  type CloudConfig,
  type CloudConfigFile,
  type SystemdUnit,
  type NexusHostOptions,
  renderCloudConfig,
  renderSystemdUnit,
  renderEnvFile,
  nexusCloudConfig,
  NEXUS_HOST_PATHS,
  NEXUS_PROVISION_SCRIPT,
  NEXUS_DATA_VOLUME_SCRIPT,
} from "./mirror/nexus-user-data";

// Contracts between the parts (producers and consumers land with their issues).
export { type RunnerCacheSettings, cacheObjectPrefix } from "./cache/runner-cache-settings";
export { type MirrorEndpoint, RUNNER_HELPER_IMAGE_PATH, DEFAULT_HELPER_IMAGE_TAG } from "./mirror/mirror-endpoint";
export { type NetworkRef } from "./network/network-ref";
export { type RunnerTokenSource } from "./gitlab/runner-token-source";
export { ExistingRunnerTokenParameter, type ExistingRunnerTokenParameterProps } from "./gitlab/existing-runner-token";
