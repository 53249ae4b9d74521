/*
 * Attack paths through the runners, evaluated on the synthesized JSON of all
 * stacks together: where can an actor's job land, and what do those hosts
 * reach (tokens, cache prefixes, repositories)? On the example app, on named
 * faults, and on generated configurations.
 */
import fc from "fast-check";
import { ValidationError } from "../../lib/core/errors";
import { cachePathOf } from "../../lib/platform/tenancy";
import { type EnvironmentConfig, type PlatformConfig, type RunnerConfigEntry, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { actorsFor } from "../support/gitlab-actors";
import { violationOf } from "../support/synth";
import { hostPullViolations, modelsOf } from "./host-pulls";
import { type SynthJson } from "../support/synth";
import { copiedStacks, policyText, plantableResources } from "./planted";
import { type StackModel, stackModelOf } from "./runner-model";
import { exampleScenario } from "./scenario";
import { controlsHost, hostsOf, type Job, reachOf, registrationsFor, tokensReadBy } from "./runner-routing";

const tenantsIn = (config: PlatformConfig) => [...new Set(config.environments.flatMap((e) => e.gitlab.projects.map((p) => (typeof p === "string" ? p : p.path))))];
const unprotectedActors = (config: PlatformConfig) =>
  tenantsIn(config).flatMap((path) => actorsFor(path, { defaultBranch: "main", releaseTag: "v1.2.3" }).filter((a) => !a.refProtected));
/** Every single-tag job and the untagged job: a job with more tags lands on a subset of where its single tags land. */
const tagChoices = (models: readonly StackModel[]) => [[], ...[...new Set(models.flatMap((m) => m.registrations.flatMap((r) => r.tags)))].map((t) => [t])];
const unprotectedJobs = (config: PlatformConfig, models: readonly StackModel[]): Job[] =>
  unprotectedActors(config).flatMap((actor) => tagChoices(models).map((tags) => ({ projectPath: actor.projectPath, refProtected: false, tags })));

/**
 * Docker-autoscaler runners that take unprotected jobs and reuse or share a worker:
 * anything but `max_use_count = 1` and `capacity_per_instance = 1` read from the
 * manager's config.toml in the synthesized user data. One untrusted job could
 * otherwise leave a backdoor for the next job on the same VM, or watch a job
 * running beside it.
 */
function reusedUntrustedWorkers(models: readonly StackModel[]): Array<{ runner: string; maxUseCount: number; capacityPerInstance: number }> {
  return models.flatMap((model) =>
    model.registrations
      .filter((r) => r.accessLevel === "not_protected")
      .flatMap((registration) =>
        hostsOf(registration, models).flatMap((host) =>
          host.runners
            .filter((r) => r.tokenParameter === registration.tokenParameter && r.autoscaler !== undefined)
            .map((r) => ({ runner: `${model.stack}/${r.name}`, ...r.autoscaler! })),
        ),
      )
      .filter((w) => w.maxUseCount !== 1 || w.capacityPerInstance !== 1),
  );
}

/** The attack-path properties every configuration the platform accepts must have. */
function assertRunnerBoundaries(config: PlatformConfig, models: readonly StackModel[]): void {
  // No unprotected job lands on a socket-binding or privileged host, or on a host that also serves protected jobs.
  for (const job of unprotectedJobs(config, models)) {
    for (const registration of registrationsFor(job, models)) {
      expect({ job, runner: registration.description, controlsHost: controlsHost(registration, models) }).toEqual({ job, runner: registration.description, controlsHost: false });
      const model = models.find((m) => m.stack === registration.stack)!;
      const protectedOnSameHosts = hostsOf(registration, models).flatMap((host) =>
        host.runners.filter((r) => model.registrations.some((reg) => reg.tokenParameter === r.tokenParameter && reg.accessLevel === "ref_protected")).map((r) => r.name),
      );
      expect({ job, runner: registration.description, protectedOnSameHosts }).toEqual({ job, runner: registration.description, protectedOnSameHosts: [] });
    }
  }
  // Unprotected pools' host roles: only their own tokens, only the unprotected cache prefix, no push to protected repositories.
  for (const model of models) {
    const env = config.environments.find((e) => e.name === model.stack)!;
    const prefixes = { protected: cachePathOf(env, "protected"), unprotected: cachePathOf(env, "unprotected") };
    const unprotectedRoles = new Set(
      model.registrations.filter((r) => r.accessLevel === "not_protected").flatMap((r) => hostsOf(r, models).map((h) => h.role)),
    );
    for (const role of unprotectedRoles) {
      const reach = reachOf(model, role, [prefixes.protected, prefixes.unprotected]);
      expect({ role, tokens: tokensReadBy(model, role).filter((r) => r.accessLevel === "ref_protected").map((r) => r.description) }).toEqual({ role, tokens: [] });
      expect({ role, writes: reach.cacheWrites, reads: reach.cacheReads }).toEqual({ role, writes: reach.cacheWrites.filter((p) => p !== prefixes.protected), reads: reach.cacheReads.filter((p) => p !== prefixes.protected) });
      expect({ role, pushes: reach.pushes.filter((name) => !name.includes("/unprotected/")) }).toEqual({ role, pushes: [] });
    }
  }
  // Jobs of one environment (tagged for it) never land on another's runners; untagged jobs reach at most one environment.
  for (const model of models) {
    for (const tag of new Set(model.registrations.flatMap((r) => r.tags))) {
      for (const projectPath of tenantsIn(config)) {
        for (const refProtected of [true, false]) {
          const stacks = registrationsFor({ projectPath, refProtected, tags: [tag] }, models).map((r) => r.stack);
          expect({ tag, stacks: [...new Set(stacks)] }).toEqual({ tag, stacks: stacks.length > 0 ? [model.stack] : [] });
        }
      }
    }
  }
  for (const projectPath of tenantsIn(config)) {
    expect(new Set(registrationsFor({ projectPath, refProtected: true, tags: [] }, models).map((r) => r.stack)).size).toBeLessThanOrEqual(1);
  }
  // Workers of docker-autoscaler runners that take unprotected jobs are single-use and run one job at a time.
  expect({ reusedUntrustedWorkers: reusedUntrustedWorkers(models) }).toEqual({ reusedUntrustedWorkers: [] });
}

describe("attack paths through the runners: the example app", () => {
  const models = modelsOf(exampleConfig);

  test("the model reads registrations, hosts, token parameters, key and role policies from the JSON", () => {
    const dev = models.find((m) => m.stack === "dev")!;
    expect(dev.registrations.map((r) => r.tags[0]).sort()).toEqual(["acme-ci-dev-protected-build", "acme-ci-dev-protected-test", "acme-ci-dev-unprotected-mr"]);
    // Hosts that run gitlab-runner: the protected fleet and the unprotected pool's docker-autoscaler manager.
    const runnerHosts = dev.hosts.filter((h) => h.runners.length > 0);
    expect(runnerHosts.map((h) => h.runners.map((r) => r.name))).toEqual([["build", "test"], ["mr"]]);
    expect(runnerHosts.every((h) => dev.rolePolicies.has(h.role))).toBe(true);
    // The manager's single-use workers run the jobs: no runner, no token, no role at all.
    expect(dev.hosts.filter((h) => h.runners.length === 0).map((h) => [h.id, h.role])).toEqual([[expect.stringMatching(/unprotected-autoscaler_workers-mr/), ""]]);
    expect(dev.keyPolicies.size).toBe(1);
    const build = dev.registrations.find((r) => r.tags[0] === "acme-ci-dev-protected-build")!;
    expect(build.scope).toEqual({ kind: "project", paths: ["acme/app", "acme/web", "acme/toolbox"] });
    expect(controlsHost(build, models)).toBe(true);
  });

  test("unprotected actors land only on dev's unprotected pool, never on a socket-binding, privileged, staging or production host", () => {
    const landings = unprotectedJobs(exampleConfig, models).flatMap((job) => registrationsFor(job, models).map((r) => r.description));
    expect([...new Set(landings)]).toEqual(["acme-ci dev mr"]);
    assertRunnerBoundaries(exampleConfig, models);
  });

  test("a protected job lands on its own environment's protected runners only when tagged for them", () => {
    const job = { projectPath: "acme/app", refProtected: true };
    expect(registrationsFor({ ...job, tags: ["acme-ci-production-deploy"] }, models).map((r) => r.description)).toEqual(["acme-ci production deploy"]);
    expect(registrationsFor({ ...job, tags: ["acme-ci-staging-protected-build"] }, models).map((r) => r.description)).toEqual(["acme-ci staging build"]);
    expect(registrationsFor({ ...job, tags: [] }, models)).toEqual([]);
  });

  test("the checks catch a broken boundary: the build runner's registration turned not_protected in the model", () => {
    const broken = models.map((m) => ({
      ...m,
      registrations: m.registrations.map((r) => (r.tags[0] === "acme-ci-dev-protected-build" ? { ...r, accessLevel: "not_protected" as const } : r)),
    }));
    expect(() => assertRunnerBoundaries(exampleConfig, broken)).toThrow(/controlsHost/);
  });

  test("worker reuse: every docker-autoscaler runner taking unprotected jobs has max_use_count 1 and capacity_per_instance 1 in the manager's synthesized config.toml", () => {
    const untrusted = models.flatMap((m) =>
      m.registrations
        .filter((r) => r.accessLevel === "not_protected")
        .flatMap((reg) => hostsOf(reg, models).flatMap((h) => h.runners.filter((r) => r.tokenParameter === reg.tokenParameter).map((r) => [`${m.stack}/${r.name}`, r.autoscaler]))),
    );
    // The example's only unprotected pool (dev's mr) runs in docker-autoscaler mode, on single-use workers.
    expect(untrusted).toEqual([["dev/mr", { maxUseCount: 1, capacityPerInstance: 1, groupName: "acme-ci-dev-unprotected-mr-workers" }]]);
    expect(reusedUntrustedWorkers(models)).toEqual([]);
  });

  test("the checks catch worker reuse: the unprotected manager's runner with max_use_count 50 (even with a reason) or capacity_per_instance 2 in the model", () => {
    for (const autoscaler of [{ maxUseCount: 50, capacityPerInstance: 1 }, { maxUseCount: 1, capacityPerInstance: 2 }, { maxUseCount: Number.NaN, capacityPerInstance: 1 }]) {
      const broken = models.map((m) => ({ ...m, hosts: m.hosts.map((h) => ({ ...h, runners: h.runners.map((r) => (r.autoscaler ? { ...r, autoscaler } : r)) })) }));
      expect(() => assertRunnerBoundaries(exampleConfig, broken)).toThrow(/reusedUntrustedWorkers/);
    }
  });

  test("fault: a customer-managed policy (aws_iam_policy + attachment) on the unprotected manager's role with s3 and ecr on * changes its reach and fails the checks (the runner model read inline policies only)", () => {
    const json = new Map([...exampleScenario().json].filter(([stack]) => exampleConfig.environments.some((e) => e.name === stack)));
    const dev = models.find((m) => m.stack === "dev")!;
    const mr = dev.registrations.find((r) => r.accessLevel === "not_protected")!;
    const manager = hostsOf(mr, models).find((h) => h.runners.length > 0)!.role;
    const before = reachOf(dev, manager, [cachePathOf(exampleConfig.environments[0]!, "protected")]);
    const plantedWith = (mutate: (devJson: SynthJson) => void): StackModel[] => {
      const copy = copiedStacks(json);
      mutate(copy.get("dev")!);
      return [...copy].map(([stack, j]) => stackModelOf(stack, j));
    };
    const wide = policyText({ Effect: "Allow", Action: ["s3:*", "ecr:*"], Resource: "*" });
    const forms: Record<string, (devJson: SynthJson) => void> = {
      "aws_iam_policy + aws_iam_role_policy_attachment": (j) => {
        plantableResources(j, "aws_iam_policy").planted = { name: "planted", policy: wide };
        plantableResources(j, "aws_iam_role_policy_attachment").planted = { role: `\${aws_iam_role.${manager}.name}`, policy_arn: "${aws_iam_policy.planted.arn}" };
      },
      "aws_iam_policy_attachment (roles)": (j) => {
        plantableResources(j, "aws_iam_policy").planted = { name: "planted", policy: wide };
        plantableResources(j, "aws_iam_policy_attachment").planted = { name: "planted", roles: [`\${aws_iam_role.${manager}.name}`], policy_arn: "${aws_iam_policy.planted.arn}" };
      },
      "aws_iam_role.inline_policy": (j) => {
        const role = plantableResources(j, "aws_iam_role")[manager]!;
        role.inline_policy = [...((role.inline_policy as unknown[] | undefined) ?? []), { name: "planted", policy: wide }];
      },
      "aws_iam_role.managed_policy_arns AdministratorAccess": (j) => {
        plantableResources(j, "aws_iam_role")[manager]!.managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"];
      },
    };
    for (const [form, mutate] of Object.entries(forms)) {
      const broken = plantedWith(mutate);
      const reach = reachOf(broken.find((m) => m.stack === "dev")!, manager, [cachePathOf(exampleConfig.environments[0]!, "protected")]);
      expect({ form, pushesProtected: reach.pushes.some((n) => !n.includes("/unprotected/")), writesProtected: reach.cacheWrites.length > before.cacheWrites.length }).toEqual({ form, pushesProtected: true, writesProtected: true });
      expect(() => assertRunnerBoundaries(exampleConfig, broken)).toThrow(/pushes|writes/);
    }
    expect(before.pushes.every((n) => n.includes("/unprotected/"))).toBe(true);
  });

  // ---- One test per runner fault of the issue (each fails on the old defaults) ----

  test("fault: a shared tag across environments (every environment registered <project>-build)", () => {
    const stacksByTag = new Map<string, Set<string>>();
    for (const m of models) for (const r of m.registrations) for (const t of r.tags) stacksByTag.set(t, new Set([...(stacksByTag.get(t) ?? []), m.stack]));
    expect([...stacksByTag].filter(([, stacks]) => stacks.size > 1)).toEqual([]);
    const shared = structuredClone(exampleConfig) as PlatformConfig & { environments: EnvironmentConfig[] };
    (shared.environments[2] as { gitlab: unknown }).gitlab = { ...shared.environments[2]!.gitlab, runners: [{ name: "build", tags: ["acme-ci-dev-protected-build"], protectedRefsOnly: true }, { name: "test", tags: ["x"], protectedRefsOnly: true }, { name: "deploy", tags: ["y"], protectedRefsOnly: true }] };
    expect(violationOf(() => validateConfig(shared)).message).toMatch(/^config\/environments\[2\]\/gitlab\/runners\[0\]: invalid runner registration .*shared tag\(s\) acme-ci-dev-protected-build/);
  });

  test("fault: an untagged production runner", () => {
    expect(models.filter((m) => m.stack !== "dev").flatMap((m) => m.registrations.filter((r) => r.untagged).map((r) => r.description))).toEqual([]);
    const config = structuredClone(exampleConfig) as PlatformConfig;
    const production = config.environments[2] as unknown as { gitlab: Record<string, unknown> };
    production.gitlab = { ...production.gitlab, runners: [{ name: "build", untagged: true, protectedRefsOnly: true }, { name: "test", tags: ["t"], protectedRefsOnly: true }, { name: "deploy", tags: ["d"], protectedRefsOnly: true }] };
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[2\]\/gitlab\/runners\[0\]: invalid untagged .*Rule: a production runner takes only jobs tagged for it/);
  });

  test("fault: socket binding on a runner that takes unprotected jobs", () => {
    for (const m of models) {
      for (const r of m.registrations.filter((reg) => controlsHost(reg, models))) expect({ runner: r.description, access: r.accessLevel }).toEqual({ runner: r.description, access: "ref_protected" });
    }
    const config = structuredClone(exampleConfig) as PlatformConfig;
    const dev = config.environments[0] as unknown as { runners: { unprotected: { runners: RunnerConfigEntry[] } } };
    dev.runners.unprotected.runners = [{ name: "mr", limit: 2, dockerAccess: "socket-binding", image: "docker:27" }];
    expect(violationOf(() => validateConfig(config)).message).toMatch(/^config\/environments\[0\]\/runners\/unprotected\/runners\[0\]: invalid docker access/);
    const optedOut = structuredClone(exampleConfig) as PlatformConfig;
    (optedOut.environments[0] as unknown as { gitlab: Record<string, unknown> }).gitlab = {
      ...optedOut.environments[0]!.gitlab,
      runners: [{ name: "build", tags: ["b"] }, { name: "test", tags: ["t"], protectedRefsOnly: true }, { name: "mr", tags: ["m"] }],
    };
    expect(violationOf(() => validateConfig(optedOut)).message).toMatch(/^config\/environments\[0\]\/gitlab\/runners\[0\]: invalid protectedRefsOnly .*bind the docker socket/);
  });

  test("fault: one cache prefix for both trust levels", () => {
    for (const m of models) {
      const env = exampleConfig.environments.find((e) => e.name === m.stack)!;
      for (const registration of m.registrations) {
        const trust = registration.accessLevel === "ref_protected" ? "protected" : "unprotected";
        for (const host of hostsOf(registration, models)) {
          const runner = host.runners.find((r) => r.tokenParameter === registration.tokenParameter)!;
          if (runner.cachePath !== undefined) expect({ runner: registration.description, path: runner.cachePath }).toEqual({ runner: registration.description, path: cachePathOf(env, trust) });
          const reach = reachOf(m, host.role, [cachePathOf(env, "protected"), cachePathOf(env, "unprotected")]);
          expect(reach.cacheWrites.every((p) => p === cachePathOf(env, trust))).toBe(true);
        }
      }
    }
  });

  test("fault: runner tokens under the AWS-managed aws/ssm key (readable with ssm:GetParameter alone)", () => {
    for (const m of models) {
      const tokens = new Set(m.registrations.map((r) => r.tokenParameter));
      expect(m.parameters.filter((p) => tokens.has(p.name) && p.key === "aws/ssm").map((p) => p.name)).toEqual([]);
      expect(m.parameters.filter((p) => tokens.has(p.name))).toHaveLength(m.registrations.length);
      // Each host role reads exactly the tokens of the runners on its hosts.
      for (const host of m.hosts) {
        const own = host.runners.map((r) => r.tokenParameter).sort();
        expect(tokensReadBy(m, host.role).map((r) => r.tokenParameter).sort()).toEqual(own.filter((p) => m.registrations.some((r) => r.tokenParameter === p)));
      }
    }
  });
});

describe("attack paths through the runners: generated configurations", () => {
  const runnerEntry = (name: string) =>
    fc.oneof(
      fc.constant<RunnerConfigEntry>({ name, limit: 2, dockerAccess: "socket-binding", image: "docker:27" }),
      fc.constant<RunnerConfigEntry>({ name, limit: 2, dockerAccess: "dind", privileged: true, image: "docker:27" }),
      fc.constant<RunnerConfigEntry>({ name, limit: 2, dockerAccess: "none", image: "alpine:3.20" }),
      fc.constant<RunnerConfigEntry>({ name, limit: 2, dockerAccess: "none", builder: "buildkit-rootless", image: "alpine:3.20" }),
      fc.constant<RunnerConfigEntry>({ name, limit: 2, dockerAccess: "none", image: "alpine:3.20", volumes: ["/var/run:/host-run"] }),
    );
  // Which projects a pool's runners serve (every tenant by default), whether one runner of a pool
  // differs from the others (refused: they share hosts), and whether host-controlling runners
  // opt in to serving several projects.
  const projectSets = fc.constantFrom<readonly string[] | undefined>(undefined, ["acme/app"], ["acme/web", "acme/toolbox"], ["acme/toolbox"]);
  const environment = fc.record({
    protected: fc.array(runnerEntry("p"), { minLength: 1, maxLength: 2 }),
    unprotected: fc.option(fc.array(runnerEntry("u"), { minLength: 1, maxLength: 2 }), { nil: undefined }),
    // Mostly a deploy pool: production deploys, and deploy jobs on a protected pool with a host-controlling
    // runner of several projects are refused (their hosts would let one project's job take another's deploy).
    deploy: fc.constantFrom(true, true, true, false),
    projects: fc.record({ protected: projectSets, unprotected: projectSets, deploy: projectSets }),
    differ: fc.constantFrom(false, false, false, true),
    shared: fc.constantFrom(false, true, true),
  });
  const SHARED = { reason: "the projects share their Maintainers, who alone push protected refs" };

  test("a configuration the platform accepts keeps every runner boundary, and its host roles pull only what their runners serve; the rest fail validation", () => {
    const outcomes = { accepted: 0, refused: 0, narrowed: 0 };
    fc.assert(
      fc.property(fc.tuple(environment, environment), ([dev, production]) => {
        const pools = [dev, production];
        const config: PlatformConfig = {
          ...exampleConfig,
          environments: exampleConfig.environments
            .filter((e) => e.name !== "staging")
            .map((e, i) => {
              const pool = pools[i]!;
              const name = (prefix: string, j: number) => `${prefix}${j}`;
              const entry = (r: RunnerConfigEntry, prefix: string, j: number, projects: readonly string[] | undefined): RunnerConfigEntry => ({
                ...r,
                name: name(prefix, j),
                // The second runner of a pool serves every project when `differ` is set (refused unless the pool already does).
                ...((pool.differ && j === 1 ? undefined : projects) ? { projects: (pool.differ && j === 1 ? undefined : projects)! } : {}),
                ...(pool.shared && (r.dockerAccess !== "none" || r.privileged) ? { sharedBetweenProjects: SHARED } : {}),
              });
              return {
                ...e,
                runners: {
                  ...e.runners!,
                  runners: pool.protected.map((r, j) => entry(r, "p", j, pool.projects.protected)),
                  unprotected: pool.unprotected ? { runners: pool.unprotected.map((r, j) => entry(r, "u", j, pool.projects.unprotected)) } : undefined,
                  deploy: pool.deploy ? (pool.projects.deploy ? { projects: pool.projects.deploy } : {}) : undefined,
                },
              } as EnvironmentConfig;
            }),
        };
        try {
          validateConfig(config);
        } catch (e) {
          if (e instanceof ValidationError) {
            outcomes.refused += 1;
            return;
          }
          throw e;
        }
        outcomes.accepted += 1;
        if (pools.some((p) => p.projects.protected !== undefined)) outcomes.narrowed += 1;
        const models = modelsOf(config);
        assertRunnerBoundaries(config, models);
        expect(hostPullViolations(config, models)).toEqual([]);
      }),
      { numRuns: 20, seed: 20261130 },
    );
    // Both branches were exercised: the generator yields safe and unsafe configurations, and some
    // accepted ones narrow which projects a pool serves.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.narrowed).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
