import { type IConstruct } from "constructs";
import { awsProviderContextOf } from "../core/provider-context";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/** The namespaces claimed so far, per app (construct tree root): key -> the claiming fleet's path. */
const claims = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims a fleet's CloudWatch metric namespace in its app, refusing one that
 * another fleet in the same account and region (as far as the stacks' AWS
 * providers tell; fleets whose providers leave them open are taken to share
 * them) already publishes to. `cloudwatch:PutMetricData` has no resource-level
 * permission and only the `cloudwatch:namespace` condition key (Service
 * Authorization Reference, Amazon CloudWatch), so two fleets sharing a
 * namespace could each publish the other's `JobSlotUtilization` (dimension
 * `AutoScalingGroupName`) and scale it to its maximum or starve it.
 * Checks at once and records the claim only when `commit` is called (once the
 * fleet is built: a fleet whose construction fails claims nothing).
 * @returns commit: records the claim
 * @throws ValidationError naming `path`, the namespace, the other fleet and the fix
 */
export function claimMetricNamespace(scope: IConstruct, path: string, namespace: string, fleetName: string): () => void {
  if (isUnresolved(namespace)) return () => undefined;
  const root = scope.node.root;
  const byKey = claims.get(root) ?? new Map<string, string>();
  claims.set(root, byKey);
  const provider = awsProviderContextOf(scope);
  const key = JSON.stringify([provider?.region ?? null, provider?.allowedAccountIds ?? null, namespace]);
  const other = byKey.get(key);
  check(other === undefined, {
    path,
    subject: "jobSlotScaling.metricNamespace",
    value: namespace,
    rule: `the fleet ${other ?? ""} already publishes to this namespace in the same account and region; PutMetricData can be restricted by namespace only, so a host of either fleet could publish the other's JobSlotUtilization and scale it to its maximum or starve it`,
    fix: `give each fleet its own namespace: leave metricNamespace unset (GitLab/RunnerFleet/${fleetName}) or use e.g. GitLab/RunnerFleet/${fleetName}`,
  });
  return () => {
    byKey.set(key, path);
  };
}
