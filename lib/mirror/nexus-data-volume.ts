import { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { type Construct } from "constructs";
import { partitionOf } from "../core/aws";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { serviceTrustPolicy } from "../identity/role-policy";

/*
 * The Nexus mirror's data volume: its options, their checks and the daily
 * snapshot policy (Data Lifecycle Manager).
 */

/** The smallest data volume accepted, in GiB (see {@link NexusDataVolumeOptions.sizeGiB}). */
export const MIN_DATA_VOLUME_GIB = 50;
/** The tag that selects volumes for the snapshot policy. */
export const SNAPSHOT_TAG_KEY = "nexus-mirror-snapshots";

const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** The separate volume holding `/nexus-data`. */
export interface NexusDataVolumeOptions {
  /**
   * Size in GiB. At least {@link MIN_DATA_VOLUME_GIB}: images are hundreds of MB
   * each, Nexus keeps its database, logs and blob store on this volume, and a
   * CI mirror for Docker Hub and registry.gitlab.com holds tens of GB within weeks.
   * @default 200
   */
  readonly sizeGiB?: number;
  /**
   * Provisioned IOPS (gp3: 3000-16000).
   * @default 3000 (gp3 baseline, no extra cost)
   */
  readonly iops?: number;
  /**
   * Throughput in MiB/s (gp3: 125-1000).
   * @default 125 (gp3 baseline, no extra cost)
   */
  readonly throughputMiBps?: number;
  /**
   * Customer-managed KMS key ARN for the volume.
   * @default the account's default EBS key (aws/ebs)
   */
  readonly kmsKeyArn?: string;
  /**
   * Terraform `prevent_destroy` on the volume: no plan can delete the cached
   * data. Set false only to tear a mirror down on purpose.
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * Daily snapshots kept by the DLM policy.
   * @default 7
   */
  readonly snapshotRetentionCount?: number;
  /**
   * Time of the daily snapshot, `HH:MM` in UTC.
   * @default "03:00"
   */
  readonly snapshotTimeUtc?: string;
}

/** The data volume options with defaults applied. */
export interface ResolvedDataVolume {
  readonly sizeGiB: number;
  readonly iops: number;
  readonly throughputMiBps: number;
  readonly kmsKeyArn?: string;
  readonly preventDestroy: boolean;
  readonly snapshotRetentionCount: number;
  readonly snapshotTimeUtc: string;
}

/** Applies the defaults to the data volume options and checks them. */
export function resolveDataVolume(path: string, options: NexusDataVolumeOptions): ResolvedDataVolume {
  const resolved = {
    sizeGiB: options.sizeGiB ?? 200,
    iops: options.iops ?? 3000,
    throughputMiBps: options.throughputMiBps ?? 125,
    preventDestroy: options.preventDestroy ?? true,
    snapshotRetentionCount: options.snapshotRetentionCount ?? 7,
    snapshotTimeUtc: options.snapshotTimeUtc ?? "03:00",
    ...(options.kmsKeyArn ? { kmsKeyArn: options.kmsKeyArn } : {}),
  };
  const literal = (n: number) => !isUnresolved(n);
  check(!literal(resolved.sizeGiB) || (Number.isInteger(resolved.sizeGiB) && resolved.sizeGiB >= MIN_DATA_VOLUME_GIB && resolved.sizeGiB <= 16384), {
    path,
    subject: "sizeGiB",
    value: resolved.sizeGiB,
    rule: `the data volume holds the whole cache, blob store and database: at least ${MIN_DATA_VOLUME_GIB} GiB (a gp3 volume is at most 16384 GiB)`,
    fix: `use ${MIN_DATA_VOLUME_GIB} GiB or more (default 200); gp3 costs about $0.08 per GiB-month`,
  });
  check(!literal(resolved.iops) || (Number.isInteger(resolved.iops) && resolved.iops >= 3000 && resolved.iops <= 16000), {
    path,
    subject: "iops",
    value: resolved.iops,
    rule: "gp3 volumes take 3000-16000 IOPS",
    fix: "use 3000 (the free baseline) or more",
  });
  check(!literal(resolved.throughputMiBps) || (Number.isInteger(resolved.throughputMiBps) && resolved.throughputMiBps >= 125 && resolved.throughputMiBps <= 1000), {
    path,
    subject: "throughputMiBps",
    value: resolved.throughputMiBps,
    rule: "gp3 volumes take 125-1000 MiB/s",
    fix: "use 125 (the free baseline) or more",
  });
  check(!literal(resolved.snapshotRetentionCount) || (Number.isInteger(resolved.snapshotRetentionCount) && resolved.snapshotRetentionCount >= 1 && resolved.snapshotRetentionCount <= 1000), {
    path,
    subject: "snapshotRetentionCount",
    value: resolved.snapshotRetentionCount,
    rule: "DLM keeps 1-1000 snapshots per schedule",
    fix: "keep e.g. 7 daily snapshots",
  });
  check(isUnresolved(resolved.snapshotTimeUtc) || HH_MM.test(resolved.snapshotTimeUtc), {
    path,
    subject: "snapshotTimeUtc",
    value: resolved.snapshotTimeUtc,
    rule: "the snapshot time is HH:MM in 24-hour UTC",
    fix: 'use e.g. "03:00"',
  });
  return resolved;
}

/** The daily snapshot policy of the data volume and its DLM service role. */
export function snapshotPolicy(scope: Construct, name: string, region: string, volume: ResolvedDataVolume, tags: Record<string, string>): DlmLifecyclePolicy {
  const role = new IamRole(scope, "snapshot-role", {
    name: `${name}-snapshots`,
    description: "Data Lifecycle Manager: daily snapshots of the Nexus data volume",
    assumeRolePolicy: serviceTrustPolicy("dlm.amazonaws.com"),
    tags,
  });
  // AWS's managed policy for DLM's service role (the one `aws dlm create-default-role` uses).
  new IamRolePolicyAttachment(scope, "snapshot-role-policy", {
    role: role.name,
    policyArn: `arn:${partitionOf(region)}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole`,
  });
  return new DlmLifecyclePolicy(scope, "snapshot-policy", {
    description: `Daily snapshots of ${name}-data`,
    executionRoleArn: role.arn,
    state: "ENABLED",
    policyDetails: {
      resourceTypes: ["VOLUME"],
      targetTags: { [SNAPSHOT_TAG_KEY]: name },
      schedule: [
        {
          name: "daily",
          createRule: { interval: 24, intervalUnit: "HOURS", times: [volume.snapshotTimeUtc] },
          retainRule: { count: volume.snapshotRetentionCount },
          copyTags: true,
          tagsToAdd: { "snapshot-of": `${name}-data` },
        },
      ],
    },
    tags,
  });
}
