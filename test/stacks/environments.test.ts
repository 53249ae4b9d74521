import { Testing } from "cdktf";
import { DOCKER_SOCKET_VOLUME, renderRunnerConfig } from "../../lib/runner/config-toml";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";
import { resourcesOf, type SynthJson } from "../support/synth";

// The differences between the example environments, asserted explicitly (the snapshots show
// them too, but a reviewer should not have to diff three stacks to see them).

const stacks = buildPlatform(Testing.app(), exampleConfig);
const json = new Map([...stacks.environments].map(([name, stack]) => [name, JSON.parse(Testing.synth(stack)) as SynthJson]));
const of = (env: string) => json.get(env)!;
const values = (env: string, type: string) => Object.values(resourcesOf(of(env), type));

type Group = { name: string; min_size: number; max_size: number; mixed_instances_policy: { instances_distribution: Record<string, unknown> } };
const groups = (env: string) => values(env, "aws_autoscaling_group") as unknown as Group[];
const group = (env: string, name: string) => groups(env).find((g) => g.name === name)!;
const distribution = (env: string, name = `acme-ci-${env}-runners`) => group(env, name).mixed_instances_policy.instances_distribution;

describe.each(["dev", "staging"])("%s: cheap and off at night", (env) => {
  test("all spot: no on-demand base, no on-demand share above it", () => {
    expect(distribution(env)).toEqual(expect.objectContaining({ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 0 }));
  });

  test("office-hours schedules in Europe/Berlin: up on weekday mornings, zero hosts in the evening", () => {
    const max = env === "dev" ? 4 : 2;
    const schedules = values(env, "aws_autoscaling_schedule").map((s) => ({ recurrence: s.recurrence, timeZone: s.time_zone, min: s.min_size, max: s.max_size }));
    // dev's unprotected pool is a docker-autoscaler manager: office hours are its idle policies, not schedules.
    expect(schedules).toHaveLength(2);
    expect(schedules).toEqual(
      expect.arrayContaining([
        { recurrence: "0 7 * * MON-FRI", timeZone: "Europe/Berlin", min: 1, max },
        { recurrence: "0 20 * * MON-FRI", timeZone: "Europe/Berlin", min: 0, max: 0 },
      ]),
    );
  });

  test("dev has no deploy fleet, staging one on-demand deploy host (its deploy jobs must not share the socket-binding build runner's hosts); the protected and deploy pools' registrations are ref_protected, only dev has an unprotected pool", () => {
    expect(stacks.environments.get(env)!.deployFleet === undefined).toBe(env === "dev");
    const unprotected = env === "dev" ? [`acme-ci-${env}-unprotected-manager`, `acme-ci-${env}-unprotected-mr-workers`] : [];
    const deploy = env === "staging" ? [`acme-ci-${env}-deploy-runners`] : [];
    expect(groups(env).map((g) => g.name).sort()).toEqual([`acme-ci-${env}-runners`, ...unprotected, ...deploy].sort());
    if (env === "staging") {
      expect({ min: group(env, "acme-ci-staging-deploy-runners").min_size, max: group(env, "acme-ci-staging-deploy-runners").max_size }).toEqual({ min: 1, max: 1 });
      expect(distribution(env, "acme-ci-staging-deploy-runners")).toEqual(expect.objectContaining({ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 100 }));
    }
    expect(values(env, "gitlab_user_runner").map((r) => r.access_level).sort()).toEqual([
      ...(env === "dev" ? ["not_protected"] : []),
      "ref_protected",
      "ref_protected",
      ...(env === "staging" ? ["ref_protected"] : []),
    ]);
  });

  test("no destroy protection: repositories without prevent_destroy, no Nexus data volume", () => {
    for (const repository of values(env, "aws_ecr_repository")) expect(repository).not.toHaveProperty("lifecycle");
    expect(values(env, "aws_ebs_volume")).toEqual([]);
  });
});

describe("production: always on, protected, longer retention", () => {
  test("an on-demand base of one host, spot above it", () => {
    expect(distribution("production")).toEqual(expect.objectContaining({ on_demand_base_capacity: 1, on_demand_percentage_above_base_capacity: 0 }));
  });

  test("no schedules: the fleet never scales to zero", () => {
    expect(values("production", "aws_autoscaling_schedule")).toEqual([]);
    expect(group("production", "acme-ci-production-runners").min_size).toBe(1);
  });

  test("a separate deploy fleet: its own on-demand hosts, registered for protected refs only, without the docker socket", () => {
    const environment = stacks.environments.get("production")!;
    const deploy = environment.deployFleet!;
    expect(distribution("production", "acme-ci-production-deploy-runners")).toEqual(
      expect.objectContaining({ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 100 }),
    );
    expect(deploy.hostRole).not.toBe(environment.runnerFleet!.hostRole);
    const registrations = Object.fromEntries(values("production", "gitlab_user_runner").map((r) => [r.description, r.access_level]));
    expect(registrations["acme-ci production deploy"]).toBe("ref_protected");
    expect(deploy.runnerConfig.runners.map((r) => r.docker.dockerAccess)).toEqual(["none"]);
    // config.toml as the hosts get it: the build fleet binds the socket (why deploy jobs get their own hosts).
    expect(renderRunnerConfig("deploy", deploy.runnerConfig)).not.toContain(DOCKER_SOCKET_VOLUME);
    expect(renderRunnerConfig("build", environment.runnerFleet!.runnerConfig)).toContain(DOCKER_SOCKET_VOLUME);
  });

  test("prevent_destroy on every repository and on the Nexus data volume", () => {
    const repositories = values("production", "aws_ecr_repository");
    // Protected repositories only: production has no unprotected pool, so no unprotected copies.
    expect(repositories).toHaveLength(7);
    for (const repository of repositories) expect(repository.lifecycle).toEqual({ prevent_destroy: true });
    expect(values("production", "aws_ebs_volume").map((v) => v.lifecycle)).toEqual([{ prevent_destroy: true }]);
  });
});

describe("retention per environment", () => {
  const commitCount = (env: string) => {
    const policy = JSON.parse(values(env, "aws_ecr_lifecycle_policy")[0]!.policy as string) as { rules: Array<{ selection: Record<string, unknown> }> };
    return policy.rules.find((r) => (r.selection.tagPrefixList as string[] | undefined)?.[0] === "sha-")!.selection.countNumber;
  };
  // The cache bucket's rule (the access-log bucket has a lifecycle of its own, id expire-access-logs).
  const cacheExpiry = (env: string) =>
    values(env, "aws_s3_bucket_lifecycle_configuration")
      .flatMap((l) => l.rule as Array<{ id: string; expiration?: Array<{ days: number }> }>)
      .find((r) => r.id === "expire-runner-cache")!.expiration![0]!.days;

  test.each([
    ["dev", 100, 7],
    ["staging", 100, 14],
    ["production", 300, 30],
  ])("%s keeps %d commit images and expires cache objects after %d days", (env, commits, days) => {
    expect(commitCount(env)).toBe(commits);
    expect(cacheExpiry(env)).toBe(days);
  });
});

describe("outputs", () => {
  const common = [
    "ci-variable-names",
    "mirror-image-prefixes",
    "mirror-registry-mirrors",
    "repository-url-app-app",
    "repository-url-app-app-ci",
    "repository-url-app-toolbox",
    "repository-url-toolbox-toolbox",
    "role-arn-app-deployment",
    "role-arn-app-protected",
    "role-arn-runner-host",
    "role-arn-toolbox-protected",
    "role-arn-web-deployment",
    "role-arn-web-protected",
    "repository-url-web-app",
    "repository-url-web-app-ci",
    "repository-url-web-toolbox",
    "runner-cache-bucket",
    "runner-group-name",
    "runner-pools",
  ];

  test.each(["dev", "staging", "production"])("%s has every common output, with a static id", (env) => {
    expect(Object.keys(of(env).output!)).toEqual(expect.arrayContaining(common));
  });

  test("staging has the common ones and its deploy fleet; dev adds the unprotected pool (its hosts, and the tenants' unprotected roles and repositories), production the deploy fleet and the Nexus mirror", () => {
    expect(Object.keys(of("dev").output!).filter((k) => !common.includes(k)).sort()).toEqual([
      "repository-url-app-unprotected-app",
      "repository-url-app-unprotected-app-ci",
      "repository-url-app-unprotected-toolbox",
      "repository-url-toolbox-unprotected-toolbox",
      "repository-url-web-unprotected-app",
      "repository-url-web-unprotected-app-ci",
      "repository-url-web-unprotected-toolbox",
      "role-arn-app-unprotected",
      "role-arn-toolbox-unprotected",
      "role-arn-unprotected-runner-host",
      "role-arn-web-unprotected",
      "unprotected-runner-group-name",
    ]);
    expect(Object.keys(of("staging").output!).filter((k) => !common.includes(k)).sort()).toEqual(["deploy-runner-group-name", "role-arn-deploy-runner-host"]);
    expect(Object.keys(of("production").output!).filter((k) => !common.includes(k)).sort()).toEqual([
      "deploy-runner-group-name",
      "mirror-admin-password-parameter",
      "mirror-url",
      "role-arn-deploy-runner-host",
    ]);
  });

  test("the CI variable names are the keys of the group variables the stack creates", () => {
    for (const env of ["dev", "staging", "production"]) {
      const names = of(env).output!["ci-variable-names"]!.value as string[];
      expect([...names].sort()).toEqual(values(env, "gitlab_group_variable").map((v) => String(v.key)).sort());
    }
  });
});
