/**
 * The state the mirror host's first-boot script (scripts/nexus-provision.sh)
 * converges Nexus to, as a typed model rendered with JSON.stringify into
 * /etc/nexus-mirror/provision.json. No secret is part of it: the admin
 * password lives in SSM Parameter Store (created on the host), upstream
 * credentials in Secrets Manager (read on the host).
 */

/** The realms the mirror needs: local users, and Docker Bearer Token for anonymous docker pulls. */
export const NEXUS_REQUIRED_REALMS = ["NexusAuthenticatingRealm", "DockerToken"] as const;
/** Name of the docker proxy for Docker Hub. */
export const NEXUS_DOCKER_HUB_PROXY = "docker-hub";
/** Name of the docker proxy for registry.gitlab.com. */
export const NEXUS_GITLAB_PROXY = "gitlab-registry";
/** Name of the docker group serving both proxies on the group connector. */
export const NEXUS_DOCKER_GROUP = "docker-mirror";
/** Nexus's UI and REST port (also raw repositories). */
export const NEXUS_HTTP_PORT = 8081;
/** Upstream of the Docker Hub proxy. */
export const DOCKER_HUB_REMOTE = "https://registry-1.docker.io";
/** Upstream of the GitLab registry proxy. */
export const GITLAB_REGISTRY_REMOTE = "https://registry.gitlab.com";
/** Minutes a cached docker manifest (a tag such as `latest`) is trusted before Nexus asks upstream again. */
export const DOCKER_METADATA_MAX_AGE_MINUTES = 60;
/** Minutes cached content (blobs, raw files) is trusted before Nexus checks upstream again. */
export const CONTENT_MAX_AGE_MINUTES = 1440;

/** One repository the script creates (POST) or updates (PUT) until Nexus reports exactly this body. */
export interface NexusRepositorySpec {
  /** Repository format, the first part of `/v1/repositories/{format}/{type}`. */
  readonly format: "docker" | "raw";
  /** Repository type, the second part. */
  readonly type: "proxy" | "group";
  /** Repository name. */
  readonly name: string;
  /** The request body of POST/PUT (Nexus's `…ApiRequest` model); the script compares it with GET as a subset. */
  readonly body: Readonly<Record<string, unknown>>;
  /**
   * Secrets Manager secret (keys `username`, `accessToken`) the host reads and
   * sets as `httpClient.authentication`; the password is never part of this file.
   * @default anonymous upstream
   */
  readonly credentialSecretArn?: string;
}

/**
 * A cleanup policy (Nexus's internal API `/service/rest/internal/cleanup-policies`,
 * CleanupPolicyResource; the public API has none). The "Cleanup service" task,
 * which Nexus creates itself at start (CleanupBootService, daily at 01:00),
 * applies the policies of each repository; the docker GC and compaction tasks
 * then free the space.
 */
export interface NexusCleanupPolicySpec {
  /** Policy name. */
  readonly name: string;
  /** Repository format it applies to. */
  readonly format: "docker" | "raw";
  /** What it is for. */
  readonly notes: string;
  /** Components not downloaded for this many days are deleted. */
  readonly criteriaLastDownloaded: number;
}

/** Days after which proxied content nobody downloaded is removed from the mirror. */
export const CLEANUP_UNUSED_DAYS = 30;
/** The cleanup policy of each format's proxies. */
export const NEXUS_CLEANUP_POLICIES: Readonly<Record<"docker" | "raw", string>> = { docker: "mirror-docker-unused", raw: "mirror-raw-unused" };

/** One scheduled task (`POST /v1/tasks`), created when no task of its type carries its name. */
export interface NexusTaskSpec {
  /** Task type id, e.g. `blobstore.compact`. */
  readonly type: string;
  /** Task name (the script looks tasks up by type and name). */
  readonly name: string;
  /** Whether the task runs. */
  readonly enabled: boolean;
  /** When Nexus notifies about runs. */
  readonly notificationCondition: "FAILURE" | "SUCCESS_FAILURE";
  /** Schedule: a Quartz cron expression (with seconds). */
  readonly frequency: { readonly schedule: "cron"; readonly cronExpression: string };
  /** Task properties (Nexus takes string values only). */
  readonly properties: Readonly<Record<string, string>>;
}

/** The whole desired state: /etc/nexus-mirror/provision.json. */
export interface NexusProvisioningConfig {
  /** Region for the AWS CLI calls (SSM, Secrets Manager). */
  readonly region: string;
  /** SSM SecureString parameter holding the admin password (created on the host on first boot). */
  readonly adminPasswordParameter: string;
  /**
   * KMS key (ARN or id) the host creates the parameter with (`aws ssm put-parameter --key-id`); empty for `aws/ssm`.
   */
  readonly adminPasswordKmsKeyId: string;
  /** Realms that must be active (others already active stay). */
  readonly realms: readonly string[];
  /** Anonymous access settings (`PUT /v1/security/anonymous`). */
  readonly anonymous: { readonly enabled: true; readonly userId: "anonymous"; readonly realmName: "NexusAuthorizingRealm" };
  /**
   * Cleanup policies, converged before the repositories that name them (in
   * `cleanup.policyNames`); when Nexus has no cleanup policy API, the
   * repositories are created without them.
   */
  readonly cleanupPolicies: readonly NexusCleanupPolicySpec[];
  /** Repositories, proxies before the groups that contain them. */
  readonly repositories: readonly NexusRepositorySpec[];
  /** Scheduled maintenance tasks. */
  readonly tasks: readonly NexusTaskSpec[];
}

/** A raw (file download) proxy, e.g. for buildpack downloads. */
export interface RawProxyOptions {
  /** Repository name, also the last path part of its URL: `http://<mirror>:8081/repository/<name>/`. */
  readonly name: string;
  /** The upstream base URL, e.g. `https://lang-common.s3.amazonaws.com`. */
  readonly remoteUrl: string;
}

/** What the provisioning config is built from. */
export interface NexusProvisioningOptions {
  /** Region of the SSM parameter and the credential secret. */
  readonly region: string;
  /** SSM parameter name for the admin password. */
  readonly adminPasswordParameter: string;
  /**
   * Customer-managed KMS key (ARN, id or alias name) for the admin password parameter.
   * @default the AWS-managed `aws/ssm` key
   */
  readonly adminPasswordKmsKeyArn?: string;
  /** Port of the docker group connector. */
  readonly dockerGroupPort: number;
  /** Own connector ports of the proxies, if any. */
  readonly dockerProxyPorts: { readonly dockerHub?: number; readonly gitlab?: number };
  /**
   * Docker Hub credential secret.
   * @default anonymous Docker Hub pulls
   */
  readonly dockerHubCredentialSecretArn?: string;
  /** Raw proxies. */
  readonly rawProxies: readonly RawProxyOptions[];
}

const STORAGE = { blobStoreName: "default", strictContentTypeValidation: true } as const;

function proxyBody(name: string, remoteUrl: string, metadataMaxAge: number, format: "docker" | "raw"): Record<string, unknown> {
  // Docker content types are checked; raw files are whatever the upstream serves.
  const strictContentTypeValidation = format === "docker";
  return {
    name,
    online: true,
    storage: { ...STORAGE, strictContentTypeValidation },
    proxy: { remoteUrl, contentMaxAge: CONTENT_MAX_AGE_MINUTES, metadataMaxAge },
    negativeCache: { enabled: true, timeToLive: CONTENT_MAX_AGE_MINUTES },
    httpClient: { blocked: false, autoBlock: true },
    cleanup: { policyNames: [NEXUS_CLEANUP_POLICIES[format]] },
  };
}

function dockerConnector(port: number | undefined): Record<string, unknown> {
  // forceBasicAuth false = anonymous docker pulls (with the DockerToken realm).
  return { v1Enabled: false, forceBasicAuth: false, ...(port !== undefined ? { httpPort: port } : {}) };
}

/** The desired Nexus state of a mirror: docker proxies for Docker Hub and registry.gitlab.com, their group, raw proxies, tasks. */
export function nexusProvisioningConfig(options: NexusProvisioningOptions): NexusProvisioningConfig {
  const dockerProxy = (name: string, remoteUrl: string, indexType: "HUB" | "REGISTRY", port: number | undefined) => ({
    ...proxyBody(name, remoteUrl, DOCKER_METADATA_MAX_AGE_MINUTES, "docker"),
    docker: dockerConnector(port),
    dockerProxy: { indexType },
  });
  return {
    region: options.region,
    adminPasswordParameter: options.adminPasswordParameter,
    adminPasswordKmsKeyId: options.adminPasswordKmsKeyArn ?? "",
    realms: [...NEXUS_REQUIRED_REALMS],
    anonymous: { enabled: true, userId: "anonymous", realmName: "NexusAuthorizingRealm" },
    cleanupPolicies: (["docker", "raw"] as const).map((format) => ({
      name: NEXUS_CLEANUP_POLICIES[format],
      format,
      notes: `Removes proxied ${format} content nobody downloaded for ${CLEANUP_UNUSED_DAYS} days (the upstream still has it)`,
      criteriaLastDownloaded: CLEANUP_UNUSED_DAYS,
    })),
    repositories: [
      {
        format: "docker",
        type: "proxy",
        name: NEXUS_DOCKER_HUB_PROXY,
        body: dockerProxy(NEXUS_DOCKER_HUB_PROXY, DOCKER_HUB_REMOTE, "HUB", options.dockerProxyPorts.dockerHub),
        ...(options.dockerHubCredentialSecretArn ? { credentialSecretArn: options.dockerHubCredentialSecretArn } : {}),
      },
      {
        format: "docker",
        type: "proxy",
        name: NEXUS_GITLAB_PROXY,
        body: dockerProxy(NEXUS_GITLAB_PROXY, GITLAB_REGISTRY_REMOTE, "REGISTRY", options.dockerProxyPorts.gitlab),
      },
      {
        format: "docker",
        type: "group",
        name: NEXUS_DOCKER_GROUP,
        body: {
          name: NEXUS_DOCKER_GROUP,
          online: true,
          storage: STORAGE,
          // Docker Hub first: it is what registry-mirrors asks for.
          group: { memberNames: [NEXUS_DOCKER_HUB_PROXY, NEXUS_GITLAB_PROXY] },
          docker: dockerConnector(options.dockerGroupPort),
        },
      },
      ...options.rawProxies.map(
        (raw): NexusRepositorySpec => ({
          format: "raw",
          type: "proxy",
          name: raw.name,
          body: { ...proxyBody(raw.name, raw.remoteUrl, CONTENT_MAX_AGE_MINUTES, "raw"), raw: { contentDisposition: "ATTACHMENT" } },
        }),
      ),
    ],
    tasks: [
      {
        type: "repository.docker.gc",
        name: "mirror: delete unused docker manifests and images",
        enabled: true,
        notificationCondition: "FAILURE",
        frequency: { schedule: "cron", cronExpression: "0 0 2 * * ?" },
        properties: { repositoryName: "*", deployOffset: "24" },
      },
      {
        type: "blobstore.compact",
        name: "mirror: compact blob store default",
        enabled: true,
        notificationCondition: "FAILURE",
        frequency: { schedule: "cron", cronExpression: "0 0 4 * * ?" },
        properties: { blobstoreName: "default" },
      },
    ],
  };
}
