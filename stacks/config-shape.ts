import { ValidationError, ValidationErrors, type Violation } from "../lib/core/errors";
import {
  type CacheConfig,
  type DeploymentConfig,
  type EcrPullThroughMirrorConfig,
  type EnvironmentIdentityConfig,
  type ExternalRegistryConfig,
  type GitLabConfig,
  type NexusMirrorConfig,
  type RunnerConfigEntry,
  type RunnersConfig,
  type StaticCredentialsConfig,
  type UnprotectedPoolConfig,
} from "../lib/platform/config";
import { type PolicyStatement } from "../lib/core/iam";
import { type RawProxyVariable } from "../lib/gitlab/platform-variables";
import { type RawProxyOptions } from "../lib/mirror/nexus-provisioning";
import { type PullThroughCacheRuleOptions } from "../lib/registry/registry-settings";
import { type OfficeHoursOptions } from "../lib/runner/schedule";
import { type ProjectConfig, type RepositoryConfig } from "../lib/platform/tenancy";
import { type AccountConfig, type EnvironmentConfig, type PlatformConfig } from "./platform-config";

/*
 * The shape of a configuration, checked before any rule that reads it: required fields present,
 * lists are lists, sections are objects, scalars have their type, and no unknown key in the
 * top level or a section. TypeScript checks this for a typed `.ts` configuration, but not for a
 * `.js` or `.json` one (and the app runs `.ts` without type checking): without this pass such a
 * mistake ends in a TypeError deep in a check instead of a message naming the config path.
 */

/** The JavaScript type a field holds. */
type Kind = "string" | "number" | "boolean" | "array" | "object";

/** One field of a section: its kinds, whether it must be present, and the shape of its content. */
interface Field {
  readonly kinds: readonly Kind[];
  readonly required?: boolean;
  /** The kind is left to the field's rule, which explains it better (e.g. an account id given as a number). */
  readonly loose?: boolean;
  /** The keys of an object value (unknown keys refused); unchecked when absent. */
  readonly shape?: Shape;
  /** Each element of an array value. */
  readonly items?: Field;
  /** Each value of an object used as a map (names to settings). */
  readonly values?: Field;
}

type Shape = Readonly<Record<string, Field>>;

/** A shape that lists exactly the keys of `T` (the compiler refuses a missing or extra key). */
type ShapeOf<T> = { readonly [K in keyof Required<T>]: Field };

const str: Field = { kinds: ["string"] };
const num: Field = { kinds: ["number"] };
const bool: Field = { kinds: ["boolean"] };
const obj: Field = { kinds: ["object"] };
const strings: Field = { kinds: ["array"], items: { kinds: ["string"], required: true } };
const loose = (field: Field): Field => ({ ...field, loose: true });
const required = (field: Field): Field => ({ ...field, required: true });
const section = (shape: Shape, isRequired = false): Field => ({ kinds: ["object"], shape, required: isRequired });
const listOf = (item: Field, isRequired = false): Field => ({ kinds: ["array"], items: { ...item, required: true }, required: isRequired });

const runnerEntry = {
  name: required(str),
  limit: required(loose(num)),
  dockerAccess: required(loose(str)),
  image: required(str),
  privileged: bool,
  tokenParameterName: str,
  builder: loose({ kinds: ["string", "object"] }),
  volumes: strings,
  projects: strings,
  sharedBetweenProjects: obj,
} satisfies ShapeOf<RunnerConfigEntry>;

const officeHours = {
  timeZone: required(str),
  days: str,
  startHour: loose(num),
  endHour: loose(num),
  minSize: required(loose(num)),
  maxSize: required(loose(num)),
} satisfies ShapeOf<OfficeHoursOptions>;

const runners = {
  network: obj,
  runners: listOf(section(runnerEntry), true),
  instanceTypes: strings,
  capacity: obj,
  purchase: obj,
  officeHours: section(officeHours),
  maxJobTimeoutSeconds: loose(num),
  imageStorageGiB: loose(num),
  versions: obj,
  imageId: str,
  concurrent: loose(num),
  logRetentionDays: loose(num),
  alarmActions: strings,
  unprotected: section({ runners: listOf(section(runnerEntry), true), mode: loose(str), capacity: obj, purchase: obj, instanceTypes: strings, imageStorageGiB: loose(num), imageId: str, concurrent: loose(num) } satisfies ShapeOf<UnprotectedPoolConfig>),
  deploy: obj,
} satisfies ShapeOf<RunnersConfig>;

const repository = section({ id: required(str), description: required(loose(str)), catchAllRetention: obj } satisfies ShapeOf<RepositoryConfig>);

const project = {
  path: required(str),
  name: str,
  repositories: listOf(repository),
  defaultBranch: str,
  protectedRefs: loose(str),
} satisfies ShapeOf<ProjectConfig>;

const rawProxyVariables: Field = { kinds: ["object"], values: section({ proxy: required(str), path: str } satisfies ShapeOf<RawProxyVariable>) };

const gitlab = {
  url: required(str),
  group: required(str),
  projects: listOf({ kinds: ["string", "object"], shape: project }, true),
  tier: loose(str),
  skipVersionCheck: section({ reason: loose(required(str)) } satisfies ShapeOf<NonNullable<GitLabConfig["skipVersionCheck"]>>),
  minimumVersions: strings,
  runners: listOf(obj),
  variables: section({ environmentScope: str, protected: bool } satisfies ShapeOf<NonNullable<GitLabConfig["variables"]>>),
  imageRoles: { kinds: ["object"], values: str },
  externalRegistries: listOf(section({ registry: required(str), username: required(str), passwordVariable: required(str) } satisfies ShapeOf<ExternalRegistryConfig>)),
  containerRegistryHost: str,
  ciTemplates: section({ project: required(str), create: bool } satisfies ShapeOf<NonNullable<GitLabConfig["ciTemplates"]>>),
  toolboxProject: section({ path: required(str), dockerfile: str } satisfies ShapeOf<NonNullable<GitLabConfig["toolboxProject"]>>),
  rawProxyVariables,
  buildpackVariables: rawProxyVariables,
  autoDevOps: bool,
} satisfies ShapeOf<GitLabConfig>;

const cache = {
  expirationDays: loose(num),
  path: str,
  shared: bool,
  forceDestroy: bool,
  accessLogs: loose({ kinds: ["boolean", "object"] }),
} satisfies ShapeOf<CacheConfig>;

/** Both mirror kinds' keys (which of them apply to which kind is the mirror rules' job). */
const mirror = {
  kind: required(loose(str)),
  network: obj,
  instanceType: str,
  dataVolumeSizeGiB: loose(num),
  snapshotRetentionCount: loose(num),
  adminCidr: str,
  dockerHubCredentialSecretArn: str,
  credentialedAnonymousPull: obj,
  rawProxies: listOf(section({ name: required(str), remoteUrl: required(str) } satisfies ShapeOf<RawProxyOptions>)),
  dnsZoneName: str,
  prefixes: strings,
} satisfies ShapeOf<Omit<NexusMirrorConfig, "kind"> & Omit<EcrPullThroughMirrorConfig, "kind"> & { kind: string }>;

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
const statement = section({ sid: str, effect: loose(str), actions: required(strings), resources: required(strings), conditions: { kinds: ["object"], values: { kinds: ["object"], values: conditionValues } } } satisfies ShapeOf<PolicyStatement>);

const deployment = {
  managedPolicyArns: strings,
  statements: listOf(statement),
  permissionsBoundaryArn: str,
  trustRunnerHost: bool,
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

const environment = {
  name: required(str),
  accountId: required(loose(str)),
  region: required(str),
  gitlab: section(gitlab, true),
  production: bool,
  destroyProtectionWaiver: str,
  registry: section({ repositoryPrefix: str, tagScheme: obj, preventDestroy: bool, repositories: listOf(repository, true) }, true),
  identity: section(identity),
  cache: section(cache),
  mirror: section(mirror),
  runners: section(runners),
  promotion: obj,
  deploy: obj,
  stateKey: str,
} satisfies ShapeOf<EnvironmentConfig>;

const account = {
  name: required(str),
  accountId: required(loose(str)),
  region: required(str),
  deployRole: obj,
  stateKey: str,
  registry: section({
    scanning: obj,
    pullThroughCache: listOf(section({ upstream: required(loose(str)), prefix: str, credentialSecretArn: str } satisfies ShapeOf<PullThroughCacheRuleOptions>)),
    cachedImageExpiryDays: loose(num),
  } satisfies ShapeOf<NonNullable<AccountConfig["registry"]>>),
  identity: obj,
} satisfies ShapeOf<AccountConfig>;

const platform = {
  project: required(str),
  accounts: listOf(section(account), true),
  environments: listOf(section(environment), true),
  backend: obj,
} satisfies ShapeOf<PlatformConfig>;

function kindOf(value: unknown): Kind | "null" | "undefined" | "function" | "bigint" | "symbol" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as Kind;
}

/** The edit distance of two short strings (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}

/** The known key an unknown one is most likely a misspelling of: same letters in another case, or at most two edits away. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const scored = known.map((k) => ({ k, d: distance(lower, k.toLowerCase()) })).filter(({ d }) => d <= Math.min(2, Math.floor(key.length / 3)));
  scored.sort((a, b) => a.d - b.d);
  return scored[0]?.k;
}

function example(kinds: readonly Kind[]): string {
  const samples: Record<Kind, string> = { string: '"..."', number: "a number such as 14", boolean: "true or false", array: "a list [...]", object: "an object { ... }" };
  return kinds.map((k) => samples[k]).join(" or ");
}

function checkObject(found: Violation[], path: string, value: Record<string, unknown>, shape: Shape): void {
  const known = Object.keys(shape);
  for (const key of Object.keys(value)) {
    if (key in shape) continue;
    const close = closestKey(key, known);
    found.push({
      path,
      subject: "key",
      value: key,
      rule: `a known setting of ${path} (${known.join(", ")})`,
      fix: close ? `did you mean ${JSON.stringify(close)}? Rename the key` : "remove the key or fix its spelling",
    });
  }
  for (const [key, field] of Object.entries(shape)) checkField(found, `${path}/${key}`, value[key], field, key);
}

function checkField(found: Violation[], path: string, value: unknown, field: Field, key: string): void {
  // A field's problems are reported at its section's path, with the field as subject; an element of a list at its own path.
  const at = /\[\d+\]$/.test(path) ? path : path.slice(0, path.lastIndexOf("/")) || path;
  if (value === undefined) {
    if (!field.required) return;
    found.push({
      path: at,
      subject: key,
      value,
      rule: `${key} is required (${example(field.kinds)})`,
      fix: `add ${key}; see docs/configuration.md`,
    });
    return;
  }
  const kind = kindOf(value);
  if (!field.loose && !(field.kinds as readonly string[]).includes(kind)) {
    found.push({
      path: at,
      subject: key,
      value,
      rule: `${key} is ${example(field.kinds)}, not ${kind === "object" ? "an object" : kind === "array" ? "a list" : kind === "null" || kind === "undefined" ? kind : `a ${kind}`}`,
      fix: `give ${key} as ${example(field.kinds)}`,
    });
    return;
  }
  if (kind === "object" && field.shape) checkObject(found, path, value as Record<string, unknown>, field.shape);
  if (kind === "object" && field.values) {
    const values = field.values;
    for (const [name, entry] of Object.entries(value as Record<string, unknown>)) checkField(found, `${path}/${name}`, entry, { ...values, required: true }, name);
  }
  if (kind === "array" && field.items) {
    const items = field.items;
    (value as unknown[]).forEach((item, i) => checkField(found, `${path}[${i}]`, item, items, `${key}[${i}]`));
  }
}

/**
 * Checks the shape of a whole configuration: the configuration is an object; `project`,
 * `accounts`, `environments`, each account's and each environment's required fields are
 * present; lists are lists, sections objects and scalars of their type; no key of the top
 * level, an account, an environment or its `gitlab`, `registry`, `cache` and `runners`
 * sections (and each runner entry) is unknown (with the closest known key as "did you mean").
 * Every problem is reported, each with its config path.
 *
 * @throws ValidationError (or ValidationErrors for several) naming each config path, the value,
 *   the rule and the fix
 */
export function validateConfigShape(config: unknown): asserts config is PlatformConfig {
  const found: Violation[] = [];
  checkField(found, "config", config, { kinds: ["object"], required: true, shape: platform }, "configuration");
  // Every shape problem is its own (no de-duplication: the same missing key in two environments is two fixes).
  if (found.length === 1) throw new ValidationError(found[0]!);
  if (found.length > 1) throw new ValidationErrors(found);
}
