/*
 * The IAM trust boundaries as properties over generated configurations:
 * tenants (paths, names, default branches), environments (accounts, shared or
 * not), release tag patterns, sub claim components and attacker-chosen refs.
 */
import fc from "fast-check";
import { type SubClaimComponent } from "../../lib/platform/tenancy";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { type Actor } from "../support/gitlab-actors";
import { boundaryViolations, crossAudienceAcceptances } from "./boundaries";
import { gitlabRefMatches } from "./iam-model";
import { buildScenario, tenantActors } from "./scenario";

interface Generated {
  readonly tenants: readonly { readonly path: string; readonly defaultBranch: string }[];
  readonly environments: readonly { readonly name: string; readonly account: string }[];
  readonly releaseTags: string;
  readonly components: readonly SubClaimComponent[];
  readonly attackerBranches: readonly string[];
  readonly attackerTags: readonly string[];
}

const refChar = fc.constantFrom("v", "1", "2", ".", "-", "x", "m", "a", "i", "n", "/");
const refName = fc
  .array(refChar, { minLength: 1, maxLength: 8 })
  .map((cs) => cs.join(""))
  .filter((r) => !/^[/.-]|[/.]$|\.\.|\/\/|\.lock$/.test(r));

const generated: fc.Arbitrary<Generated> = fc.record({
  tenants: fc.uniqueArray(
    fc.record({
      path: fc.constantFrom("grp/app", "grp/api", "grp/team/app-x", "grp/tools", "grp/team/web"),
      defaultBranch: fc.constantFrom("main", "master", "trunk", "develop"),
    }),
    { minLength: 1, maxLength: 3, selector: (t) => t.path.split("/").pop()! },
  ),
  environments: fc.uniqueArray(fc.record({ name: fc.constantFrom("dev", "staging", "prod", "qa"), account: fc.constantFrom("111111111111", "222222222222") }), {
    minLength: 1,
    maxLength: 3,
    selector: (e) => e.name,
  }),
  releaseTags: fc.constantFrom("v*.*.*", "v1.*.*", "v2.0.*", "v3.1.4", "v*.*.*-rc*"),
  components: fc.constantFrom<readonly SubClaimComponent[]>(["project_path", "ref_type", "ref"], ["project_path", "ref", "ref_type"]),
  attackerBranches: fc.array(fc.oneof(refName, fc.constantFrom("main", "master", "v1.2.3")), { minLength: 1, maxLength: 4 }),
  attackerTags: fc.array(fc.oneof(refName, fc.constantFrom("v0-x", "v1.2", "v1.2.3", "main", "v1.2.3-rc1")), { minLength: 1, maxLength: 4 }),
});

function configOf(g: Generated): PlatformConfig {
  const accounts = [...new Set(g.environments.map((e) => e.account))].map((accountId) => ({ name: `a${accountId.slice(0, 1)}`, accountId, region: "eu-central-1" }));
  const environments: EnvironmentConfig[] = g.environments.map((e, i) => ({
    name: e.name,
    accountId: e.account,
    region: "eu-central-1",
    production: e.name === "prod",
    gitlab: {
      url: "https://gitlab.example.com",
      group: "grp",
      tier: "premium" as const,
      projects: g.tenants.map((t) => ({ path: t.path, defaultBranch: t.defaultBranch })),
      variables: { environmentScope: i === 0 ? "*" : e.name },
    },
    registry: { repositories: [{ id: "app", description: "app" }, { id: "ci", description: "ci" }] },
    identity: {
      releaseTags: g.releaseTags,
      subClaimComponents: g.components,
      deployment: { statements: [{ actions: ["s3:GetObject"], resources: [`arn:aws:s3:::state-${e.account}/${e.name}/*`] }] },
    },
  }));
  return { project: "acme-ci", accounts, environments };
}

/** The example actors plus an unprotected-branch and an unprotected-tag actor per attacker-chosen ref. */
function actorsWith(g: Generated) {
  return (tenant: Parameters<typeof tenantActors>[0]): Actor[] => {
    const base = tenantActors(tenant, { releaseTag: "v3.1.4" });
    const tagProtected = (tag: string) => gitlabRefMatches(g.releaseTags, tag);
    const extra: Actor[] = [
      ...g.attackerBranches.map((ref): Actor => {
        const isDefault = ref === tenant.defaultBranch;
        return { kind: isDefault ? "protected-default-branch" : "unprotected-branch-push", projectPath: tenant.path, refType: "branch", ref, refProtected: isDefault, trust: isDefault ? "protected" : "unprotected" };
      }),
      ...g.attackerTags.map((ref): Actor => {
        const prot = tagProtected(ref);
        return { kind: prot ? "protected-release-tag" : "unprotected-tag-push", projectPath: tenant.path, refType: "tag", ref, refProtected: prot, trust: prot ? "protected" : "unprotected" };
      }),
      // A fork MR on a fixed GitLab (18.2.2+): the fork's own project path.
      { kind: "fork-merge-request", projectPath: `mallory/${tenant.path.split("/").pop()!}`, refType: "branch", ref: tenant.defaultBranch, refProtected: false, trust: "unprotected" },
    ];
    // The release tag of the base actors is protected only when the pattern covers it.
    return [...base.filter((a) => a.kind !== "protected-release-tag" || tagProtected(a.ref)).filter((a) => a.kind !== "fork-merge-request"), ...extra];
  };
}

describe("attack paths on generated configurations (IAM)", () => {
  test("no unprotected ref reaches a role that pushes what protected pipelines run or deploys; tenants stay apart; tokens stay in their environment", () => {
    fc.assert(
      fc.property(generated, (g) => {
        const scenario = buildScenario(configOf(g));
        expect(boundaryViolations(scenario, actorsWith(g))).toEqual([]);
        expect(crossAudienceAcceptances(scenario)).toEqual([]);
      }),
      { numRuns: 6 },
    );
  });
});
