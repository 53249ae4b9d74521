/*
 * Who may create a pull-through cache repository. The first pull of an image through a pull-through
 * cache rule creates its repository (`ecr:CreateRepository`, "required if the repository storing the
 * cached images doesn't already exist", Amazon ECR User Guide, pull-through-cache-iam.html), and a
 * repository creation template (encryption, tag mutability, lifecycle, repository policy) applies only
 * to repositories ECR creates so ("This doesn't have any effect on any previously created
 * repositories", repository-creation-templates-create.html). With CreateRepository on the prefixes, a
 * merge request could create `ecr-public/library/alpine` with settings of its own before the first
 * pull, and every later pull (protected builds too) would cache into it. So every role an unprotected
 * actor or an unprotected runner host reaches may import into existing cache repositories
 * (BatchImportUpstreamImage) but not create them; protected CI roles and protected runner hosts may.
 * The account stack may create cache repositories up front (`cachedRepositories`, with the template's
 * settings): unprotected roles import into those as into any existing one.
 * Decided by the IAM evaluator over every synthesized stack of the example app.
 */
import { boundaryViolations, reachedBy, runnerHostReach } from "./boundaries";
import { isProtected, principalMay, type RepositoryNode, type RoleNode } from "./iam-model";
import { type Json, grantRoleIn, plantedIn } from "./planted";
import { exampleScenario, tenantActors } from "./scenario";
import { netRolesOf } from "./write-net";

const base = exampleScenario();
const accountOf = (arn: string) => arn.split(":")[4]!;
const may = (role: RoleNode, action: string, repo: RepositoryNode) => principalMay(role, action, { arn: repo.arn, account: accountOf(repo.arn), policies: repo.policies });
/** The pull-through probe repositories (`<prefix>/library/pull-through-probe`) in a role's own account. */
const probesOf = (role: RoleNode) => base.model.pullThrough.filter((r) => accountOf(r.arn) === role.account);

/** Every role an unprotected actor or a host running unprotected jobs reaches (the write net's roles). */
function unprotectedRoles(): RoleNode[] {
  const reached = base.environments.flatMap((env) =>
    env.tenants.flatMap((tenant) =>
      tenantActors(tenant)
        .filter((actor) => actor.trust === "unprotected" && !isProtected(base.model, actor.projectPath, actor.refType, actor.ref))
        .map((actor) => ({ tenant: tenant.name, roles: reachedBy(base, actor) })),
    ),
  );
  return [...netRolesOf(base, reached).keys()];
}

describe("attack paths: creating pull-through cache repositories", () => {
  const unprotected = unprotectedRoles();

  test("the example has pull-through rules, unprotected CI roles and the unprotected pool's manager among the roles judged", () => {
    expect(base.model.pullThrough.length).toBeGreaterThan(0);
    expect(unprotected.map((r) => r.name)).toEqual(expect.arrayContaining(["acme-ci-dev-app-unprotected", "acme-ci-dev-unprotected-runner-manager"]));
  });

  test("no role an unprotected actor or an unprotected runner host reaches may create a pull-through repository; the CI roles import into existing ones", () => {
    const creates = unprotected.flatMap((role) => base.model.pullThrough.filter((repo) => may(role, "ecr:CreateRepository", repo)).map((repo) => `${role.stack}:${role.name} ${repo.name}`));
    expect(creates).toEqual([]);
    const dev = unprotected.find((r) => r.name === "acme-ci-dev-app-unprotected")!;
    expect(probesOf(dev).length).toBeGreaterThan(0);
    expect(probesOf(dev).filter((repo) => !may(dev, "ecr:BatchImportUpstreamImage", repo) || !may(dev, "ecr:BatchGetImage", repo))).toEqual([]);
  });

  test("cache repositories created up front (cachedRepositories): pull-through repositories, which unprotected CI roles import into and still may not create", () => {
    const listed = base.model.pullThrough.filter((r) => !r.name.endsWith("/library/pull-through-probe"));
    expect(listed.map((r) => `${r.stack} ${r.name}`)).toEqual(["account-nonprod ecr-public/docker/library/alpine"]);
    expect(base.model.repositories.filter((r) => listed.some((l) => l.arn === r.arn))).toEqual([]);
    const dev = unprotected.find((r) => r.name === "acme-ci-dev-app-unprotected")!;
    const alpine = listed[0]!;
    expect(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:PutImage"].filter((a) => may(dev, a, alpine))).toEqual(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage"]);
    expect(unprotected.filter((role) => may(role, "ecr:CreateRepository", alpine) || may(role, "ecr:PutImage", alpine)).map((r) => r.name)).toEqual([]);
  });

  test("protected CI roles and the protected pool's runner hosts may create them (the first pull of a new upstream image)", () => {
    const protectedCi = base.model.roles.filter((r) => r.stack === "dev" && r.name.endsWith("-protected"));
    expect(protectedCi.length).toBeGreaterThan(0);
    const hosts = runnerHostReach(base).filter((h) => h.host.startsWith("dev/") && h.reached[0]!.name.includes("runner") && !unprotected.some((r) => h.reached.includes(r)));
    expect(hosts.length).toBeGreaterThan(0);
    for (const role of [...protectedCi, ...hosts.map((h) => h.reached[0]!)]) {
      const probes = probesOf(role);
      expect({ role: role.name, creates: probes.length > 0 && probes.every((repo) => may(role, "ecr:CreateRepository", repo)) }).toEqual({ role: role.name, creates: true });
    }
  });

  test("planted: ecr:CreateRepository on a pull-through prefix for the dev unprotected role is reported by the write net", () => {
    const probe = base.model.pullThrough.find((r) => accountOf(r.arn) === "111111111111")!;
    const prefix = probe.arn.slice(0, probe.arn.indexOf("/library/"));
    const planted = plantedIn(base, (json) => grantRoleIn(json.get("dev")!, "acme-ci-dev-app-unprotected", { Effect: "Allow", Action: "ecr:CreateRepository", Resource: `${prefix}/*` } as Json));
    expect(boundaryViolations(planted)).toEqual(expect.arrayContaining([expect.stringMatching(/acme-ci-dev-app-unprotected \(reached by an unprotected actor or runner host\) may ecr:CreateRepository on /)]));
  });
});
