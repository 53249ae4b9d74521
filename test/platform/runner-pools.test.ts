import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { defaultRunnerRegistrations, poolRunnerTag, runnerPoolsOf, tagsOverlap } from "../../lib/platform/runner-pools";
import { servesUnprotected, trustLevelsOf } from "../../lib/platform/tenancy";
import { violationOf } from "../support/synth";

/** The example configuration with environment `index` changed. */
function withEnvironment(index: number, change: (env: EnvironmentConfig) => EnvironmentConfig): PlatformConfig {
  return { ...exampleConfig, environments: exampleConfig.environments.map((e, i) => (i === index ? change(e) : e)) };
}
const dev = exampleConfig.environments[0]!;
const reason = "every project of this group is maintained by the platform team";

describe("runner pools: defaults", () => {
  test("tags carry project, environment, pool and runner; protected and deploy pools are ref_protected; nothing is untagged", () => {
    expect(defaultRunnerRegistrations(exampleConfig, dev)).toEqual([
      { name: "build", tags: ["acme-ci-dev-protected-build"], untagged: false, protectedRefsOnly: true, maximumTimeoutSeconds: 3600 },
      { name: "test", tags: ["acme-ci-dev-protected-test"], untagged: false, protectedRefsOnly: true, maximumTimeoutSeconds: 3600 },
      { name: "mr", tags: ["acme-ci-dev-unprotected-mr"], untagged: false, protectedRefsOnly: false, maximumTimeoutSeconds: 3600 },
    ]);
    expect(poolRunnerTag(exampleConfig, { name: "production" }, "deploy", "deploy")).toBe("acme-ci-production-deploy");
  });

  test("every runner is a project runner of the tenants it serves (all by default); the builder follows the docker access", () => {
    const pools = runnerPoolsOf(dev, defaultRunnerRegistrations(exampleConfig, dev));
    expect(pools.map((p) => [p.name, p.pool, p.trust, p.scope, p.builder, p.tenants.map((t) => t.name)])).toEqual([
      ["build", "protected", "protected", "project", "docker", ["app", "web", "toolbox"]],
      ["test", "protected", "protected", "project", "none", ["app", "web", "toolbox"]],
      ["mr", "unprotected", "unprotected", "project", "buildkit-rootless", ["app", "web", "toolbox"]],
    ]);
    const narrowed = { ...dev, runners: { ...dev.runners!, unprotected: { ...dev.runners!.unprotected!, runners: dev.runners!.unprotected!.runners.map((r) => ({ ...r, projects: ["acme/web"] })) } } };
    expect(runnerPoolsOf(narrowed, defaultRunnerRegistrations(exampleConfig, narrowed)).find((p) => p.name === "mr")!.tenants.map((t) => t.path)).toEqual(["acme/web"]);
  });

  test("an environment serves unprotected pipelines only with an unprotected pool", () => {
    expect(exampleConfig.environments.map((e) => [e.name, servesUnprotected(e), trustLevelsOf(e)])).toEqual([
      ["dev", true, ["protected", "unprotected"]],
      ["staging", false, ["protected"]],
      ["production", false, ["protected"]],
    ]);
  });

  test("tag overlap follows GitLab's routing: a shared tag, or untagged on both", () => {
    expect(tagsOverlap({ tags: ["a", "b"] }, { tags: ["b"] })).toBe(true);
    expect(tagsOverlap({ tags: ["a"], untagged: true }, { tags: ["b"], untagged: true })).toBe(true);
    expect(tagsOverlap({ tags: ["a"], untagged: true }, { tags: ["b"] })).toBe(false);
  });
});

describe("runner pools: bad input gets a clear error", () => {
  test("two environments registering untagged runners in one group", () => {
    const both = (env: EnvironmentConfig): EnvironmentConfig => ({
      ...env,
      gitlab: { ...env.gitlab, runners: [{ name: "build", untagged: true, protectedRefsOnly: true }, { name: "test", tags: [`t-${env.name}`], protectedRefsOnly: true }, ...(env.runners?.unprotected ? [{ name: "mr", tags: ["mr"] }] : []), ...(env.runners?.deploy ? [{ name: "deploy", tags: [`d-${env.name}`], protectedRefsOnly: true }] : [])] },
    });
    const config = withEnvironment(1, both);
    const twice = { ...config, environments: config.environments.map((e, i) => (i === 0 ? both(e) : e)) };
    expect(violationOf(() => validateConfig(twice)).message).toMatch(
      /^config\/environments\[1\]\/gitlab\/runners\[0\]: invalid runner registration .*Rule: runners of different environments must not take the same jobs, but runner "build" of environment dev serves an overlapping scope \(acme\/app, acme\/web, acme\/toolbox\) with untagged jobs on both.*Fix: use the default tags/,
    );
  });

  test("limits on unprotected pushes in an environment without unprotected roles", () => {
    const production = (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, identity: { ...env.identity, mergeRequestPushRepositories: ["app-ci"] } });
    expect(violationOf(() => validateConfig(withEnvironment(2, production))).message).toMatch(
      /^config\/environments\[2\]\/identity\/mergeRequestPushRepositories: invalid mergeRequestPushRepositories \["app-ci"\]\. Rule: it limits what the tenants' unprotected roles push, and an environment without an unprotected pool .*Fix: drop mergeRequestPushRepositories, or add an unprotected pool/,
    );
    expect(() => validateConfig(withEnvironment(0, production))).not.toThrow();
  });

  test("a socket-binding runner taking unprotected jobs: refused without a reason, accepted with one", () => {
    const registrations = (allow?: { reason: string }) => (env: EnvironmentConfig): EnvironmentConfig => ({
      ...env,
      gitlab: { ...env.gitlab, runners: [{ name: "build", tags: ["acme-ci-dev-b"], ...(allow ? { allowUnprotectedJobs: allow } : {}) }, { name: "test", tags: ["acme-ci-dev-t"], protectedRefsOnly: true }, { name: "mr", tags: ["acme-ci-dev-m"] }] },
    });
    expect(violationOf(() => validateConfig(withEnvironment(0, registrations({ reason: "too short" })))).message).toMatch(/invalid protectedRefsOnly .*allowUnprotectedJobs: \{ reason/);
    expect(() => validateConfig(withEnvironment(0, registrations({ reason })))).not.toThrow();
  });

  test("a socket-binding group runner without a written reason", () => {
    const config = withEnvironment(0, (env) => ({
      ...env,
      gitlab: { ...env.gitlab, runners: [{ name: "build", tags: ["acme-ci-dev-b"], protectedRefsOnly: true, groupRunner: { reason: "" } }, { name: "test", tags: ["acme-ci-dev-t"], protectedRefsOnly: true }, { name: "mr", tags: ["acme-ci-dev-m"] }] },
    }));
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[0\]\/gitlab\/runners\[0\]: invalid groupRunner .*needs a written reason/);
  });

  test("host volumes on the unprotected pool: the docker runtime directory", () => {
    const config = withEnvironment(0, (env) => ({
      ...env,
      runners: { ...env.runners!, unprotected: { runners: [{ name: "mr", limit: 2, dockerAccess: "none", image: "alpine:3.20", volumes: ["/cache", "/var/run:/host-run"] }] } },
    }));
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[0\]\/runners\/unprotected\/runners\[0\]\/volumes\[1\]: invalid volume "\/var\/run:\/host-run"\. Rule: .*mounts \/var\/run of the host/);
  });

  test("privileged docker-in-docker on the unprotected pool", () => {
    const config = withEnvironment(0, (env) => ({
      ...env,
      runners: { ...env.runners!, unprotected: { runners: [{ name: "mr", limit: 2, dockerAccess: "dind", privileged: true, image: "docker:27" }] } },
    }));
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[0\]\/runners\/unprotected\/runners\[0\]: invalid docker access .*buildkit-rootless/);
  });

  test("the docker builder on a runner without docker", () => {
    const config = withEnvironment(0, (env) => ({
      ...env,
      runners: { ...env.runners!, unprotected: { runners: [{ name: "mr", limit: 2, dockerAccess: "none", builder: "docker", image: "alpine:3.20" }] } },
    }));
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[0\]\/runners\/unprotected\/runners\[0\]: invalid builder .*needs a docker daemon/);
  });

  test("an unprotected pool without runners, and a runner name used in two pools", () => {
    const empty = withEnvironment(0, (env) => ({ ...env, runners: { ...env.runners!, unprotected: { runners: [] } } }));
    expect(violationOf(() => validateConfig(empty)).message).toMatch(/^config\/environments\[0\]\/runners\/unprotected: invalid runners \[\]\. Rule: the unprotected pool runs at least one runner/);
    const twice = withEnvironment(0, (env) => ({
      ...env,
      runners: { ...env.runners!, unprotected: { runners: [{ name: "build", limit: 2, dockerAccess: "none", builder: "buildkit-rootless", image: "alpine:3.20" }] } },
    }));
    expect(violationOf(() => validateConfig(twice)).message).toMatch(/^config\/environments\[0\]\/runners\/unprotected\/runners\[0\]: invalid runner name "build"\. Rule: runner names are unique in an environment, across its pools/);
  });
});
