import { check } from "../../core/errors";

/**
 * The fleeting AWS plugin version installed by default: the newest release
 * whose recommended IAM policy was checked for this construct family
 * (gitlab.com/gitlab-org/fleeting/plugins/aws, README "Recommended IAM
 * Policy" for v1.1.0: it added `ec2:DescribeSpotInstanceRequests`; see
 * {@link fleetingAwsPluginStatements}). Raising it means re-reading that
 * README and the plugin's changelog.
 */
export const DEFAULT_FLEETING_AWS_PLUGIN_VERSION = "1.1.0";

/** An exact plugin version: MAJOR.MINOR.PATCH, optionally with a pre-release suffix. */
const EXACT_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;

/**
 * Checks that a fleeting plugin version is pinned exactly.
 *
 * GitLab Runner 18.11's `plugin` setting takes `<name>:<version constraint>`
 * where `latest`, `<MAJOR>` and `<MAJOR>.<MINOR>` select the newest matching
 * release at `gitlab-runner fleeting install` time (GitLab Runner docs,
 * fleet_scaling/fleeting.md, "Version constraint formats"). A constraint
 * would let two managers booted a day apart run different plugins, and a new
 * plugin release can need new IAM permissions (1.1.0 did), so only an exact
 * `MAJOR.MINOR.PATCH` is accepted.
 * @throws ValidationError for `latest`, ranges, partial versions, a leading `v` or an empty value
 */
export function validatePluginVersion(path: string, version: string): void {
  check(typeof version === "string" && EXACT_VERSION.test(version), {
    path,
    subject: "fleeting plugin version",
    value: version,
    rule: "the fleeting AWS plugin is pinned to an exact MAJOR.MINOR.PATCH release (latest, 1 or 1.1 pick whatever is newest at boot, and a new release may need new IAM permissions)",
    fix: `use an exact release such as ${DEFAULT_FLEETING_AWS_PLUGIN_VERSION} (https://gitlab.com/gitlab-org/fleeting/plugins/aws/-/releases)`,
  });
}

/** The `plugin` value of `[runners.autoscaler]`: `aws:<exact version>` from GitLab's registry (the default repository). */
export function fleetingAwsPluginReference(version: string): string {
  return `aws:${version}`;
}
