import fc from "fast-check";
import { type AutoscalerPolicy, autoscalerLimit } from "../../../lib/runner/autoscaler/autoscaler-toml";
import { type AutoscalerRunnerDefinition } from "../../../lib/runner/autoscaler/fleet-props";
import { DockerAutoscalerFleet } from "../../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { ARM64_INSTANCE_MEMORY_MIB, jobsPerWorker } from "../../../lib/runner/autoscaler/capacity";
import { ValidationError } from "../../../lib/core/errors";
import { resourcesOf, synth, testStack } from "../../support/synth";
import { type TrustLevel } from "../../../lib/platform/tenancy";
import { token } from "../fixtures";
import { autoscalerProps, cacheAt } from "./fixtures";

const policy: fc.Arbitrary<AutoscalerPolicy> = fc.record({
  timeZone: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"),
  idleCount: fc.integer({ min: 0, max: 10 }),
  idleTimeSeconds: fc.integer({ min: 1, max: 7200 }),
  periods: fc.constantFrom(undefined, ["* 7-19 * * MON-FRI"], ["* * * * SAT,SUN", "* 0-6 * * *"]),
});

/**
 * Runners that fit: capacity within what 2 GiB jobs leave on the default 8 GiB types (3),
 * one job per worker where jobs are untrusted; one trust level per fleet.
 */
const runner = (name: string, trustLevel: TrustLevel): fc.Arbitrary<AutoscalerRunnerDefinition> =>
  fc.record({
    name: fc.constant(name),
    trustLevel: fc.constant(trustLevel),
    tokenSource: fc.constant(token(name)),
    maxInstances: fc.integer({ min: 1, max: 200 }),
    capacityPerInstance: trustLevel === "unprotected" ? fc.constant(1) : fc.integer({ min: 1, max: 3 }),
    policies: fc.array(policy, { minLength: 1, maxLength: 3 }),
    docker: fc.constant({ image: "alpine:3.20", dockerAccess: "none" as const }),
  }).map((r) => ({ ...r, cache: cacheAt(`gitlab-runner/${r.trustLevel}`) }));
const runners = fc
  .tuple(fc.constantFrom<TrustLevel>("protected", "unprotected"), fc.integer({ min: 1, max: 4 }))
  .chain(([trust, n]) => fc.tuple(...Array.from({ length: n }, (_, i) => runner(`r${i}`, trust))));

type Group = { name: string; max_size: number; min_size: number; protect_from_scale_in: boolean };

test("for generated runners: concurrent ≥ Σ limit, limit = max_instances × capacity_per_instance, worker group max ≥ max_instances, no scaling policies, scale-in protection on", () => {
  fc.assert(
    fc.property(runners, fc.integer({ min: 0, max: 20 }), (defs, extra) => {
      const stack = testStack();
      const sum = defs.reduce((s, r) => s + r.maxInstances * (r.capacityPerInstance ?? 1), 0);
      const fleet = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps({ runners: defs, concurrent: sum + extra }));
      const { json } = synth(stack);
      const limits = fleet.runnerConfig.runners.map((r) => r.limit);
      expect(fleet.concurrent).toBeGreaterThanOrEqual(limits.reduce((a, b) => a + b, 0));
      fleet.runnerConfig.runners.forEach((r) => expect(r.limit).toBe(r.autoscaler.maxInstances * r.autoscaler.capacityPerInstance));
      const groups = Object.values(resourcesOf(json, "aws_autoscaling_group")) as unknown as Group[];
      for (const def of defs) {
        const group = groups.find((g) => g.name === `acme-ci-dev-${def.name}-workers`)!;
        expect(group.min_size).toBe(0);
        expect(group.max_size).toBeGreaterThanOrEqual(def.maxInstances);
        expect(group.protect_from_scale_in).toBe(true);
      }
      expect(resourcesOf(json, "aws_autoscaling_policy")).toEqual({});
      // Unprotected pools never reuse a worker unless told why.
      fleet.runnerConfig.runners.forEach((r, i) => defs[i]!.trustLevel === "unprotected" && expect([r.autoscaler.maxUseCount, r.autoscaler.capacityPerInstance]).toEqual([1, 1]));
    }),
    { numRuns: 25 },
  );
});

test("concurrent below Σ limit is always refused", () => {
  fc.assert(
    fc.property(runners, fc.integer({ min: 1, max: 50 }), (defs, short) => {
      const sum = defs.reduce((s, r) => s + autoscalerLimit({ maxInstances: r.maxInstances, capacityPerInstance: r.capacityPerInstance ?? 1 }), 0);
      fc.pre(sum - short >= 1);
      expect(() => new DockerAutoscalerFleet(testStack(), "autoscaler", autoscalerProps({ runners: defs, concurrent: sum - short }))).toThrow(ValidationError);
    }),
    { numRuns: 25 },
  );
});

test("capacity per instance is accepted exactly up to what the smallest worker's memory fits", () => {
  const types = Object.keys(ARM64_INSTANCE_MEMORY_MIB);
  fc.assert(
    fc.property(fc.subarray(types, { minLength: 1 }), fc.integer({ min: 256, max: 8192 }), fc.integer({ min: 1, max: 20 }), (instanceTypes, jobMemoryMiB, capacity) => {
      const smallest = Math.min(...instanceTypes.map((t) => ARM64_INSTANCE_MEMORY_MIB[t]!));
      const fits = capacity * jobMemoryMiB + 1024 <= smallest;
      const make = () =>
        new DockerAutoscalerFleet(testStack(), "autoscaler", {
          ...autoscalerProps(),
          architecture: "arm64",
          runners: [{ name: "r", trustLevel: "protected", tokenSource: token("r"), maxInstances: 2, capacityPerInstance: capacity, jobMemoryMiB, workerInstanceTypes: instanceTypes, docker: { image: "alpine:3.20", dockerAccess: "none" } }],
        });
      if (fits) expect(make().runnerConfig.runners[0]!.limit).toBe(2 * capacity);
      else expect(make).toThrow(ValidationError);
      expect(jobsPerWorker("p", { instanceTypes, jobMemoryMiB, capacityPerInstance: capacity }) >= capacity).toBe(fits);
    }),
    { numRuns: 40 },
  );
});
