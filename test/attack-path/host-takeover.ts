/*
 * Host takeover paths from a role: running commands on the runner hosts through Systems Manager,
 * rewriting the host scripts the fleets' instances fetch at boot, or launching an instance with a
 * role the actor could not reach otherwise. The requests are those the AWS Service Authorization
 * Reference lists: `ssm:SendCommand` and `ssm:StartSession` on the instance ARN
 * (`arn:aws:ec2:<region>:<account>:instance/<id>`), `ssm:PutParameter` on the parameter ARN, and
 * `iam:PassRole` on the role ARN (with `iam:PassedToService` = `ec2.amazonaws.com`) together with
 * `ec2:RunInstances` on the instance ARN.
 *
 * Instances are asked about as IAM sees them: the request carries each instance's tags as
 * `aws:ResourceTag/<key>`, `ec2:ResourceTag/<key>` and `ssm:resourceTag/<key>` (the keys the
 * reference lists for the instance resource type and for SSM), so a grant narrowed by a tag
 * condition matches exactly the instances that carry the tag. The instances are those the stack
 * launches: each launch template's `tag_specifications` for `instance` plus the tags its
 * autoscaling groups propagate at launch, and each `aws_instance`'s `tags`; each with and without
 * the provider's `default_tags` (whether they reach instances launched from a template is not
 * read, so both are asked). A tag whose value is unresolved at synth (a Terraform expression) is
 * tried with every value the role's conditions name for it; beyond 64 combinations the instance
 * is asked about with the role's Allow conditions dropped (fails closed: matching every instance,
 * never silently none).
 *
 * Host scripts are looked for in every stack of the role's account, whatever its region
 * (environments may share an account: dev's role rewriting staging's host scripts takes over
 * staging's hosts).
 */
import { type SynthJson } from "../support/synth";
import { roleAllows, type RoleNode } from "./iam-model";
import { tagConditionValuesOf, withoutAllowConditions } from "./role-statements";

type Json = Record<string, unknown>;
type Tags = Readonly<Record<string, string>>;

/** The prefix of the fleets' host-script parameters (`/runner-fleet/<fleet>/…`). */
export const HOST_SCRIPT_PREFIX = "/runner-fleet/";

const providerOf = (json: SynthJson | undefined) => (json?.provider as { aws?: Json[] } | undefined)?.aws?.[0];
const regionOf = (json: SynthJson | undefined): string => String(providerOf(json)?.region ?? "");
const resources = (json: SynthJson | undefined, type: string): [string, Json][] => Object.entries(((json?.resource ?? {}) as Record<string, Record<string, Json>>)[type] ?? {});
const INSTANCE_PROBE = "i-0123456789abcdef0";
const MAX_COMBINATIONS = 64;

/** One kind of instance a stack launches, with the tag sets it may carry. */
export interface InstanceNode {
  /** `aws_launch_template.<id>` or `aws_instance.<id>`. */
  readonly source: string;
  readonly tagSets: readonly Tags[];
}

/** The instances a stack launches, with their tags (see the file comment). */
export function instancesOf(json: SynthJson | undefined): InstanceNode[] {
  const defaults = ((providerOf(json)?.default_tags as Json[] | undefined)?.[0]?.tags ?? {}) as Tags;
  const variants = (tags: Tags): Tags[] => (Object.keys(defaults).length === 0 ? [tags] : [tags, { ...defaults, ...tags }]);
  const propagated = new Map<string, Record<string, string>>();
  for (const [, group] of resources(json, "aws_autoscaling_group")) {
    const tags = Object.fromEntries(((group.tag ?? []) as Json[]).filter((t) => t.propagate_at_launch === true).map((t) => [String(t.key), String(t.value)]));
    for (const [, id] of JSON.stringify(group).matchAll(/aws_launch_template\.([^.}"]+)\./g)) propagated.set(id!, { ...propagated.get(id!), ...tags });
  }
  return [
    ...resources(json, "aws_launch_template").map(([id, template]) => {
      const own = ((template.tag_specifications ?? []) as Json[]).filter((t) => t.resource_type === "instance").reduce<Record<string, string>>((all, t) => ({ ...all, ...(t.tags as Tags) }), {});
      return { source: `aws_launch_template.${id}`, tagSets: variants({ ...propagated.get(id), ...own }) };
    }),
    ...resources(json, "aws_instance").map(([id, instance]) => ({ source: `aws_instance.${id}`, tagSets: [{ ...defaults, ...((instance.tags ?? {}) as Tags) }] })),
  ];
}

/**
 * The request contexts of an instance with `tags`, for `role`: one per combination of candidate
 * values of its unresolved tags (the values the role's conditions name for the tag, and the
 * expression itself), or `undefined` when there are more than 64 (ask with conditions dropped).
 */
export function tagContextsOf(tags: Tags, role: RoleNode): Record<string, string>[] | undefined {
  const named = tagConditionValuesOf(role);
  let contexts: Record<string, string>[] = [{}];
  for (const [key, value] of Object.entries(tags)) {
    const candidates = value.includes("${") ? [value, ...(named.get(key.toLowerCase()) ?? [])] : [value];
    contexts = contexts.flatMap((context) => candidates.map((v) => ({ ...context, [`aws:ResourceTag/${key}`]: v, [`ec2:ResourceTag/${key}`]: v, [`ssm:resourceTag/${key}`]: v })));
    if (contexts.length > MAX_COMBINATIONS) return undefined;
  }
  return contexts;
}

/** Whether the role may call `action` on some tag set of `instance` (fails closed on unresolved tags beyond 64 combinations). */
function allowsOnInstance(role: RoleNode, action: string, arn: string, instance: InstanceNode, extra: Record<string, string> = {}): boolean {
  return instance.tagSets.some((tags) => {
    const contexts = tagContextsOf(tags, role);
    if (contexts === undefined) return roleAllows(withoutAllowConditions(role), action, arn, extra);
    return contexts.some((context) => roleAllows(role, action, arn, { ...context, ...extra }));
  });
}

const accountOf = (json: SynthJson | undefined): string => String((providerOf(json)?.allowed_account_ids as string[] | undefined)?.[0] ?? "");

/**
 * The host takeover paths of `role`: one sentence per path (empty when it has none): instances of
 * every stack in its account and region, host scripts of every stack in its account. `others`
 * are the roles it must not launch instances with (those the actor does not reach already).
 */
export function hostTakeoversOf(stacks: ReadonlyMap<string, SynthJson>, role: RoleNode, others: readonly RoleNode[]): string[] {
  const json = stacks.get(role.stack);
  const region = regionOf(json);
  const arn = `arn:aws:ec2:${region}:${role.account}:instance/${INSTANCE_PROBE}`;
  // The instances of every stack in the role's account and region (another stack's hosts are as much at risk).
  const instances = [...stacks]
    .filter(([, j]) => regionOf(j) === region && String((providerOf(j)?.allowed_account_ids as string[] | undefined)?.[0]) === role.account)
    .flatMap(([stack, j]) => instancesOf(j).map((i) => ({ ...i, source: `${stack}:${i.source}` })));
  // Without a tag condition in the role's policies every instance answers alike: one untagged probe suffices (also when no stack launches one).
  const asked = tagConditionValuesOf(role).size > 0 && instances.length > 0 ? instances : [{ source: "any instance", tagSets: [{}] }];
  const on = (action: string, extra: Record<string, string> = {}) => asked.filter((instance) => allowsOnInstance(role, action, arn, instance, extra)).map((i) => i.source);
  const found: string[] = [];
  for (const action of ["ssm:SendCommand", "ssm:StartSession"]) {
    const hosts = on(action);
    if (hosts.length > 0) found.push(`may call ${action} on the runner hosts' instances (${arn}; matching ${hosts.join(", ")})`);
  }
  // Host scripts of every stack in the role's account (each in its own region).
  for (const [stack, other] of [...stacks].filter(([name, j]) => name === role.stack || accountOf(j) === role.account)) {
    const scripts = resources(other, "aws_ssm_parameter")
      .map(([, p]) => String(p.name))
      .filter((name) => name.startsWith(HOST_SCRIPT_PREFIX));
    for (const name of scripts) {
      const parameter = `arn:aws:ssm:${regionOf(other)}:${role.account}:parameter/${name.replace(/^\//, "")}`;
      if (roleAllows(role, "ssm:PutParameter", parameter)) found.push(`may call ssm:PutParameter on the host script ${name}${stack === role.stack ? "" : ` of ${stack}`}`);
    }
  }
  if (on("ec2:RunInstances").length > 0 || roleAllows(role, "ec2:RunInstances", arn)) {
    for (const other of others.filter((r) => r.account === role.account && r !== role)) {
      if (roleAllows(role, "iam:PassRole", other.arn, { "iam:PassedToService": "ec2.amazonaws.com" })) found.push(`may launch an instance with ${other.name} (iam:PassRole and ec2:RunInstances)`);
    }
  }
  return found;
}
