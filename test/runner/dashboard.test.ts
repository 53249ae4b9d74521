import { replaceTokens } from "../../lib/core/tokens";
import { RunnerFleetDashboard, type RunnerFleetDashboardProps } from "../../lib/runner/dashboard";
import { RunnerFleet, type RunnerFleetProps } from "../../lib/runner/fleet";
import { resourcesOf, synth, testStack, violationOf } from "../support/synth";
import { fleetProps } from "./fixtures";

type Widget = { properties: { title: string; metrics: Array<Array<string | Record<string, unknown>>>; annotations?: { horizontal: Array<{ value: number }> } } };

function build(patch: Partial<RunnerFleetDashboardProps> = {}, fleetPatch: Partial<RunnerFleetProps> = {}) {
  const stack = testStack();
  const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack, fleetPatch));
  const dashboard = new RunnerFleetDashboard(stack, "dashboard", { fleet, ...patch });
  const json = synth(stack).json;
  const body = JSON.parse(replaceTokens(JSON.stringify(dashboard.body), "REGION")) as { widgets: Widget[] };
  return { fleet, dashboard, json, body };
}

const widgetsByTitle = (body: { widgets: Widget[] }) => Object.fromEntries(body.widgets.map((w) => [w.properties.title, w.properties]));

test("shows jobs vs slots, utilisation, queue time, hosts in service and draining, drain duration and disk, from the fleet's own namespace", () => {
  const { body, json } = build();
  const widgets = widgetsByTitle(body);
  expect(Object.keys(widgets)).toEqual([
    "Jobs running vs job slots (all hosts)",
    "Job slot utilisation (%)",
    "Job queue time (s)",
    "Hosts",
    "Drain duration (s)",
    "Runner host disk used (%)",
  ]);
  const names = (title: string) => widgets[title]!.metrics.map((m) => `${m[0]}/${m[1]}`);
  expect(names("Jobs running vs job slots (all hosts)")).toEqual(["GitLab/RunnerFleet/acme-ci-dev/RunningJobs", "GitLab/RunnerFleet/acme-ci-dev/JobSlots"]);
  expect(names("Hosts")).toEqual(["AWS/AutoScaling/GroupInServiceInstances", "AWS/AutoScaling/GroupTerminatingInstances", "AWS/AutoScaling/GroupPendingInstances", "AWS/AutoScaling/GroupDesiredCapacity"]);
  expect(widgets["Drain duration (s)"]!.annotations!.horizontal[0]!.value).toBe(3900);
  expect(body.widgets.every((w) => w.properties.metrics.every((m) => m[2] === "AutoScalingGroupName" && m[3] === "acme-ci-dev-runners"))).toBe(true);
  // The group publishes the Hosts metrics because the fleet enables them.
  const group = Object.values(resourcesOf(json, "aws_autoscaling_group"))[0]!;
  expect(group.enabled_metrics).toEqual(expect.arrayContaining(["GroupInServiceInstances", "GroupTerminatingInstances", "GroupPendingInstances", "GroupDesiredCapacity"]));
  expect(Object.values(resourcesOf(json, "aws_cloudwatch_dashboard"))[0]!.dashboard_name).toBe("acme-ci-dev-runners");
});

test("alarms: queue time, disk (above the clean-up threshold) and drains near the drain window, with the given actions", () => {
  const { json } = build({ alarmActions: ["arn:aws:sns:eu-central-1:111111111111:ops"] });
  const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
  expect(alarms.map((a) => [a.alarm_name, a.metric_name, a.statistic, a.threshold]).sort()).toEqual([
    ["acme-ci-dev-runners-disk", "DiskUsedPercent", "Maximum", 85],
    ["acme-ci-dev-runners-drain-duration", "DrainDuration", "Maximum", 3510],
    ["acme-ci-dev-runners-queue-time", "JobQueueDuration", "Average", 300],
  ]);
  expect(alarms.every((a) => a.namespace === "GitLab/RunnerFleet/acme-ci-dev" && JSON.stringify(a.alarm_actions) === '["arn:aws:sns:eu-central-1:111111111111:ops"]')).toBe(true);
  expect(resourcesOf(build({ alarms: false }).json, "aws_cloudwatch_metric_alarm")).toEqual({});
});

test("the disk alarm follows the fleet's clean-up threshold (10 points above it, at most 99)", () => {
  const diskAlarm = (threshold: number) =>
    Object.values(resourcesOf(build({}, { diskCleanupThresholdPercent: threshold }).json, "aws_cloudwatch_metric_alarm")).find((a) => a.metric_name === "DiskUsedPercent")!.threshold;
  expect(diskAlarm(60)).toBe(70);
  expect(diskAlarm(80)).toBe(90);
  expect(diskAlarm(95)).toBe(99);
  // An explicit threshold wins.
  const json = build({ alarms: { diskPercent: 97 } }, { diskCleanupThresholdPercent: 80 }).json;
  expect(Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => a.metric_name === "DiskUsedPercent")!.threshold).toBe(97);
});

test("with a mirror host: its data volume and status checks, and an alarm on the checks", () => {
  const { body, json } = build({ mirror: { metricNamespace: "GitLab/Mirror/acme-mirror", mirrorName: "acme-mirror", instanceId: "i-0123456789abcdef0" } });
  const widgets = widgetsByTitle(body);
  expect(widgets["Mirror data volume used (%)"]!.metrics).toEqual([["GitLab/Mirror/acme-mirror", "DataVolumeUsedPercent", "Mirror", "acme-mirror", { stat: "Maximum", label: "acme-mirror" }]]);
  expect(widgets["Mirror host status checks failed"]!.metrics[0]!.slice(0, 4)).toEqual(["AWS/EC2", "StatusCheckFailed", "InstanceId", "i-0123456789abcdef0"]);
  expect(Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name)).toContain("acme-ci-dev-runners-mirror-status");
});

test("bad thresholds are refused with the path", () => {
  const e = violationOf(() => build({ alarms: { diskPercent: 120 } }));
  expect([e.path, e.subject, e.value]).toEqual(["test/dashboard", "alarms.diskPercent", 120]);
  expect(violationOf(() => build({ alarms: { drainFraction: 0 } })).subject).toBe("alarms.drainFraction");
  expect(violationOf(() => build({ dashboardName: "no spaces allowed" })).subject).toBe("dashboardName");
});
