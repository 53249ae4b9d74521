import fc from "fast-check";
import { autoscalerConfigDocument, goDuration, validatePolicy } from "../../../lib/runner/autoscaler/autoscaler-toml";
import { officeHoursPolicies, SCALE_TO_ZERO_POLICY } from "../../../lib/runner/autoscaler/fleet-props";
import { WorkerGroup } from "../../../lib/runner/autoscaler/worker-group";
import { testStack } from "../../support/synth";
import { expectViolation } from "../../support/violations";
import { autoscalerFleet, mrRunner, natNetwork } from "./fixtures";

/** Go's time.ParseDuration for the h/m/s subset goDuration writes. */
const parseGoDuration = (text: string): number => {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]);
};

test("durations are written as Go writes them (20m0s, 1h0m0s, 30s) and read back to the same seconds", () => {
  expect([goDuration(1200), goDuration(3600), goDuration(30), goDuration(5400)]).toEqual(["20m0s", "1h0m0s", "30s", "1h30m0s"]);
  fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 86400 }), (seconds) => parseGoDuration(goDuration(seconds)) === seconds));
});

test("officeHoursPolicies: scale to zero always, then ready slots in office hours (the last matching policy wins)", () => {
  expect(officeHoursPolicies({ timeZone: "Europe/Berlin", idleCount: 2 })).toEqual([
    { ...SCALE_TO_ZERO_POLICY, timeZone: "Europe/Berlin" },
    { periods: ["* 7-19 * * MON-FRI"], timeZone: "Europe/Berlin", idleCount: 2, idleTimeSeconds: 1200 },
  ]);
  for (const policy of officeHoursPolicies({ timeZone: "UTC", idleCount: 1, startHour: 8, endHour: 16, days: "mon-fri" })) {
    expect(() => validatePolicy("p", policy)).not.toThrow();
  }
});

test("GitLab's own period examples are accepted; Quartz-style and out-of-range periods are refused", () => {
  for (const period of ["* * * * *", "* 8-15 * * mon-fri", "0-30 13,16 * * SUN", "* 0-12/2 * * *"]) {
    expect(() => validatePolicy("p", { periods: [period], timeZone: "UTC", idleCount: 0, idleTimeSeconds: 60 })).not.toThrow();
  }
  for (const period of ["0 0 * * ?", "* * * *", "* 24 * * *"]) {
    expect(() => validatePolicy("p", { periods: [period], timeZone: "UTC", idleCount: 0, idleTimeSeconds: 60 })).toThrow(/periods\[0\]/);
  }
  expectViolation(() => validatePolicy("p", { timeZone: "UTC", idleCount: 0, idleTimeSeconds: 0 }), {
    path: "p",
    subject: "idleTimeSeconds",
    value: 0,
    rule: /schema minimum is 1 s/,
    fix: /1200/,
  });
});

test("a worker group smaller than max_instances is refused (the plugin's SetDesiredCapacity would fail)", () => {
  expectViolation(
    () =>
      new WorkerGroup(testStack(), "workers", {
        groupName: "acme-ci-dev-mr-workers",
        network: natNetwork,
        managerSecurityGroupId: "sg-0123456789abcdef0",
        maxInstances: 10,
        maxSize: 5,
        instanceTypes: ["m7i.large"],
        architecture: "x86_64",
        purchase: "on-demand",
        userData: "#cloud-config\n",
        volumeSizeGiB: 40,
      }),
    { path: "test/workers", subject: "maxSize", value: 5, rule: /at least the runner's max_instances \(10\)/, fix: /set maxSize to 10 or more/ },
  );
});

describe("preemptive mode (GitLab Runner 18.11 turns it on for idle_count > 0 when unset)", () => {
  test("preemptive_mode = false is written explicitly in every [[runners.autoscaler.policy]], also where idle_count > 0", () => {
    const document = autoscalerConfigDocument(autoscalerFleet().runnerConfig) as { runners: Array<{ autoscaler: { policy: Array<Record<string, unknown>> } }> };
    const policies = document.runners.flatMap((r) => r.autoscaler.policy);
    expect(policies.some((p) => (p.idle_count as number) > 0)).toBe(true);
    for (const p of policies) expect(p.preemptive_mode).toBe(false);
  });

  test("a policy that sets preemptiveMode keeps the user's value; a non-boolean is refused", () => {
    const fleet = autoscalerFleet({ runners: [{ ...mrRunner, policies: [{ timeZone: "UTC", idleCount: 1, idleTimeSeconds: 600, preemptiveMode: true }] }] });
    const document = autoscalerConfigDocument(fleet.runnerConfig) as { runners: Array<{ autoscaler: { policy: Array<Record<string, unknown>> } }> };
    expect(document.runners[0]!.autoscaler.policy[0]!.preemptive_mode).toBe(true);
    expectViolation(() => validatePolicy("p", { timeZone: "UTC", idleCount: 1, idleTimeSeconds: 60, preemptiveMode: "no" as unknown as boolean }), {
      path: "p",
      subject: "preemptiveMode",
      value: "no",
      rule: /true or false/,
      fix: /false/,
    });
  });
});
