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
  /** Base URLs of raw (file download) proxies by name, e.g. for BUILDPACK_STDLIB_URL. */
  readonly rawProxyUrls: Readonly<Record<string, string>>;
  /**
   * Security group the runner hosts' group must be allowed into, when the mirror is a host.
   * @default none
   */
  readonly securityGroupId?: string;
}

/** The image path of the GitLab runner helper under registry.gitlab.com. */
export const RUNNER_HELPER_IMAGE_PATH = "gitlab-org/gitlab-runner/gitlab-runner-helper";

/**
 * The helper image tag mirrors put into {@link MirrorEndpoint.helperImage}:
 * gitlab-runner expands `${CI_RUNNER_VERSION}` itself (it is a runner
 * variable, not a Terraform one).
 */
export const DEFAULT_HELPER_IMAGE_TAG = "x86_64-v${CI_RUNNER_VERSION}";
