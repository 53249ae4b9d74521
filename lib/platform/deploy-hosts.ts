/*
 * Who else runs on the hosts of an environment's deploy jobs. A deploy job holds the deployment
 * role's credentials of its project (in its container's environment and process memory). A job on
 * the same host that is root there (docker socket binding, docker-in-docker or privileged mode, or
 * a host path that controls the host) reads every container of the host: `docker inspect` and
 * `docker exec` through the socket, or the host's /proc from a privileged container (GitLab docs,
 * "Use Docker to build Docker images", "Use the Docker executor with Docker socket binding": jobs
 * share the host's daemon and can act on its other containers; gitlab-org/gitlab#347404: a job
 * on a socket-binding runner is root on the runner host). So the
 * question is asked of the deploy route's HOSTS, not of the one runner registration a deploy job
 * names: every runner registration of a pool shares that pool's hosts (one fleet, one
 * `config.toml` with one `[[runners]]` entry per runner, lib/platform/runner-fleets.ts), and GitLab
 * gives a job to any runner whose tags include all of the job's tags (GitLab docs, "Configuring
 * runners", "Use tags to control which jobs a runner can run"), so a deploy job may land on the
 * pool of every registration carrying its tags.
 *
 * This module imports only types of the configuration (like runner-pools.ts).
 */
import { check } from "../core/errors";
import { forbiddenHostPathOf } from "../core/host-path";
import { type RunnerRegistrationConfig } from "./environment-config";
import { controlsHost, type PoolRunner, type RunnerPoolName, takesUnprotectedJobs } from "./runner-pools";

/** A runner whose jobs share a host with deploy jobs, and why that lets a job take a deploy over. */
export interface DeployHostProblem {
  /** The runner sharing the hosts. */
  readonly runner: PoolRunner;
  /**
   * `unregistered`: its registration is made outside the platform (`tokenParameterName`), so which
   * jobs it takes is unknown; `unprotected`: it takes jobs of unprotected refs; `controls-host`: its
   * jobs are root on the host and it (or the hosts) serve more than one project or the whole group.
   */
  readonly kind: "unregistered" | "unprotected" | "controls-host";
}

/**
 * Whether a runner's jobs are root on their host: the docker socket, docker-in-docker or privileged
 * mode ({@link controlsHost}), or a job volume (docker `-v` syntax,
 * `<host path>:<container path>[:<mode>]`) that gives the host:
 * - a host part that is, holds or lies inside a path that controls the host
 *   ({@link forbiddenHostPathOf}: `/`, a container runtime socket, the runner's configuration,
 *   `/proc`, ...), read-only or not;
 * - any other host directory mounted writable: a job can plant what root or another job runs
 *   there (`/usr/local/bin`, `/etc/systemd/system`, `/etc/cron.d` are run by the host; a denylist
 *   misses the next such directory, the reasoning of `untrustedJobVolumeProblem` in lib/core/host-path.ts).
 * A read-only host directory outside those paths, a container path (`/cache`) and a named docker
 * volume (`gomod:/go/pkg/mod`) do not.
 */
export function rootOnHost(runner: Pick<PoolRunner, "dockerAccess" | "privileged" | "volumes">): boolean {
  return controlsHost(runner) || (runner.volumes ?? []).some(givesTheHost);
}

function givesTheHost(volume: string): boolean {
  if (volume.includes("docker.sock") || volume.includes("containerd.sock")) return true;
  const [source, target, mode] = volume.split(":");
  if (target === undefined || !source!.startsWith("/")) return false;
  if (forbiddenHostPathOf(source!) !== undefined) return true;
  return !(mode ?? "").split(",").includes("ro");
}

/**
 * Whether GitLab can give a job with `tags` to the registration: a tagged job runs on a runner
 * carrying every one of its tags, a job without tags only on a runner taking untagged jobs.
 */
export function takesJobTagged(registration: Pick<RunnerRegistrationConfig, "tags" | "untagged">, tags: readonly string[]): boolean {
  return tags.length === 0 ? registration.untagged === true : tags.every((t) => (registration.tags ?? []).includes(t));
}

/**
 * The pools whose hosts a job with `tags` can land on: the pool of every registration that can
 * take it ({@link takesJobTagged}), and the pool of `named`, the registration the job is routed
 * to. Registrations without a pool runner are refused by the configuration check (every
 * registration runs on a fleet) and add no pool here.
 */
export function hostPoolsOf(pools: readonly PoolRunner[], registrations: readonly RunnerRegistrationConfig[], tags: readonly string[], named?: string): RunnerPoolName[] {
  const names = new Set(registrations.filter((r) => r.name === named || takesJobTagged(r, tags)).map((r) => r.name));
  const out: RunnerPoolName[] = [];
  for (const runner of pools) if (names.has(runner.name) && !out.includes(runner.pool)) out.push(runner.pool);
  return out;
}

/**
 * What lets a job take over a deploy job on the deploy route's hosts: every runner of the pools
 * the deploy job can land on ({@link hostPoolsOf}) is checked, not only the route's registration.
 * - A runner whose registration the platform does not make (token from `tokenParameterName`): its
 *   access level and projects are set in GitLab by hand, so it may take any job.
 * - A runner taking jobs of unprotected refs: any branch's or merge request's job shares the host
 *   with a deploy.
 * - A runner whose jobs are root on the host ({@link rootOnHost}), unless every job of those hosts
 *   is of one and the same project (a project runner of one project, every runner of the hosts
 *   serving that project): a protected job of that project may already assume its own deployment
 *   role (the role trusts the project's protected CI role), so it gains nothing; a protected job of
 *   another project, or of any project of the group (a group runner), would take the deploy's
 *   credentials. An opt-in to share such a runner between projects (`sharedBetweenProjects`) is
 *   about builds, not deploys, and does not lift this.
 * @param pools every runner of the environment's pools (`runnerPoolsOf`)
 * @param registrations the environment's registrations (`runnersOf`)
 * @param tags the deploy jobs' tags
 * @param named the registration the deploy jobs are routed to
 * @returns one problem per runner, in pool order; empty when no job can take a deploy over
 */
export function deployHostProblems(pools: readonly PoolRunner[], registrations: readonly RunnerRegistrationConfig[], tags: readonly string[], named: string): DeployHostProblem[] {
  const hostPools = hostPoolsOf(pools, registrations, tags, named);
  const sharing = pools.filter((p) => hostPools.includes(p.pool));
  const projects = new Set(sharing.flatMap((p) => p.tenants.map((t) => t.path)));
  const oneProject = projects.size <= 1 && sharing.every((p) => p.scope === "project");
  const problems: DeployHostProblem[] = [];
  for (const runner of sharing) {
    if (runner.registration === undefined) problems.push({ runner, kind: "unregistered" });
    else if (takesUnprotectedJobs(runner.registration)) problems.push({ runner, kind: "unprotected" });
    else if (rootOnHost(runner) && !oneProject) problems.push({ runner, kind: "controls-host" });
  }
  return problems;
}

/**
 * The deploy route's hosts (the pools of every registration a deploy job can land on) run no job
 * that could take a deploy over ({@link deployHostProblems}): no runner taking unprotected jobs or
 * registered by hand, and no runner whose jobs are root on the host unless every job there is of
 * one project.
 * @param pools every runner of the environment's pools (`runnerPoolsOf`)
 * @param registrations the environment's registrations (`runnersOf`)
 * @param route the deploy route (`deployRouteOf`)
 * @param path config path of the deploy section (`.../deploy`, or `.../deploy/runner` when the route is named there)
 * @throws ValidationError naming `path`, the value, the rule and the fix
 */
export function validateDeployHosts(
  pools: readonly PoolRunner[],
  registrations: readonly RunnerRegistrationConfig[],
  route: { readonly registration: Pick<RunnerRegistrationConfig, "name">; readonly pool: RunnerPoolName; readonly tags: readonly string[] },
  path: string,
): void {
  const problems = deployHostProblems(pools, registrations, route.tags, route.registration.name);
  const [problem] = problems;
  if (problem === undefined) return;
  const { runner } = problem;
  const hostPools = hostPoolsOf(pools, registrations, route.tags, route.registration.name);
  const sharing = pools.filter((p) => hostPools.includes(p.pool));
  const projects = [...new Set(sharing.flatMap((p) => p.tenants.map((t) => t.path)))];
  const groupWide = sharing.filter((p) => p.scope === "group").map((p) => p.name);
  const shares = runner.name === route.registration.name ? `its runner ${runner.name}` : `runner ${runner.name} (${runner.pool} pool), which shares the hosts of deploy runner ${route.registration.name},`;
  const rule =
    problem.kind === "unregistered"
      ? `a deploy job runs with the deployment role's credentials, and ${shares} is registered outside the platform (tokenParameterName): which jobs it takes (protected refs only? which projects?) is set in GitLab by hand, so any job could share the host with a deploy`
      : problem.kind === "unprotected"
        ? `a deploy job runs with the deployment role's credentials, and ${shares} takes jobs of unprotected refs: a deploy job routed to a pool that takes unprotected jobs lets any branch's or merge request's job share the host with a deploy`
        : `a deploy job runs with the deployment role's credentials, and ${shares} runs jobs that are root on the host (${runner.dockerAccess !== "none" ? `docker access ${runner.dockerAccess}` : runner.privileged ? "privileged" : "a host path volume"}): ` +
          `they read every container of the host, a deploy's credentials included, and the hosts take jobs of ${groupWide.length > 0 ? `every project of the group (group runner ${groupWide.join(", ")})` : `several projects (${projects.join(", ")})`}, so a protected job of one project takes over another project's deploy`;
  check(false, {
    path,
    subject: "deploy hosts",
    value: {
      deployRunner: route.registration.name,
      pool: route.pool,
      sharesHostsWith: runner.name,
      dockerAccess: runner.dockerAccess,
      privileged: runner.privileged,
      protectedRefsOnly: runner.registration?.protectedRefsOnly ?? null,
      projects,
    },
    rule,
    fix:
      problem.kind === "controls-host"
        ? `give deploy jobs hosts of their own (runners.deploy, e.g. { capacity: { minSize: 1, maxSize: 1 } }: protected refs only, no docker socket), or let the hosts serve one project (projects: ["${projects[0] ?? "<project>"}"] on every runner of the ${hostPools.join(" and ")} pool${hostPools.length > 1 ? "s" : ""}, no group runner)`
        : `give deploy jobs hosts of their own (runners.deploy), or register runner ${runner.name} through the platform with protectedRefsOnly: true (no allowUnprotectedJobs)`,
  });
}
