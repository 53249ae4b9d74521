import fc from "fast-check";
import { TerraformStack, Testing } from "cdktf";
import { RunnerFleet, type RunnerFleetProps } from "../../lib/runner/fleet";
import { architectureOfHelperImage, validateHelperImageArchitecture } from "../../lib/runner/fleet-validation";
import { officeHours } from "../../lib/runner/schedule";
import { testStack, violationOf } from "../support/synth";
import { fakeMirror, fleetProps } from "./fixtures";

/** Builds (without synthesizing) a fleet: every validation runs at construction. */
function build(patch: Partial<RunnerFleetProps> = {}) {
  const stack = testStack();
  return new RunnerFleet(stack, "fleet", fleetProps(stack, patch));
}

describe("RunnerFleet validation", () => {
  const fails = (patch: Partial<RunnerFleetProps>) => violationOf(() => build(patch));

  test("concurrent < 1", () => {
    const e = fails({ concurrent: 0 });
    expect([e.path, e.value, e.rule]).toEqual(["test/fleet", 0, "concurrent is a whole number ≥ 1 (jobs at once on one host)"]);
    expect(e.fix).toMatch(/set concurrent to 1 or more/);
  });

  test("concurrent below the sum of limits", () => {
    const e = fails({ concurrent: 5 });
    expect([e.path, e.value]).toEqual(["test/fleet", 5]);
    expect(e.rule).toMatch(/at least the sum of the runners' limits \(build: 4 \+ test: 2 = 6\)/);
    expect(e.fix).toMatch(/raise concurrent to 6/);
  });

  test("min > max", () => {
    const e = fails({ capacity: { minSize: 4, maxSize: 2 } });
    expect(e.message).toBe('test/fleet: invalid capacity minSize > maxSize {"minSize":4,"maxSize":2}. Rule: minSize ≤ maxSize. Fix: raise maxSize to at least 4 or lower minSize');
  });

  test("desired outside [min, max]", () => {
    const e = fails({ capacity: { minSize: 1, maxSize: 3, desiredCapacity: 5 } });
    expect(e.message).toMatch(/^test\/fleet: invalid capacity\.desiredCapacity \{"minSize":1,"desiredCapacity":5,"maxSize":3\}\. Rule: desiredCapacity lies within \[minSize, maxSize\]\. Fix: set desiredCapacity between 1 and 3/);
  });

  test("a schedule with an invalid cron expression", () => {
    const e = fails({ schedules: [{ name: "morning", cron: "0 7 * * MON-FRI *", timeZone: "Europe/Berlin", minSize: 1 }] });
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet/schedules[0]", "cron expression", "0 7 * * MON-FRI *"]);
    expect(e.rule).toMatch(/it has 6 fields, cron has 5/);
    expect(e.fix).toMatch(/0 7 \* \* MON-FRI/);
  });

  test("a schedule with an invalid time zone", () => {
    const e = fails({ schedules: officeHours({ timeZone: "Europe/Frankfurt", minSize: 1, maxSize: 2 }) });
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet/schedules[0]", "time zone", "Europe/Frankfurt"]);
    expect(e.rule).toMatch(/no such zone/);
    expect(e.fix).toMatch(/Europe\/Berlin/);
  });

  test("two schedules with one name", () => {
    const s = { name: "up", cron: "0 7 * * *", timeZone: "UTC", minSize: 1 };
    expect(fails({ schedules: [s, s] }).message).toMatch(/^test\/fleet\/schedules\[1\]: invalid schedule name "up"\. Rule: schedule names are unique in a fleet/);
  });

  test("an empty instance type list", () => {
    const e = fails({ instanceTypes: [] });
    expect(e.message).toBe(
      'test/fleet: invalid instanceTypes []. Rule: a mixed instances policy takes 1 to 40 instance types. Fix: list at least one type, e.g. ["m7i.xlarge", "m6i.xlarge"]; more types give spot more pools',
    );
  });

  test("a misspelt instance type", () => {
    expect(fails({ instanceTypes: ["m7i-xlarge"] }).message).toMatch(/invalid instanceTypes\[0\] "m7i-xlarge"/);
  });

  test.each([0, 65, 1.5])("hop limit %p outside 1-64", (imdsHopLimit) => {
    const e = fails({ imdsHopLimit });
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet", "imdsHopLimit", imdsHopLimit]);
    expect(e.rule).toBe("the IMDS hop limit is a whole number from 1 to 64 (1 keeps job containers away from the host role)");
    expect(e.fix).toBe("use 1");
  });

  test("a volume too small for the chosen images", () => {
    const e = fails({ imageStorageGiB: 80, rootVolume: { sizeGiB: 60 } });
    expect(e.message).toBe(
      "test/fleet: invalid rootVolume.sizeGiB 60. Rule: the root volume holds the system (20 GiB) and the chosen images and build cache (imageStorageGiB 80), so at least 100 GiB. Fix: set sizeGiB to 100 or more, or lower imageStorageGiB if the images are smaller",
    );
  });

  test("a job timeout longer than the lifecycle hook can cover", () => {
    const e = fails({ maxJobTimeoutSeconds: 172_501 });
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet", "maxJobTimeoutSeconds", 172_501]);
    expect(e.rule).toMatch(/holds an instance at most 172800 s \(48 h, with heartbeats\), and the drain needs the longest job plus 300 s/);
    expect(e.fix).toMatch(/at most 172500 s/);
    expect(() => build({ maxJobTimeoutSeconds: 172_500 })).not.toThrow();
  });

  test("socket binding together with privileged without the explicit opt-in", () => {
    const stack = testStack();
    const props = fleetProps(stack);
    const runners = [{ ...props.runners[0]!, docker: { ...props.runners[0]!.docker, privileged: true } }];
    const e = violationOf(() => new RunnerFleet(stack, "fleet", { ...props, runners }));
    expect([e.path, e.subject]).toEqual(["test/fleet/runners[0]/docker", "privileged with socket binding"]);
    expect(e.rule).toMatch(/makes every job root on the host; it is refused unless explicitly allowed/);
    expect(e.fix).toMatch(/allowPrivilegedWithSocketBinding: true/);
  });

  test("a mirror URL with a path", () => {
    const e = fails({ mirror: { ...fakeMirror, registryMirrors: ["http://10.0.1.10:8081/repository/docker-group"] } });
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet/mirror", "registryMirrors[0]", "http://10.0.1.10:8081/repository/docker-group"]);
    expect(e.rule).toMatch(/scheme \+ host\[:port\] .* with no path/);
  });

  test("zero hosts with job-slot scaling (it could never scale out again)", () => {
    const e = fails({ capacity: { minSize: 0, maxSize: 3 } });
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet", "capacity.minSize", 0]);
    expect(e.fix).toMatch(/officeHours/);
  });

  test("DOCKER_AUTH_CONFIG or a secret in a runner's environment", () => {
    const stack = testStack();
    const props = fleetProps(stack);
    const withEnv = (environment: Record<string, string>) => violationOf(() => new RunnerFleet(stack, `fleet-${Object.keys(environment)[0]}`, { ...props, runners: [{ ...props.runners[0]!, environment }] }));
    expect(withEnv({ DOCKER_AUTH_CONFIG: '{"auths":{}}' }).message).toMatch(/runners\[0\]: invalid environment DOCKER_AUTH_CONFIG "\(set\)"\. Rule: DOCKER_AUTH_CONFIG is derived from the fleet's repositories/);
    const e = withEnv({ NPM_TOKEN_FOR_X: "glrt-abcdefghijklmnop" });
    expect(e.message).toMatch(/invalid environment NPM_TOKEN_FOR_X "\(a secret-looking value, not shown\)"/);
    expect(e.message).not.toContain("glrt-abcdefghijklmnop");
  });

  test.each([
    [{ fleetName: "Acme CI" }, "fleetName"],
    [{ logRetentionDays: 10 }, "logRetentionDays"],
    [{ jobSlotScaling: { targetUtilizationPercent: 120 } }, "jobSlotScaling.targetUtilizationPercent"],
    [{ jobSlotScaling: { metricNamespace: "AWS/EC2" } }, "jobSlotScaling.metricNamespace"],
    [{ purchase: { onDemandPercentageAboveBaseCapacity: 150 } }, "purchase.onDemandPercentageAboveBaseCapacity"],
    [{ instanceRefresh: { minHealthyPercentage: 50, maxHealthyPercentage: 200 } }, "instanceRefresh"],
    [{ versions: { docker: "latest" } }, "versions.docker"],
    [{ rootVolume: { iops: 100 } }, "rootVolume.iops"],
    [{ additionalEgress: [{ description: "ssh", port: 22, cidrIpv4: "anywhere" }] }, "additionalEgress[0]"],
  ] as const)("%p", (patch, subject) => {
    const e = fails(patch as Partial<RunnerFleetProps>);
    expect([e.path, e.subject]).toEqual(["test/fleet", subject]);
    expect(e.fix).not.toBe("");
  });
});

describe("limits across the fleet and its neighbours", () => {
  test("bad input: two fleets of one app publishing to one metric namespace (a host of one could scale the other)", () => {
    const app = Testing.app();
    const stack = (id: string) => new TerraformStack(app, id);
    const fleet = (id: string, patch: Partial<RunnerFleetProps>) => {
      const s = stack(`s-${id}`);
      return new RunnerFleet(s, id, fleetProps(s, patch));
    };
    fleet("a", { fleetName: "acme-ci-a", jobSlotScaling: { metricNamespace: "GitLab/Shared" } });
    const e = violationOf(() => fleet("b", { fleetName: "acme-ci-b", jobSlotScaling: { metricNamespace: "GitLab/Shared" } }));
    expect([e.path, e.subject, e.value]).toEqual(["s-b/b", "jobSlotScaling.metricNamespace", "GitLab/Shared"]);
    expect(e.rule).toMatch(/the fleet s-a\/a already publishes to this namespace/);
    expect(e.fix).toMatch(/GitLab\/RunnerFleet\/acme-ci-b/);
    // Default namespaces are per fleet name: fleets side by side are fine.
    expect(() => fleet("c", { fleetName: "acme-ci-c" })).not.toThrow();
    expect(() => fleet("d", { fleetName: "acme-ci-d" })).not.toThrow();
  });

  test("bad input: a shutdown_timeout longer than the spot notice allows, on a fleet that can have spot hosts", () => {
    const e = violationOf(() => build({ shutdownTimeoutSeconds: 120 }));
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet", "shutdownTimeoutSeconds", 120]);
    expect(e.rule).toMatch(/two minutes after the interruption notice.*at most 90 s/);
    expect(() => build({ shutdownTimeoutSeconds: 90 })).not.toThrow();
    // All on demand: no spot notice, no cap.
    expect(() => build({ shutdownTimeoutSeconds: 300, purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100 } })).not.toThrow();
  });
});

describe("the architecture a helper image tag names", () => {
  const REPO = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper";

  test("flavoured tags name their architecture (alpine3.21-, alpine-latest-, ubi-fips-, ubuntu-; a shell suffix)", () => {
    expect(architectureOfHelperImage(`${REPO}:alpine3.21-x86_64-v18.11.2`)).toBe("x86_64");
    expect(architectureOfHelperImage(`${REPO}:alpine-latest-arm64-v18.11.2`)).toBe("arm64");
    expect(architectureOfHelperImage(`${REPO}:ubi-fips-x86_64-v18.11.2`)).toBe("x86_64");
    expect(architectureOfHelperImage(`${REPO}:ubuntu-arm64-v\${CI_RUNNER_VERSION}`)).toBe("arm64");
    expect(architectureOfHelperImage(`10.0.1.10:8082/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v18.11.2-pwsh`)).toBe("x86_64");
    for (const none of ["latest", "v18.11.2", "alpine3.21", "x86_64", ""]) expect(architectureOfHelperImage(`${REPO}${none ? `:${none}` : ""}`)).toBeUndefined();
    expect(architectureOfHelperImage("10.0.1.10:8082/x86_64-v1/helper")).toBeUndefined();
  });

  test("an arm64 fleet refuses a flavoured x86_64 helper tag", () => {
    const e = violationOf(() => validateHelperImageArchitecture("test/fleet/runners[0]", `${REPO}:alpine3.21-x86_64-v18.11.2`, "arm64"));
    expect(e.rule).toMatch(/names the x86_64 architecture, but the fleet's hosts are arm64/);
  });

  test("property: <registry>/<path>:<flavour->?<arch>-<revision>[-<shell>][@digest] names <arch>", () => {
    const arch = fc.constantFrom("x86_64", "arm64", "arm", "s390x", "ppc64le", "riscv64", "loong64");
    const flavourWord = fc.stringMatching(/^[a-z][a-z0-9.]{0,9}$/).filter((w) => !["x86_64", "arm64", "arm", "s390x", "ppc64le", "riscv64", "loong64"].includes(w));
    const flavour = fc.array(flavourWord, { maxLength: 3 }).map((w) => w.join("-"));
    const revision = fc.oneof(fc.constant("v${CI_RUNNER_VERSION}"), fc.stringMatching(/^v\d{1,2}\.\d{1,2}\.\d{1,2}$/), fc.stringMatching(/^[0-9a-f]{8}$/), fc.constant("latest"));
    const shell = fc.constantFrom("", "-pwsh", "-bash");
    const registry = fc.constantFrom("registry.gitlab.com/gitlab-org/gitlab-runner/", "10.0.1.10:8082/gitlab-org/gitlab-runner/", "111111111111.dkr.ecr.eu-central-1.amazonaws.com/gitlab/gitlab-org/gitlab-runner/", "");
    const digest = fc.constantFrom("", "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    fc.assert(
      fc.property(registry, flavour, arch, revision, shell, digest, (r, f, a, rev, sh, d) => {
        const image = `${r}gitlab-runner-helper:${f ? `${f}-` : ""}${a}-${rev}${sh}${d}`;
        expect(architectureOfHelperImage(image)).toBe(a);
      }),
    );
  });
});
