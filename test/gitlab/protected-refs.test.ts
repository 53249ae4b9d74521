import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProtectedRefs, type ProtectedRefsProps } from "../../lib/gitlab/protected-refs";
import { describeWithTool, runTool } from "../support/conformance";
import { resourcesOf, synthWith, type SynthJson, violationOf } from "../support/synth";

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
const postconditions = (json: SynthJson, type: string) =>
  Object.values(json.data?.[type] ?? {}).map((d) => (d.lifecycle as { postcondition: Array<{ condition: string; error_message: string }> }).postcondition[0]!);

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

  test("a project kept elsewhere gets plan-time checks instead, naming the project and the refs", () => {
    const [branches] = postconditions(json, "gitlab_project_protected_branches");
    const [tags] = postconditions(json, "gitlab_project_protected_tags");
    expect(branches!.condition).toBe('${contains([for b in self.protected_branches : b.name], "trunk")}');
    expect(branches!.error_message).toMatch(/^Project acme\/lib must protect the branches trunk:/);
    expect(tags!.condition).toBe('${contains([for t in self.protected_tags : t.tag], "v*.*.*")}');
    expect(Object.values(resourcesOf(json, "gitlab_branch_protection")).map((r) => r.branch)).not.toContain("trunk");
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
    /** Evaluates a postcondition against a data source's attributes with `terraform console` (self -> local.self). */
    const evaluate = (condition: string, self: unknown): string => {
      const dir = mkdtempSync(join(tmpdir(), "protected-refs-"));
      try {
        writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals: { self } }));
        const expression = condition.slice(2, -1).replace(/\bself\./g, "local.self.");
        const run = runTool("terraform", ["console"], { cwd: dir, input: `${expression}\n`, env: { ...process.env, TF_IN_AUTOMATION: "1" } });
        return run.stdout.trim().split("\n").pop()!.trim();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const json = build();

    test("protected tags: passes when the pattern is protected, fails when only a narrower or no tag is", () => {
      const [tags] = postconditions(json, "gitlab_project_protected_tags");
      expect(evaluate(tags!.condition, { protected_tags: [{ tag: "v*.*.*" }, { tag: "stable" }] })).toBe("true");
      expect(evaluate(tags!.condition, { protected_tags: [{ tag: "v1.*.*" }] })).toBe("false");
      expect(evaluate(tags!.condition, { protected_tags: [] })).toBe("false");
    });

    test("protected branches: passes only with the trusted branch protected", () => {
      const [branches] = postconditions(json, "gitlab_project_protected_branches");
      expect(evaluate(branches!.condition, { protected_branches: [{ name: "trunk" }] })).toBe("true");
      expect(evaluate(branches!.condition, { protected_branches: [{ name: "main" }] })).toBe("false");
    });

    test("sub claim components: the default passes when unset or equal, fails when the project dropped ref_type", () => {
      const [project] = postconditions(json, "gitlab_project");
      expect(evaluate(project!.condition, { ci_id_token_sub_claim_components: null })).toBe("true");
      expect(evaluate(project!.condition, { ci_id_token_sub_claim_components: ["project_path", "ref_type", "ref"] })).toBe("true");
      expect(evaluate(project!.condition, { ci_id_token_sub_claim_components: ["project_path", "ref"] })).toBe("false");
    });
  },
  ["version"],
);
