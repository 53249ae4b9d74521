import { type CacheAccessLogOptions } from "../lib/cache/access-log-bucket";
import { type PolicyStatement } from "../lib/core/iam";
import { type RawProxyVariable } from "../lib/gitlab/platform-variables";
import { type RawProxyOptions } from "../lib/mirror/nexus-provisioning";
import { type ExistingNetworkProps } from "../lib/network/existing-network";
import { type FlowLogOptions } from "../lib/network/flow-logs";
import { type NetworkRef } from "../lib/network/network-ref";
import {
  type CacheConfig,
  type DeployConfig,
  type DeploymentConfig,
  type DeployRunnersConfig,
  type EcrPullThroughMirrorConfig,
  type EnvironmentIdentityConfig,
  type ExternalRegistryConfig,
  type GitLabConfig,
  type NexusMirrorConfig,
  type PromotionConfig,
  type RunnerConfigEntry,
  type RunnerRegistrationConfig,
  type RunnersConfig,
  type StaticCredentialsConfig,
  type UnprotectedPoolConfig,
  type UnprotectedPullConfig,
} from "../lib/platform/config";
import { type ProjectConfig, type RepositoryConfig } from "../lib/platform/tenancy";
import { type PullThroughCacheRuleOptions, type RegistryScanningOptions } from "../lib/registry/registry-settings";
import { type TagKindOptions, type TagSchemeProps } from "../lib/registry/tag-scheme";
import { type RunnerFleetCapacity, type RunnerFleetPurchaseOptions } from "../lib/runner/fleet-group-options";
import { type OfficeHoursOptions } from "../lib/runner/schedule";
import { type RunnerHostVersions } from "../lib/runner/user-data";
import { type AccountDeployRole } from "./aws-provider";
import { type BackendConfig } from "./backend";
import { type AccountConfig, type AccountIdentityConfig, type EnvironmentConfig, type PlatformConfig } from "./platform-config";

/*
 * The fields of a configuration: every section and every field its types declare, with the
 * JavaScript kinds they hold (`ShapeOf<T>` makes the compiler refuse a shape that misses or adds a
 * key of the type). config-shape.ts checks a configuration against them.
 */

/** The JavaScript type a field holds. */
export type Kind = "string" | "number" | "boolean" | "array" | "object";

/** One field of a section: its kinds, whether it must be present, and the shape of its content. */
export interface Field {
  readonly kinds: readonly Kind[];
  readonly required?: boolean;
  /** The kind is left to the field's rule, which explains it better (e.g. an account id given as a number). */
  readonly loose?: boolean;
  /** The keys of an object value (unknown keys refused). */
  readonly shape?: Shape;
  /**
   * The keys of an object value when they depend on the value (a union type such as the mirror
   * kinds): the variant the value selects, or undefined when it selects none (then `shape`, the
   * union of every variant's keys, applies and the discriminating field's rule reports it).
   */
  readonly variant?: (value: Readonly<Record<string, unknown>>) => Variant | undefined;
  /** A boolean value may only be `false` (an option given as its settings, or `false` to turn it off). */
  readonly falseOnly?: boolean;
  /** Each element of an array value. */
  readonly items?: Field;
  /** Each value of an object used as a map (names to settings). */
  readonly values?: Field;
}

/** One variant of a union section: its name in messages and its keys. */
export interface Variant {
  readonly name: string;
  readonly shape: Shape;
}

/** The fields of a section by key. */
export type Shape = Readonly<Record<string, Field>>;

/** A shape that lists exactly the keys of `T` (the compiler refuses a missing or extra key). */
type ShapeOf<T> = { readonly [K in keyof Required<T>]: Field };

const str: Field = { kinds: ["string"] };
const num: Field = { kinds: ["number"] };
const bool: Field = { kinds: ["boolean"] };
const strings: Field = { kinds: ["array"], items: { kinds: ["string"], required: true } };
const loose = (field: Field): Field => ({ ...field, loose: true });
const required = (field: Field): Field => ({ ...field, required: true });
const section = (shape: Shape, isRequired = false): Field => ({ kinds: ["object"], shape, required: isRequired });
const listOf = (item: Field, isRequired = false): Field => ({ kinds: ["array"], items: { ...item, required: true }, required: isRequired });
const mapOf = (value: Field): Field => ({ kinds: ["object"], values: value });
/** A section of union type: `select` picks the variant; unknown values get the union of the variants' keys. */
const variants = (
  variantsByName: Readonly<Record<string, Shape>>,
  select: (value: Readonly<Record<string, unknown>>) => string | undefined,
  label: (name: string) => string = (name) => `kind ${JSON.stringify(name)}`,
): Field => ({
  kinds: ["object"],
  shape: Object.assign({}, ...Object.values(variantsByName)) as Shape,
  variant: (value) => {
    const name = select(value);
    return name !== undefined && Object.hasOwn(variantsByName, name) ? { name: label(name), shape: variantsByName[name]! } : undefined;
  },
});
/** A written reason (`{ reason }`), as waivers take it. */
const reason = section({ reason: required(str) });

// ---- Runners ----

const runnerEntry = {
  name: required(str),
  limit: required(loose(num)),
  dockerAccess: required(loose(str)),
  image: required(str),
  privileged: bool,
  tokenParameterName: str,
  builder: loose({ kinds: ["string"] }),
  volumes: strings,
  projects: strings,
  sharedBetweenProjects: reason,
} satisfies ShapeOf<RunnerConfigEntry>;

const officeHours = {
  timeZone: required(str),
  days: str,
  startHour: loose(num),
  endHour: loose(num),
  minSize: required(loose(num)),
  maxSize: required(loose(num)),
} satisfies ShapeOf<OfficeHoursOptions>;

// Sizes and the purchase mix: the numbers' rules (whole, ranges) are the fleet's own (validateCapacity, validatePurchaseOptions).
const capacity = section({ minSize: required(loose(num)), maxSize: required(loose(num)), desiredCapacity: loose(num) } satisfies ShapeOf<RunnerFleetCapacity>);
const purchase = section({
  onDemandBaseCapacity: loose(num),
  onDemandPercentageAboveBaseCapacity: loose(num),
  spotAllocationStrategy: loose(str),
  capacityRebalance: loose(bool),
} satisfies ShapeOf<RunnerFleetPurchaseOptions>);

const flowLogs = { retentionDays: loose(num), kmsKeyArn: str, trafficType: loose(str) } satisfies ShapeOf<FlowLogOptions>;
const existingNetwork = { vpcId: required(str), privateSubnetIds: required(strings), vpcCidr: str, reachesEc2InstanceConnectApi: bool } satisfies ShapeOf<ExistingNetworkProps>;
type NewNetwork = Exclude<NonNullable<RunnersConfig["network"]>, { readonly existing: ExistingNetworkProps }>;
/** An existing VPC, or a new one: the two do not mix (an existing network ignores cidr, natGateways and flowLogs). */
const network = variants(
  {
    existing: { existing: required(section(existingNetwork)) },
    new: { cidr: str, natGateways: loose(str), flowLogs: { kinds: ["boolean", "object"], shape: flowLogs, falseOnly: true } } satisfies ShapeOf<NewNetwork>,
  },
  (value) => ("existing" in value ? "existing" : "new"),
  (name) => (name === "existing" ? "an existing network" : "a new network"),
);

const versions = section({ docker: str, gitlabRunner: str, ecrCredentialHelper: str, cloudwatchAgent: str } satisfies ShapeOf<RunnerHostVersions>);

const deployRunners = {
  limit: loose(num),
  image: str,
  capacity,
  purchase,
  instanceTypes: strings,
  projects: strings,
  imageId: str,
} satisfies ShapeOf<DeployRunnersConfig>;

const runners = {
  network,
  runners: listOf(section(runnerEntry), true),
  instanceTypes: strings,
  capacity,
  purchase,
  officeHours: section(officeHours),
  maxJobTimeoutSeconds: loose(num),
  imageStorageGiB: loose(num),
  versions,
  imageId: str,
  concurrent: loose(num),
  logRetentionDays: loose(num),
  alarmActions: strings,
  unprotected: section({ runners: listOf(section(runnerEntry), true), mode: loose(str), capacity, purchase, instanceTypes: strings, imageStorageGiB: loose(num), imageId: str, concurrent: loose(num) } satisfies ShapeOf<UnprotectedPoolConfig>),
  deploy: section(deployRunners),
} satisfies ShapeOf<RunnersConfig>;

// ---- Registry and tenants ----

/** `{ maxCount }` or `{ maxAgeDays }`: which one, and the number, are the retention rule's (validateRetention). */
const retention = section({ maxCount: loose(num), maxAgeDays: loose(num) } satisfies ShapeOf<{ maxCount?: number; maxAgeDays?: number }>);

const repository = section({ id: required(str), description: required(loose(str)), catchAllRetention: retention, unprotectedMaxAgeDays: loose(num) } satisfies ShapeOf<RepositoryConfig>);

const tagKind = { prefix: str, pattern: str, ciTag: str, retention, protected: loose(bool), mutable: loose(bool), secondary: loose(bool) } satisfies ShapeOf<TagKindOptions>;
const tagScheme = section({ kinds: mapOf(section(tagKind)), use: strings, untaggedExpiryDays: loose(num), maxKindsPerImage: loose(num) } satisfies ShapeOf<TagSchemeProps>);

const registry = { repositoryPrefix: str, tagScheme, preventDestroy: bool, repositories: listOf(repository, true) } satisfies ShapeOf<EnvironmentConfig["registry"]>;

const project = {
  path: required(str),
  name: str,
  repositories: listOf(repository),
  defaultBranch: str,
  protectedRefs: loose(str),
} satisfies ShapeOf<ProjectConfig>;

// ---- GitLab side ----

const rawProxyVariables: Field = mapOf(section({ proxy: required(str), path: str } satisfies ShapeOf<RawProxyVariable>));

const registration = {
  name: required(str),
  tags: strings,
  untagged: bool,
  protectedRefsOnly: bool,
  maximumTimeoutSeconds: loose(num),
  existingTokenParameter: str,
  groupRunner: reason,
  allowUnprotectedJobs: reason,
} satisfies ShapeOf<RunnerRegistrationConfig>;

const gitlab = {
  url: required(str),
  group: required(str),
  projects: listOf({ kinds: ["string", "object"], shape: project }, true),
  tier: loose(str),
  skipVersionCheck: section({ reason: loose(required(str)) } satisfies ShapeOf<NonNullable<GitLabConfig["skipVersionCheck"]>>),
  minimumVersions: strings,
  runners: listOf(section(registration)),
  variables: section({ environmentScope: str, protected: bool } satisfies ShapeOf<NonNullable<GitLabConfig["variables"]>>),
  imageRoles: mapOf(str),
  externalRegistries: listOf(
    section({
      registry: required(str),
      username: required(str),
      passwordVariable: required(str),
      unprotectedPull: section({ username: required(str), passwordVariable: required(str) } satisfies ShapeOf<UnprotectedPullConfig>),
    } satisfies ShapeOf<ExternalRegistryConfig>),
  ),
  containerRegistryHost: str,
  ciTemplates: section({ project: required(str), create: bool } satisfies ShapeOf<NonNullable<GitLabConfig["ciTemplates"]>>),
  toolboxProject: section({ path: required(str), dockerfile: str } satisfies ShapeOf<NonNullable<GitLabConfig["toolboxProject"]>>),
  rawProxyVariables,
  buildpackVariables: rawProxyVariables,
  autoDevOps: bool,
} satisfies ShapeOf<GitLabConfig>;

// ---- Cache and mirror ----

const accessLogs = { bucketName: str, retentionDays: loose(num), forceDestroy: bool } satisfies ShapeOf<CacheAccessLogOptions>;

const cache = {
  expirationDays: loose(num),
  path: str,
  shared: bool,
  forceDestroy: bool,
  // false, or the options (true is the accessLogs rule's to refuse).
  accessLogs: loose({ kinds: ["boolean", "object"], shape: accessLogs }),
} satisfies ShapeOf<CacheConfig>;

const networkRef = section({ vpcId: required(str), privateSubnetIds: required(strings), vpcCidr: str, reachesEc2InstanceConnectApi: bool } satisfies ShapeOf<NetworkRef>);

const nexusMirror = {
  kind: required(loose(str)),
  network: networkRef,
  instanceType: str,
  dataVolumeSizeGiB: loose(num),
  snapshotRetentionCount: loose(num),
  adminCidr: str,
  dockerHubCredentialSecretArn: str,
  credentialedAnonymousPull: reason,
  rawProxies: listOf(section({ name: required(str), remoteUrl: required(str) } satisfies ShapeOf<RawProxyOptions>)),
  dnsZoneName: str,
} satisfies ShapeOf<NexusMirrorConfig>;

const ecrPullThroughMirror = { kind: required(loose(str)), prefixes: strings } satisfies ShapeOf<EcrPullThroughMirrorConfig>;

/** The keys of the mirror's kind; for an unknown kind, both kinds' keys (the kind's rule reports it). */
const mirror = variants({ nexus: nexusMirror, "ecr-pull-through": ecrPullThroughMirror }, (value) => (typeof value.kind === "string" ? value.kind : undefined));

// ---- Identity, promotion and deploy ----

const staticCredentials = {
  id: required(str),
  access: required(loose(str)),
  repositories: strings,
  tenants: strings,
  store: loose(str),
  rotation: loose(num),
} satisfies ShapeOf<StaticCredentialsConfig>;

// conditions: operator -> context key -> value or values (IAM condition block).
const conditionValues: Field = { kinds: ["string", "array"], items: { kinds: ["string"], required: true } };
// notResources (a Deny's "every key but this one") is for the library's own grants: the configuration refuses it as an unknown key.
const statement = section({ sid: str, effect: loose(str), actions: required(strings), resources: required(strings), conditions: mapOf(mapOf(conditionValues)) } satisfies ShapeOf<Omit<PolicyStatement, "notResources">>);

const deployment = {
  managedPolicyArns: strings,
  statements: listOf(statement),
  permissionsBoundaryArn: str,
  trustRunnerHost: loose(bool),
} satisfies ShapeOf<DeploymentConfig>;

const identity = {
  defaultBranch: str,
  releaseTags: str,
  mergeRequestPushRepositories: strings,
  subClaimComponents: listOf(loose(str)),
  audience: str,
  maxSessionDurationSeconds: loose(num),
  permissionsBoundaryArn: str,
  deployment: section(deployment),
  staticCredentials: listOf(section(staticCredentials)),
} satisfies ShapeOf<EnvironmentIdentityConfig>;

const deploy = {
  image: str,
  runner: str,
  manual: bool,
  lastGoodDigest: { kinds: ["boolean", "object"], shape: { parameterPrefix: str }, falseOnly: true },
  rollback: bool,
  branch: str,
  deployAccess: loose(str),
  jobImage: str,
} satisfies ShapeOf<DeployConfig>;

const environment = {
  name: required(str),
  accountId: required(loose(str)),
  region: required(str),
  gitlab: section(gitlab, true),
  production: bool,
  destroyProtectionWaiver: str,
  registry: section(registry, true),
  identity: section(identity),
  cache: section(cache),
  mirror,
  runners: section(runners),
  promotion: section({ from: str } satisfies ShapeOf<PromotionConfig>),
  deploy: section(deploy),
  stateKey: str,
} satisfies ShapeOf<EnvironmentConfig>;

// ---- Accounts and backend ----

const account = {
  name: required(str),
  accountId: required(loose(str)),
  region: required(str),
  deployRole: section({ roleArn: required(str), sessionName: str, externalId: str } satisfies ShapeOf<AccountDeployRole>),
  stateKey: str,
  registry: section({
    scanning: section({ scanType: loose(str), frequency: loose(str) } satisfies ShapeOf<RegistryScanningOptions>),
    pullThroughCache: listOf(section({ upstream: required(loose(str)), prefix: str, credentialSecretArn: str, cachedRepositories: strings } satisfies ShapeOf<PullThroughCacheRuleOptions>)),
    cachedImageExpiryDays: loose(num),
  } satisfies ShapeOf<NonNullable<AccountConfig["registry"]>>),
  identity: section({ existingOidcProviders: strings } satisfies ShapeOf<AccountIdentityConfig>),
} satisfies ShapeOf<AccountConfig>;

type S3Backend = Extract<BackendConfig, { kind: "s3" }>;
/** The keys of the backend's kind; for an unknown kind, both kinds' keys (the kind's rule reports it). */
const backend = variants(
  {
    local: { kind: required(loose(str)) } satisfies ShapeOf<Extract<BackendConfig, { kind: "local" }>>,
    s3: { kind: required(loose(str)), bucket: required(str), region: required(str), keyPrefix: str, kmsKeyId: str, roleArn: str } satisfies ShapeOf<S3Backend>,
  },
  (value) => (typeof value.kind === "string" ? value.kind : undefined),
);

const platform = {
  project: required(str),
  accounts: listOf(section(account), true),
  environments: listOf(section(environment), true),
  backend,
} satisfies ShapeOf<PlatformConfig>;

/**
 * The shape of a whole configuration, as {@link validateConfigShape} checks it: every section and
 * every field the configuration types declare, with their kinds (exported for tests that walk it).
 */
export const CONFIG_SHAPE: Field = { kinds: ["object"], required: true, shape: platform };

/** The keys an object value at `field` may have: the variant it selects, else the field's shape. */
export function shapeOfValue(field: Field, value: Readonly<Record<string, unknown>>): { readonly shape?: Shape; readonly variant?: string } {
  const variant = field.variant?.(value);
  return variant ? { shape: variant.shape, variant: variant.name } : { ...(field.shape ? { shape: field.shape } : {}) };
}
