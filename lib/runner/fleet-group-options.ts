/*
 * The option shapes of a runner fleet's Auto Scaling group and hosts: group sizes, the on-demand
 * and spot mix, job-slot scaling, the root volume, instance refresh and extra egress. Used by
 * RunnerFleetProps (fleet-props.ts, which re-exports them) and by the platform's runners
 * configuration.
 */

/** Sizes of the Auto Scaling group. */
export interface RunnerFleetCapacity {
  /** Fewest hosts. At least 1 while job-slot scaling is on (use schedules to turn the fleet off). */
  readonly minSize: number;
  /** Most hosts. */
  readonly maxSize: number;
  /**
   * Hosts at creation. Later changes are ignored (scaling and schedules own it).
   * @default minSize
   */
  readonly desiredCapacity?: number;
}

/** On-demand and spot mix (mixed instances policy). */
export interface RunnerFleetPurchaseOptions {
  /**
   * Hosts that are always on-demand.
   * @default 0
   */
  readonly onDemandBaseCapacity?: number;
  /**
   * Percent of the hosts above the base that are on-demand (the rest is spot).
   * @default 0 (all spot above the base)
   */
  readonly onDemandPercentageAboveBaseCapacity?: number;
  /**
   * How spot capacity is chosen.
   * @default "capacity-optimized"
   */
  readonly spotAllocationStrategy?: SpotAllocationStrategy;
  /**
   * Capacity rebalancing: launch a replacement when a spot host gets a rebalance
   * recommendation, then terminate (and drain) the old one.
   * @default true when any host can be spot
   */
  readonly capacityRebalance?: boolean;
}

/** Target tracking on job-slot utilisation. */
export interface JobSlotScalingOptions {
  /**
   * Average percent of job slots (running jobs / concurrent) the group keeps busy.
   * @default 70
   */
  readonly targetUtilizationPercent?: number;
  /**
   * CloudWatch namespace of the fleet's metrics; the hosts may publish only to
   * it, so one namespace per fleet keeps a host from scaling another fleet.
   * @default `GitLab/RunnerFleet/<fleetName>`
   */
  readonly metricNamespace?: string;
}

/** The encrypted gp3 root volume. */
export interface RunnerRootVolume {
  /**
   * Size in GiB; at least 20 (system, logs, runner packages) plus `imageStorageGiB`.
   * @default 20 + imageStorageGiB
   */
  readonly sizeGiB?: number;
  /**
   * Provisioned IOPS (gp3 baseline 3000).
   * @default 3000
   */
  readonly iops?: number;
  /**
   * Throughput in MiB/s (gp3 baseline 125).
   * @default 125
   */
  readonly throughputMiBps?: number;
  /**
   * Customer-managed KMS key for the volume.
   * @default the account's default EBS key
   */
  readonly kmsKeyArn?: string;
}

/** Instance refresh when the launch template changes. */
export interface RunnerInstanceRefreshOptions {
  /**
   * Percent of capacity kept healthy during a refresh.
   * @default 100 (launch replacements first)
   */
  readonly minHealthyPercentage?: number;
  /**
   * Percent of capacity the group may temporarily grow to.
   * @default 200
   */
  readonly maxHealthyPercentage?: number;
}

/** An extra outbound rule for the hosts (by default they reach only TCP 80 and 443, and the mirror). */
export interface RunnerEgressRule {
  /** What it is for. */
  readonly description: string;
  /** First port. */
  readonly port: number;
  /**
   * Last port.
   * @default port
   */
  readonly toPort?: number;
  /**
   * Protocol.
   * @default "tcp"
   */
  readonly protocol?: "tcp" | "udp";
  /** Destination IPv4 CIDR. */
  readonly cidrIpv4: string;
}

/**
 * The Auto Scaling spot allocation strategies (`InstancesDistribution.SpotAllocationStrategy`,
 * Amazon EC2 Auto Scaling API Reference) that choose pools by spot capacity without an instance
 * type priority: the values {@link RunnerFleetPurchaseOptions.spotAllocationStrategy} takes.
 */
export const SPOT_ALLOCATION_STRATEGIES = ["capacity-optimized", "price-capacity-optimized"] as const;

/** One of {@link SPOT_ALLOCATION_STRATEGIES}. */
export type SpotAllocationStrategy = (typeof SPOT_ALLOCATION_STRATEGIES)[number];
