import { check } from "../lib/core/errors";
import { FORK_MERGE_REQUEST_SUB_MINIMUM } from "../lib/gitlab/gitlab-version-check";
import { type PlatformConfig } from "./platform-config";

const VERSION = /^\d+\.\d+\.\d+$/;

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
 *   backport; its fix is 18.2.2 itself), or environments on the instance that disagree
 */
export function versionMinimumsOf(config: PlatformConfig, gitlabUrl: string): readonly string[] | undefined {
  const on = config.environments
    .map((env, i) => ({ env, path: `config/environments[${i}]/gitlab/minimumVersions` }))
    .filter(({ env }) => env.gitlab.url === gitlabUrl);
  const giving = on.filter(({ env }) => env.gitlab.minimumVersions !== undefined);
  if (giving.length === 0) return undefined;
  for (const { env, path } of giving) {
    const list = env.gitlab.minimumVersions as unknown;
    check(Array.isArray(list) && list.length > 0 && list.every((v) => typeof v === "string" && VERSION.test(v)), {
      path,
      subject: "minimumVersions",
      value: list,
      rule: "minimum GitLab versions are one or more <major>.<minor>.<patch> versions",
      fix: `use e.g. ["${FORK_MERGE_REQUEST_SUB_MINIMUM}", "18.1.5"] (18.1.5 standing for the patch release of 18.1 whose notes list the fork merge-request ID token fix), or drop it for ${FORK_MERGE_REQUEST_SUB_MINIMUM}`,
    });
    const newest = [...(list as string[])].map((v) => v.split(".").map(Number)).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!).pop()!;
    const [major, minor, patch] = FORK_MERGE_REQUEST_SUB_MINIMUM.split(".").map(Number) as [number, number, number];
    check(newest[0]! > major || (newest[0] === major && (newest[1]! > minor || (newest[1] === minor && newest[2]! >= patch))), {
      path,
      subject: "minimumVersions",
      value: list,
      rule: `the newest listed version is the minimum for every later line, and no release before ${FORK_MERGE_REQUEST_SUB_MINIMUM} carries the fork's project_path in fork merge-request ID tokens; older lines are admitted only as backports listed next to it`,
      fix: `list "${FORK_MERGE_REQUEST_SUB_MINIMUM}" (or later) too, with the backports of older lines beside it`,
    });
    const [fixMajor, fixMinor] = [major, minor];
    // Every later line's releases order above the first fixed release, so only the fixed line's
    // own earlier patch releases can sit below it.
    const unpatched = (list as string[]).find((v) => {
      const [a, b, c] = v.split(".").map(Number) as [number, number, number];
      return a === fixMajor && b === fixMinor && c < patch;
    });
    check(unpatched === undefined, {
      path,
      subject: "minimumVersions",
      value: list,
      rule: `${unpatched} is on a line at or above ${fixMajor}.${fixMinor}, where ${FORK_MERGE_REQUEST_SUB_MINIMUM} is the first release with the fork merge-request ID token fix; only lines before ${fixMajor}.${fixMinor} take a backport minimum`,
      fix: `raise ${unpatched} to ${FORK_MERGE_REQUEST_SUB_MINIMUM} or later on its line, or drop it`,
    });
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
