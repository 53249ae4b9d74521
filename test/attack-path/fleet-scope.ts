/*
 * Runner fleets as a protected scope of the write net: the launch templates and Auto Scaling
 * groups of every stack, each with the ARN a grant would name. A fleet is unprotected when it is
 * the unprotected pool's: its launch template's runners are all registrations of unprotected refs
 * (`access_level = not_protected`), or it is the worker group such a runner's docker-autoscaler
 * scales (`[runners.autoscaler.plugin_config] name`). Every other fleet (protected, deploy, or one
 * whose runners the model cannot read) is protected: a role that may write its launch template
 * (`ec2:CreateLaunchTemplateVersion`, `ec2:ModifyLaunchTemplate`) or its group
 * (`autoscaling:UpdateAutoScalingGroup`, ...) decides what protected hosts boot.
 *
 * Launch template ids are unknown at synth time: the model names each `lt-<stack>-<logical id>`,
 * and the IAM model resolves `${aws_launch_template.X.arn}` to the same ARN (as it names KMS keys).
 * Group ARNs carry a made-up group id (any id matches the group's name in a grant).
 */
import { resourceEntriesOf, type SynthJson } from "../support/synth";
import { stackModelOf } from "./runner-model";

type Json = Record<string, unknown>;

/** The ARN the model gives a launch template (its id is known only after apply). */
export const launchTemplateArn = (region: string, account: string, stack: string, id: string): string => `arn:aws:ec2:${region}:${account}:launch-template/lt-${stack}-${id}`;

/** The ARN of an Auto Scaling group by name (the group id part is made up). */
export const autoScalingGroupArn = (region: string, account: string, name: string): string =>
  `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`;

/** One launch template or Auto Scaling group of a stack. */
export interface FleetResource {
  readonly stack: string;
  readonly arn: string;
  readonly what: string;
  /** Whether it belongs to the unprotected pool of its stack. */
  readonly unprotected: boolean;
}

const providerOf = (json: SynthJson) => (json.provider as { aws?: Json[] } | undefined)?.aws?.[0];

/** The logical id of the launch template a group launches (`launch_template`, or a mixed instances policy's). */
function launchTemplateOf(group: Json): string | undefined {
  const direct = group.launch_template as Json | undefined;
  const mixed = ((group.mixed_instances_policy as Json | undefined)?.launch_template as Json | undefined)?.launch_template_specification as Json | undefined;
  const reference = String(direct?.id ?? direct?.launch_template_id ?? mixed?.launch_template_id ?? "");
  return /^\$\{aws_launch_template\.([^.}]+)\.id\}$/.exec(reference)?.[1];
}

/** Every launch template and Auto Scaling group of every stack, classified. */
export function fleetResourcesOf(json: ReadonlyMap<string, SynthJson>): FleetResource[] {
  const found: FleetResource[] = [];
  for (const [stack, j] of json) {
    const provider = providerOf(j);
    if (provider === undefined) continue;
    const account = String((provider.allowed_account_ids as string[] | undefined)?.[0]);
    const region = String(provider.region);
    const model = stackModelOf(stack, j);
    const unprotectedTokens = new Set(model.registrations.filter((r) => r.accessLevel === "not_protected" && r.tokenParameter !== undefined).map((r) => r.tokenParameter!));
    const unprotectedHosts = new Set(model.hosts.filter((h) => h.runners.length > 0 && h.runners.every((r) => unprotectedTokens.has(r.tokenParameter))).map((h) => h.id));
    const workerGroups = new Set(
      model.hosts
        .filter((h) => unprotectedHosts.has(h.id))
        .flatMap((h) => h.runners.map((r) => r.autoscaler?.groupName))
        .filter((g): g is string => g !== undefined),
    );
    const groups = resourceEntriesOf(j, "aws_autoscaling_group").map(([, g]) => ({ name: String(g.name), template: launchTemplateOf(g) }));
    for (const group of groups) {
      const unprotected = workerGroups.has(group.name) || (group.template !== undefined && unprotectedHosts.has(group.template));
      found.push({ stack, arn: autoScalingGroupArn(region, account, group.name), what: `the Auto Scaling group ${group.name} of ${stack}`, unprotected });
    }
    for (const [id, template] of resourceEntriesOf(j, "aws_launch_template")) {
      const launchedBy = groups.filter((g) => g.template === id);
      const unprotected = unprotectedHosts.has(id) || (launchedBy.length > 0 && launchedBy.every((g) => workerGroups.has(g.name)));
      found.push({ stack, arn: launchTemplateArn(region, account, stack, id), what: `the launch template ${String(template.name ?? id)} of ${stack}`, unprotected });
    }
  }
  return found;
}
