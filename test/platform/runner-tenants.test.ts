import fc from "fast-check";
import { hostPullsOf, servedTenantsOf, toolboxPullsOf } from "../../lib/platform/runner-tenants";
import { type EnvironmentConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";

const dev = exampleConfig.environments[0]!;
const PATHS = ["grp/app", "grp/web", "grp/tools", "grp/team/api"];

/** An environment with generated tenants (each with some of app/ci/toolbox) and maybe a toolbox project. */
const environment = fc
  .record({
    tenants: fc.uniqueArray(fc.record({ path: fc.constantFrom(...PATHS), ids: fc.subarray(["app", "ci", "toolbox"], { minLength: 1 }) }), { minLength: 1, maxLength: 4, selector: (t) => t.path }),
    toolboxProject: fc.option(fc.constantFrom(...PATHS), { nil: undefined }),
  })
  .map(({ tenants, toolboxProject }): EnvironmentConfig => ({
    ...dev,
    gitlab: {
      url: "https://gitlab.example.com",
      group: "grp",
      projects: tenants.map((t) => ({ path: t.path, repositories: t.ids.map((id) => ({ id, description: id })) })),
      ...(toolboxProject ? { toolboxProject: { path: toolboxProject } } : {}),
    },
    registry: { repositories: [{ id: "app", description: "app" }] },
  }));

describe("what a pool's host role pulls (hostPullsOf)", () => {
  test("property: only the served tenants' repositories at the pool's trust level, all of them, plus the toolbox images read-only", () => {
    fc.assert(
      fc.property(environment, fc.constantFrom("protected" as const, "unprotected" as const), fc.boolean(), fc.nat(), (env, trust, all, pick) => {
        const tenants = servedTenantsOf(env, undefined);
        const projects = all ? undefined : [tenants[pick % tenants.length]!.path];
        const served = servedTenantsOf(env, projects);
        const pulls = hostPullsOf(env, trust, served, "toolbox");
        const servedNames = new Set(served.map((t) => t.name));
        const owner = tenants.find((t) => t.path === env.gitlab.toolboxProject?.path);
        for (const pull of pulls) {
          const isToolbox = pull.repositoryId === "toolbox" && pull.trust === "protected";
          // Another tenant's repository: only the toolbox project's toolbox image.
          if (!servedNames.has(pull.tenant)) expect({ pull, isToolbox, owner: owner?.name }).toEqual({ pull, isToolbox: true, owner: pull.tenant });
          // An unprotected pool reads no protected repository but the toolbox images; a protected pool no unprotected one.
          if (trust === "unprotected" && pull.trust === "protected") expect({ pull, isToolbox }).toEqual({ pull, isToolbox: true });
          if (trust === "protected") expect(pull.trust).toBe("protected");
        }
        // Complete: every repository of a served tenant at the pool's trust level.
        for (const tenant of served) {
          for (const repo of tenant.repositories) expect(pulls).toContainEqual({ tenant: tenant.name, repositoryId: repo.id, trust });
        }
        expect(new Set(pulls.map((p) => JSON.stringify(p))).size).toBe(pulls.length);
      }),
      { numRuns: 200 },
    );
  });

  test("the example's unprotected pool: unprotected copies of every tenant and the protected toolbox images", () => {
    const served = servedTenantsOf(dev, undefined);
    const pulls = hostPullsOf(dev, "unprotected", served, "toolbox");
    expect(pulls.filter((p) => p.trust === "protected")).toEqual(toolboxPullsOf(dev, served, "toolbox"));
    expect(toolboxPullsOf(dev, servedTenantsOf(dev, ["acme/app"]), "toolbox").map((p) => p.tenant)).toEqual(["app", "toolbox"]);
    expect(toolboxPullsOf(dev, served, undefined)).toEqual([]);
  });
});
