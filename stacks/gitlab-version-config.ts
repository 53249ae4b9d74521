import { check } from "../lib/core/errors";
import { checkMinimumVersions, FORK_MERGE_REQUEST_SUB_MINIMUM, type GitLabVersionCheckProps } from "../lib/gitlab/gitlab-version-check";
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

/**
 * The GitLab version check's opt-out on one instance: the environments on it share the check,
 * so either every one of them gives `gitlab.skipVersionCheck` with a reason, or none does.
 * @throws ValidationError naming the environment that differs, or a missing reason
 */
export function versionCheckSkipOf(config: PlatformConfig, gitlabUrl: string): { readonly reason: string } | undefined {
  const on = config.environments.map((env, i) => ({ env, path: `config/environments[${i}]/gitlab/skipVersionCheck` })).filter(({ env }) => env.gitlab.url === gitlabUrl);
  const skipping = on.filter(({ env }) => env.gitlab.skipVersionCheck !== undefined);
  if (skipping.length === 0) return undefined;
  for (const { env, path } of skipping) {
    const reason = (env.gitlab.skipVersionCheck as { reason?: unknown }).reason;
    check(typeof reason === "string" && reason.trim().length > 0, {
      path,
      subject: "reason",
      value: reason,
      rule: "skipping the GitLab version check needs a written reason (on GitLab before 18.2.2 IAM cannot tell a fork branch named like a protected branch from that branch)",
      fix: 'give skipVersionCheck: { reason: "..." }, e.g. "no merge-request pipelines from forks run in the parent projects", or drop it',
    });
  }
  const checked = on.find(({ env }) => env.gitlab.skipVersionCheck === undefined);
  check(checked === undefined, {
    path: checked?.path ?? "",
    subject: "skipVersionCheck",
    value: undefined,
    rule: `the environments on ${gitlabUrl} share one version check, and ${skipping[0]!.path} skips it`,
    fix: "give every environment on the instance the same skipVersionCheck, or drop it everywhere",
  });
  return { reason: [...new Set(skipping.map(({ env }) => env.gitlab.skipVersionCheck!.reason))].join("; ") };
}

/**
 * The version check of one GitLab instance as the configuration sets it: its opt-out
 * ({@link versionCheckSkipOf}) and minimum versions ({@link versionMinimumsOf}), checked across
 * the instance's environments. The one place both are read, for whichever stack holds the check
 * (the instance's shared GitLab stack, or an environment stack where there is none).
 * @throws ValidationError as {@link versionCheckSkipOf} and {@link versionMinimumsOf}
 */
export function versionCheckOf(config: PlatformConfig, gitlabUrl: string): Omit<GitLabVersionCheckProps, "gitlabUrl"> {
  const skip = versionCheckSkipOf(config, gitlabUrl);
  const minimumVersions = versionMinimumsOf(config, gitlabUrl);
  return { ...(skip ? { skip } : {}), ...(minimumVersions ? { minimumVersions } : {}) };
}
