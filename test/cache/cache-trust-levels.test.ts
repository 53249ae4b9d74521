import fc from "fast-check";
import { type Construct } from "constructs";
import { RunnerCacheBucket } from "../../lib/cache/cache-bucket";
import { type PolicyStatement } from "../../lib/core/iam";
import { type RunnerHostRole } from "../../lib/identity/runner-host-role";
import { RunnerRegistration } from "../../lib/gitlab/runner-registration";
import { type RunnerTokenSource } from "../../lib/gitlab/runner-token-source";
import { TRUST_LEVELS, type TrustLevel } from "../../lib/platform/tenancy";
import { DockerAutoscalerFleet } from "../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { RunnerFleet } from "../../lib/runner/fleet";
import { autoscalerProps, mrRunner } from "../runner/autoscaler/fixtures";
import { fleetProps, token } from "../runner/fixtures";
import { testStack, violationOf } from "../support/synth";

const BUCKET = "acme-ci-dev-cache-111111111111";
const bucketIn = (scope: Construct) => new RunnerCacheBucket(scope, "cache", { bucketName: BUCKET, region: "eu-central-1", accessLogs: false });

/** A token source that says which jobs its runner takes, as a RunnerRegistration does. */
const tokenOf = (name: string, trustLevel?: TrustLevel): RunnerTokenSource => ({ ...token(name), grantRead: () => undefined, ...(trustLevel ? { trustLevel } : {}) });

/** The object prefixes a role may put to: the `s3:PutObject` resources, without the bucket ARN. */
function putPrefixes(statements: readonly PolicyStatement[]): string[] {
  return statements
    .filter((s) => s.actions.includes("s3:PutObject"))
    .flatMap((s) => s.resources)
    .map((r) => r.replace(`arn:aws:s3:::${BUCKET}/`, ""));
}

/** The policy statements a fleet's role received (through its grants). */
function statementsOf(role: RunnerHostRole): PolicyStatement[] {
  return role.grants.document.mergedStatements;
}

/** A protected build runner on the docker socket, and the same bucket given to an unprotected autoscaler. */
function sharedBucket(protectedSource: RunnerTokenSource, fleetTrust?: TrustLevel) {
  const stack = testStack();
  const cache = bucketIn(stack);
  const base = fleetProps(stack);
  const fleet = new RunnerFleet(stack, "fleet", {
    ...base,
    runners: [{ name: "build", tokenSource: protectedSource, limit: 4, docker: { image: "docker:27", dockerAccess: "socket-binding" } }],
    cache,
    ...(fleetTrust ? { trustLevel: fleetTrust } : {}),
  });
  const autoscaler = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps({ cache, runners: [{ ...mrRunner, cache: undefined }], mirror: undefined }));
  return { cache, fleet, autoscaler };
}

describe("one cache prefix serves one trust level", () => {
  test("protected and unprotected fleets given the same bucket write to separate prefixes (they shared runner-cache/* before)", () => {
    const { fleet, autoscaler } = sharedBucket(tokenOf("build", "protected"));
    const protectedPuts = putPrefixes(statementsOf(fleet.hostRole));
    const unprotectedPuts = putPrefixes(statementsOf(autoscaler.managerRole));
    expect(protectedPuts).toEqual(["runner-cache/protected/*"]);
    expect(unprotectedPuts).toEqual(["runner-cache/unprotected/*"]);
    // And the config.toml each host writes points at its own part.
    expect(fleet.runnerConfig.runners[0]!.cache?.path).toBe("runner-cache/protected");
    expect(autoscaler.runnerConfig.runners[0]!.cache?.path).toBe("runner-cache/unprotected");
    expect(fleet.trustLevel).toBe("protected");
  });

  test("a RunnerFleet takes its trust level from a ref_protected RunnerRegistration", () => {
    const stack = testStack();
    const registration = new RunnerRegistration(stack, "build-runner", {
      scope: { type: "project", projectId: 42 },
      description: "build",
      tags: ["acme-dev-build"],
      protectedRefsOnly: true,
      parameterName: "/acme-ci/dev/runner/build/token",
    });
    expect(registration.trustLevel).toBe("protected");
    const cache = bucketIn(stack);
    const fleet = new RunnerFleet(stack, "fleet", { ...fleetProps(stack), runners: [{ name: "build", tokenSource: registration, limit: 2, docker: { image: "docker:27", dockerAccess: "socket-binding" } }], cache });
    expect(fleet.trustLevel).toBe("protected");
    expect(fleet.cache?.settings.path).toBe("runner-cache/protected");
  });

  test("a fleet with one runner registered for unprotected jobs is unprotected, and stating protected for it is refused", () => {
    const stack = testStack();
    const cache = bucketIn(stack);
    const runners = [
      { name: "build", tokenSource: tokenOf("build", "protected"), limit: 2, docker: { image: "alpine:3.20", dockerAccess: "none" as const } },
      { name: "test", tokenSource: tokenOf("test", "unprotected"), limit: 2, docker: { image: "alpine:3.20", dockerAccess: "none" as const } },
    ];
    expect(new RunnerFleet(stack, "fleet", { ...fleetProps(stack), runners, cache }).cache?.settings.path).toBe("runner-cache/unprotected");
    const error = violationOf(() => new RunnerFleet(testStack(), "fleet", { ...fleetProps(testStack()), runners, trustLevel: "protected" }));
    expect(error.message).toMatch(/fleet.*trustLevel.*runner test is registered for unprotected jobs.*protectedRefsOnly: true/s);
  });

  test("a fleet given the bucket whose trust level is unknown is refused, with the fix", () => {
    const error = violationOf(() => sharedBucket(tokenOf("build")));
    expect(error.message).toMatch(/test\/fleet.*trustLevel.*cache bucket itself.*cacheAccessFor/s);
  });

  test("one part handed by hand to both trust levels is refused at construction (the bucket records who uses which prefix)", () => {
    const stack = testStack();
    const cache = bucketIn(stack);
    const part = cache.cacheAccessFor("shared");
    new RunnerFleet(stack, "fleet", { ...fleetProps(stack), cache: part, trustLevel: "protected" });
    const error = violationOf(() => new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps({ cache: part, runners: [{ ...mrRunner, cache: undefined }], mirror: undefined })));
    expect(error.message).toContain("test/autoscaler/runners[0]");
    expect(error.message).toContain("test/fleet (protected)");
    expect(error.message).toContain(`{"bucket":"arn:aws:s3:::${BUCKET}","prefix":"runner-cache/shared/","trustLevel":"unprotected"}`);
    expect(error.message).toMatch(/one prefix serves one trust level.*pass the cache bucket itself/s);
  });

  test("the whole bucket and one of its parts are nested prefixes: refused across trust levels", () => {
    const cache = bucketIn(testStack());
    cache.claim("protected", "a");
    expect(violationOf(() => cache.cacheAccessFor("unprotected").claim!("unprotected", "b")).message).toContain('a (protected) already uses the cache prefix "runner-cache/"');
  });

  test("property: claims of one trust level never conflict; claims of both on nested prefixes always do", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("protected", "unprotected", "ci", "ci-x"), { minLength: 1, maxLength: 6 }), fc.constantFrom(...TRUST_LEVELS), (parts, trust) => {
        const cache = bucketIn(testStack());
        parts.forEach((p, i) => cache.cacheAccessFor(p).claim!(trust, `user-${i}`));
        const other: TrustLevel = trust === "protected" ? "unprotected" : "protected";
        // Parts are disjoint prefixes (ci/ and ci-x/ do not nest); the whole bucket nests with every part.
        const fresh = ["protected", "unprotected", "ci", "ci-x"].find((p) => !(parts as string[]).includes(p));
        if (fresh) expect(() => cache.cacheAccessFor(fresh).claim!(other, "other")).not.toThrow();
        expect(() => cache.claim(other, "whole")).toThrow(/one prefix serves one trust level/);
      }),
      { numRuns: 30 },
    );
  });

  test("forTrustLevel refuses a trust level that is not protected or unprotected (plain JavaScript callers)", () => {
    const cache = bucketIn(testStack());
    expect(violationOf(() => cache.forTrustLevel("trusted" as TrustLevel)).message).toMatch(/test\/cache.*trustLevel.*"trusted"/s);
    expect(cache.forTrustLevel("protected")).toBe(cache.cacheAccessFor("protected"));
  });
});
