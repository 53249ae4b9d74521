import { mergedResultsCondition, ProtectedRefs, type ProtectedRefsProps } from "../../lib/gitlab/protected-refs";
import { describeWithTool } from "../support/conformance";
import { resourcesOf, synthWith, type SynthJson, violationOf } from "../support/synth";
import { evaluateConditions } from "./terraform-console";

const refs: ProtectedRefsProps["refs"] = [
  { project: "acme/app", refType: "branch", ref: "main" },
  { project: "acme/app", refType: "tag", ref: "v*.*.*" },
  { project: "acme/lib", refType: "branch", ref: "trunk" },
  { project: "acme/lib", refType: "tag", ref: "v*.*.*" },
];
const build = (props: Partial<ProtectedRefsProps> = {}): SynthJson =>
  synthWith((scope) => {
    new ProtectedRefs(scope, "refs", {
      projects: [
        { path: "acme/app", name: "app" },
        { path: "acme/lib", name: "lib", mode: "check" },
      ],
      refs,
      ...props,
    });
  });
type Postcondition = { condition: string; error_message: string };
/** The postconditions of every data source of a type, one list per data source. */
const postconditionsOf = (json: SynthJson, type: string): Postcondition[][] =>
  Object.values(json.data?.[type] ?? {}).map((d) => (d.lifecycle as { postcondition?: Postcondition[] } | undefined)?.postcondition ?? []);
/** The first postcondition of every data source of a type. */
const postconditions = (json: SynthJson, type: string) => postconditionsOf(json, type).map((p) => p[0]!);

describe("ProtectedRefs", () => {
  const json = build();

  test("a managed project gets a branch protection per trusted branch and a tag protection per trusted tag pattern", () => {
    expect(Object.values(resourcesOf(json, "gitlab_branch_protection"))).toEqual([
      {
        project: expect.stringMatching(/^\$\{data\.gitlab_project\.refs_project-app_[A-F0-9]+\.id\}$/),
        branch: "main",
        push_access_level: "maintainer",
        merge_access_level: "maintainer",
        allow_force_push: false,
        // Every environment's roles rely on it: destroying one stack must not remove it.
        lifecycle: { prevent_destroy: true },
      },
    ]);
    expect(Object.values(resourcesOf(json, "gitlab_tag_protection"))).toEqual([
      { project: expect.stringMatching(/^\$\{data\.gitlab_project\.refs_project-app_/), tag: "v*.*.*", create_access_level: "maintainer", lifecycle: { prevent_destroy: true } },
    ]);
  });

  test("a project kept elsewhere gets plan-time checks instead, naming the project and the refs: protected, and by Maintainers only", () => {
    const [branches] = postconditionsOf(json, "gitlab_project_protected_branches");
    const [tags] = postconditionsOf(json, "gitlab_project_protected_tags");
    expect(branches!.map((p) => p.condition.slice(0, 40))).toEqual(["${contains([for b in self.protected_bran", "${alltrue([for b in self.protected_branc"]);
    expect(branches![0]!.condition).toBe('${contains([for b in self.protected_branches : b.name], "trunk")}');
    expect(branches![0]!.error_message).toMatch(/^Project acme\/lib must protect the branch trunk:/);
    expect(branches![1]!.error_message).toMatch(/^Project acme\/lib: a protected branch rule matching trunk lets someone below Maintainer push or merge .*Set allowed to push and merge to Maintainers/);
    expect(tags![0]!.condition).toBe('${contains([for t in self.protected_tags : t.tag], "v*.*.*")}');
    expect(tags![1]!.error_message).toMatch(/^Project acme\/lib: a protected tag rule matching v\*\.\*\.\* lets someone below Maintainer create such tags/);
    expect(Object.values(resourcesOf(json, "gitlab_branch_protection")).map((r) => r.branch)).not.toContain("trunk");
  });

  test("a ref trusted twice (two roles, two environments) is protected once", () => {
    const twice = build({ refs: [...refs, ...refs, { project: "acme/app", refType: "tag", ref: "release-*" }] });
    expect(Object.values(resourcesOf(twice, "gitlab_tag_protection")).map((r) => r.tag)).toEqual(["v*.*.*", "release-*"]);
    expect(Object.keys(resourcesOf(twice, "gitlab_branch_protection"))).toHaveLength(1);
    expect(postconditionsOf(twice, "gitlab_project_protected_tags")[0]).toHaveLength(2);
  });

  test("without checkSubClaimComponents and checkMergedResultsPipelines the project data source has no postcondition", () => {
    expect(postconditionsOf(build({ checkSubClaimComponents: false, checkMergedResultsPipelines: false }), "gitlab_project")).toEqual([[], []]);
    // Without the sub claim check, the merged-results check stays.
    expect(postconditionsOf(build({ checkSubClaimComponents: false }), "gitlab_project").map((p) => p.map((c) => c.condition))).toEqual([
      [`\${${mergedResultsCondition()}}`],
      [`\${${mergedResultsCondition()}}`],
    ]);
  });

  test("fault: a project whose roles trust a branch fails the plan while merged results pipelines or merge trains are on (a merge request from the branch would carry its sub)", () => {
    const [app, lib] = postconditionsOf(json, "gitlab_project");
    for (const [checks, project, branch] of [
      [app!, "acme/app", "main"],
      [lib!, "acme/lib", "trunk"],
    ] as const) {
      expect(checks.map((c) => c.condition)).toEqual([expect.stringContaining("ci_id_token_sub_claim_components"), "${try(!self.merge_pipelines_enabled && !self.merge_trains_enabled, false)}"]);
      expect(checks[1]!.error_message).toMatch(new RegExp(`^Project ${project} has merged results pipelines or merge trains enabled: a merged-results pipeline of a merge request whose source branch is ${branch} runs the target branch's CI configuration with the sub claim of ${branch}`));
      expect(checks[1]!.error_message).toMatch(/Turn off "Enable merged results pipelines" and "Enable merge trains" .*merge_pipelines_enabled=false merge_trains_enabled=false/);
    }
    // A project whose roles trust only tags gets no such check: a merge request's sub names a branch.
    const tagsOnly = build({ refs: refs.filter((r) => r.refType === "tag") });
    expect(postconditionsOf(tagsOnly, "gitlab_project").map((p) => p.length)).toEqual([1, 1]);
  });

  test("every project's sub claim components are checked at plan time", () => {
    expect(postconditions(json, "gitlab_project").map((p) => p.condition)).toEqual([
      '${contains(["", "project_path,ref_type,ref"], try(join(",", self.ci_id_token_sub_claim_components), ""))}',
      '${contains(["", "project_path,ref_type,ref"], try(join(",", self.ci_id_token_sub_claim_components), ""))}',
    ]);
    const custom = build({ subClaimComponents: ["project_path", "ref", "ref_type"] });
    expect(postconditions(custom, "gitlab_project")[0]!.condition).toBe('${try(join(",", self.ci_id_token_sub_claim_components), "") == "project_path,ref,ref_type"}');
  });

  test("an unknown mode fails (plain JavaScript callers)", () => {
    const error = violationOf(() => build({ projects: [{ path: "acme/app", name: "app", mode: "skip" as never }], refs: refs.slice(0, 2) }));
    expect(error.message).toMatch(/^test\/refs\/projects\[0\]: invalid mode "skip"/);
  });

  test("a trusted ref of a project not listed fails at its path", () => {
    const error = violationOf(() => build({ refs: [...refs, { project: "acme/other", refType: "branch", ref: "main" }] }));
    expect(error.message).toMatch(/^test\/refs\/refs\[4\]: invalid protected ref .*Rule: every trusted ref belongs to a listed project/);
  });
});

describeWithTool(
  "terraform",
  "the plan-time checks evaluate as intended",
  () => {
    const json = build();
    const [branchChecks] = postconditionsOf(json, "gitlab_project_protected_branches");
    const [tagChecks] = postconditionsOf(json, "gitlab_project_protected_tags");
    const [branchExists, branchLevels] = branchChecks!;
    const [tagExists, tagLevels] = tagChecks!;
    /** An access-level entry as the provider reports it (SDKv2 blocks: unset ids are 0). */
    const level = (accessLevel: string, ids: { user_id?: number; group_id?: number; deploy_key_id?: number } = {}) => ({
      access_level: accessLevel,
      access_level_description: accessLevel,
      user_id: 0,
      group_id: 0,
      deploy_key_id: 0,
      ...ids,
    });
    const branch = (name: string, push: string, merge = push, pushIds = {}) => ({
      name,
      allow_force_push: false,
      push_access_levels: [level(push, pushIds)],
      merge_access_levels: [{ access_level: merge, access_level_description: merge, user_id: 0, group_id: 0 }],
    });
    /** Protected tags (plugin framework attributes: unset ids are null). */
    const tag = (name: string, create: string, ids: { user_id?: number; group_id?: number } = {}) => ({
      tag: name,
      create_access_levels: [{ id: 1, access_level: create, access_level_description: create, user_id: null, group_id: null, ...ids }],
    });
    const branches = (...list: unknown[]) => ({ protected_branches: list });
    const tags = (...list: unknown[]) => ({ protected_tags: list });

    test("protected branch: Developer push or merge fails, Maintainer, Owner, Admin and no one pass, missing fails", () => {
      const cases = [
        [branchExists, branches(branch("trunk", "maintainer")), "true"],
        [branchLevels, branches(branch("trunk", "maintainer")), "true"],
        [branchLevels, branches(branch("trunk", "developer")), "false"],
        [branchLevels, branches(branch("trunk", "maintainer", "developer")), "false"],
        [branchLevels, branches(branch("trunk", "no one", "maintainer")), "true"],
        [branchLevels, branches(branch("trunk", "owner", "admin")), "true"],
        [branchLevels, branches(branch("trunk", "reporter")), "false"],
        // A named user or deploy key may push whatever its role: refused.
        [branchLevels, branches(branch("trunk", "maintainer", "maintainer", { user_id: 7 })), "false"],
        [branchLevels, branches(branch("trunk", "maintainer", "maintainer", { deploy_key_id: 3 })), "false"],
        // Missing: the branch is not protected at all.
        [branchExists, branches(), "false"],
        [branchExists, branches(branch("main", "maintainer")), "false"],
        // GitLab applies the most permissive matching rule: a wildcard letting Developers push opens trunk too.
        [branchLevels, branches(branch("trunk", "maintainer"), branch("t*", "developer")), "false"],
        [branchLevels, branches(branch("trunk", "maintainer"), branch("feature/*", "developer")), "true"],
      ] as const;
      expect(evaluateConditions(cases.map(([c, self]) => ({ condition: c.condition, self })))).toEqual(cases.map(([, , want]) => want));
    });

    test("protected tags: Developer create fails, Maintainer, Owner, Admin and no one pass, missing fails; overlapping rules count", () => {
      const cases = [
        [tagExists, tags(tag("v*.*.*", "maintainer")), "true"],
        [tagLevels, tags(tag("v*.*.*", "maintainer")), "true"],
        [tagLevels, tags(tag("v*.*.*", "developer")), "false"],
        [tagLevels, tags(tag("v*.*.*", "no one")), "true"],
        [tagLevels, tags(tag("v*.*.*", "owner")), "true"],
        [tagLevels, tags(tag("v*.*.*", "admin")), "true"],
        [tagLevels, tags(tag("v*.*.*", "maintainer", { group_id: 12 })), "false"],
        [tagExists, tags(), "false"],
        [tagExists, tags(tag("v1.*.*", "maintainer")), "false"],
        // Rules whose tags overlap v*.*.*: v* and *-rc (v1.2.3-rc) and the literal v1.2.3; not release-* or 1.0.
        [tagLevels, tags(tag("v*.*.*", "maintainer"), tag("v*", "developer")), "false"],
        [tagLevels, tags(tag("v*.*.*", "maintainer"), tag("*-rc", "developer")), "false"],
        [tagLevels, tags(tag("v*.*.*", "maintainer"), tag("v1.2.3", "developer")), "false"],
        [tagLevels, tags(tag("v*.*.*", "maintainer"), tag("release-*", "developer"), tag("1.0", "developer")), "true"],
        [tagLevels, tags(tag("v*.*.*", "maintainer"), tag("x*", "developer")), "true"],
      ] as const;
      expect(evaluateConditions(cases.map(([c, self]) => ({ condition: c.condition, self })))).toEqual(cases.map(([, , want]) => want));
    });

    test("sub claim components: the default passes when unset or equal, fails when the project dropped ref_type", () => {
      const [project] = postconditions(json, "gitlab_project");
      const cases = [
        [{ ci_id_token_sub_claim_components: null }, "true"],
        [{ ci_id_token_sub_claim_components: ["project_path", "ref_type", "ref"] }, "true"],
        [{ ci_id_token_sub_claim_components: ["project_path", "ref"] }, "false"],
      ] as const;
      expect(evaluateConditions(cases.map(([self]) => ({ condition: project!.condition, self })))).toEqual(cases.map(([, want]) => want));
    });

    test("merged results: passes only with both settings off; either on, null or missing fails", () => {
      const [[, merged]] = postconditionsOf(json, "gitlab_project") as [Postcondition[]];
      const cases = [
        [{ merge_pipelines_enabled: false, merge_trains_enabled: false }, "true"],
        [{ merge_pipelines_enabled: true, merge_trains_enabled: false }, "false"],
        [{ merge_pipelines_enabled: false, merge_trains_enabled: true }, "false"],
        [{ merge_pipelines_enabled: true, merge_trains_enabled: true }, "false"],
        [{ merge_pipelines_enabled: null, merge_trains_enabled: false }, "false"],
        [{ ci_id_token_sub_claim_components: null }, "false"],
      ] as const;
      expect(evaluateConditions(cases.map(([self]) => ({ condition: merged!.condition, self })))).toEqual(cases.map(([, want]) => want));
    });
  },
  ["version"],
);
