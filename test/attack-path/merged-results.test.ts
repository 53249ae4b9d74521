/*
 * Merged-results pipelines from a protected branch (merged-results.ts): the actor exists only when
 * the synthesized stacks leave the setting open; on the example app every environment stack checks
 * it at plan time, so the actor does not exist; without the check the suite reports the path.
 */
import { subClaimOf } from "../support/gitlab-actors";
import { type SynthJson } from "../support/synth";
import { admittedActors, boundaryViolations } from "./boundaries";
import { checksMergedResults, mergedResultsPossible, projectsKeepingMergedResultsOff } from "./merged-results";
import { type Json, plantedIn } from "./planted";
import { exampleScenario, tenantActors } from "./scenario";

const base = exampleScenario();
const dev = base.environments.find((e) => e.config.name === "dev")!;
const app = dev.tenants.find((t) => t.name === "app")!;
const toolbox = dev.tenants.find((t) => t.name === "toolbox")!;

/** Drops the merged-results postcondition from every `gitlab_project` data source of `project` in `stack` (as a stack built before the check). */
function withoutCheck(json: Map<string, SynthJson>, stack: string, project: string): void {
  for (const data of Object.values((json.get(stack)!.data!.gitlab_project ?? {}) as Record<string, Json>)) {
    const lifecycle = data.lifecycle as { postcondition: { condition: string }[] } | undefined;
    if (data.path_with_namespace !== project || lifecycle === undefined) continue;
    lifecycle.postcondition = lifecycle.postcondition.filter((p) => !p.condition.includes("merge_pipelines_enabled"));
  }
}

describe("attack paths: merged-results pipelines of a merge request from a protected branch", () => {
  test("the actor carries the default branch's sub claim (what IAM sees of main's own pipelines)", () => {
    const actors = tenantActors(app, { mergedResultsPipelines: true });
    const merged = actors.find((a) => a.kind === "merged-results-from-protected-branch")!;
    const main = actors.find((a) => a.kind === "protected-default-branch")!;
    expect(subClaimOf(merged)).toBe(subClaimOf(main));
    expect({ trust: merged.trust, refProtected: merged.refProtected, stoppedByRefProtection: merged.stoppedByRefProtection }).toEqual({ trust: "unprotected", refProtected: false, stoppedByRefProtection: false });
    // Without merged-results pipelines it does not exist.
    expect(tenantActors(app).map((a) => a.kind)).not.toContain("merged-results-from-protected-branch");
  });

  test("on the example app every environment stack checks the setting for every tenant, so the actor does not exist and nothing is reported", () => {
    for (const env of base.environments) {
      for (const tenant of env.tenants) expect([env.config.name, tenant.path, checksMergedResults(base.json.get(env.config.name)!, tenant.path)]).toEqual([env.config.name, tenant.path, true]);
    }
    for (const tenant of dev.tenants) {
      expect(mergedResultsPossible(base, tenant)).toBe(false);
      expect(admittedActors(base, tenant).map((a) => a.kind)).not.toContain("merged-results-from-protected-branch");
    }
    expect(boundaryViolations(base)).toEqual([]);
  });

  test("fault: without the plan-time check in one environment stack the suite reports the path to the protected and deployment roles", () => {
    const open = plantedIn(base, (json) => withoutCheck(json, "staging", app.path));
    expect(mergedResultsPossible(open, app)).toBe(true);
    const found = boundaryViolations(open).filter((v) => v.startsWith("merged-results-from-protected-branch "));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^merged-results-from-protected-branch acme\/app branch main: reaches acme-ci-dev-app-protected, which pushes acme\/dev\/app\/app, run by protected pipelines$/),
        expect.stringMatching(/^merged-results-from-protected-branch acme\/app branch main: reaches the deployment role acme-ci-production-app-deployment$/),
      ]),
    );
    // Only the project whose check is missing.
    expect(found.every((v) => v.includes(" acme/app "))).toBe(true);
  });

  test("a project resource the platform manages with both settings off rules the actor out without the data-source check; turned on, it does not", () => {
    // The toolbox project is created in gitlab-shared (managedProject): both settings false.
    expect(projectsKeepingMergedResultsOff(base.json.get("gitlab-shared")!)).toContain(toolbox.path);
    const unchecked = plantedIn(base, (json) => base.environments.forEach((e) => withoutCheck(json, e.config.name, toolbox.path)));
    expect(mergedResultsPossible(unchecked, toolbox)).toBe(false);
    const enabled = plantedIn(unchecked, (json) => {
      for (const project of Object.values((json.get("gitlab-shared")!.resource!.gitlab_project ?? {}) as Record<string, Json>)) project.merge_trains_enabled = true;
    });
    expect(mergedResultsPossible(enabled, toolbox)).toBe(true);
    expect(boundaryViolations(enabled)).toEqual(expect.arrayContaining([expect.stringMatching(/^merged-results-from-protected-branch acme\/toolbox branch main: reaches acme-ci-dev-toolbox-protected/)]));
  });
});
