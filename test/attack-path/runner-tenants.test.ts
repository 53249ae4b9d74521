/*
 * Which tenants each runner serves, and what its hosts pull, on the example app
 * and on configurations that narrow or share runners (each a named fault).
 */
import { type PlatformConfig, type RunnerConfigEntry, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { violationOf } from "../support/synth";
import { hostPullViolations, modelsOf, servedProjectsOf } from "./host-pulls";
import { type StackModel } from "./runner-model";
import { controlsHost, hostsOf, reachOf } from "./runner-routing";

const TENANTS = ["acme/app", "acme/web", "acme/toolbox"];
type Mutable = { environments: { gitlab: Record<string, unknown>; runners: Record<string, unknown> }[] };

/** A copy of the example configuration changed by `edit`. */
function exampleWith(edit: (config: Mutable) => void): PlatformConfig {
  const config = structuredClone(exampleConfig) as unknown as Mutable;
  edit(config);
  return config as unknown as PlatformConfig;
}

/** The protected pool's runners of environment `i` with `projects` (and no sharing opt-in unless given). */
function protectedPool(config: Mutable, i: number, projects: readonly string[] | undefined, shared?: { reason: string }): void {
  const runners = config.environments[i]!.runners as { runners: RunnerConfigEntry[] };
  runners.runners = runners.runners.map((r) => {
    const { sharedBetweenProjects: _, ...rest } = r;
    return { ...rest, ...(projects ? { projects } : {}), ...(shared && r.dockerAccess !== "none" ? { sharedBetweenProjects: shared } : {}) };
  });
}

const pullsOf = (models: readonly StackModel[], stack: string, runnerTag: string) => {
  const model = models.find((m) => m.stack === stack)!;
  const registration = model.registrations.find((r) => r.tags.includes(runnerTag))!;
  return [...new Set(hostsOf(registration, models).flatMap((h) => reachOf(model, h.role, []).pulls))].sort();
};

describe("which tenants a runner serves (example app)", () => {
  const models = modelsOf(exampleConfig);

  test("fault: host roles pulled every tenant's repositories at both trust levels; now each pulls only what its runners serve, at their trust level", () => {
    expect(hostPullViolations(exampleConfig, models)).toEqual([]);
    // The protected pool pulls protected images only (protected jobs never run unprotected ones).
    expect(pullsOf(models, "dev", "acme-ci-dev-protected-build").filter((name) => name.includes("/unprotected/"))).toEqual([]);
    expect(pullsOf(models, "production", "acme-ci-production-deploy")).toEqual([
      "acme/production/app/app",
      "acme/production/app/app-ci",
      "acme/production/app/toolbox",
      "acme/production/toolbox/toolbox",
      "acme/production/web/app",
      "acme/production/web/app-ci",
      "acme/production/web/toolbox",
    ]);
  });

  test("fault: the unprotected pool's host role (docker-autoscaler manager) pulled protected images; now only the toolbox images, read-only", () => {
    const pulls = pullsOf(models, "dev", "acme-ci-dev-unprotected-mr");
    expect(pulls.filter((name) => !name.includes("/unprotected/"))).toEqual(["acme/dev/app/toolbox", "acme/dev/toolbox/toolbox", "acme/dev/web/toolbox"]);
    expect(pulls.filter((name) => name.includes("/unprotected/"))).toHaveLength(7);
    // Read-only: the manager pushes nothing.
    const dev = models.find((m) => m.stack === "dev")!;
    const manager = hostsOf(dev.registrations.find((r) => r.tags.includes("acme-ci-dev-unprotected-mr"))!, models)[0]!;
    expect(reachOf(dev, manager.role, []).pushes).toEqual([]);
  });

  test("fault: staging's and production's protected test and deploy runners were group runners; every ref_protected runner is a project runner of exactly its tenants", () => {
    for (const model of models) {
      for (const registration of model.registrations.filter((r) => r.accessLevel === "ref_protected")) {
        expect({ runner: registration.description, scope: registration.scope }).toEqual({ runner: registration.description, scope: { kind: "project", paths: TENANTS } });
      }
    }
    // The unprotected pool too: a group runner would also take jobs of projects the platform does not serve.
    expect(models.flatMap((m) => m.registrations.filter((r) => r.scope.kind !== "project").map((r) => r.description))).toEqual([]);
  });

  test("the example's socket-binding build runner serves its three projects by a reasoned opt-in", () => {
    const dev = models.find((m) => m.stack === "dev")!;
    const build = dev.registrations.find((r) => r.tags.includes("acme-ci-dev-protected-build"))!;
    expect(controlsHost(build, models)).toBe(true);
    expect(servedProjectsOf(build, exampleConfig.environments[0]!)).toEqual(TENANTS);
    expect(exampleConfig.environments.every((e) => (e.runners?.runners.find((r) => r.name === "build")?.sharedBetweenProjects?.reason.length ?? 0) >= 20)).toBe(true);
  });
});

describe("which tenants a runner serves (named faults)", () => {
  test("fault: a socket-binding runner shared by two projects without a reason is refused (path, value, rule, fix)", () => {
    const config = exampleWith((c) => protectedPool(c, 1, ["acme/app", "acme/web"]));
    expect(violationOf(() => validateConfig(config)).message).toMatch(
      /^config\/environments\[1\]\/runners\/runners\[0\]: invalid projects \{"runner":"build","projects":\["acme\/app","acme\/web"\]\}\. Rule: a runner whose jobs bind the docker socket or run privileged makes each job root on the host's docker daemon.*Fix: give the runner \(and the rest of its pool\) projects: \["acme\/app"\].*sharedBetweenProjects/,
    );
    // Privileged (docker-in-docker) the same.
    const dind = exampleWith((c) => {
      protectedPool(c, 0, undefined);
      (c.environments[0]!.runners as { runners: RunnerConfigEntry[] }).runners[0] = { name: "build", limit: 2, dockerAccess: "dind", privileged: true, image: "docker:27" };
    });
    expect(violationOf(() => validateConfig(dind)).message).toMatch(/^config\/environments\[0\]\/runners\/runners\[0\]: invalid projects .*"acme\/app","acme\/web","acme\/toolbox"/);
    // A reason too short to say anything is refused at the opt-in.
    const short = exampleWith((c) => protectedPool(c, 1, undefined, { reason: "trust me" }));
    expect(violationOf(() => validateConfig(short)).message).toMatch(/^config\/environments\[1\]\/runners\/runners\[0\]\/sharedBetweenProjects: invalid reason/);
  });

  test("fault: runners of one pool serving different projects (they share hosts and host role) are refused", () => {
    const config = exampleWith((c) => {
      protectedPool(c, 1, ["acme/app"]);
      (c.environments[1]!.runners as { runners: RunnerConfigEntry[] }).runners[1] = { name: "test", limit: 4, dockerAccess: "none", image: "alpine:3.20", projects: ["acme/web"] };
    });
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[1\]\/runners\/runners\[1\]: invalid projects .*"build":\["acme\/app"\].*Rule: the runners of the protected pool share hosts and one host role/);
  });

  test("bad input: a project that is not a tenant, and a group runner that narrows its projects", () => {
    const stranger = exampleWith((c) => protectedPool(c, 1, ["acme/other"]));
    expect(violationOf(() => validateConfig(stranger)).message).toMatch(/^config\/environments\[1\]\/runners\/runners\[0\]\/projects\[0\]: invalid project "acme\/other"\. Rule: a runner serves projects of the environment's gitlab.projects.*Fix: use one of acme\/app, acme\/web, acme\/toolbox/);
    const group = exampleWith((c) => {
      protectedPool(c, 1, ["acme/app"]);
      c.environments[1]!.gitlab = {
        ...c.environments[1]!.gitlab,
        runners: [
          { name: "build", tags: ["acme-ci-staging-protected-build"], protectedRefsOnly: true, groupRunner: { reason: "every project of the group is released by one team" } },
          { name: "test", tags: ["acme-ci-staging-protected-test"], protectedRefsOnly: true },
          { name: "deploy", tags: ["acme-ci-staging-deploy"], protectedRefsOnly: true },
        ],
      };
    });
    expect(violationOf(() => validateConfig(group)).message).toMatch(/^config\/environments\[1\]\/gitlab\/runners\[0\]: invalid groupRunner .*Rule: a group runner serves every project of the group/);
  });

  test("a pool narrowed to one project: a project runner of it only, and host roles that pull its images only", () => {
    const config = exampleWith((c) => {
      protectedPool(c, 1, ["acme/web"]);
      c.environments[1]!.runners.deploy = { projects: ["acme/web"] };
    });
    const models = modelsOf(config);
    const staging = models.find((m) => m.stack === "staging")!;
    for (const registration of staging.registrations) expect(registration.scope).toEqual({ kind: "project", paths: ["acme/web"] });
    // Staging declares no toolbox project, so the web tenant's own toolbox image is the only exception.
    expect(pullsOf(models, "staging", "acme-ci-staging-protected-build")).toEqual(["acme/staging/web/app", "acme/staging/web/app-ci", "acme/staging/web/toolbox"]);
    expect(pullsOf(models, "staging", "acme-ci-staging-deploy")).toEqual(["acme/staging/web/app", "acme/staging/web/app-ci", "acme/staging/web/toolbox"]);
    expect(hostPullViolations(config, models)).toEqual([]);
  });

  test("the pull check catches a host role that pulls a tenant its runner does not serve", () => {
    const models = modelsOf(exampleWith((c) => protectedPool(c, 1, ["acme/web"])));
    // Pretend staging's build runner served only acme/app: its host role's pulls of web's images are then violations.
    const narrowed = models.map((m) => ({
      ...m,
      registrations: m.registrations.map((r) => (r.tags.includes("acme-ci-staging-protected-build") ? { ...r, scope: { kind: "project" as const, paths: ["acme/app"] } } : r)),
    }));
    expect(hostPullViolations(exampleConfig, narrowed).map((v) => `${v.repository}: ${v.why}`)).toEqual(
      expect.arrayContaining(["acme/staging/web/app: tenant web is not served (acme/app)"]),
    );
  });
});
