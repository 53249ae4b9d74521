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
