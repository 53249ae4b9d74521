import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { Construct } from "constructs";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { DEFAULT_DISK_CLEANUP_THRESHOLD_PERCENT } from "./fleet-props";
import { JOB_SLOT_METRIC_NAME } from "./fleet-metrics";

/** What the dashboard needs of a fleet; a {@link RunnerFleet} is one. */
export interface RunnerFleetMetricsSource {
  /** The Auto Scaling group's name (metric dimension `AutoScalingGroupName`). */
  readonly autoScalingGroupName: string;
  /** The namespace the hosts publish to. */
  readonly metricNamespace: string;
  /** The longest drain in seconds. */
  readonly drainTimeoutSeconds: number;
  /**
   * Percent of the docker disk above which the hosts' hourly clean-up starts.
   * @default 75
   */
  readonly diskCleanupThresholdPercent?: number;
}

/** What the dashboard needs of a mirror host; pass a {@link NexusMirror}'s `metricNamespace`, `mirrorName` and `instance.id`. */
export interface MirrorMetricsSource {
  /** The namespace of the mirror's disk metric. */
  readonly metricNamespace: string;
  /** The `Mirror` dimension of its metrics. */
  readonly mirrorName: string;
  /**
   * The mirror host's instance id, for its status checks.
   * @default no status check widget or alarm
   */
  readonly instanceId?: string;
}

/** Alarm thresholds of a {@link RunnerFleetDashboard}. */
export interface RunnerFleetAlarmOptions {
  /**
   * Average job queue time (seconds between a job's creation and a runner picking it up) that alarms, over 15 minutes.
   * @default 300
   */
  readonly queueSeconds?: number;
  /**
   * Docker disk use of any host, percent, that alarms: the clean-up should keep it below.
   * @default the fleet's diskCleanupThresholdPercent plus 10 (85 with the default 75), at most 99
   */
  readonly diskPercent?: number;
  /**
   * Fraction of the drain window a drain may take before it alarms (jobs near the timeout get killed).
   * @default 0.9
   */
  readonly drainFraction?: number;
}

/** Props of a {@link RunnerFleetDashboard}. */
export interface RunnerFleetDashboardProps {
  /** The fleet. */
  readonly fleet: RunnerFleetMetricsSource;
  /**
   * The registry mirror host, when the fleet uses one.
   * @default no mirror widgets
   */
  readonly mirror?: MirrorMetricsSource;
  /**
   * Dashboard name.
   * @default the fleet's Auto Scaling group name
   */
  readonly dashboardName?: string;
  /**
   * Alarm thresholds, or false for no alarms.
   * @default { queueSeconds: 300, diskPercent: the fleet's clean-up threshold + 10, drainFraction: 0.9 }
   */
  readonly alarms?: RunnerFleetAlarmOptions | false;
  /**
   * Actions of every alarm (e.g. an SNS topic ARN).
   * @default none
   */
  readonly alarmActions?: readonly string[];
  /**
   * The region of the metrics.
   * @default the provider's region
   */
  readonly region?: string;
}

type MetricLine = readonly (string | Record<string, unknown>)[];

/**
 * A CloudWatch dashboard and alarms for one runner fleet, from the metrics its
 * hosts publish (job slots, running jobs, queue time, disk, drain duration,
 * in the fleet's namespace), the Auto Scaling group's own metrics (hosts in
 * service, draining in Terminating:Wait, launching) and, with a mirror host,
 * its data volume and status checks. Use it in any stack that has a fleet:
 *
 * @example
 * new RunnerFleetDashboard(this, "runner-dashboard", { fleet, mirror: { metricNamespace: nexus.metricNamespace, mirrorName: nexus.mirrorName, instanceId: nexus.instance.id } });
 */
export class RunnerFleetDashboard extends Construct {
  /** The `aws_cloudwatch_dashboard`. */
  public readonly dashboard: CloudwatchDashboard;
  /** The dashboard's name. */
  public readonly dashboardName: string;
  /** The alarms, by purpose: `queue-time`, `disk`, `drain-duration`, `mirror-status`. */
  public readonly alarms: Readonly<Record<string, CloudwatchMetricAlarm>>;
  /** The dashboard body (CloudWatch dashboard JSON, may hold the region as a Terraform reference). */
  public readonly body: Record<string, unknown>;

  public constructor(scope: Construct, id: string, props: RunnerFleetDashboardProps) {
    super(scope, id);
    const path = this.node.path;
    const diskPercent = Math.min(99, (props.fleet.diskCleanupThresholdPercent ?? DEFAULT_DISK_CLEANUP_THRESHOLD_PERCENT) + 10);
    const alarmOptions = props.alarms === false ? undefined : { queueSeconds: 300, diskPercent, drainFraction: 0.9, ...props.alarms };
    if (alarmOptions) validateAlarmOptions(path, alarmOptions);
    const { fleet, mirror } = props;
    const asg = fleet.autoScalingGroupName;
    this.dashboardName = props.dashboardName ?? asg;
    check(isUnresolved(this.dashboardName) || /^[A-Za-z0-9_-]{1,255}$/.test(this.dashboardName), {
      path,
      subject: "dashboardName",
      value: this.dashboardName,
      rule: "a dashboard name is 1-255 letters, digits, '-' and '_'",
      fix: "use e.g. acme-ci-dev-runners",
    });
    const region = props.region ?? new DataAwsRegion(this, "region").region;
    const ns = fleet.metricNamespace;
    const host = (name: string, stat: string, label: string): MetricLine => [ns, name, "AutoScalingGroupName", asg, { stat, label }];
    const group = (name: string, label: string): MetricLine => ["AWS/AutoScaling", name, "AutoScalingGroupName", asg, { stat: "Maximum", label }];
    const widget = (title: string, metrics: readonly MetricLine[], extra: Record<string, unknown> = {}) => ({
      type: "metric",
      width: 12,
      height: 6,
      properties: { title, region, view: "timeSeries", stacked: false, period: 60, metrics, ...extra },
    });
    const line = (label: string, value: number) => ({ horizontal: [{ label, value }] });
    const widgets = [
      widget("Jobs running vs job slots (all hosts)", [host("RunningJobs", "Sum", "running jobs"), host("JobSlots", "Sum", "job slots (concurrent x hosts)")]),
      widget("Job slot utilisation (%)", [host(JOB_SLOT_METRIC_NAME, "Average", "average"), host(JOB_SLOT_METRIC_NAME, "Maximum", "busiest host")], { yAxis: { left: { min: 0, max: 100 } } }),
      widget("Job queue time (s)", [host("JobQueueDuration", "Average", "average"), host("JobQueueDuration", "Maximum", "longest")], {
        ...(alarmOptions ? { annotations: line("alarm", alarmOptions.queueSeconds) } : {}),
      }),
      widget("Hosts", [group("GroupInServiceInstances", "in service"), group("GroupTerminatingInstances", "draining"), group("GroupPendingInstances", "launching"), group("GroupDesiredCapacity", "desired")]),
      widget("Drain duration (s)", [host("DrainDuration", "Maximum", "longest drain")], { period: 300, annotations: line("drain window", fleet.drainTimeoutSeconds) }),
      widget("Runner host disk used (%)", [host("DiskUsedPercent", "Maximum", "fullest host"), host("DiskUsedPercent", "Average", "average")], {
        yAxis: { left: { min: 0, max: 100 } },
        ...(alarmOptions ? { annotations: line("alarm", alarmOptions.diskPercent) } : {}),
      }),
      ...(mirror
        ? [
            widget("Mirror data volume used (%)", [[mirror.metricNamespace, "DataVolumeUsedPercent", "Mirror", mirror.mirrorName, { stat: "Maximum", label: mirror.mirrorName }]], {
              period: 300,
              yAxis: { left: { min: 0, max: 100 } },
            }),
            ...(mirror.instanceId
              ? [widget("Mirror host status checks failed", [["AWS/EC2", "StatusCheckFailed", "InstanceId", mirror.instanceId, { stat: "Maximum", label: "status check failed" }]])]
              : []),
          ]
        : []),
    ];
    this.body = { widgets };
    this.dashboard = new CloudwatchDashboard(this, "dashboard", { dashboardName: this.dashboardName, dashboardBody: JSON.stringify(this.body) });

    const alarms: Record<string, CloudwatchMetricAlarm> = {};
    if (alarmOptions) {
      const alarm = (key: string, description: string, metric: { namespace: string; metricName: string; dimensions: Record<string, string>; statistic: string }, threshold: number, period: number, evaluationPeriods: number) => {
        alarms[key] = new CloudwatchMetricAlarm(this, `alarm-${key}`, {
          alarmName: `${asg}-${key}`,
          alarmDescription: description,
          ...metric,
          period,
          evaluationPeriods,
          comparisonOperator: "GreaterThanThreshold",
          threshold,
          treatMissingData: "notBreaching",
          ...(props.alarmActions ? { alarmActions: [...props.alarmActions], okActions: [...props.alarmActions] } : {}),
        });
      };
      const dims = { AutoScalingGroupName: asg };
      alarm("queue-time", `Jobs wait more than ${alarmOptions.queueSeconds} s on average for a runner of ${asg}: raise maxSize or concurrent`, { namespace: ns, metricName: "JobQueueDuration", dimensions: dims, statistic: "Average" }, alarmOptions.queueSeconds, 300, 3);
      alarm("disk", `A runner host of ${asg} has more than ${alarmOptions.diskPercent} % of its disk in use despite the hourly clean-up: raise imageStorageGiB`, { namespace: ns, metricName: "DiskUsedPercent", dimensions: dims, statistic: "Maximum" }, alarmOptions.diskPercent, 300, 3);
      const drainLimit = Math.floor(alarmOptions.drainFraction * fleet.drainTimeoutSeconds);
      alarm("drain-duration", `A host of ${asg} took more than ${drainLimit} s to drain (window ${fleet.drainTimeoutSeconds} s): jobs near the timeout are cut off`, { namespace: ns, metricName: "DrainDuration", dimensions: dims, statistic: "Maximum" }, drainLimit, 300, 1);
      if (mirror?.instanceId) {
        alarm("mirror-status", `The mirror host ${mirror.mirrorName} fails its status checks (jobs fall back to the upstream registries)`, { namespace: "AWS/EC2", metricName: "StatusCheckFailed", dimensions: { InstanceId: mirror.instanceId }, statistic: "Maximum" }, 0, 60, 3);
      }
    }
    this.alarms = alarms;
  }
}

function validateAlarmOptions(path: string, o: Required<RunnerFleetAlarmOptions>): void {
  check(Number.isFinite(o.queueSeconds) && o.queueSeconds > 0, {
    path,
    subject: "alarms.queueSeconds",
    value: o.queueSeconds,
    rule: "a queue time in seconds above 0",
    fix: "use e.g. 300",
  });
  check(Number.isFinite(o.diskPercent) && o.diskPercent > 0 && o.diskPercent < 100, {
    path,
    subject: "alarms.diskPercent",
    value: o.diskPercent,
    rule: "a percentage above 0 and below 100",
    fix: "use e.g. 85 (above the clean-up threshold of 75)",
  });
  check(Number.isFinite(o.drainFraction) && o.drainFraction > 0 && o.drainFraction <= 1, {
    path,
    subject: "alarms.drainFraction",
    value: o.drainFraction,
    rule: "a fraction of the drain window above 0 and at most 1",
    fix: "use e.g. 0.9",
  });
}
