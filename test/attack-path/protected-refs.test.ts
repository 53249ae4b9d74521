/*
 * Attack paths, protected refs: every ref a CI role trusts (read from the
 * synthesized trust policies) is protected in the stack that outlives every
 * environment, no environment's stack can take a protection down with it, and
 * every environment's plan fails when a trusted ref is unprotected or a
 * Developer may push or tag it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeWithTool, runTool } from "../support/conformance";
import { type SynthJson } from "../support/synth";
import { evaluateConditions } from "../gitlab/terraform-console";
import { buildIamModel } from "./iam-model";
import { exampleScenario } from "./scenario";

/** A ref a role trusts: the concrete ref of a `<host>:sub` condition. */
interface TrustedRef {
  readonly stack: string;
  readonly role: string;
  readonly project: string;
  readonly type: "branch" | "tag";
  readonly ref: string;
}

type Doc = { Statement: Array<{ Condition?: Record<string, Record<string, string | string[]>> }> };

/** The refs every role of every stack trusts, from the synthesized trust policies (refs other than `*`). */
function trustedRefsOf(json: ReadonlyMap<string, SynthJson>): TrustedRef[] {
  const out: TrustedRef[] = [];
  for (const [stack, j] of json) {
    for (const role of Object.values(j.resource?.aws_iam_role ?? {})) {
      const doc = JSON.parse(String(role.assume_role_policy)) as Doc;
      for (const statement of doc.Statement) {
        for (const operator of ["StringEquals", "StringLike"]) {
          for (const [key, value] of Object.entries(statement.Condition?.[operator] ?? {})) {
            if (!key.endsWith(":sub")) continue;
            for (const sub of [value].flat()) {
              const parts = sub.split(":");
              const claims = Object.fromEntries(Array.from({ length: parts.length / 2 }, (_, i) => [parts[2 * i], parts[2 * i + 1]]));
              if (claims.ref === undefined || claims.ref === "*" || (claims.ref_type !== "branch" && claims.ref_type !== "tag")) continue;
              out.push({ stack, role: String(role.name), project: claims.project_path!, type: claims.ref_type, ref: claims.ref });
            }
          }
        }
      }
    }
  }
  return out;
}

const ENVIRONMENTS = ["dev", "staging", "production"];
const key = (r: { project: string; type: string; ref: string }) => `${r.project} ${r.type} ${r.ref}`;

describe("protected refs on the example app (attack paths)", () => {
  const scenario = exampleScenario();
  const trusted = trustedRefsOf(scenario.json);
  const protectionsIn = (stack: string) => {
    const j = scenario.json.get(stack)!;
    return Object.keys(j.resource?.gitlab_branch_protection ?? {}).length + Object.keys(j.resource?.gitlab_tag_protection ?? {}).length;
  };

  test("the synthesized trust policies of every environment trust the default branch and the release tags of every tenant", () => {
    expect(new Set(trusted.map((t) => t.stack))).toEqual(new Set(ENVIRONMENTS));
    expect([...new Set(trusted.map(key))].sort()).toEqual(
      ["acme/app", "acme/toolbox", "acme/web"].flatMap((p) => [`${p} branch main`, `${p} tag v*.*.*`]),
    );
  });

  test("all protections live in the gitlab-shared stack; dev, staging and production hold none", () => {
    for (const env of ENVIRONMENTS) expect({ env, protections: protectionsIn(env) }).toEqual({ env, protections: 0 });
    // Six for the tenants' trusted refs, one for the CI templates project's default branch.
    expect(protectionsIn("gitlab-shared")).toBe(7);
  });

  test("destroying one environment's stack (dev, the first) leaves every other environment's trusted refs protected", () => {
    for (const destroyed of ENVIRONMENTS) {
      const model = buildIamModel(new Map([...scenario.json].filter(([name]) => name !== destroyed)));
      const exposed = trusted
        .filter((t) => t.stack !== destroyed)
        .filter((t) => ![...((t.type === "branch" ? model.protections.get(t.project)?.branches : model.protections.get(t.project)?.tags) ?? [])].includes(t.ref))
        .map((t) => `${t.role}: ${key(t)}`);
      expect({ destroyed, exposed }).toEqual({ destroyed, exposed: [] });
    }
  });

  test("every trusted ref (from the trust policies) is protected in gitlab-shared, one resource per ref, and checked at plan time by its own environment", () => {
    const shared = buildIamModel(new Map([["gitlab-shared", scenario.json.get("gitlab-shared")!]]));
    for (const t of trusted) {
      const protectedHere = (t.type === "branch" ? shared.protections.get(t.project)?.branches : shared.protections.get(t.project)?.tags)?.has(t.ref) ?? false;
      const data = scenario.json.get(t.stack)!.data?.[t.type === "branch" ? "gitlab_project_protected_branches" : "gitlab_project_protected_tags"] ?? {};
      const checked = Object.values(data).some((d) => JSON.stringify(d.lifecycle).includes(JSON.stringify(JSON.stringify(t.ref)).slice(1, -1)));
      expect({ ref: `${t.stack} ${key(t)}`, protectedHere, checked }).toEqual({ ref: `${t.stack} ${key(t)}`, protectedHere: true, checked: true });
    }
    const shared_ = scenario.json.get("gitlab-shared")!;
    const names = [...Object.values(shared_.resource?.gitlab_tag_protection ?? {}), ...Object.values(shared_.resource?.gitlab_branch_protection ?? {})].map(
      (r) => `${String(r.project)} ${String(r.tag ?? r.branch)}`,
    );
    expect(new Set(names).size).toBe(names.length);
  });
});

describeWithTool("jq", "every trusted ref has a protection or a plan-time check (jq over the synthesized stacks)", () => {
  const scenario = exampleScenario();
  const write = (stacks: ReadonlyMap<string, SynthJson>): string[] => {
    const dir = mkdtempSync(path.join(tmpdir(), "refs-jq-"));
    return [...stacks].map(([name, j]) => {
      const file = path.join(dir, `${name}.tf.json`);
      writeFileSync(file, JSON.stringify(j));
      return file;
    });
  };
  const jq = (files: readonly string[]): unknown => {
    const run = runTool("jq", ["-n", "-c", "-f", path.join(__dirname, "jq", "unprotected-trusted-refs.jq"), ...files]);
    if (run.status !== 0) throw new Error(`jq failed: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };

  test("the example: none uncovered", () => {
    expect(jq(write(scenario.json))).toEqual([]);
  });

  test("the filter finds trusted refs left uncovered: without the gitlab-shared stack and the environments' checks, every one", () => {
    const stripped = new Map(
      [...scenario.json]
        .filter(([name]) => name !== "gitlab-shared")
        .map(([name, j]) => [name, { ...j, data: { ...j.data, gitlab_project_protected_branches: {}, gitlab_project_protected_tags: {} } } as SynthJson]),
    );
    expect(jq(write(stripped))).toEqual(["acme/app", "acme/toolbox", "acme/web"].flatMap((p) => [`${p} branch main`, `${p} tag v*.*.*`]));
    // The shared stack alone covers them, as the environments' checks alone do.
    expect(jq(write(new Map([...stripped, ["gitlab-shared", scenario.json.get("gitlab-shared")!]])))).toEqual([]);
  });
});

describeWithTool(
  "terraform",
  "a Developer who may push or tag a trusted ref fails every environment's plan",
  () => {
    const scenario = exampleScenario();
    type Postcondition = { condition: string; error_message: string };
    const checksOf = (env: string, type: string) =>
      Object.values(scenario.json.get(env)!.data?.[type] ?? {}).map((d) => (d.lifecycle as { postcondition: Postcondition[] }).postcondition);

    test("release tags: Developers allowed to create v* tags -> fails; Maintainers -> passes; no protection -> fails", () => {
      for (const env of ENVIRONMENTS) {
        const [exists, maintainersOnly] = checksOf(env, "gitlab_project_protected_tags")[0]!;
        const tag = (name: string, level: string) => ({ tag: name, create_access_levels: [{ id: 1, access_level: level, access_level_description: level, user_id: null, group_id: null }] });
        const cases = [
          { condition: maintainersOnly!.condition, self: { protected_tags: [tag("v*.*.*", "maintainer"), tag("v*", "developer")] } },
          { condition: maintainersOnly!.condition, self: { protected_tags: [tag("v*.*.*", "developer")] } },
          { condition: maintainersOnly!.condition, self: { protected_tags: [tag("v*.*.*", "maintainer")] } },
          { condition: exists!.condition, self: { protected_tags: [tag("v*.*.*", "maintainer")] } },
          { condition: exists!.condition, self: { protected_tags: [] } },
        ];
        expect({ env, results: evaluateConditions(cases) }).toEqual({ env, results: ["false", "false", "true", "true", "false"] });
      }
    });

    test("default branch: Developers allowed to push or merge -> fails; Maintainers or no one -> passes; unprotected -> fails", () => {
      const [exists, maintainersOnly] = checksOf("production", "gitlab_project_protected_branches")[0]!;
      const branch = (push: string, merge: string) => ({
        name: "main",
        push_access_levels: [{ access_level: push, access_level_description: push, user_id: 0, group_id: 0, deploy_key_id: 0 }],
        merge_access_levels: [{ access_level: merge, access_level_description: merge, user_id: 0, group_id: 0 }],
      });
      const cases = [
        { condition: maintainersOnly!.condition, self: { protected_branches: [branch("developer", "maintainer")] } },
        { condition: maintainersOnly!.condition, self: { protected_branches: [branch("maintainer", "developer")] } },
        { condition: maintainersOnly!.condition, self: { protected_branches: [branch("no one", "maintainer")] } },
        { condition: exists!.condition, self: { protected_branches: [] } },
      ];
      expect(evaluateConditions(cases)).toEqual(["false", "false", "true", "false"]);
    });
  },
  ["version"],
);
