/*
 * The runner side of the platform as the attack-path suite sees it, read from
 * the synthesized Terraform JSON of every stack (nothing from the constructs):
 * GitLab runner registrations (scope, tags, untagged, access level), the SSM
 * parameters holding their tokens (and the KMS key of each), the runner hosts
 * (launch templates: instance role, and the config.toml and token parameters
 * in their user data), the host roles' identity policies (every attachment form
 * the IAM model reads: inline, attached AWS- and customer-managed) and the KMS key
 * policies.
 */
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { decodeFunctionCall } from "../support/hcl";
import { type SynthJson } from "../support/synth";
import { managedPolicyOf } from "./managed-policies";
import { roleAttachmentsOf } from "./role-policies";

/** A reference `${type.name.attribute}` (or `${data.type.name.attribute}`) in a stack. */
export interface Reference {
  readonly data: boolean;
  readonly type: string;
  readonly name: string;
  readonly attribute: string;
}

const REFERENCE = /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/;

/** Parses a whole-string reference, or undefined for a literal. */
export function referenceOf(value: unknown): Reference | undefined {
  const match = typeof value === "string" ? REFERENCE.exec(value) : null;
  return match ? { data: match[1] !== undefined, type: match[2]!, name: match[3]!, attribute: match[4]! } : undefined;
}

/** A GitLab runner registration (`gitlab_user_runner`). */
export interface RegistrationModel {
  readonly stack: string;
  /** Logical id of the `gitlab_user_runner`. */
  readonly id: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly untagged: boolean;
  readonly accessLevel: "ref_protected" | "not_protected";
  /** Group runner of a group path, or project runner of project paths (owner plus enablements). */
  readonly scope: { readonly kind: "group"; readonly path: string } | { readonly kind: "project"; readonly paths: readonly string[] } | { readonly kind: "instance" };
  /** Name of the SSM parameter its token is stored in. */
  readonly tokenParameter?: string;
}

/** One `[[runners]]` entry on a host. */
export interface HostRunnerModel {
  readonly name: string;
  readonly tokenParameter: string;
  readonly socketBinding: boolean;
  readonly privileged: boolean;
  readonly volumes: readonly string[];
  readonly cachePath?: string;
  /** `[runners.cache] Shared` (absent when the runner has no cache): which key layout its cache objects get (cache-keys.ts). */
  readonly cacheShared?: boolean;
  readonly securityOpt: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /**
   * `[runners.autoscaler]` of a docker-autoscaler runner (absent for the docker executor):
   * jobs per worker before it is removed (`max_use_count`; absent = 0 = unlimited in
   * GitLab Runner 18.11, read as NaN here) and jobs at once on one worker (`capacity_per_instance`),
   * and the Auto Scaling group of its workers (`[runners.autoscaler.plugin_config] name`, fleeting
   * plugin for AWS), when given.
   */
  readonly autoscaler?: { readonly maxUseCount: number; readonly capacityPerInstance: number; readonly groupName?: string };
}

/** Runner hosts: one launch template. */
export interface HostModel {
  readonly stack: string;
  /** Logical id of the launch template. */
  readonly id: string;
  /** Logical id of its instance role (`aws_iam_role`). */
  readonly role: string;
  readonly runners: readonly HostRunnerModel[];
}

/** An SSM parameter. */
export interface ParameterModel {
  readonly stack: string;
  readonly name: string;
  readonly arn: string;
  /** Logical id of its `aws_kms_key`, or `aws/ssm` when none is given. */
  readonly key: string;
}

/** One IAM statement, resources resolved to literals where the stack names them. */
export interface StatementModel {
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly principals: readonly string[];
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** Everything of one stack the runner attack paths need. */
export interface StackModel {
  readonly stack: string;
  readonly accountId: string;
  readonly region: string;
  readonly registrations: readonly RegistrationModel[];
  readonly hosts: readonly HostModel[];
  readonly parameters: readonly ParameterModel[];
  /** Identity policy statements by role logical id: inline policies and attached managed policies (administrator-level ones as Allow `*` on `*`). */
  readonly rolePolicies: ReadonlyMap<string, readonly StatementModel[]>;
  /** Key policy statements by `aws_kms_key` logical id. */
  readonly keyPolicies: ReadonlyMap<string, readonly StatementModel[]>;
  /**
   * Key policy documents by `aws_kms_key` logical id, as IAM will read them: role, parameter and
   * repository references resolved to literal ARNs (for `evaluateResourcePolicy`).
   */
  readonly keyDocuments: ReadonlyMap<string, { readonly Statement: unknown }>;
  /** Literal role ARNs by role logical id (`arn:aws:iam::<account>:role/<name>`). */
  readonly roleArns: ReadonlyMap<string, string>;
  /** Repositories by logical id: literal ARN, name, and the tenant and trust level their tags name. */
  readonly repositories: ReadonlyMap<string, { readonly arn: string; readonly name: string; readonly tenant?: string; readonly trust?: string }>;
  /** Cache buckets: bucket name by logical id. */
  readonly buckets: ReadonlyMap<string, string>;
}

const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** A role's logical id from a principal or role-name reference (`${aws_iam_role.X.arn|name}`). */
export function roleIdOf(value: unknown): string | undefined {
  const ref = referenceOf(value);
  return ref && ref.type === "aws_iam_role" ? ref.name : undefined;
}

/** The literal ARN a reference stands for, where the stack names the resource; else the reference text. */
function resolve(value: string, resources: Resources, accountId: string, region: string): string {
  const ref = referenceOf(value);
  if (!ref || ref.attribute !== "arn") return value;
  const body = resources[ref.type]?.[ref.name];
  if (ref.type === "aws_ssm_parameter" && body) return `arn:aws:ssm:${region}:${accountId}:parameter/${String(body.name).replace(/^\//, "")}`;
  if (ref.type === "aws_ecr_repository" && body) return `arn:aws:ecr:${region}:${accountId}:repository/${String(body.name)}`;
  return value;
}

/** A policy document with every whole-string reference the stack can name resolved to its literal ARN (roles included). */
function documentOf(text: unknown, resources: Resources, accountId: string, region: string, roleArns: ReadonlyMap<string, string>): { Statement: unknown } {
  if (typeof text !== "string") return { Statement: [] };
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") {
      const ref = referenceOf(value);
      if (ref?.type === "aws_iam_role" && ref.attribute === "arn" && roleArns.has(ref.name)) return roleArns.get(ref.name);
      return resolve(value, resources, accountId, region);
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(JSON.parse(text)) as { Statement: unknown };
}

function statementsOf(text: unknown, resources: Resources, accountId: string, region: string): StatementModel[] {
  if (typeof text !== "string") return [];
  const document = JSON.parse(text) as { Statement: unknown };
  return asArray(document.Statement).map((raw) => {
    const s = raw as Record<string, unknown>;
    const principal = s.Principal as Record<string, unknown> | string | undefined;
    const principals = principal === undefined ? [] : typeof principal === "string" ? [principal] : Object.values(principal).flatMap(asArray).map(String);
    const conditions = Object.fromEntries(
      Object.entries((s.Condition as Record<string, Record<string, unknown>>) ?? {}).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, asArray(v).map(String)]))]),
    );
    return {
      effect: s.Effect === "Deny" ? "Deny" : "Allow",
      actions: asArray(s.Action).map(String),
      resources: asArray(s.Resource).map((r) => resolve(String(r), resources, accountId, region)),
      principals,
      conditions,
    };
  });
}

/** The runners of a launch template, from the config.toml and fleet.env in its user data. */
function hostRunnersOf(userData: unknown): HostRunnerModel[] {
  if (typeof userData !== "string") return [];
  const cloudConfig = parseYaml(decodeFunctionCall(userData, "base64gzip", (expression) => `\${${expression}}`)) as { write_files?: { path: string; content: string }[] };
  const file = (path: string) => (cloudConfig.write_files ?? []).find((f) => f.path === path)?.content;
  const template = file("/etc/runner-fleet/config.toml.template");
  const env = file("/etc/runner-fleet/fleet.env");
  if (template === undefined || env === undefined) return [];
  const settings = Object.fromEntries(env.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const config = parseToml(template) as { runners?: Record<string, unknown>[] };
  return (config.runners ?? []).map((runner) => {
    const index = Object.entries(settings).find(([k, v]) => k.startsWith("RUNNER_TOKEN_PLACEHOLDER_") && v === runner.token)?.[0].replace("PLACEHOLDER", "PARAMETER");
    const docker = (runner.docker as Record<string, unknown>) ?? {};
    const volumes = asArray(docker.volumes).map(String);
    const cache = runner.cache as Record<string, unknown> | undefined;
    const autoscaler = runner.autoscaler as Record<string, unknown> | undefined;
    return {
      name: String(runner.name),
      tokenParameter: index ? settings[index]! : "",
      socketBinding: volumes.some((v) => v.includes("docker.sock")),
      privileged: docker.privileged === true,
      volumes,
      ...(cache ? { cachePath: String(cache.Path), cacheShared: cache.Shared === true } : {}),
      securityOpt: asArray(docker.security_opt).map(String),
      environment: Object.fromEntries(asArray(runner.environment).map(String).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
      ...(autoscaler ? { autoscaler: autoscalerOf(autoscaler) } : {}),
    };
  });
}

/** The `[runners.autoscaler]` facts the suite reads. */
function autoscalerOf(autoscaler: Record<string, unknown>): NonNullable<HostRunnerModel["autoscaler"]> {
  const group = (autoscaler.plugin_config as Record<string, unknown> | undefined)?.name;
  return {
    maxUseCount: Number(autoscaler.max_use_count),
    capacityPerInstance: Number(autoscaler.capacity_per_instance),
    ...(typeof group === "string" ? { groupName: group } : {}),
  };
}

/** What an administrator-level managed policy allows, as one statement. */
const ADMINISTRATOR_STATEMENT: StatementModel = { effect: "Allow", actions: ["*"], resources: ["*"], principals: [], conditions: {} };

/** Reads one stack. */
export function stackModelOf(stack: string, json: SynthJson): StackModel {
  const resources = (json.resource ?? {}) as Resources;
  const data = (json.data ?? {}) as Resources;
  const provider = (json.provider as { aws?: Record<string, unknown>[] } | undefined)?.aws?.[0] ?? {};
  const accountId = String(asArray(provider.allowed_account_ids)[0] ?? "000000000000");
  const region = String(provider.region ?? "eu-central-1");
  const of = (type: string) => Object.entries(resources[type] ?? {});

  const tokenParameterOf = new Map<string, string>();
  const parameters: ParameterModel[] = of("aws_ssm_parameter")
    .filter(([, body]) => body.type === "SecureString")
    .map(([, body]) => {
      const runner = referenceOf(body.value);
      if (runner?.type === "gitlab_user_runner") tokenParameterOf.set(runner.name, String(body.name));
      return {
        stack,
        name: String(body.name),
        arn: `arn:aws:ssm:${region}:${accountId}:parameter/${String(body.name).replace(/^\//, "")}`,
        key: referenceOf(body.key_id)?.name ?? "aws/ssm",
      };
    });

  const enabled = new Map<string, string[]>();
  for (const [, body] of of("gitlab_project_runner_enablement")) {
    const runner = referenceOf(body.runner_id)!.name;
    enabled.set(runner, [...(enabled.get(runner) ?? []), String(body.project)]);
  }
  const registrations: RegistrationModel[] = of("gitlab_user_runner").map(([id, body]) => {
    const group = referenceOf(body.group_id);
    const project = referenceOf(body.project_id);
    const scope: RegistrationModel["scope"] =
      body.runner_type === "group_type"
        ? { kind: "group", path: String(data[group!.type]?.[group!.name]?.full_path ?? body.group_id) }
        : body.runner_type === "project_type"
          ? { kind: "project", paths: [String(data[project!.type]?.[project!.name]?.path_with_namespace ?? body.project_id), ...(enabled.get(id) ?? [])] }
          : { kind: "instance" };
    return {
      stack,
      id,
      description: String(body.description ?? id),
      tags: asArray(body.tag_list).map(String),
      untagged: body.untagged === true,
      accessLevel: body.access_level === "ref_protected" ? "ref_protected" : "not_protected",
      scope,
      ...(tokenParameterOf.has(id) ? { tokenParameter: tokenParameterOf.get(id)! } : {}),
    };
  });

  const profiles = new Map(of("aws_iam_instance_profile").map(([id, body]) => [id, roleIdOf(body.role)!]));
  const hosts: HostModel[] = of("aws_launch_template").map(([id, body]) => ({
    stack,
    id,
    role: profiles.get(referenceOf((body.iam_instance_profile as Record<string, unknown>)?.arn)?.name ?? "") ?? "",
    runners: hostRunnersOf(body.user_data),
  }));

  // Every attachment form the IAM model reads, through the same reader (role-policies.ts).
  const attached = roleAttachmentsOf(stack, json, accountId);
  const rolePolicies = new Map<string, StatementModel[]>();
  for (const [id] of of("aws_iam_role")) {
    const documents = [...(attached.inline.get(id) ?? []), ...(attached.managed.get(id) ?? []).map((arn) => managedPolicyOf(arn, attached.customerManaged))];
    if (documents.length === 0) continue;
    rolePolicies.set(
      id,
      documents.flatMap((doc) => (doc === "all" ? [ADMINISTRATOR_STATEMENT] : statementsOf(JSON.stringify(doc), resources, accountId, region))),
    );
  }
  const keyPolicies = new Map(of("aws_kms_key").map(([id, body]) => [id, statementsOf(body.policy, resources, accountId, region)]));
  const roleArns = new Map(of("aws_iam_role").map(([id, body]) => [id, `arn:aws:iam::${accountId}:role/${String(body.name)}`]));
  const keyDocuments = new Map(of("aws_kms_key").map(([id, body]) => [id, documentOf(body.policy, resources, accountId, region, roleArns)]));
  const repositories = new Map(
    of("aws_ecr_repository").map(([id, body]) => {
      const tags = (body.tags ?? {}) as Record<string, string>;
      return [id, { arn: `arn:aws:ecr:${region}:${accountId}:repository/${String(body.name)}`, name: String(body.name), ...(tags.tenant ? { tenant: tags.tenant } : {}), ...(tags.trust ? { trust: tags.trust } : {}) }];
    }),
  );
  const buckets = new Map(of("aws_s3_bucket").map(([id, body]) => [id, String(body.bucket)]));
  return { stack, accountId, region, registrations, hosts, parameters, rolePolicies, keyPolicies, keyDocuments, roleArns, repositories, buckets };
}
