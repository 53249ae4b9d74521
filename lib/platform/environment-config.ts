import { type CacheAccessLogOptions } from "../cache/access-log-bucket";
import { type RawProxyOptions } from "../mirror/nexus-provisioning";
import { type NetworkRef } from "../network/network-ref";
import { type TagSchemeProps } from "../registry/tag-scheme";
import { type EnvironmentIdentityConfig } from "./identity-config-types";
import { type DeployConfig, type PromotionConfig } from "./promotion-config";
import { type RunnersConfig } from "./runners-config";
import { type GitLabConfig } from "./gitlab-config";
import { type RepositoryConfig } from "./tenancy";

export { type ExternalRegistryConfig, GITLAB_TIERS, type GitLabConfig, type GitLabTier, type RunnerRegistrationConfig, type UnprotectedPullConfig } from "./gitlab-config";

/*
 * The typed configuration of one platform environment (types only): the
 * environment, its cache and mirror. Its GitLab side is in gitlab-config.ts,
 * runner pools in runners-config.ts; the checks in config.ts.
 */

/**
 * What a platform construct needs from the project-wide configuration
 * (the app's `PlatformConfig` is one).
 */
export interface PlatformInfo {
  /** Short name used as a prefix of resource names and as the `platform` tag, e.g. `acme-ci`: 1-20 of `a-z0-9-`, starting with a letter. */
  readonly project: string;
}

/** One environment: its account, GitLab scope, registries, identities, cache, mirror and runners. */
export interface EnvironmentConfig {
  /** Environment name, 1-20 of `a-z0-9-`, e.g. `dev`: it names resources (and, in the app, the stack). */
  readonly name: string;
  /** 12-digit AWS account id (the app also needs an account stack for the same account and region). */
  readonly accountId: string;
  /** AWS region. */
  readonly region: string;
  /** GitLab instance and scope. */
  readonly gitlab: GitLabConfig;
  /**
   * Marks a production environment: data (registries, the mirror's data
   * volume) gets `prevent_destroy`, and turning that off needs a written
   * {@link EnvironmentConfig.destroyProtectionWaiver}.
   * @default false
   */
  readonly production?: boolean;
  /**
   * A written reason for switching destroy protection off in a production environment.
   * @default none (production data must be protected)
   */
  readonly destroyProtectionWaiver?: string;
  /** Registries of this environment. */
  readonly registry: {
    /**
     * Repository name prefix; repositories are named `<prefix>/<id>`.
     * @default `<gitlab.group>/<name>`
     */
    readonly repositoryPrefix?: string;
    /**
     * Tag scheme overrides.
     * @default the built-in tag kinds
     */
    readonly tagScheme?: TagSchemeProps;
    /**
     * `prevent_destroy` on the repositories.
     * @default true in production, false elsewhere
     */
    readonly preventDestroy?: boolean;
    /** The repositories. */
    readonly repositories: readonly RepositoryConfig[];
  };
  // --- Identity ---
  /**
   * CI identities: build, merge-request build and pull roles (GitLab OIDC), an
   * optional deployment role, the runner host role, opt-in static credentials.
   * @default build, merge-request build, pull and runner host roles with the defaults of {@link EnvironmentIdentityConfig}; no deployment role; no static credentials
   */
  readonly identity?: EnvironmentIdentityConfig;
  // --- Runner cache and registry mirror ---
  /**
   * The S3 runner cache (one bucket per environment, named `<project>-<name>-cache-<accountId>`).
   * @default a cache with the defaults of {@link CacheConfig}
   */
  readonly cache?: CacheConfig;
  /**
   * The registry mirror the runners pull through.
   * @default none
   */
  readonly mirror?: MirrorConfig;
  // ---- Runner fleet ----
  /**
   * Autoscaling GitLab runner hosts for this environment (and their network).
   * @default none
   */
  readonly runners?: RunnersConfig;
  // ---- Promotion and deployment (lib/platform/promotion.ts, lib/platform/deploy-config.ts) ----
  /**
   * Promote images into this environment by digest from another one (`{}`: the environment
   * listed before this one), with a protected job of this environment per pipeline.
   * @default none: the environment's images come from its own builds
   */
  readonly promotion?: PromotionConfig;
  /**
   * Deploy jobs for this environment in the published deploy template: deploy hook, smoke
   * test, last good digest in SSM, rollback. Needs `identity.deployment`.
   * @default none: no deploy jobs for this environment
   */
  readonly deploy?: DeployConfig;
}


// ---------------------------------------------------------------------------
// Runner cache and registry mirror
// ---------------------------------------------------------------------------

/** An environment's S3 runner cache. */
export interface CacheConfig {
  /**
   * Days after which cache objects expire.
   * @default 14
   */
  readonly expirationDays?: number;
  /**
   * Key prefix of the cache (`[runners.cache] Path`).
   * @default "runner-cache"
   */
  readonly path?: string;
  /**
   * Whether all runners share one cache (`Shared`).
   * @default true
   */
  readonly shared?: boolean;
  /**
   * Let `terraform destroy` delete a non-empty bucket.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * S3 server access logs of the cache bucket (`false` turns the audit trail off).
   * @default on: `<bucket>-logs`, 90 days
   */
  readonly accessLogs?: CacheAccessLogOptions | false;
}

/** A Nexus mirror host (Docker Hub, registry.gitlab.com, raw proxies). */
export interface NexusMirrorConfig {
  /** The mirror kind. */
  readonly kind: "nexus";
  /**
   * The network of the host.
   * @default the environment's runner network (`runners.network`), so runner hosts reach it directly
   */
  readonly network?: NetworkRef;
  /**
   * EC2 instance type.
   * @default "m7i.large"
   */
  readonly instanceType?: string;
  /**
   * Data volume size in GiB (at least 50).
   * @default 200
   */
  readonly dataVolumeSizeGiB?: number;
  /**
   * Daily snapshots kept.
   * @default 7
   */
  readonly snapshotRetentionCount?: number;
  /**
   * IPv4 CIDR admitted to the Nexus UI on 8081 (at most a /16); runner hosts never reach 8081.
   * @default none (Session Manager port forwarding only)
   */
  readonly adminCidr?: string;
  /**
   * Secrets Manager secret ARN (keys `username`, `accessToken`) with Docker Hub credentials.
   * @default anonymous Docker Hub pulls
   */
  readonly dockerHubCredentialSecretArn?: string;
  /**
   * Required with `dockerHubCredentialSecretArn`: the written reason why anonymous pulls through
   * the credentialed proxy are acceptable (e.g. the token's access is "Public Repo Read-only").
   * @default none (a credential without it is refused)
   */
  readonly credentialedAnonymousPull?: { readonly reason: string };
  /**
   * Raw (file download) proxies.
   * @default none
   */
  readonly rawProxies?: readonly RawProxyOptions[];
  /**
   * Private hosted zone of the mirror's DNS name (`mirror.<zone>`).
   * @default "ci.internal"
   */
  readonly dnsZoneName?: string;
}

/** ECR pull-through cache as the mirror: rules of the account stack, no host. */
export interface EcrPullThroughMirrorConfig {
  /** The mirror kind. */
  readonly kind: "ecr-pull-through";
  /**
   * The account's rule prefixes to offer.
   * @default every pull-through rule of the account
   */
  readonly prefixes?: readonly string[];
}

/** The registry mirror of an environment. */
export type MirrorConfig = NexusMirrorConfig | EcrPullThroughMirrorConfig;
