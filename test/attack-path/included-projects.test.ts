/*
 * Attack paths, projects every protected pipeline depends on: whoever pushes
 * the default branch of the CI templates project (every tenant's pipeline
 * includes its files) or of the toolbox project (protected jobs run its image)
 * runs code in every protected pipeline. From the synthesized JSON: every
 * project whose files this app commits has the branch they are on protected
 * (a gitlab_branch_protection for Maintainers) or checked at plan time.
 */
import { exampleConfig } from "../../stacks/example-config";
import { type PlatformConfig } from "../../stacks/config";
import { type SynthJson } from "../support/synth";
import { buildScenario, exampleScenario } from "./scenario";

type Block = Record<string, unknown>;
const ref = (value: unknown): { type: string; name: string } | undefined => {
  const m = typeof value === "string" ? /^\$\{(data\.)?([a-z_]+)\.([^.}]+)\.[a-z_]+\}$/.exec(value) : null;
  return m ? { type: `${m[1] ?? ""}${m[2]}`, name: m[3]! } : undefined;
};

/** A project argument (`project`, `project_id`) as a full path: a literal path, a created project, or a data source. */
function projectPathOf(json: SynthJson & { data?: Record<string, Record<string, Block>> }, value: unknown): string {
  const r = ref(value);
  if (!r) return String(value);
  if (r.type === "gitlab_project") {
    const project = json.resource!.gitlab_project![r.name]!;
    const group = ref(project.namespace_id);
    return `${String(json.data?.gitlab_group?.[group!.name]?.full_path)}/${String(project.path ?? project.name)}`;
  }
  if (r.type === "data.gitlab_project") return String(json.data!.gitlab_project![r.name]!.path_with_namespace);
  return String(value);
}

interface Exposure {
  readonly stack: string;
  readonly project: string;
  readonly branch: string;
}

/** Every (project, branch) the app commits files to, with no protection for Maintainers and no plan-time check of it. */
function unprotectedPublishedBranches(json: ReadonlyMap<string, SynthJson>): Exposure[] {
  const out: Exposure[] = [];
  for (const [stack, raw] of json) {
    const j = raw as SynthJson & { data?: Record<string, Record<string, Block>> };
    const published = Object.values(j.resource?.gitlab_repository_file ?? {}).map((f) => ({ project: projectPathOf(j, f.project), branch: String(f.branch) }));
    const protectedBranches = Object.values(j.resource?.gitlab_branch_protection ?? {})
      .filter((p) => p.push_access_level === "maintainer" && p.merge_access_level === "maintainer" && p.allow_force_push === false)
      .map((p) => `${projectPathOf(j, p.project)} ${String(p.branch)}`);
    const checked = Object.values(j.data?.gitlab_project_protected_branches ?? {}).flatMap((d) => {
      const project = projectPathOf(j, d.project_id);
      const blocks = ((d.lifecycle as { postcondition?: { error_message: string }[] } | undefined)?.postcondition ?? []).map((b) => b.error_message);
      return blocks.map((m) => /must protect the branch (\S+):/.exec(m)?.[1]).filter((b): b is string => b !== undefined && blocks.some((x) => x.includes(`matching ${b} lets someone below Maintainer`))).map((b) => `${project} ${b}`);
    });
    for (const p of published) {
      const k = `${p.project} ${p.branch}`;
      if (!protectedBranches.includes(k) && !checked.includes(k) && !out.some((o) => o.project === p.project && o.branch === p.branch)) out.push({ stack, ...p });
    }
  }
  return out;
}

/** The example, optionally with the templates project existing (`create: false`) and the toolbox tenant's refs checked, not managed. */
function variant(templatesExist: boolean, toolboxManaged: boolean): PlatformConfig {
  return {
    ...exampleConfig,
    environments: exampleConfig.environments.map((env) => ({
      ...env,
      gitlab: {
        ...env.gitlab,
        ...(env.gitlab.ciTemplates && templatesExist ? { ciTemplates: { ...env.gitlab.ciTemplates, create: false } } : {}),
        ...(toolboxManaged
          ? {}
          : { projects: (env.gitlab.projects ?? []).map((p) => (typeof p !== "string" && p.path === "acme/toolbox" ? { ...p, protectedRefs: "check" as const } : p)) }),
      },
    })),
  } as PlatformConfig;
}

describe("attack paths: projects whose files protected pipelines include or run", () => {
  test("example app: the templates and toolbox projects' default branches are protected (gitlab-shared)", () => {
    const json = exampleScenario().json;
    const shared = json.get("gitlab-shared")!;
    const projects = new Set(Object.values(shared.resource?.gitlab_repository_file ?? {}).map((f) => projectPathOf(shared, f.project)));
    expect([...projects].sort()).toEqual(["acme/ci-templates", "acme/toolbox"]);
    expect(unprotectedPublishedBranches(json)).toEqual([]);
  });

  test("an existing templates project (create: false) gets a plan-time check of its default branch", () => {
    const json = buildScenario(variant(true, true)).json;
    expect(unprotectedPublishedBranches(json)).toEqual([]);
    const shared = json.get("gitlab-shared") as SynthJson & { data?: Record<string, Record<string, Block>> };
    const checked = Object.values(shared.data?.gitlab_project_protected_branches ?? {}).map((d) => projectPathOf(shared, d.project_id));
    expect(checked).toContain("acme/ci-templates");
  });

  test("a toolbox project whose tenant refs are only checked gets a protection of its own; a managed tenant's is not protected twice", () => {
    const json = buildScenario(variant(false, false)).json;
    expect(unprotectedPublishedBranches(json)).toEqual([]);
    const protections = (j: SynthJson) => Object.values(j.resource?.gitlab_branch_protection ?? {}).filter((p) => projectPathOf(j, p.project) === "acme/toolbox" && p.branch === "main").length;
    expect(protections(json.get("gitlab-shared")!)).toBe(1);
    expect(protections(exampleScenario().json.get("gitlab-shared")!)).toBe(1);
  });
});
