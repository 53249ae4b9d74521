import { deployHostProblems, hostPoolsOf, rootOnHost, takesJobTagged } from "../../lib/platform/deploy-hosts";
import { runnersOf } from "../../lib/platform/config";
import { deployRouteOf } from "../../lib/platform/promotion";
import { runnerPoolsOf } from "../../lib/platform/runner-pools";
import { type EnvironmentConfig, type PlatformConfig, type RunnerConfigEntry, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { violationOf } from "../support/synth";

/*
 * The hosts of an environment's deploy jobs: the deploy route is judged by every runner sharing
 * its hosts (the whole pool, and the pool of any registration carrying the deploy jobs' tags), not
 * by the one registration it names.
 */
const [, staging] = exampleConfig.environments as [EnvironmentConfig, EnvironmentConfig, EnvironmentConfig];

/** Staging changed by `patch`, and what the deploy route's hosts check finds there. */
function stagingWith(patch: (env: EnvironmentConfig) => EnvironmentConfig): { env: EnvironmentConfig; problems: string[]; hostPools: string[] } {
  const env = patch(structuredClone(staging));
  const registrations = runnersOf(exampleConfig, env);
  const pools = runnerPoolsOf(env, registrations);
  const route = deployRouteOf(exampleConfig, env)!;
  return {
    env,
    problems: deployHostProblems(pools, registrations, route.tags, route.registration.name).map((p) => `${p.runner.name}: ${p.kind}`),
    hostPools: hostPoolsOf(pools, registrations, route.tags, route.registration.name),
  };
}
const withoutDeployPool = (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, runners: { ...env.runners!, deploy: undefined } });
/** The protected pool's runners serving `projects`, without the sharing opt-in. */
const protectedServing = (projects: readonly string[]) => (env: EnvironmentConfig): EnvironmentConfig => ({
  ...env,
  runners: { ...env.runners!, runners: env.runners!.runners.map(({ sharedBetweenProjects: _shared, ...r }): RunnerConfigEntry => ({ ...r, projects })) },
});
const withConfig = (env: EnvironmentConfig): PlatformConfig => ({ ...exampleConfig, environments: exampleConfig.environments.map((e) => (e.name === env.name ? env : e)) });

describe("the deploy route's hosts", () => {
  test("the example: staging's deploy jobs run on its deploy pool, whose hosts run the deploy runner alone", () => {
    const found = stagingWith((e) => e);
    expect(found.hostPools).toEqual(["deploy"]);
    expect(found.problems).toEqual([]);
    expect(deployRouteOf(exampleConfig, staging)!.tags).toEqual(["acme-ci-staging-deploy"]);
    expect(() => validateConfig(exampleConfig)).not.toThrow();
  });

  test("fault: without a deploy pool, staging's deploy jobs went to the protected test runner (judged alone: no socket), whose hosts run the socket-binding build runner of three projects; now refused at the deploy section", () => {
    const found = stagingWith(withoutDeployPool);
    expect(found.hostPools).toEqual(["protected"]);
    expect(found.problems).toEqual(["build: controls-host"]);
    expect(violationOf(() => validateConfig(withConfig(found.env))).message).toMatch(
      /^config\/environments\[1\]\/deploy: invalid deploy hosts \{"deployRunner":"test","pool":"protected","sharesHostsWith":"build".*Rule: a deploy job runs with the deployment role's credentials, and runner build \(protected pool\).*so a protected job of one project takes over another project's deploy\. Fix: give deploy jobs hosts of their own \(runners\.deploy/m,
    );
  });

  test("fault: the same when deploy.runner names the host-controlling runner itself (refused at deploy/runner)", () => {
    const env = { ...staging, deploy: { ...staging.deploy, runner: "build" } };
    expect(violationOf(() => validateConfig(withConfig(env))).message).toMatch(/^config\/environments\[1\]\/deploy\/runner: invalid deploy hosts \{"deployRunner":"build".*its runner build runs jobs that are root on the host/m);
  });

  test("the check can fail: hosts whose every runner serves one project may run deploys next to a socket-binding runner (that project's protected jobs may assume its deployment role anyway)", () => {
    expect(stagingWith((e) => protectedServing(["acme/app"])(withoutDeployPool(e))).problems).toEqual([]);
    // Two projects on the same hosts are refused again.
    expect(stagingWith((e) => protectedServing(["acme/app", "acme/web"])(withoutDeployPool(e))).problems).toEqual(["build: controls-host"]);
  });

  test("a group runner on the hosts takes jobs of every project of the group, even when the entries name one project", () => {
    const found = stagingWith((e) => {
      const one = protectedServing(["acme/app"])(withoutDeployPool(e));
      return { ...one, gitlab: { ...one.gitlab, runners: [{ name: "build", tags: ["acme-ci-staging-protected-build"], protectedRefsOnly: true, groupRunner: { reason: "a group runner kept for the whole group's builds" } }, { name: "test", tags: ["acme-ci-staging-protected-test"], protectedRefsOnly: true }] } };
    });
    expect(found.problems).toEqual(["build: controls-host"]);
  });

  test("a host path volume that controls the host (the docker socket mounted by hand) counts like socket binding", () => {
    const socketVolume = (e: EnvironmentConfig): EnvironmentConfig => ({
      ...e,
      runners: { ...e.runners!, runners: e.runners!.runners.map((r): RunnerConfigEntry => (r.name === "build" ? { ...r, dockerAccess: "none", builder: "none", volumes: ["/var/run/docker.sock:/var/run/docker.sock"] } : r)) },
    });
    expect(stagingWith((e) => socketVolume(withoutDeployPool(e))).problems).toEqual(["build: controls-host"]);
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["/var/run/docker.sock:/var/run/docker.sock"] })).toBe(true);
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["gomod:/go/pkg/mod"] })).toBe(false);
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["/:/host:ro"] })).toBe(true);
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["/etc/gitlab-runner:/x"] })).toBe(true);
    // A read-only host directory, a container path and a named volume do not give the host.
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["/srv/gomod:/go/pkg/mod:ro", "/cache", "gomod:/go/pkg/mod"] })).toBe(false);
    expect(rootOnHost({ dockerAccess: "none", privileged: true })).toBe(true);
  });

  test("fault: a writable host directory outside the forbidden list (/usr/local/bin, systemd units, cron) let a build job of another project plant what the host runs as root, and the deploy jobs were still routed to its hosts", () => {
    for (const volume of ["/usr/local/bin:/tools", "/etc/systemd/system:/units", "/etc/cron.d:/cron", "/usr:/hostusr", "/var/log:/logs", "/srv/gomod:/go/pkg/mod", "/srv/gomod:/go/pkg/mod:rw", "/opt:/opt:z"]) {
      const hostVolume = (e: EnvironmentConfig): EnvironmentConfig => ({
        ...e,
        runners: { ...e.runners!, runners: e.runners!.runners.map((r): RunnerConfigEntry => (r.name === "build" ? { ...r, dockerAccess: "none", builder: "none", volumes: [volume] } : r)) },
      });
      expect({ volume, problems: stagingWith((e) => hostVolume(withoutDeployPool(e))).problems }).toEqual({ volume, problems: ["build: controls-host"] });
      expect({ volume, root: rootOnHost({ dockerAccess: "none", privileged: false, volumes: [volume] }) }).toEqual({ volume, root: true });
    }
    // Read-only: files leak, nothing is planted; unless the path itself controls the host.
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["/usr/local/bin:/tools:ro"] })).toBe(false);
    expect(rootOnHost({ dockerAccess: "none", privileged: false, volumes: ["/var/lib/docker:/d:ro"] })).toBe(true);
  });

  test("fault kind: a registration of another pool carrying the deploy jobs' tag adds its hosts (GitLab gives the job to any runner with all its tags)", () => {
    const found = stagingWith((e) => ({
      ...e,
      gitlab: {
        ...e.gitlab,
        runners: [
          { name: "build", tags: ["acme-ci-staging-protected-build", "acme-ci-staging-deploy"], protectedRefsOnly: true },
          { name: "test", tags: ["acme-ci-staging-protected-test"], protectedRefsOnly: true },
          { name: "deploy", tags: ["acme-ci-staging-deploy"], protectedRefsOnly: true },
        ],
      },
    }));
    expect(found.hostPools).toEqual(["protected", "deploy"]);
    expect(found.problems).toEqual(["build: controls-host"]);
    expect(takesJobTagged({ tags: ["a", "b"] }, ["a"])).toBe(true);
    expect(takesJobTagged({ tags: ["a"] }, ["a", "b"])).toBe(false);
    expect(takesJobTagged({ tags: ["a"], untagged: true }, [])).toBe(true);
    expect(takesJobTagged({ tags: ["a"] }, [])).toBe(false);
  });

  test("a runner on the hosts whose token is made outside the platform (tokenParameterName) takes jobs set in GitLab by hand: refused", () => {
    const found = stagingWith((e) => {
      const one = protectedServing(["acme/app"])(withoutDeployPool(e));
      return { ...one, runners: { ...one.runners!, runners: one.runners!.runners.map((r) => (r.name === "build" ? { ...r, tokenParameterName: "/acme-ci/staging/runner/build/by-hand" } : r)) } };
    });
    expect(found.problems).toEqual(["build: unregistered"]);
  });
});
