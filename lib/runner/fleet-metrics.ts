/*
 * The metrics a runner fleet publishes and enables: the job-slot metric its target tracking reads,
 * the other host metrics (published by lib/runner/assets/runner-fleet.sh) and the Auto Scaling
 * group metrics, under the fleet's namespace (claimed per account and region by metric-namespace.ts).
 */

/** The metric the hosts publish for target tracking. */
export const JOB_SLOT_METRIC_NAME = "JobSlotUtilization";
/** The prefix of every fleet's metric namespace (`GitLab/RunnerFleet/<fleetName>`). */
export const DEFAULT_METRIC_NAMESPACE = "GitLab/RunnerFleet";
/** Metrics every host publishes besides {@link JOB_SLOT_METRIC_NAME} (lib/runner/assets/runner-fleet.sh), by name: unit. */
export const HOST_METRICS = {
  RunningJobs: "Count",
  JobSlots: "Count",
  JobQueueDuration: "Seconds",
  DiskUsedPercent: "Percent",
  DrainDuration: "Seconds",
} as const;
/** Auto Scaling group metrics the fleet enables (namespace AWS/AutoScaling). */
export const GROUP_METRICS = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances", "GroupMaxSize"] as const;
