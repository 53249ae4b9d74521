import { ValidationError, ValidationErrors, type Violation } from "../lib/core/errors";
import { type CacheConfig, type GitLabConfig, type RunnerConfigEntry, type RunnersConfig } from "../lib/platform/config";
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
  /** The keys of an object field (unknown keys refused); unchecked when absent. */
  readonly shape?: Shape;
  /** The shape of each element of an array field whose elements are objects. */
  readonly items?: Shape;
}

type Shape = Readonly<Record<string, Field>>;

/** A shape that lists exactly the keys of `T` (the compiler refuses a missing or extra key). */
type ShapeOf<T> = { readonly [K in keyof Required<T>]: Field };

const str: Field = { kinds: ["string"] };
const num: Field = { kinds: ["number"] };
const bool: Field = { kinds: ["boolean"] };
const obj: Field = { kinds: ["object"] };
const list: Field = { kinds: ["array"] };
const required = (field: Field): Field => ({ ...field, required: true });

const runnerEntry = {
  name: required(str),
  limit: required(num),
  dockerAccess: required(str),
  image: required(str),
  privileged: bool,
  tokenParameterName: str,
  builder: { kinds: ["string", "object"] },
  volumes: list,
  projects: list,
  sharedBetweenProjects: obj,
} satisfies ShapeOf<RunnerConfigEntry>;

const runners = {
  network: obj,
  runners: { kinds: ["array"], required: true, items: runnerEntry },
  instanceTypes: list,
  capacity: obj,
  purchase: obj,
  officeHours: obj,
  maxJobTimeoutSeconds: num,
  imageStorageGiB: num,
  versions: obj,
  imageId: str,
  concurrent: num,
  logRetentionDays: num,
  alarmActions: list,
  unprotected: { kinds: ["object"], shape: { runners: { kinds: ["array"], required: true, items: runnerEntry }, mode: str, capacity: obj, purchase: obj, instanceTypes: list, imageStorageGiB: num, imageId: str, concurrent: num } },
  deploy: obj,
} satisfies ShapeOf<RunnersConfig>;

const gitlab = {
  url: required(str),
  group: required(str),
  projects: { kinds: ["array"], required: true },
  tier: str,
  skipVersionCheck: obj,
  runners: list,
  variables: obj,
  imageRoles: obj,
  externalRegistries: list,
  containerRegistryHost: str,
  ciTemplates: obj,
  toolboxProject: obj,
  rawProxyVariables: obj,
  buildpackVariables: obj,
  autoDevOps: bool,
} satisfies ShapeOf<GitLabConfig>;

const cache = {
  expirationDays: num,
  path: str,
  shared: bool,
  forceDestroy: bool,
  accessLogs: { kinds: ["boolean", "object"] },
} satisfies ShapeOf<CacheConfig>;

const environment = {
  name: required(str),
  accountId: required(str),
  region: required(str),
  gitlab: { kinds: ["object"], required: true, shape: gitlab },
  production: bool,
  destroyProtectionWaiver: str,
  registry: {
    kinds: ["object"],
    required: true,
    shape: { repositoryPrefix: str, tagScheme: obj, preventDestroy: bool, repositories: { kinds: ["array"], required: true, items: { id: required(str), description: required(str), catchAllRetention: obj } } },
  },
  identity: obj,
  cache: { kinds: ["object"], shape: cache },
  mirror: obj,
  runners: { kinds: ["object"], shape: runners },
  promotion: obj,
  deploy: obj,
  stateKey: str,
} satisfies ShapeOf<EnvironmentConfig>;

const account = {
  name: required(str),
  accountId: required(str),
  region: required(str),
  deployRole: obj,
  stateKey: str,
  registry: obj,
  identity: obj,
} satisfies ShapeOf<AccountConfig>;

const platform = {
  project: required(str),
  accounts: { kinds: ["array"], required: true, items: account },
  environments: { kinds: ["array"], required: true, items: environment },
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
  // Scalars' types are checked by their rules, with messages of their own (e.g. an account id given as a number).
  const structural = field.kinds.length === 1 && (field.kinds[0] === "array" || field.kinds[0] === "object");
  if (structural && !(field.kinds as readonly string[]).includes(kind)) {
    found.push({
      path: at,
      subject: key,
      value,
      rule: `${key} is ${example(field.kinds)}, not ${kind === "object" ? "an object" : kind === "array" ? "a list" : `a ${kind}`}`,
      fix: `give ${key} as ${example(field.kinds)}`,
    });
    return;
  }
  if (kind === "object" && field.shape) checkObject(found, path, value as Record<string, unknown>, field.shape);
  if (kind === "array" && field.items) {
    const items = field.items;
    (value as unknown[]).forEach((item, i) => checkField(found, `${path}[${i}]`, item, { kinds: ["object"], required: true, shape: items }, `${key}[${i}]`));
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
