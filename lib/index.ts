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
  type AwsPartition,
  dnsSuffixOf,
  validateSsmParameterName,
  ssmParameterArn,
  parseSecretArn,
  type SecretArnParts,
  SECRET_ARN,
  validateBucketName,
} from "./core/aws";
export { validateGitLabUrl, gitLabHostOf } from "./core/gitlab-url";
export { escapeTerraformTemplate } from "./core/terraform-text";
export { isIpv4Network, IPV4_CIDR } from "./core/net";
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
export { type TagSelector, matchesPattern, matchesSelector, patternsOverlap, selectorsOverlap, selectorRegex } from "./registry/glob";
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

// --- Identity: GitLab OIDC provider and CI roles, deployment role, runner host role, static credentials ---
export {
  GitLabOidcProvider,
  type GitLabOidcProviderProps,
  type GitLabOidcProviderReference,
  type IGitLabOidcProvider,
  oidcProviderArn,
} from "./identity/gitlab-oidc-provider";
export { type GitLabSubject, type ResolvedSubject, type ProtectedRefRequirement, resolveSubject, subjectConditions } from "./identity/gitlab-subject";
export { GitLabCiRole, type GitLabCiRoleProps } from "./identity/gitlab-ci-role";
export {
  type CiAwsAccess,
  type CiSnippet,
  type CiSnippetOptions,
  type GitLabCiJobTemplate,
  ciSnippet,
  CI_ID_TOKEN_VARIABLE,
  MIN_SESSION_SECONDS,
  MAX_SESSION_SECONDS,
} from "./identity/ci-access";
export { DeploymentRole, type DeploymentRoleProps, type IAssumingRole } from "./identity/deployment-role";
export { StaticCredentials, type StaticCredentialsProps, type StaticCredentialsStore } from "./identity/static-credentials";
export { RunnerHostRole, type RunnerHostRoleProps, validateRoleName, ROLE_NAME } from "./identity/runner-host-role";
export { InstanceRole, type InstanceRoleProps } from "./identity/instance-role";
export {
  InlinePolicyGrants,
  type InlinePolicyTarget,
  RoleGrants,
  UserGrants,
  serviceTrustPolicy,
  renderTrustPolicy,
  attachManagedPolicies,
  validateMaxSessionDuration,
  ROLE_INLINE_POLICY_MAX_CHARS,
  USER_INLINE_POLICY_MAX_CHARS,
  TRUST_POLICY_MAX_CHARS,
  ROLE_MIN_SESSION_SECONDS,
} from "./identity/role-policy";
export {
  SESSION_MANAGER_ACTIONS,
  allowedOnAnyResource,
  type TrustPrincipal,
  type TrustStatement,
  trustPolicyJson,
  IAM_NAME,
  validateIamName,
  iamRoleArn,
} from "./core/iam";

// Runner cache: the S3 bucket behind [runners.cache], and the settings the runner's config.toml is written from.
export {
  RunnerCacheBucket,
  type RunnerCacheBucketProps,
  type CacheBucketEncryption,
  CACHE_OBJECT_ACTIONS,
  CACHE_KMS_ACTIONS,
  tlsOnlyPolicy,
  validateCacheBucketName,
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
  type SystemdUnit as NexusSystemdUnit,
  type NexusHostOptions,
  renderSystemdUnit as renderNexusSystemdUnit,
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

// ---- GitLab side: runner registration, CI/CD variables, DOCKER_AUTH_CONFIG, CI templates,
// ---- toolbox image project, GitLab container registry option.
export { RunnerRegistration, type RunnerRegistrationProps, type RunnerScope, validateRunnerProps, MIN_RUNNER_TIMEOUT_SECONDS } from "./gitlab/runner-registration";
export {
  CiVariables,
  type CiVariablesProps,
  type CiVariableOptions,
  type CiVariableTarget,
  type CiVariableType,
  type MaskRuleOptions,
  validateCiVariable,
  validateVariableKey,
  validateMaskedValue,
  variableConstructId,
  VARIABLE_KEY,
  MAX_VARIABLE_KEY_LENGTH,
  MAX_VARIABLE_VALUE_LENGTH,
  MASKED_EXPANDED_VALUE,
  MASKED_RAW_VALUE,
  MIN_MASKED_LENGTH,
} from "./gitlab/ci-variable";
export {
  DockerAuthConfig,
  type DockerAuthConfigProps,
  type DockerAuthVariableOptions,
  type RegistryCredentials,
  type DeployTokenCredentials,
  validateStaticCredentials,
  validateDeployTokenForPull,
  DOCKER_AUTH_CONFIG,
  ECR_CREDENTIAL_HELPER,
  READ_REGISTRY_SCOPE,
} from "./gitlab/docker-auth-config";
export {
  platformVariables,
  type PlatformVariablesProps,
  type ImageRepositoryRef,
  type RawProxyVariable,
  PLATFORM_VARIABLES,
  imageVariable,
  mirrorPrefixVariable,
} from "./gitlab/platform-variables";
export { type CiConfig, type CiJob, type CiRule, type CiNeed, type CiEnvironment, type CiWhen, renderCiYaml } from "./gitlab/ci-yaml";
export {
  imageReuseTemplate,
  type ImageReuseTemplateProps,
  type TemplateImage,
  type TemplateRegistry,
  type PipelineTagPlan,
  type ReviewEnvironment,
  type CiTemplate,
  awsOidcSetup,
  awsOidcRole,
  registryLogin,
  DEFAULT_TEMPLATE_IMAGES,
  DOCKER_CLI_IMAGE,
  TEMPLATE_STAGES,
  MERGE_REQUEST_PIPELINE,
  DEFAULT_BRANCH_PIPELINE,
  AWS_JOB,
  DOCKER_JOB,
} from "./gitlab/image-reuse-template";
export { platformCiTemplates, TERRAFORM_REVIEW_ENVIRONMENT, IMAGE_REUSE_TEMPLATE, IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE } from "./gitlab/platform-templates";
export {
  CiTemplatesProject,
  type CiTemplatesProjectProps,
  type TemplatesProjectRef,
  type TemplateInclude,
  type ProjectCiFileProps,
  projectCiFile,
  publishFile,
  managedProject,
  EXAMPLE_PROJECT_JOBS,
} from "./gitlab/ci-templates-project";
export { ToolboxImageProject, type ToolboxImageProjectProps, toolboxCiFile, DEFAULT_TOOLBOX_DOCKERFILE, BOOTSTRAP_BUILDER_SETUP } from "./gitlab/toolbox-project";
export {
  RegistryDeployToken,
  type RegistryDeployTokenProps,
  type DeployTokenScope,
  REGISTRY_SCOPES,
  cleanupPolicyFromTagScheme,
  type CleanupPolicyOptions,
  type CleanupCadence,
  CLEANUP_KEEP_N,
  CLEANUP_OLDER_THAN_DAYS,
} from "./gitlab/gitlab-registry";

// Security and policy rule pack (cdktf aspects over the synthesized JSON of a stack).
// Apply it to each stack: Aspects.of(stack).add(new SecurityRulePack({ production }));
// accept a finding with suppressRule(construct, "RULE-ID", "reason"). Rule table: README.
export {
  SecurityRulePack,
  type SecurityRulePackProps,
  type Finding,
  evaluateSecurityRules,
  protectedTagPatterns,
  suppressRule,
  suppressionsOn,
  type Suppression,
  SUPPRESSION_METADATA_TYPE,
  SECURITY_RULES,
  SECURITY_RULE_IDS,
  type SecurityRule,
  type RuleDefinition,
  type RuleOptions,
  type Severity,
  type RuleViolation,
  StackModel,
  type StackElement,
  type ElementKind,
  SECRET_SOURCES,
} from "./checks";
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
export { type CloudConfigDocument, type CloudConfigFile, type CloudConfigPackage, renderCloudConfig } from "./core/cloud-config";
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

// ---- Platform: one environment composed from one typed configuration ----
// GitLabCiPlatform wires the constructs above (repositories, network, cache, mirror,
// identities, GitLab side, runner fleets) for one environment and exposes each piece;
// it creates no provider (the stack supplies the AWS and GitLab providers). The
// environment configuration, its defaults and its per-environment checks come with it.
export { GitLabCiPlatform, type GitLabCiPlatformProps } from "./platform/platform";
export { EnvironmentIdentity, type EnvironmentIdentityProps } from "./platform/environment-identity";
export { EnvironmentGitLabSide, type EnvironmentGitLabSideProps, type GitLabSide } from "./platform/gitlab-side";
export {
  type PlatformInfo,
  type EnvironmentConfig,
  type GitLabConfig,
  type RunnerRegistrationConfig,
  type ExternalRegistryConfig,
  type RepositoryConfig,
  type CacheConfig,
  type MirrorConfig,
  type NexusMirrorConfig,
  type EcrPullThroughMirrorConfig,
  type RunnersConfig,
  type RunnerConfigEntry,
  type DeployRunnersConfig,
  CONFIG_NAME,
  DEPLOY_RUNNER,
  DEFAULT_IMAGE_ROLES,
  cacheBucketNameOf,
  repositoryPrefixOf,
  protectsData,
  runnerFleetName,
  runnerTokenParameterName,
  runnersOf,
  imageRolesOf,
  validateEnvironmentConfig,
  validateEnvironmentBasics,
  validateEnvironmentGitLab,
  validateRunnersConfig,
  validateRunnerRegistrations,
  validateDestroyProtection,
} from "./platform/config";
export {
  type EnvironmentIdentityConfig,
  type DeploymentConfig,
  type StaticCredentialsConfig,
  validateEnvironmentIdentity,
} from "./platform/identity-config";
export {
  type TrustLevel,
  type ProjectConfig,
  type Tenant,
  type TenancyEnvironment,
  type TenancyPlatform,
  TRUST_LEVELS,
  DEFAULT_BRANCH,
  DEFAULT_RELEASE_TAG_PATTERN,
  audienceOf,
  cachePathOf,
  defaultTenantName,
  projectConfigOf,
  tenantRepositoryName,
  tenantsOf,
} from "./platform/tenancy";

// ---- Runner pools and trust boundaries (runner side) ----
// Pools by environment and trust level (protected, unprotected, deploy), their tags and
// opt-ins, the image builder each runner offers (PLATFORM_IMAGE_BUILDER), and the
// customer-managed KMS key of the SSM SecureStrings (runner tokens, mirror password).
export { type RunnerPoolInfo } from "./platform/platform";
export { type UnprotectedPoolConfig } from "./platform/config";
export {
  type RunnerPoolName,
  type PoolRunner,
  RUNNER_POOLS,
  MIN_REASON_LENGTH,
  trustOfPool,
  poolRunnerTag,
  controlsHost,
  defaultRunnerRegistrations,
  runnerPoolsOf,
  takesUnprotectedJobs,
  validateRunnerPools,
  tagsOverlap,
} from "./platform/runner-pools";
export { buildRunnerFleets, type RunnerFleets, type RunnerFleetsProps } from "./platform/runner-fleets";
export {
  type ImageBuilder,
  type ImageBuilderSettings,
  IMAGE_BUILDERS,
  IMAGE_BUILDER_VARIABLE,
  BUILDKITD_ROOTLESS_FLAGS,
  defaultImageBuilder,
  imageBuilderSettings,
  validateImageBuilder,
} from "./runner/image-builder";
export { BUILDKIT_ROOTLESS_SECURITY_OPT, hostSensitiveVolume } from "./runner/config-toml";
export { SecretsKey, type SecretsKeyProps, type SecretsKeyUse, ACCOUNT_ROOT_ACTIONS, SSM_DECRYPT_ACTIONS, SSM_ENCRYPT_ACTIONS } from "./secrets/secrets-key";
// Security rule pack v2: duplicate physical names, production exceptions, the IAM dataset.
export { UniquePhysicalNames, type UniquePhysicalNamesProps, PHYSICAL_NAMES, type ProductionException, isExpired, type FindingSeverity } from "./checks";
export { expandAction, iamDataVersion, loadedServices, type IamAction } from "./core/iam-data";


// --- Every configuration error at once; the lifecycle preview's gate ---
export { collectViolations, ValidationErrors, type ValidationSection, violationsOf } from "./core/errors";
export { EXIT_BAD_INPUT, EXIT_PROTECTED_EXPIRES, protectedExpiries, type ProtectedExpiry } from "./registry/lifecycle/cli";
export { type AwsProviderContext, awsProviderContextOf, checkAgainstAwsProvider } from "./core/provider-context";
// Input checks and secure defaults: validators users can call on their own input, the audit-trail
// constructs (cache access logs, VPC flow logs), the Nexus raw-proxy gateway, run-time enum lists.
export { checkOneOf } from "./core/errors";
export {
  suggestRegion,
  validatePermissionsBoundaryArn,
  checkedBoundary,
  MANAGED_POLICY_ARN,
  validateEcrRegistryHost,
  ECR_REGISTRY_HOST,
  ROLE_DESCRIPTION_MAX_LENGTH,
  SSM_DESCRIPTION_MAX_LENGTH,
} from "./core/aws";
export { suggestGitLabPath } from "./core/gitlab-url";
export { nonPublicHostReason, parseIpv4, parseIpv6, ipv4PrefixOf } from "./core/net";
export { FORBIDDEN_HOST_PATHS, normaliseHostPath, forbiddenHostPathOf, validateHostMount } from "./core/host-path";
export { validateCachePath } from "./cache/cache-bucket";
export { CacheAccessLogBucket, type CacheAccessLogBucketProps, type CacheAccessLogOptions, ACCESS_LOG_PREFIX } from "./cache/access-log-bucket";
export { VpcFlowLogs, type VpcFlowLogsProps, type FlowLogOptions } from "./network/flow-logs";
export { NAT_GATEWAY_MODES } from "./network/network";
export {
  validateUpstreamUrl,
  validateAdminCidr,
  validateCredentialedAnonymousPull,
  NEXUS_ADMIN_CIDR_MIN_PREFIX,
} from "./mirror/nexus-validation";
export { RAW_GATEWAY_IMAGE, DEFAULT_RAW_GATEWAY_PORT, renderRawGatewayConfig, type RawGatewayConfig } from "./mirror/raw-gateway";
export { CI_VARIABLE_TYPES, SECRET_VARIABLE_KEY, secretKindOf, validateSecretVariable } from "./gitlab/ci-variable";
export { TAG_MUTABILITY_MODES, TAG_KEY_MAX_LENGTH, TAG_VALUE_MAX_LENGTH, validateResourceTags } from "./registry/repository";
export { STATIC_CREDENTIALS_STORES } from "./identity/static-credentials";
export { DOCKER_ACCESS_MODES } from "./runner/config-toml";
export { MIRROR_KINDS, validateEnvironmentInputs, validateEnvironmentLists, validateExternalRegistries, validateDeployRegistration } from "./platform/input-checks";
// ---- Image flow: tenants' variables, tag kinds of one's own, combination retention, GitLab tiers ----
export { registryHostOf, type RegistryLocation } from "./platform/tenancy";
export { tenantVariables } from "./platform/tenant-variables";
export { GITLAB_TIERS, type GitLabTier } from "./platform/config";
export { INPUTS_HASH_VARIABLE, TAG_KIND_NAME, ciTagPattern } from "./registry/tag-scheme";
export { combinedRetention } from "./registry/lifecycle";
export { unprotectedImageVariable, repositoryVariable } from "./gitlab/platform-variables";
export { IMAGE_FLOW_FUNCTIONS, IMAGE_FLOW_ENVIRONMENT } from "./gitlab/image-flow-script";
export { pipelineKinds, type PipelineKind } from "./gitlab/image-reuse-plan";
// --- Trust boundaries, IAM side: per-tenant roles, sub components, release patterns, protected refs ---
export { type TenantRepositories, type TenantRoles } from "./platform/environment-identity";
export { tenantRoleName, type ProtectedRefsMode, type SubClaimComponent, DEFAULT_SUB_CLAIM_COMPONENTS } from "./platform/tenancy";
export { validateTenancy } from "./platform/tenancy-validation";
export { releaseSelectorOf } from "./platform/identity-config";
export { SUPPORTED_SUB_CLAIM_COMPONENTS, validateSubClaimComponents } from "./identity/gitlab-subject";
export { globIncludes, validateReleaseTagPattern } from "./identity/ref-patterns";
export { ADMINISTRATOR_MANAGED_POLICIES, isAdministratorPolicy } from "./identity/admin-policies";
export { ProtectedRefs, type ProtectedRefsProject, type ProtectedRefsProps } from "./gitlab/protected-refs";
// ---- Runner operations: architecture, image mirroring, token revision, dashboards ----
export { GRAVITON_FAMILIES, architectureOfInstanceType, fleetArchitecture, al2023AmiParameter } from "./runner/architecture";
export {
  type ImageLocation,
  DOCKER_HUB_HOST,
  DIND_DAEMON_JSON_PATH,
  DIND_DAEMON_JSON_VOLUME,
  imageLocation,
  imageThroughMirror,
  rewritesImages,
  dindDaemonConfig,
} from "./runner/image-mirror";
export { tokenRevision } from "./runner/token-revision";
export { DEFAULT_METRIC_NAMESPACE, HOST_METRICS, GROUP_METRICS, TOKEN_REVISION_TAG } from "./runner/fleet-props";
export { GP3_LIMITS, validateTokenLifetimes, validateHelperImageArchitecture } from "./runner/fleet-validation";
export {
  RunnerFleetDashboard,
  type RunnerFleetDashboardProps,
  type RunnerFleetAlarmOptions,
  type RunnerFleetMetricsSource,
  type MirrorMetricsSource,
} from "./runner/dashboard";
export { type DockerServiceSettings } from "./runner/config-toml";
export { stripShellComments } from "./runner/host-files";
export { type HelperImageArchitecture, helperImageTag } from "./mirror/mirror-endpoint";
export { MIRROR_METRIC_NAMESPACE } from "./mirror/nexus-mirror";
export { NEXUS_DISK_METRIC_NAME, NEXUS_DISK_METRIC_SCRIPT } from "./mirror/nexus-user-data";



// docker-autoscaler executor: a manager (Auto Scaling group of one, drained) running the pinned
// fleeting AWS plugin, and one dedicated worker group per runner that scales from zero.
export { DockerAutoscalerFleet, WORKER_USERNAME, CONNECTOR_KEEPALIVE_SECONDS, CONNECTOR_TIMEOUT_SECONDS } from "./runner/autoscaler/docker-autoscaler-fleet";
export {
  type DockerAutoscalerFleetProps,
  type AutoscalerRunnerDefinition,
  type WorkerConnector,
  type SecureParameterSource,
  type OfficeHoursPolicyOptions,
  officeHoursPolicies,
  DEFAULT_WORKER_INSTANCE_TYPES,
  DEFAULT_MAX_USE_COUNT,
  SCALE_TO_ZERO_POLICY,
} from "./runner/autoscaler/fleet-props";
export { validateAutoscalerFleetProps, maxUseCountOf, workerGroupNameOf, workerInstanceTypes } from "./runner/autoscaler/fleet-validation";
export {
  type AutoscalerPolicy,
  type AutoscalerSettings,
  type AutoscalerConnectorSettings,
  type AutoscalerRunnerEntry,
  type AutoscalerManagerConfig,
  autoscalerLimit,
  autoscalerConfigDocument,
  renderAutoscalerConfig,
  validateAutoscalerConfig,
  validateAutoscalerSettings,
  validatePolicy,
  goDuration,
} from "./runner/autoscaler/autoscaler-toml";
export { DEFAULT_FLEETING_AWS_PLUGIN_VERSION, validatePluginVersion, fleetingAwsPluginReference } from "./runner/autoscaler/plugin";
export {
  type WorkerGroupScope,
  FLEETING_AWS_DESCRIBE_ACTIONS,
  FLEETING_AWS_GROUP_ACTIONS,
  autoScalingGroupArn,
  fleetingAwsPluginStatements,
} from "./runner/autoscaler/plugin-policy";
export { ARM64_INSTANCE_MEMORY_MIB, WORKER_SYSTEM_RESERVE_MIB, type WorkerSizing, knownInstanceMemoryMiB, jobsPerWorker, validateWorkerCapacity } from "./runner/autoscaler/capacity";
export { WorkerGroup, type WorkerGroupProps, type WorkerPurchase, WORKER_SSH_PORT } from "./runner/autoscaler/worker-group";
export { type WorkerHostInput, WORKER_READY_COMMAND, workerCloudConfig, renderWorkerUserData } from "./runner/autoscaler/worker-user-data";
export {
  type ManagerHostInput,
  AUTOSCALER_MANAGER_SCRIPT,
  MANAGER_PATHS,
  managerRunnerDropIn,
  managerCloudConfig,
  renderManagerUserData,
} from "./runner/autoscaler/manager-user-data";

// --- Build speed: dependency caches, BuildKit registry caches, buildpack variables ---
export { type CiCache } from "./gitlab/ci-yaml";
export {
  BUILD_CACHE_KIND,
  BUILD_SECRETS_VARIABLE,
  BUILDKIT_IMAGE_VARIABLE,
  REGISTRY_CACHE_OPTIONS,
  type DependencyCache,
  DEFAULT_DEPENDENCY_CACHES,
  dependencyCacheJob,
  dependencyCacheJobs,
  buildCacheKind,
  type ImageRepositories,
  buildCacheVariables,
  BUILD_CACHE_FUNCTIONS,
  EXAMPLE_APP_DOCKERFILE,
} from "./gitlab/build-cache";
export { type BuildpackVariableSpec, BUILDPACK_VARIABLES, validateBuildpackVariableName } from "./gitlab/buildpack-variables";

// ---- docker-autoscaler: worker and manager architectures ----
export {
  DEFAULT_MANAGER_INSTANCE_TYPE,
  managerArchitectureOf,
  managerInstanceTypeOf,
  workerArchitectureOf,
  workerHelperImage,
} from "./runner/autoscaler/worker-architecture";
export { architectureOfHelperImage } from "./runner/fleet-validation";
// --- Trust boundaries, GitLab side: protected refs checked by access level, protected container repositories ---
export { distinctRefs } from "./gitlab/protected-refs";
export { TRUSTED_ACCESS_LEVELS, type RefConditions, branchConditions, tagConditions, overlapsExpr, refPatternRegex } from "./gitlab/protected-ref-conditions";
export {
  ProtectedContainerRepositories,
  type ProtectedContainerRepositoriesProps,
  protectedRegistryRepositoriesOf,
  CONTAINER_PUSH_ACCESS_LEVELS,
  type ContainerPushAccessLevel,
} from "./gitlab/gitlab-registry";

// Checks of a stack's synthesized JSON that share one resolution of the stack with synth
// (what the security rule pack and UniquePhysicalNames use): register from an aspect's visit.
export { checkSynthesizedJson, type SynthesizedJsonCheck } from "./checks/synthesized-json";

// Which tenants each runner serves, what its hosts pull, and where unprotected pipelines are served.
export { servesUnprotected, trustLevelsOf, type TrustLevelSource } from "./platform/tenancy";
export { type HostPull, type RunnerTenantsEntry, hostPullsOf, servedTenantsOf, toolboxPullsOf, validateRunnerTenants } from "./platform/runner-tenants";

// Runner operations: AMI architecture per pool, dind flags that conflict with the mounted
// daemon.json, one metric namespace per fleet, the spot cap on shutdown_timeout.
export { architectureOfImageId, validateImageIdArchitecture } from "./runner/architecture";
export { dindConflictingFlags, validateDindServiceCommands } from "./runner/image-mirror";
export { claimMetricNamespace } from "./runner/metric-namespace";
export { DEFAULT_DISK_CLEANUP_THRESHOLD_PERCENT, SPOT_MAX_SHUTDOWN_TIMEOUT_SECONDS } from "./runner/fleet-props";
// The toolbox every tenant runs, runner tags per trust level, protected tag kinds.
export { toolboxSourceOf, type ToolboxSource } from "./platform/toolbox-source";
export { type TenantVariablesOptions } from "./platform/tenant-variables";
export { poolJobTagsOf, type PoolJobTags, protectedRunnerTagVariables, unprotectedRunnerTagVariables } from "./platform/job-routing";
export { grantToolboxPull, type PullGrantingRepository } from "./identity/ci-access";
export { RUNNER_TAG_EXPRESSIONS } from "./gitlab/image-reuse-template";
export { CI_VARIABLE_CHARS, ciTagTokens, selectorTokens, tagLanguagesOverlap, type TagToken } from "./registry/tag-rules";
// ---- Promotion by digest, deploy jobs, smoke test, rollback ----
export {
  type PromotionConfig,
  type DeployConfig,
  type DeployRoute,
  type PromotionConfigView,
  deployedImageOf,
  recordsLastGoodDigest,
  rollsBack,
  lastGoodDigestParameterName,
  lastGoodDigestParameterArn,
  deployRouteOf,
  promotionSourceName,
  promotionSourceUrl,
  promotionSourceArn,
  validateDeployConfig,
  validatePromotion,
} from "./platform/promotion";
export { promotionPullPrincipals, grantPromotionPull } from "./platform/promotion-grants";
export { LastGoodDigestRecords, type LastGoodDigestRecordsProps, LAST_GOOD_DIGEST_ACTIONS, NO_DIGEST_YET } from "./platform/deploy-records";
export { type PlatformPromotion } from "./platform/platform";
export { deploymentRoleName } from "./platform/tenancy";
export { type RepositoryPullPrincipal } from "./registry/repository";
export { DEPLOY_VARIABLES, promoteFromVariable } from "./gitlab/deploy-variables";
export { DEPLOY_FUNCTIONS } from "./gitlab/deploy-script";
export { DEPLOY_TEMPLATE, DEPLOY_JOB, UNPROTECTED_REF, type DeployTemplateEnvironment, type DeployTemplateProps, deployTemplate, deployPipelineIf } from "./gitlab/deploy-template";

// Volumes of runners that take unprotected jobs (allowlist).
export { NAMED_VOLUME, untrustedJobVolumeProblem } from "./core/host-path";

// Default branches of the platform's own projects (CI templates, toolbox).
export { protectCreatedBranch, checkExistingBranch } from "./gitlab/default-branch-protection";
// Trust boundaries: the principal applying Terraform in the secrets key's policy, and the GitLab version check for fork merge-request sub claims.
export { type DeployPrincipal, resolveDeployPrincipal, validateDeployPrincipal } from "./secrets/deploy-principal";
export { FORK_MERGE_REQUEST_SUB_MINIMUM, FORK_MERGE_REQUEST_SUB_MINIMUMS, GitLabVersionCheck, type GitLabVersionCheckProps, versionAtLeastExpression } from "./gitlab/gitlab-version-check";
// Secrets keys the constructs holding SecureStrings take: their grants also name the reader in the key policy.
export { type ISecretsKey, type ParameterGrant, type ReadableParameter, grantParameters, grantParameterRead, principalArnOf } from "./secrets/secrets-key-ref";

// Runner hosts: the on-host script in parts, delivered through SSM and checked by digest; job volume checks.
export { INSTALL_SCRIPT, RUNNER_FLEET_SCRIPT_PARTS, joinScriptParts } from "./runner/host-files";
export {
  type DeliveredHostScript,
  type HostScriptDelivery,
  type HostScriptDeliveryProps,
  SCRIPT_PARAMETER_MAX_CHARS,
  deliverHostScript,
  encodeHostScript,
  scriptParameterName,
} from "./runner/host-script-delivery";
export { validateDockerVolumes, validateUntrustedJobVolumes } from "./runner/docker-volumes";

// Deploy per tenant: deployment roles, the promotion gate of environment branches, the toolbox in deploying environments, protected environments.
export { tenantDeploymentRoleName } from "./platform/tenancy";
export { promoteScript, deployedTagOf } from "./gitlab/deploy-template";
export { type ToolboxPromotionEnvironment, type ToolboxPromotionProps, toolboxPromotionJobs, toolboxImageTag, toolboxJobImage } from "./gitlab/deploy-toolbox";
export { ProtectedDeployEnvironments, type ProtectedDeployEnvironmentsProps, DEPLOY_ACCESS_LEVELS, type DeployAccessLevel } from "./gitlab/deploy-environments";
export { protectsDeployEnvironment } from "./platform/promotion";
export { buildDeployRecords } from "./platform/deploy-records";

// Retention: kinds that select every tag, and whether a selector selects every tag a CI tag template gives.
export { selectsEveryTag } from "./registry/lifecycle";
export { ciTagHasKnownShape, selectorSelectsAll } from "./registry/tag-rules";

// Construct rules shared with the configuration check (applied at config paths before any construct is built).
export { validateNetworkAddressing } from "./network/network";
export { validateCacheExpirationDays } from "./cache/cache-bucket";
export { validateRunnerLimit } from "./runner/config-toml-validation";
export { validateImageStorage, validateMaxJobTimeout } from "./runner/fleet-validation";
export { validateConstructRules } from "./platform/construct-rules";

// Deployment statements per tenant, deploying tenants, deploy job images, ECR media types.
export { TENANT_PLACEHOLDER, isTenantScoped, isWriteAction, statementsForTenant, validateDeploymentStatements } from "./platform/deployment-statements";
export { deploysTenant, deployingTenantsOf } from "./platform/toolbox-source";
export { validateDeployJobImages } from "./platform/promotion";
export { ACCEPTED_MEDIA_TYPES_OPTION, DOCUMENTED_MEDIA_TYPES_OPTION, ECR_ACCEPTED_MEDIA_TYPES, ECR_DOCUMENTED_MEDIA_TYPES } from "./gitlab/ecr-media-types";

// IAM resource patterns: matching and intersection (used by the deployment statements check).
export { iamPatternMatches, iamPatternsIntersect } from "./core/iam-patterns";

// Deploy jobs pinned as literals (no CI/CD variable decides their source, target, roles, parameter or tags).
export { AWS_CLI_REDIRECTS, PINNED_VARIABLES, type DeployPins, type DeployTarget, deployPinScript, validateDeployTargets } from "./gitlab/deploy-targets";
export { type EnvironmentDeployPins, deployPinsOf } from "./platform/promotion-targets";
// Administrator-level statements (privilege-escalation actions on every resource of their type).
export { administratorGrantsOf, PRIVILEGE_ESCALATION_ACTIONS, type AdministratorGrant } from "./identity/admin-policies";

// More construct rules shared with the configuration check: fleet sizes and purchase mix, tag schemes,
// registry settings, deployment role permissions and managed policy ARNs.
export { validateFleetCapacity, validatePurchaseOptions } from "./runner/fleet-validation";
export { SPOT_ALLOCATION_STRATEGIES, type SpotAllocationStrategy } from "./runner/fleet-props";
export { resolveTagScheme, type ResolvedTagScheme } from "./registry/tag-scheme";
export { REGISTRY_SCAN_FREQUENCIES, REGISTRY_SCAN_TYPES, validateRegistrySettings } from "./registry/registry-settings";
export { STATEMENT_EFFECTS, validateDeploymentPermissions } from "./identity/deployment-role";
export { validateManagedPolicyArns } from "./identity/role-policy";
// Tag kinds' role variables; Git tag values a selector admits through a tag template.
export { REQUIRED_CI_TAG_VARIABLES, ciTagVariables } from "./registry/tag-kinds";
export { patternRegex, quotientPatterns } from "./registry/glob";
// The rule pack's shortcuts (same findings, less work on what the library rendered). The record of rendered
// cloud-configs they read stays internal: only the library's renderer may add to it.
export { RULE_SHORTCUTS, type RuleShortcut, ruleShortcutOn, setRuleShortcut, ruleShortcutUses, keepRulesShield } from "./checks";
export { cloudConfigText } from "./core/cloud-config";

// The GitLab version check's minimum-version rule, shared by the construct and the configuration.
export { checkMinimumVersions } from "./gitlab/gitlab-version-check";

// The Git tags that release: one pattern for the protected roles, GitLab's tag protection and the templates'
// Git tag pipelines; pull-through grants by trust level (only protected pullers create cache repositories).
export { AROUND_GIT_TAG, gitTagsOf, releasableGitTags, releaseKindOf, releaseTagPatternOf } from "./registry/release-tags";
export { releaseTagsOf } from "./platform/identity-config";
export { ECR_PULL_THROUGH_IMPORT_ACTIONS, type PullThroughGrantOptions } from "./mirror/ecr-pull-through-mirror";

// Deploy jobs: deploy, smoke test and record in one job; the pinned PATH and the unset lists; the shared role ARN and project path rules.
export { deployScript } from "./gitlab/deploy-template";
export { JOB_REDIRECTS, DEFAULT_DEPLOY_SEARCH_PATH } from "./gitlab/deploy-targets";
export { IAM_ROLE_ARN } from "./core/aws";
export { isTenantProjectPath } from "./platform/tenancy-validation";

// The plan-time condition that a project runs no merged-results pipelines (ProtectedRefs uses it).
export { mergedResultsCondition } from "./gitlab/protected-refs";

// One error for violations a validation gathered itself; account look-ups that treat a malformed id or region as unknown.
export { validationErrorOf } from "./core/errors";
export { isWellFormedAccountId, isWellFormedRegion, mayBeAccount } from "./core/aws";

// Deploy hosts: every runner sharing a deploy route's hosts is judged (no unprotected, hand-registered or
// host-controlling runner of several projects); promotion grants cover exactly the promoted repositories.
export { type DeployHostProblem, deployHostProblems, hostPoolsOf, rootOnHost, takesJobTagged, validateDeployHosts } from "./platform/deploy-hosts";
export { type PromotedRepository, promotedRepositoriesOf } from "./platform/promotion-grants";

// Deploy jobs: the fresh HOME of the pinned script
export { PINNED_HOME_TEMPLATE } from "./gitlab/deploy-targets";

// Release tags: the templates' Git tag rule matches only Git tags whose image tag is a valid Docker tag.
export { GIT_TAG_RULE_WILDCARD, gitTagRuleRegex } from "./registry/release-tags";
// Environments sharing one GitLab instance's published CI templates release the same Git tags.
export { validateSharedReleaseTags } from "./platform/identity-config";

// Environments of one GitLab instance share the published CI templates, so their tag kinds must agree (retention may differ).
export { validateSharedTagSchemes } from "./platform/shared-tag-scheme";

// Tag schemes given as data (a JSON file, plain JavaScript): their shape, and the lifecycle preview's
// --tag-scheme file checked in full; "did you mean" for misspelt keys.
export { tagSchemeShapeViolations } from "./registry/tag-scheme-shape";
export { parseTagSchemeInput, type TagSchemeInput } from "./registry/lifecycle/tag-scheme-input";
export { closestKey } from "./core/closest-key";

// An external registry's pull-only credential for every job of a group (merge requests included): the group's * DOCKER_AUTH_CONFIG.
export { type UnprotectedPullConfig } from "./platform/gitlab-config";
export { type UnprotectedPullRegistry, unprotectedPullRegistriesOf, validateUnprotectedPull, validateUnprotectedPullEntries, withUnprotectedPull } from "./platform/unprotected-pull";
export { UNPROTECTED_PULL_DESCRIPTION } from "./gitlab/docker-auth-config";

// What the files one GitLab instance publishes push, and their plan checks run with each environment's tag scheme.
export { violationsIn } from "./core/errors";
export { movingKindOf, plannedTagsOf, TOOLBOX_TAG_PLAN } from "./gitlab/image-reuse-plan";
export { configuredSchemeOf, type PublishedFile, type PublishedFilesInput, publishedFilesOf, planViolationsWith, sameSelection } from "./platform/published-tag-plans";
export { type InstanceReference, instanceReferencesOf, templatesEnvironmentsOf } from "./platform/shared-tag-scheme";

// The templates' Git tag rule admits only Git tags whose image tags are Docker tags (first character, 128 characters).
export { DOCKER_TAG_MAX_LENGTH, gitTagImageTagRegex, gitTagRoom, gitTagTemplateOf } from "./registry/release-tags";

// Pull-through cache repositories created up front (RegistrySettings pullThroughCache[].cachedRepositories).
export {
  type CacheRepositorySettings,
  cachedRepositoryName,
  createCachedRepository,
  encryptionConfigurationOf,
  validateCachedRepositories,
} from "./registry/pull-through-repositories";

// Tag templates: what each CI variable a tag may use expands to, and the check that every expansion is a Docker tag.
export { CI_TAG_VALUES, DOCKER_TAG_ALPHABET, DOCKER_TAG_FIRST, DOCKER_TAG_LENGTH, GITLAB_ID_DIGITS, PLATFORM_ENVIRONMENT_NAME, type TagSafeValue, type TagUnsafeValue, validateCiTagValues } from "./registry/ci-tag-values";
