import { type IGrantable } from "../core/iam";
import { type TrustLevel } from "../core/trust";

/**
 * What a registry mirror offers runner hosts and CI templates. Produced by
 * the mirror constructs (Nexus host, ECR pull-through), consumed by the
 * runner fleet (daemon.json, helper image, security groups) and the GitLab
 * side (CI variables).
 */
export interface MirrorEndpoint {
  /** `registry-mirrors` entries for daemon.json: scheme + host[:port], no path (Docker Hub only). */
  readonly registryMirrors: readonly string[];
  /** `insecure-registries` entries (`host:port`) when the mirror speaks plain HTTP. */
  readonly insecureRegistries: readonly string[];
  /**
   * Image-name prefix that serves non-Hub images through the mirror
   * (e.g. `mirror.internal:8082/` for a Nexus group, or
   * `<acct>.dkr.ecr.<region>.amazonaws.com/<prefix>/` for ECR pull-through), by upstream host.
   */
  readonly imagePrefixes: Readonly<Record<string, string>>;
  /**
   * The gitlab-runner helper image reference through the mirror, if the mirror serves registry.gitlab.com.
   * Its tag may hold gitlab-runner variables such as `${CI_RUNNER_VERSION}` (the runner expands them):
   * escape it with `escapeTerraformTemplate` when it passes through a Terraform string.
   * @default none (the runner pulls its helper from registry.gitlab.com)
   */
  readonly helperImage?: string;
  /**
   * The helper image repository through the mirror, without a tag (e.g.
   * `mirror.internal:8082/gitlab-org/gitlab-runner/gitlab-runner-helper`): a
   * fleet appends the tag of its own architecture ({@link helperImageTag}).
   * Runner fleets do not use it by default: the helper images bundled with the
   * runner package need no registry at all, so a job's helper never depends on
   * the mirror being up.
   * @default none
   */
  readonly helperImageRepository?: string;
  /**
   * Registry hosts of the mirror that need ECR credentials (an ECR pull-through
   * mirror): the fleet adds `credHelpers` `ecr-login` entries for them.
   * @default none
   */
  readonly ecrRegistryHosts?: readonly string[];
  /**
   * Grants a runner host role what pulling through the mirror needs (ECR
   * pull-through: pull and `ecr:BatchImportUpstreamImage` on the mirror's
   * repositories, and `ecr:CreateRepository` there for hosts of protected jobs
   * only: `EcrPullThroughMirror.grantPullThrough`). A fleet given the mirror
   * calls it on its host role with the trust level of the jobs its hosts run, so
   * a forgotten grant cannot synthesize a fleet whose pulls fail.
   * @param grantee the host (or manager) role
   * @param trustLevel which jobs the hosts run; unknown (undefined) counts as unprotected
   * @default nothing to grant
   */
  grantHostAccess?(grantee: IGrantable, trustLevel?: TrustLevel): void;
  /** Base URLs of raw (file download) proxies by name, e.g. for buildpack downloads (JVM_COMMON_BUILDPACK). */
  readonly rawProxyUrls: Readonly<Record<string, string>>;
  /**
   * Security group the runner hosts' group must be allowed into, when the mirror is a host.
   * @default none
   */
  readonly securityGroupId?: string;
}

/** The image path of the GitLab runner helper under registry.gitlab.com. */
export const RUNNER_HELPER_IMAGE_PATH = "gitlab-org/gitlab-runner/gitlab-runner-helper";

/** CPU architectures of the runner helper images. */
export type HelperImageArchitecture = "x86_64" | "arm64";

/**
 * The runner helper image tag of an architecture: `x86_64-v<version>` or
 * `arm64-v<version>` (GitLab Runner's helper image naming,
 * helpers/container/helperimage/linux_info.go: `<arch>-<revision>`, arch x86_64 or
 * arm64, revision `v<version>` for released runners).
 * The default version `${CI_RUNNER_VERSION}` is expanded by gitlab-runner
 * itself (a runner variable, not a Terraform one).
 */
export function helperImageTag(architecture: HelperImageArchitecture, version = "${CI_RUNNER_VERSION}"): string {
  return `${architecture}-v${version}`;
}

/**
 * The helper image tag mirrors put into {@link MirrorEndpoint.helperImage}
 * when no architecture is given: {@link helperImageTag} of x86_64.
 */
export const DEFAULT_HELPER_IMAGE_TAG = helperImageTag("x86_64");
