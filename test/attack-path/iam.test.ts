/*
 * Attack paths, IAM part: from the synthesized JSON of every stack together,
 * which roles can GitLab's actors reach (directly with their ID token, then by
 * role chaining), and what can those roles do?
 */
import { exampleConfig } from "../../stacks/example-config";
import { type Actor } from "../support/gitlab-actors";
import { boundaryViolations, crossAudienceAcceptances, protectedRepositories, reachedBy } from "./boundaries";
import { assumableWithToken, buildIamModel, chainedFrom, deploys, isProtected, pushableBy, reachableWithToken } from "./iam-model";
import { buildScenario, exampleScenario, tenantActors, tokenOf } from "./scenario";

describe("attack paths on the example app (IAM)", () => {
  const scenario = buildScenario(exampleConfig);
  const dev = scenario.environments.find((e) => e.config.name === "dev")!;
  const app = dev.tenants.find((t) => t.name === "app")!;
  const actor = (kind: Actor["kind"], options = {}) => tenantActors(app, options).find((a) => a.kind === kind)!;

  test("the example's scenario the other attack-path files read (its JSON cached between files) is this one, built from the example now", () => {
    const cached = exampleScenario();
    expect([...cached.json.keys()]).toEqual([...scenario.json.keys()]);
    expect(Object.fromEntries(cached.json)).toEqual(Object.fromEntries(scenario.json));
    expect(cached.model.roles.map((r) => r.arn)).toEqual(scenario.model.roles.map((r) => r.arn));
    expect([...cached.stacks.environments.keys()]).toEqual([...scenario.stacks.environments.keys()]);
  });

  test("the model holds every stack's roles, repositories and providers", () => {
    expect(scenario.model.roles.length).toBeGreaterThanOrEqual(18);
    expect(scenario.model.providers.map((p) => p.audiences)).toEqual([["acme-ci-dev", "acme-ci-staging"], ["acme-ci-production"]]);
    expect(scenario.model.protections.get("acme/app")).toEqual({ branches: new Set(["main"]), tags: new Set(["v*.*.*"]) });
  });

  test("no unprotected actor reaches a role that pushes a protected repository or deploys; no actor reaches another tenant's repositories", () => {
    expect(boundaryViolations(scenario)).toEqual([]);
  });

  test("release tag v0-x: a Developer's unprotected tag reaches no protected role in any environment", () => {
    const tag = actor("unprotected-tag-push", { attackerTag: "v0-x" });
    expect(isProtected(scenario.model, tag.projectPath, "tag", "v0-x")).toBe(false);
    const reached = reachedBy(scenario, tag);
    expect(reached.filter((r) => r.name.endsWith("-protected") || deploys(r))).toEqual([]);
    expect(reached.map((r) => r.name).sort()).toEqual(["acme-ci-dev-app-unprotected"]);
  });

  test("unprotected roles where no unprotected pool exists: a merge-request actor reaches no staging or production role", () => {
    // Only dev has an unprotected pool (runners.unprotected): staging and production have no runner for
    // unprotected jobs, so they have no role (nor repository, variable or cache grant) for them either.
    for (const kind of ["branch-merge-request", "fork-merge-request", "unprotected-branch-push", "unprotected-tag-push"] as const) {
      // (A fork MR on GitLab before 18.2.2 carries the parent's path and may name its branch like the default branch: see below.)
      for (const options of [{ forkProjectPath: "mallory/app" }, { attackerBranch: "feature/x" }, { attackerBranch: "feature/x", forkProjectPath: "mallory/app" }]) {
        const reached = reachedBy(scenario, actor(kind, options));
        expect({ kind, options, elsewhere: reached.filter((r) => r.stack !== "dev").map((r) => r.name) }).toEqual({ kind, options, elsewhere: [] });
      }
    }
    expect(reachedBy(scenario, actor("branch-merge-request")).map((r) => r.name)).toEqual(["acme-ci-dev-app-unprotected"]);
    // Nothing of theirs is left in staging and production: no role, no unprotected repository.
    for (const stack of ["staging", "production"]) {
      expect(scenario.model.roles.filter((r) => r.stack === stack && r.name.endsWith("-unprotected")).map((r) => r.name)).toEqual([]);
      expect(scenario.model.repositories.filter((r) => r.stack === stack && r.trust === "unprotected").map((r) => r.name)).toEqual([]);
    }
  });

  test("build-mr pushing to what main runs: no merge-request or branch role pushes a repository protected pipelines pull", () => {
    const runByProtected = protectedRepositories(scenario);
    for (const kind of ["branch-merge-request", "unprotected-branch-push", "fork-merge-request"] as const) {
      const reached = reachedBy(scenario, actor(kind, { attackerBranch: "feature/x" }));
      expect(reached.length).toBeGreaterThan(0);
      const pushed = reached.flatMap((r) => pushableBy(scenario.model, r));
      expect(pushed.length).toBeGreaterThan(0);
      expect(pushed.filter((repo) => runByProtected.has(repo.arn)).map((repo) => repo.name)).toEqual([]);
    }
    // What the default branch runs: dev's protected repositories of its tenant, which only protected roles push.
    expect(scenario.model.repositories.filter((r) => runByProtected.has(r.arn) && r.stack === "dev" && r.tenant === "app").map((r) => r.name).sort()).toEqual([
      "acme/dev/app/app",
      "acme/dev/app/app-ci",
      "acme/dev/app/toolbox",
    ]);
  });

  test("shared audience: no role accepts a token minted for another environment's audience", () => {
    expect(crossAudienceAcceptances(scenario)).toEqual([]);
    // Production's protected role refuses main's token for dev, and accepts it for production.
    const main = actor("protected-default-branch");
    const production = scenario.environments.find((e) => e.config.name === "production")!;
    expect(assumableWithToken(scenario.model, tokenOf(production, main, "acme-ci-dev")).filter((r) => r.stack === "production")).toEqual([]);
    expect(assumableWithToken(scenario.model, tokenOf(production, main, production.audience)).map((r) => r.name)).toContain("acme-ci-production-app-protected");
  });

  test("trustRunnerHost: only a tenant's own protected role can chain into its deployment role; no runner host role, no other tenant's role can", () => {
    const deployments = scenario.model.roles.filter(deploys);
    expect(deployments.length).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const callers = scenario.model.roles.filter((r) => chainedFrom(scenario.model, r).includes(deployment));
      expect(callers.map((r) => r.name)).toEqual([deployment.name.replace(/-deployment$/, "-protected")]);
    }
  });

  test("a fork MR whose branch is named like the default branch reaches nothing of the parent on GitLab 18.2.2+, but the protected role before it", () => {
    const fixed = actor("fork-merge-request", { attackerBranch: "main", forkProjectPath: "mallory/app" });
    expect(reachedBy(scenario, fixed)).toEqual([]);
    // Before 18.2.2 the token carried the parent's project_path and the fork's branch name: IAM cannot tell it from main.
    const before = actor("fork-merge-request", { attackerBranch: "main" });
    expect(reachedBy(scenario, before).map((r) => r.name)).toContain("acme-ci-dev-app-protected");
  });

  test("protected pipelines still work: main and release tags reach their tenant's protected role, push its protected images and deploy", () => {
    for (const kind of ["protected-default-branch", "protected-release-tag", "scheduled-pipeline"] as const) {
      const a = actor(kind);
      expect(isProtected(scenario.model, a.projectPath, a.refType, a.ref)).toBe(true);
      const inDev = reachableWithToken(scenario.model, tokenOf(dev, a, dev.audience));
      expect(inDev.map((r) => r.name).sort()).toEqual(["acme-ci-dev-app-deployment", "acme-ci-dev-app-protected", "acme-ci-dev-app-unprotected"]);
    }
  });

  test("every ref pattern a role trusts has a protection resource in the gitlab-shared stack and a plan-time check in its own stack", () => {
    const shared = scenario.json.get("gitlab-shared")!;
    for (const [name, stack] of scenario.stacks.environments) {
      const json = scenario.json.get(name)!;
      const resources = (type: string, field: string) => Object.values(shared.resource?.[type] ?? {}).map((r) => String(r[field]));
      const checks = (type: string) => Object.values(json.data?.[type] ?? {}).map((d) => JSON.stringify(d.lifecycle));
      for (const roles of stack.identity.tenantRoles.values()) {
        for (const ref of roles.protected.requiredProtectedRefs) {
          const [type, field, data] =
            ref.refType === "branch" ? ["gitlab_branch_protection", "branch", "gitlab_project_protected_branches"] : ["gitlab_tag_protection", "tag", "gitlab_project_protected_tags"];
          const covered = resources(type, field).includes(ref.ref) && checks(data).some((c) => c.includes(JSON.stringify(JSON.stringify(ref.ref)).slice(1, -1)));
          expect([name, ref.project, ref.ref, covered]).toEqual([name, ref.project, ref.ref, true]);
        }
      }
    }
  });

  test("the suite catches a trusted pattern GitLab does not protect: '?' (one character for IAM, a literal for GitLab)", () => {
    // Bypass the configuration checks: rewrite dev's synthesized release pattern to v?.*.* in the role and in the protection (gitlab-shared).
    const rewritten = ["dev", "gitlab-shared"];
    const json = new Map([...scenario.json].map(([name, j]) => [name, rewritten.includes(name) ? (JSON.parse(JSON.stringify(j).split("v*.*.*").join("v?.*.*")) as typeof j) : j]));
    const mutated = { ...scenario, model: buildIamModel(json) };
    const tag = tenantActors(app, { attackerTag: "v1.2.3" }).find((a) => a.kind === "unprotected-tag-push")!;
    expect(isProtected(mutated.model, app.path, "tag", "v1.2.3")).toBe(false);
    expect(boundaryViolations(mutated, (t) => (t.path === app.path ? [tag] : []))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^unprotected-tag-push acme\/app tag v1\.2\.3: reaches acme-ci-dev-app-protected, which pushes acme\/dev\/app\/app/)]),
    );
  });
});
