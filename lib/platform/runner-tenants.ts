/*
 * Which tenants (GitLab projects of `gitlab.projects`) each runner serves, and
 * what its hosts may therefore pull.
 *
 * A runner entry lists the projects it serves (`projects`, default: every
 * tenant). Its registration is a project runner of exactly those projects
 * (GitLab: a project runner runs jobs of the projects it is registered for or
 * enabled in; "Manage runners", https://docs.gitlab.com/ci/runners/runners_scope/),
 * and the host role of its pool pulls only their repositories.
 *
 * The runners of one pool share hosts and one host role, and a job may name any
 * image the host role can pull as its `image:`: the runner pulls job images with
 * the host's credentials (DOCKER_AUTH_CONFIG `credHelpers` run the ECR credential
 * helper on the runner host, not in the job: GitLab docs, "Run your CI/CD jobs in
 * Docker containers", "Use a credential helper"; in the docker-autoscaler mode on
 * the manager). So the runners of a pool serve the same projects: otherwise a job
 * of one project could run another project's image through a neighbour's grant.
 *
 * A project runner that serves several projects cannot be locked (GitLab refuses
 * to enable a locked runner in further projects, `POST /projects/:id/runners`), so a
 * Maintainer of one of them may enable it in another project they maintain; Terraform
 * does not see such an enablement (docs/runner-pools.md says what to check by hand).
 *
 * A runner whose jobs bind the docker socket or run privileged makes each job
 * root on the host's docker daemon, which every job of the host uses: one
 * project's job could re-tag a local image or poison the build cache that the
 * next project's protected job uses. Such a runner serves one project, unless
 * its entry says why sharing is acceptable (`sharedBetweenProjects: { reason }`).
 *
 * This module imports only types of the configuration (config.ts imports runner-pools.ts, which imports it).
 */
import { check } from "../core/errors";
import { type EnvironmentConfig, type RunnerRegistrationConfig } from "./environment-config";
import { type Tenant, tenantsOf, type TrustLevel } from "./tenancy";

/** Shortest written reason of an opt-in (the same as the pools' other opt-ins). */
const MIN_REASON_LENGTH = 20;

/** What the tenant checks read of one runner of a pool. */
export interface RunnerTenantsEntry {
  /** Runner name. */
  readonly name: string;
  /** The pool whose hosts it shares (`protected`, `unprotected` or `deploy`). */
  readonly pool: string;
  /** Its `projects` as configured (undefined: every tenant). */
  readonly projects?: readonly string[];
  /** Binds the docker socket or runs privileged. */
  readonly controlsHost: boolean;
  /** Its `sharedBetweenProjects` opt-in as configured. */
  readonly sharedBetweenProjects?: { readonly reason: string };
  /** Where it is configured, e.g. `config/environments[0]/runners/runners[1]`. */
  readonly configPath: string;
}

/**
 * The tenants a runner entry serves: those its `projects` list (in the order of
 * `gitlab.projects`), or every tenant when it lists none. Paths that are not
 * tenants are left out here and refused by {@link validateRunnerTenants}.
 */
export function servedTenantsOf(env: EnvironmentConfig, projects: readonly string[] | undefined): readonly Tenant[] {
  const tenants = tenantsOf(env);
  return projects === undefined ? tenants : tenants.filter((t) => projects.includes(t.path));
}

function reasonGiven(optIn: { readonly reason?: unknown } | undefined): boolean {
  return optIn !== undefined && typeof optIn.reason === "string" && optIn.reason.trim().length >= MIN_REASON_LENGTH;
}

/**
 * Checks which tenants the runners of an environment serve:
 * - `projects` is a non-empty list of distinct paths listed in `gitlab.projects`;
 * - the runners of one pool (one set of hosts, one host role) serve the same projects;
 * - a runner whose jobs bind the docker socket or run privileged serves one project,
 *   unless `sharedBetweenProjects: { reason }` (at least 20 characters) says why;
 * - a group runner (`groupRunner`) serves every project of the group, so its entry does not narrow `projects`.
 * @param runners every runner of the environment's pools
 * @param registrations the environment's registrations (`runnersOf`)
 * @param path config path of the environment
 * @throws ValidationError naming the runner's config path, the value, the rule and the fix
 */
export function validateRunnerTenants(env: EnvironmentConfig, runners: readonly RunnerTenantsEntry[], registrations: readonly RunnerRegistrationConfig[], path: string): void {
  const listed = tenantsOf(env).map((t) => t.path);
  for (const runner of runners) {
    const projects = runner.projects as unknown;
    if (projects === undefined) continue;
    check(Array.isArray(projects) && projects.length > 0, {
      path: runner.configPath,
      subject: "projects",
      value: projects,
      rule: "projects lists the GitLab projects whose jobs the runner takes: at least one",
      fix: `list one or more of gitlab.projects (${listed.join(", ")}), or leave projects out to serve all of them`,
    });
    (projects as unknown[]).forEach((project, i) => {
      check(typeof project === "string" && listed.includes(project), {
        path: `${runner.configPath}/projects[${i}]`,
        subject: "project",
        value: project,
        rule: "a runner serves projects of the environment's gitlab.projects (their paths, spelled as listed there)",
        fix: `use one of ${listed.join(", ")}, or add the project to gitlab.projects`,
      });
      check((projects as unknown[]).indexOf(project) === i, {
        path: `${runner.configPath}/projects[${i}]`,
        subject: "project",
        value: project,
        rule: "a project is listed once",
        fix: "remove the duplicate",
      });
    });
  }
  const servedPaths = (runner: RunnerTenantsEntry) => servedTenantsOf(env, runner.projects).map((t) => t.path);
  for (const pool of new Set(runners.map((r) => r.pool))) {
    const members = runners.filter((r) => r.pool === pool);
    const first = members[0]!;
    const expected = servedPaths(first);
    for (const runner of members.slice(1)) {
      const served = servedPaths(runner);
      check(served.length === expected.length && served.every((p) => expected.includes(p)), {
        path: runner.configPath,
        subject: "projects",
        value: { runner: runner.name, projects: served, [first.name]: expected },
        rule: `the runners of the ${pool} pool share hosts and one host role, which pulls the images of every project they serve; a job may run any of those images (image:), so each runner of the pool serves the same projects as runner ${first.name}`,
        fix: `give runner ${runner.name} the projects of runner ${first.name} (${expected.join(", ")}), or serve the other projects from another environment's pool`,
      });
    }
    for (const runner of members.filter((r) => r.controlsHost)) {
      const served = servedPaths(runner);
      if (runner.sharedBetweenProjects !== undefined) {
        check(reasonGiven(runner.sharedBetweenProjects), {
          path: `${runner.configPath}/sharedBetweenProjects`,
          subject: "reason",
          value: runner.sharedBetweenProjects,
          rule: `sharing a socket-binding or privileged runner between projects needs a written reason of at least ${MIN_REASON_LENGTH} characters`,
          fix: 'give sharedBetweenProjects: { reason: "<why a protected job of each project may control the others\' builds>" }',
        });
      }
      check(served.length <= 1 || runner.sharedBetweenProjects !== undefined, {
        path: runner.configPath,
        subject: "projects",
        value: { runner: runner.name, projects: served },
        rule: "a runner whose jobs bind the docker socket or run privileged makes each job root on the host's docker daemon, which the jobs of every project it serves use: one project's job can re-tag a local image or poison the build cache another project's protected job runs; it serves one project",
        fix: `give the runner (and the rest of its pool) projects: ["${served[0] ?? "<project>"}"] and serve the other projects from a runner of their own, or give sharedBetweenProjects: { reason: "..." } (at least ${MIN_REASON_LENGTH} characters) if a protected job of each of these projects may control the others' builds`,
      });
    }
  }
  for (const runner of runners) {
    const index = registrations.findIndex((r) => r.name === runner.name);
    const registration = registrations[index];
    if (registration?.groupRunner === undefined || runner.projects === undefined) continue;
    check(servedPaths(runner).length === listed.length, {
      path: `${path}/gitlab/runners[${index}]`,
      subject: "groupRunner",
      value: { runner: runner.name, groupRunner: registration.groupRunner, projects: runner.projects },
      rule: "a group runner serves every project of the group, so it cannot serve only some of them",
      fix: `drop groupRunner to register a project runner of ${runner.projects.join(", ")}, or drop projects from the runner entry`,
    });
  }
}

/** One repository a host role pulls: a tenant's repository (by config id) at a trust level. */
export interface HostPull {
  readonly tenant: string;
  readonly repositoryId: string;
  readonly trust: TrustLevel;
}

/**
 * The repositories the host role of a pool pulls (the images its jobs may name
 * as `image:`, which the runner pulls with the host's credentials):
 * - a protected or deploy pool: the protected repositories of the tenants it serves
 *   (protected jobs never run unprotected images);
 * - an unprotected pool: the unprotected repositories of the tenants it serves, and
 *   read-only their toolbox image (below), never any other protected repository.
 *
 * Every pool also pulls the toolbox image its jobs start from (the CI templates'
 * builder image `$PLATFORM_TOOLBOX_IMAGE`, image role `toolbox`): the protected
 * repository of that role of each tenant it serves and of the toolbox project's
 * tenant (`gitlab.toolboxProject`), read-only. Pulling an image that only
 * protected pipelines push does not let an unprotected job change it.
 *
 * @param served the tenants the pool's runners serve ({@link servedTenantsOf})
 * @param toolboxRepositoryId the repository id of image role `toolbox` (`imageRolesOf(env).toolbox`), if any
 */
export function hostPullsOf(env: EnvironmentConfig, trust: TrustLevel, served: readonly Tenant[], toolboxRepositoryId: string | undefined): HostPull[] {
  const pulls: HostPull[] = [];
  const add = (pull: HostPull) => {
    if (!pulls.some((p) => p.tenant === pull.tenant && p.repositoryId === pull.repositoryId && p.trust === pull.trust)) pulls.push(pull);
  };
  for (const tenant of served) for (const repo of tenant.repositories) add({ tenant: tenant.name, repositoryId: repo.id, trust });
  for (const pull of toolboxPullsOf(env, served, toolboxRepositoryId)) add(pull);
  return pulls;
}

/**
 * The toolbox images (protected, read-only) every pool's host role pulls for the tenants
 * it serves: see {@link hostPullsOf}. The only protected repositories an unprotected pool reaches.
 */
export function toolboxPullsOf(env: EnvironmentConfig, served: readonly Tenant[], toolboxRepositoryId: string | undefined): HostPull[] {
  if (toolboxRepositoryId === undefined) return [];
  const toolboxProject = env.gitlab.toolboxProject?.path;
  const owners = [...served, ...tenantsOf(env).filter((t) => t.path === toolboxProject && !served.some((s) => s.path === t.path))];
  return owners.filter((t) => t.repositories.some((r) => r.id === toolboxRepositoryId)).map((t) => ({ tenant: t.name, repositoryId: toolboxRepositoryId, trust: "protected" as const }));
}
