import { type RunnerCacheAccess, type RunnerDefinition, type PullableRepository } from "../runner/fleet";
import { type Construct } from "constructs";
import { DockerAutoscalerFleet } from "../runner/autoscaler/docker-autoscaler-fleet";
import { SCALE_TO_ZERO_POLICY, officeHoursPolicies } from "../runner/autoscaler/fleet-props";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { type NetworkRef } from "../network/network-ref";
import { type OfficeHoursOptions } from "../runner/schedule";
import { type UnprotectedPoolConfig } from "./config";

/** What the unprotected pool's docker-autoscaler fleet is built from. */
export interface UnprotectedAutoscalerInput {
  /** `<project>-<environment>-unprotected`. */
  readonly fleetName: string;
  /** The pool's configuration. */
  readonly pool: UnprotectedPoolConfig;
  /** The pool's runners as the fleet mode would run them (token, docker settings, job environment). */
  readonly definitions: readonly RunnerDefinition[];
  /** The environment's office hours, if any. */
  readonly officeHours?: OfficeHoursOptions;
  readonly network: NetworkRef;
  readonly gitlabUrl: string;
  readonly repositories: readonly PullableRepository[];
  /** The unprotected cache prefix. */
  readonly cache: RunnerCacheAccess;
  readonly mirror?: MirrorEndpoint;
  readonly maxJobTimeoutSeconds?: number;
}

/**
 * The unprotected pool in `docker-autoscaler` mode (construct id
 * `unprotected-autoscaler`): one manager, one single-use worker group per
 * runner (`max_use_count = 1`, the default for unprotected pools). Each
 * runner may use `capacity.maxSize × limit` workers (the job slots the fleet
 * mode would have); `capacity.minSize` workers wait ready during the
 * environment's office hours and none outside them, so the pool costs only
 * its manager at night and still starts a worker for a job that arrives then.
 */
export function buildUnprotectedAutoscaler(scope: Construct, input: UnprotectedAutoscalerInput): DockerAutoscalerFleet {
  const capacity = input.pool.capacity ?? { minSize: 1, maxSize: 2 };
  const purchase = input.pool.purchase;
  const spot = purchase !== undefined && (purchase.onDemandPercentageAboveBaseCapacity ?? 0) < 100;
  const policies = input.officeHours
    ? officeHoursPolicies({ ...input.officeHours, idleCount: capacity.minSize })
    : [{ ...SCALE_TO_ZERO_POLICY, idleCount: capacity.minSize }];
  return new DockerAutoscalerFleet(scope, "unprotected-autoscaler", {
    fleetName: input.fleetName,
    network: input.network,
    gitlabUrl: input.gitlabUrl,
    repositories: input.repositories,
    cache: input.cache,
    ...(input.mirror ? { mirror: input.mirror } : {}),
    ...(input.maxJobTimeoutSeconds ? { maxJobTimeoutSeconds: input.maxJobTimeoutSeconds } : {}),
    runners: input.definitions.map((d) => ({
      name: d.name,
      trustLevel: "unprotected" as const,
      tokenSource: d.tokenSource,
      maxInstances: Math.max(1, capacity.maxSize * d.limit),
      docker: d.docker,
      ...(d.environment ? { environment: d.environment } : {}),
      ...(input.pool.instanceTypes ? { workerInstanceTypes: input.pool.instanceTypes } : {}),
      ...(spot ? { workerPurchase: "spot" as const } : {}),
      policies,
    })),
  });
}
