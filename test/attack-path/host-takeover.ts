/*
 * Host takeover paths from a role: running commands on the runner hosts through Systems Manager,
 * rewriting the host scripts the fleets' instances fetch at boot, or launching an instance with a
 * role the actor could not reach otherwise. The requests are those the AWS Service Authorization
 * Reference lists: `ssm:SendCommand` and `ssm:StartSession` on the instance ARN
 * (`arn:aws:ec2:<region>:<account>:instance/<id>`), `ssm:PutParameter` on the parameter ARN, and
 * `iam:PassRole` on the role ARN (with `iam:PassedToService` = `ec2.amazonaws.com`) together with
 * `ec2:RunInstances` on the instance ARN.
 *
 * Any instance of the stack's account and region is probed (a runner host is one): a grant
 * narrowed by an instance tag condition is not matched by the probe, so it is not reported.
 */
import { type SynthJson } from "../support/synth";
import { roleAllows, type RoleNode } from "./iam-model";

type Json = Record<string, unknown>;

/** The prefix of the fleets' host-script parameters (`/runner-fleet/<fleet>/…`). */
export const HOST_SCRIPT_PREFIX = "/runner-fleet/";

const regionOf = (json: SynthJson | undefined): string => String((json?.provider as { aws?: Json[] } | undefined)?.aws?.[0]?.region ?? "");
const INSTANCE_PROBE = "i-0123456789abcdef0";

/**
 * The host takeover paths of `role`: one sentence per path (empty when it has none). `others` are
 * the roles it must not launch instances with (those the actor does not reach already).
 */
export function hostTakeoversOf(stacks: ReadonlyMap<string, SynthJson>, role: RoleNode, others: readonly RoleNode[]): string[] {
  const json = stacks.get(role.stack);
  const region = regionOf(json);
  const instance = `arn:aws:ec2:${region}:${role.account}:instance/${INSTANCE_PROBE}`;
  const found: string[] = [];
  for (const action of ["ssm:SendCommand", "ssm:StartSession"]) {
    if (roleAllows(role, action, instance)) found.push(`may call ${action} on the runner hosts' instances (${instance})`);
  }
  const scripts = Object.values(((json?.resource ?? {}) as Record<string, Record<string, Json>>).aws_ssm_parameter ?? {})
    .map((p) => String(p.name))
    .filter((name) => name.startsWith(HOST_SCRIPT_PREFIX));
  for (const name of scripts) {
    const arn = `arn:aws:ssm:${region}:${role.account}:parameter/${name.replace(/^\//, "")}`;
    if (roleAllows(role, "ssm:PutParameter", arn)) found.push(`may call ssm:PutParameter on the host script ${name}`);
  }
  if (roleAllows(role, "ec2:RunInstances", instance)) {
    for (const other of others.filter((r) => r.account === role.account && r !== role)) {
      if (roleAllows(role, "iam:PassRole", other.arn, { "iam:PassedToService": "ec2.amazonaws.com" })) found.push(`may launch an instance with ${other.name} (iam:PassRole and ec2:RunInstances)`);
    }
  }
  return found;
}
