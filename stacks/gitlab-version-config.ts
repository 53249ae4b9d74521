import { check } from "../lib/core/errors";
import { checkMinimumVersions, FORK_MERGE_REQUEST_SUB_MINIMUM } from "../lib/gitlab/gitlab-version-check";
import { type PlatformConfig } from "./platform-config";

/**
 * The minimum GitLab versions of one instance's version check (`gitlab.minimumVersions`): the
 * environments on it share the check, so every one of them gives the same list, or none does.
 * The newest listed version is the minimum for every later line; each other one admits the
 * patch releases of its own line from it on (a backport of the fork merge-request `sub` fix,
 * which you have checked in your patch release's notes; see `GitLabVersionCheck`).
 *
 * @returns the list, or undefined for the default (18.2.2 only)
 * @throws ValidationError for an empty list, a version that is not `<major>.<minor>.<patch>`,
 *   a newest version below 18.2.2, an entry on the 18.2 line below 18.2.2 (that line has no
 *   backport; its fix is 18.2.2 itself), all checked by `checkMinimumVersions` (the rule the
 *   construct enforces too), or environments on the instance that disagree
 */
export function versionMinimumsOf(config: PlatformConfig, gitlabUrl: string): readonly string[] | undefined {
  const on = config.environments
    .map((env, i) => ({ env, path: `config/environments[${i}]/gitlab/minimumVersions` }))
    .filter(({ env }) => env.gitlab.url === gitlabUrl);
  const giving = on.filter(({ env }) => env.gitlab.minimumVersions !== undefined);
  if (giving.length === 0) return undefined;
  for (const { env, path } of giving) {
    checkMinimumVersions(
      env.gitlab.minimumVersions as unknown,
      path,
      `["${FORK_MERGE_REQUEST_SUB_MINIMUM}", "18.1.5"] (18.1.5 standing for the patch release of 18.1 whose notes list the fork merge-request ID token fix), or drop it for ${FORK_MERGE_REQUEST_SUB_MINIMUM}`,
    );
  }
  const first = giving[0]!;
  const differing = on.find(({ env }) => JSON.stringify(env.gitlab.minimumVersions ?? null) !== JSON.stringify(first.env.gitlab.minimumVersions));
  check(differing === undefined, {
    path: differing?.path ?? "",
    subject: "minimumVersions",
    value: differing?.env.gitlab.minimumVersions,
    rule: `the environments on ${gitlabUrl} share one version check, and ${first.path} sets ${JSON.stringify(first.env.gitlab.minimumVersions)}`,
    fix: "give every environment on the instance the same minimumVersions, or drop it everywhere",
  });
  return first.env.gitlab.minimumVersions;
}
