/*
 * GitLab project paths as the platform accepts them. Defined in the GitLab layer so that the deploy
 * jobs' pinned rows (lib/gitlab) and the tenancy checks (lib/platform, which re-exports it) share
 * one rule without the GitLab layer importing the platform layer above it.
 */

/** GitLab project paths: namespace segments and the project, each letters, digits, `_`, `.`, `-`, not starting with `-`. */
const PROJECT_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$/;

/**
 * Whether `path` is a project path the configuration accepts for a tenant: `group[/subgroup…]/project`,
 * each segment of letters, digits, `_`, `.` and `-`, not starting with `-`, and not ending in `.git`
 * (that names the repository, not the project). Shared by every place that checks a tenant's path
 * (the deploy jobs' pinned rows too), so none accepts or refuses what another does not.
 */
export function isTenantProjectPath(path: unknown): path is string {
  return typeof path === "string" && PROJECT_PATH.test(path) && !path.endsWith(".git");
}
