import { DataGitlabMetadata } from "@cdktf/provider-gitlab/lib/data-gitlab-metadata";
import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { check } from "../core/errors";

/**
 * The first GitLab release whose ID tokens for a merge-request pipeline from a fork, run in the
 * parent project, carry the fork's `project_path` (and so the fork's `sub`). Before it such a
 * pipeline got the parent's `project_path` with the fork's branch name: a fork branch named like
 * a protected branch carried that branch's `sub` and assumed its role. GitLab 18.2.2 changed the
 * claims (gitlab-org/gitlab#561735, "id_token regression in 18.2.2 for merge requests from forks":
 * the behaviour "was not present in GitLab 18.2.1"; the security fix is gitlab-org/gitlab commit
 * 7e9f329e, referenced from gitlab-org/gitlab#563038).
 */
export const FORK_MERGE_REQUEST_SUB_MINIMUM = "18.2.2";

/**
 * The default minimum versions for {@link GitLabVersionCheck}: only 18.2.2. GitLab's maintenance
 * policy backports security fixes to the two previous minor lines, but which 18.1 and 18.0 patch
 * releases carry this one could not be confirmed (searched: GitLab's patch release posts and
 * changelog for those lines, gitlab-org/gitlab#563038, which names the fix commit 7e9f329e and
 * security issue gitlab-org/security/gitlab#1384, and !202241 / its backport !205705, which add the
 * later `job_project_*` claims), so no backport is accepted by default: pass them as
 * `minimumVersions` once you have checked your patch release.
 */
export const FORK_MERGE_REQUEST_SUB_MINIMUMS: readonly string[] = [FORK_MERGE_REQUEST_SUB_MINIMUM];

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

/** A version as one number: major * 1e6 + minor * 1e3 + patch (GitLab's minor and patch numbers stay below 1000). */
const encode = (major: number, minor: number, patch: number) => major * 1_000_000 + minor * 1_000 + patch;

/**
 * A Terraform expression (without `${}`) that is true when `versionRef` (a GitLab version such as
 * `18.2.2-ee`, `18.3.0-pre` or `19.0.0`) is at least the newest of `minimums`, or is a patch
 * release of the line of another listed minimum at or above its patch (a backport). Anything
 * that does not start with `<major>.<minor>.<patch>` is false. Terraform's `&&`/`||` do not
 * short-circuit, so the parse sits in `try(..., false)`, and a one-element `for` binds it.
 *
 * @param minimums versions `<major>.<minor>.<patch>`, at least one
 * @throws RangeError for an empty list or a malformed minimum
 */
export function versionAtLeastExpression(versionRef: string, minimums: readonly string[]): string {
  if (minimums.length === 0) throw new RangeError("versionAtLeastExpression: at least one minimum version");
  const parsed = minimums.map((m) => {
    const match = VERSION.exec(m);
    if (!match) throw new RangeError(`versionAtLeastExpression: ${JSON.stringify(m)} is not <major>.<minor>.<patch>`);
    return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
  });
  const newest = parsed.reduce((a, b) => (encode(a.major, a.minor, a.patch) >= encode(b.major, b.minor, b.patch) ? a : b));
  const number = "tonumber(v[0]) * 1000000 + tonumber(v[1]) * 1000 + tonumber(v[2])";
  const terms = [
    `${number} >= ${encode(newest.major, newest.minor, newest.patch)}`,
    ...parsed.filter((m) => m !== newest).map((m) => `(tonumber(v[0]) == ${m.major} && tonumber(v[1]) == ${m.minor} && tonumber(v[2]) >= ${m.patch})`),
  ];
  return `try(anytrue([for v in [regex("^([0-9]+)[.]([0-9]+)[.]([0-9]+)", ${versionRef})] : anytrue([${terms.join(", ")}])]), false)`;
}

/**
 * Checks a list of minimum GitLab versions for {@link GitLabVersionCheck}: one or more
 * `<major>.<minor>.<patch>` versions, the newest at least {@link FORK_MERGE_REQUEST_SUB_MINIMUM}
 * (it is the minimum for every later line, and no earlier release carries the fork's
 * `project_path` in fork merge-request ID tokens), and no other entry on the
 * {@link FORK_MERGE_REQUEST_SUB_MINIMUM} line below it (that line's fix is that release itself;
 * lines before it take a backport minimum, which the caller has checked in its release notes).
 * The construct and the configuration layer (`gitlab.minimumVersions`) both call it, so a list
 * one refuses the other refuses too.
 *
 * @param minimums the list, as given (checked at run time for plain-JavaScript callers)
 * @param path construct path or configuration path named in the message
 * @param fixExample a valid list to name in the fix of a malformed one
 * @throws ValidationError for an empty list, a malformed version, a newest version below
 *   {@link FORK_MERGE_REQUEST_SUB_MINIMUM}, or an unpatched release of its line
 */
export function checkMinimumVersions(minimums: unknown, path: string, fixExample = `["${FORK_MERGE_REQUEST_SUB_MINIMUM}"]`): asserts minimums is readonly string[] {
  const wellFormed = Array.isArray(minimums) && minimums.length > 0 && minimums.every((m) => typeof m === "string" && VERSION.test(m));
  check(wellFormed, {
    path,
    subject: "minimumVersions",
    value: minimums,
    rule: "minimum GitLab versions are one or more <major>.<minor>.<patch> versions",
    fix: `use e.g. ${fixExample}`,
  });
  // Collecting every problem (the configuration pass), a malformed list is that one problem: the
  // rules below read versions it does not hold (an empty list's newest is -Infinity, "18.2" has no patch).
  if (!wellFormed) return;
  const [major, minor, patch] = FORK_MERGE_REQUEST_SUB_MINIMUM.split(".").map(Number) as [number, number, number];
  const fixed = encode(major, minor, patch);
  const numbers = minimums.map((v) => v.split(".").map(Number) as [number, number, number]);
  check(Math.max(...numbers.map((n) => encode(...n))) >= fixed, {
    path,
    subject: "minimumVersions",
    value: minimums,
    rule: `the newest listed version is the minimum for every later line, and no release before ${FORK_MERGE_REQUEST_SUB_MINIMUM} carries the fork's project_path in fork merge-request ID tokens; older lines are admitted only as backports listed next to it`,
    fix: `list "${FORK_MERGE_REQUEST_SUB_MINIMUM}" (or later) too, with the backports of older lines beside it`,
  });
  // Every later line's releases order above the first fixed release, so only the fixed line's
  // own earlier patch releases can sit below it.
  const unpatched = minimums.find((_, i) => numbers[i]![0] === major && numbers[i]![1] === minor && numbers[i]![2] < patch);
  check(unpatched === undefined, {
    path,
    subject: "minimumVersions",
    value: minimums,
    rule: `${unpatched} is on the ${major}.${minor} line below ${FORK_MERGE_REQUEST_SUB_MINIMUM}, the first release of that line with the fork merge-request ID token fix (it has no earlier backport); only lines before ${major}.${minor} take a backport minimum`,
    fix: `raise ${unpatched} to ${FORK_MERGE_REQUEST_SUB_MINIMUM} or later on its line, or drop it`,
  });
}

/** Props of a {@link GitLabVersionCheck}. */
export interface GitLabVersionCheckProps {
  /** The instance URL, for the messages. */
  readonly gitlabUrl: string;
  /**
   * The versions that carry the fork merge-request `sub` fix: the newest is the minimum for every
   * later line (at least 18.2.2), the others admit their own line from that patch on (backports;
   * none on the 18.2 line below 18.2.2). Checked by {@link checkMinimumVersions}.
   * @default {@link FORK_MERGE_REQUEST_SUB_MINIMUMS} (18.2.2)
   */
  readonly minimumVersions?: readonly string[];
  /**
   * Skip the check, with the reason written down (e.g. the instance runs no merge-request pipelines
   * from forks in the parent project). The synth output carries a warning with the reason.
   * @default checked
   */
  readonly skip?: { readonly reason: string };
}

/**
 * A plan-time check that the GitLab instance issues fork merge-request ID tokens with the fork's
 * own `project_path`: a `gitlab_metadata` data source (GitLab's `GET /metadata`, attribute
 * `version`, e.g. `18.2.2-ee`; provider-gitlab 15.6 `data-gitlab-metadata`) with a
 * `lifecycle.postcondition` whose message names the version found, the minimum and the fix.
 * Without it, the IAM trust policies' `sub` conditions cannot tell a fork branch named `main`
 * from the parent's protected `main`.
 *
 * Construct id of the data source: `metadata` (none when skipped).
 *
 * @throws ValidationError for a skip without a reason, or minimum versions that
 *   {@link checkMinimumVersions} refuses (malformed, newest below 18.2.2, an unpatched 18.2 release)
 */
export class GitLabVersionCheck extends Construct {
  /** The data source, unless the check is skipped. */
  public readonly metadata?: DataGitlabMetadata;

  public constructor(scope: Construct, id: string, props: GitLabVersionCheckProps) {
    super(scope, id);
    const path = this.node.path;
    const minimums = props.minimumVersions ?? FORK_MERGE_REQUEST_SUB_MINIMUMS;
    checkMinimumVersions(minimums, path);
    if (props.skip !== undefined) {
      const reason = (props.skip as { reason?: unknown }).reason;
      check(typeof reason === "string" && reason.trim().length > 0, {
        path,
        subject: "skip reason",
        value: reason,
        rule: "skipping the GitLab version check needs a written reason (IAM cannot tell a fork branch named like a protected branch from it on older GitLab)",
        fix: 'give skip: { reason: "..." }, e.g. "no merge-request pipelines from forks run in the parent projects", or drop skip',
      });
      Annotations.of(this).addWarning(`GitLab version check skipped (${reason}): on GitLab before ${FORK_MERGE_REQUEST_SUB_MINIMUM} a fork merge-request pipeline run in the parent project carries the parent's project_path in its sub claim`);
      return;
    }
    const newest = [...minimums].sort((a, b) => {
      const [x, y] = [a, b].map((v) => v.split(".").map(Number) as [number, number, number]);
      return encode(...x!) - encode(...y!);
    })[minimums.length - 1]!;
    const backports = minimums.filter((m) => m !== newest);
    this.metadata = new DataGitlabMetadata(this, "metadata", {
      lifecycle: {
        postcondition: [
          {
            condition: `\${${versionAtLeastExpression("self.version", minimums)}}`,
            errorMessage:
              `GitLab at ${props.gitlabUrl} runs \${self.version}: merge-request pipelines from forks carry the fork's own project_path in their ID tokens only from GitLab ${newest}` +
              (backports.length > 0 ? ` (or the patch releases ${backports.join(", ")} of older lines)` : "") +
              "; before it a fork branch named like a protected branch assumes that branch's roles. Fix: upgrade GitLab, or, if no merge-request pipelines from forks run in the parent projects, set gitlab.skipVersionCheck: { reason: \"...\" } in every environment on this instance.",
          },
        ],
      },
    });
  }
}
