/*
 * Merged-results pipelines (GitLab Premium) as the attack-path suite sees them: a merge request
 * whose source branch is a protected branch (say `main`) into a Developer's branch runs, as a
 * merged-results pipeline or on a merge train, the merge of both, the Developer's CI file
 * included, with an ID token whose `sub` names the source branch (`main`). So the actor
 * `merged-results-from-protected-branch` exists unless the synthesized stacks rule the setting out:
 *
 * - the project is a `gitlab_project` resource of a stack (on the same instance) with
 *   `merge_pipelines_enabled` and `merge_trains_enabled` false (the platform keeps them off), or
 * - every environment stack that lists the project as a tenant (so has roles trusting its refs)
 *   reads it with a `gitlab_project` data source whose postcondition is the merged-results check
 *   (`mergedResultsCondition`): that stack's plan fails while either setting is on.
 *
 * Read from the JSON only (nothing from the constructs); what the condition evaluates to is tested
 * with terraform itself in test/gitlab/protected-refs.test.ts.
 */
import { mergedResultsCondition } from "../../lib/gitlab/protected-refs";
import { type Tenant } from "../../lib/platform/tenancy";
import { type SynthJson } from "../support/synth";
import { type Scenario } from "./scenario";

type Json = Record<string, unknown>;

const blocksOf = (json: SynthJson, kind: "resource" | "data", type: string): [string, Json][] =>
  Object.entries(((json[kind] ?? {}) as Record<string, Record<string, Json>>)[type] ?? {});

/** Whether a stack's `gitlab_project` data source of `projectPath` fails the plan while merged results pipelines or merge trains are on. */
export function checksMergedResults(json: SynthJson, projectPath: string): boolean {
  const expected = `\${${mergedResultsCondition()}}`;
  return blocksOf(json, "data", "gitlab_project").some(([, d]) => {
    if (String(d.path_with_namespace).toLowerCase() !== projectPath.toLowerCase()) return false;
    const postconditions = ((d.lifecycle as Json | undefined)?.postcondition ?? []) as Json[];
    return postconditions.some((p) => p.condition === expected);
  });
}

/** The paths of the `gitlab_project` resources of a stack that keep merged results pipelines and merge trains off (namespace read from its `gitlab_group` data source). */
export function projectsKeepingMergedResultsOff(json: SynthJson): string[] {
  const groups = new Map(blocksOf(json, "data", "gitlab_group").map(([id, g]) => [`\${data.gitlab_group.${id}.group_id}`, String(g.full_path)]));
  return blocksOf(json, "resource", "gitlab_project")
    .filter(([, p]) => p.merge_pipelines_enabled === false && p.merge_trains_enabled === false)
    .flatMap(([, p]) => {
      const group = groups.get(String(p.namespace_id));
      return group === undefined ? [] : [`${group}/${String(p.path ?? p.name)}`];
    });
}

/**
 * Whether a tenant's project may run merged-results pipelines as far as the synthesized stacks
 * tell: true unless a stack's project resource keeps them off, or every environment stack listing
 * the tenant checks the setting at plan time.
 */
export function mergedResultsPossible(scenario: Scenario, tenant: Pick<Tenant, "path">): boolean {
  const path = tenant.path.toLowerCase();
  const managedOff = [...scenario.json.values()].some((json) => projectsKeepingMergedResultsOff(json).some((p) => p.toLowerCase() === path));
  if (managedOff) return false;
  const stacks = scenario.environments.filter((e) => e.tenants.some((t) => t.path.toLowerCase() === path)).map((e) => scenario.json.get(e.config.name));
  return !stacks.every((json) => json !== undefined && checksMergedResults(json, tenant.path));
}
