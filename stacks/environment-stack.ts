import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { ContainerRepository } from "../lib/registry/repository";
import { TagScheme } from "../lib/registry/tag-scheme";
import { type EnvironmentConfig, type PlatformConfig, protectsData, repositoryPrefixOf } from "./config";
import { EnvironmentIdentity } from "./environment-identity";
import { addGitLabSide, type GitLabSide } from "./gitlab-side";
// --- Runner cache and registry mirror (issue 5) ---
import { RunnerCacheBucket } from "../lib/cache/cache-bucket";
import { check } from "../lib/core/errors";
import { EcrPullThroughMirror } from "../lib/mirror/ecr-pull-through-mirror";
import { type MirrorEndpoint } from "../lib/mirror/mirror-endpoint";
import { NexusMirror } from "../lib/mirror/nexus-mirror";
import { type AccountStack } from "./account-stack";
import { cacheBucketNameOf } from "./config";

/** Everything one environment owns: its registries (and, later, identities, runners, cache, mirror, GitLab side). */
export class EnvironmentStack extends TerraformStack {
  /** The environment's tag scheme, shared by lifecycle rules, CI templates and variables. */
  public readonly tagScheme: TagScheme;
  /** Repositories by config id. */
  public readonly repositories: ReadonlyMap<string, ContainerRepository>;
  // --- Runner cache and registry mirror (issue 5) ---
  /** The S3 runner cache; the runner fleet writes `[runners.cache]` from `cache.cacheSettings`. */
  public readonly cache: RunnerCacheBucket;
  /** The registry mirror, when configured. */
  public readonly mirror?: NexusMirror | EcrPullThroughMirror;
  /** What the runner fleet and the GitLab side consume from the mirror. */
  public readonly mirrorEndpoint?: MirrorEndpoint;

  // --- Identity (issue 3) ---
  /** CI identities: OIDC build/merge-request/pull roles, deployment role, runner host role, static credentials. */
  public readonly identity: EnvironmentIdentity;

  // ---- GitLab side (issue 6) ----
  /** Runner registrations, group CI/CD variables, published templates and toolbox project. */
  public readonly gitlab: GitLabSide;

  /**
   * @param account the account stack of the environment's (account, region); the ECR pull-through mirror uses its registry settings
   */
  public constructor(scope: Construct, id: string, platform: PlatformConfig, env: EnvironmentConfig, account?: AccountStack) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: env.region,
      allowedAccountIds: [env.accountId],
      defaultTags: [{ tags: { platform: platform.project, environment: env.name, "managed-by": "cdktf" } }],
    });

    this.tagScheme = new TagScheme(`${this.node.path}/tagScheme`, env.registry.tagScheme);
    const prefix = repositoryPrefixOf(env);
    const repositories = new Map<string, ContainerRepository>();
    for (const repo of env.registry.repositories) {
      const repository = new ContainerRepository(this, `repository-${repo.id}`, {
        repositoryName: `${prefix}/${repo.id}`,
        tagScheme: this.tagScheme,
        preventDestroy: protectsData(env, env.registry.preventDestroy),
        ...(repo.catchAllRetention ? { catchAllRetention: repo.catchAllRetention } : {}),
        tags: { description: repo.description.slice(0, 256) },
      });
      repositories.set(repo.id, repository);
      new TerraformOutput(this, `repository-url-${repo.id}`, {
        staticId: true,
        value: repository.repositoryUrl,
        description: repo.description,
      });
    }
    this.repositories = repositories;

    // --- Runner cache and registry mirror (issue 5) ---
    this.cache = new RunnerCacheBucket(this, "runner-cache", {
      bucketName: cacheBucketNameOf(platform, env),
      region: env.region,
      ...env.cache,
    });
    new TerraformOutput(this, "runner-cache-bucket", { staticId: true, value: this.cache.bucketName, description: "S3 bucket of the runner cache" });
    this.mirror = buildMirror(this, platform, env, account);
    this.mirrorEndpoint = this.mirror?.endpoint;
    if (this.mirror) {
      new TerraformOutput(this, "mirror-image-prefixes", {
        staticId: true,
        value: this.mirror.endpoint.imagePrefixes,
        description: "Image-name prefixes that pull through the mirror, by upstream registry",
      });
    }
    if (this.mirror instanceof NexusMirror) {
      new TerraformOutput(this, "mirror-url", { staticId: true, value: this.mirror.url, description: "Nexus UI and REST API" });
      new TerraformOutput(this, "mirror-admin-password-parameter", {
        staticId: true,
        value: this.mirror.adminPasswordParameterName,
        description: "SSM parameter the mirror host writes its admin password to (never in Terraform state)",
      });
    }

    // --- Identity (issue 3) ---
    this.identity = new EnvironmentIdentity(this, "identity", { platform, env, repositories });

    // ---- GitLab side (issue 6) ----
    this.gitlab = addGitLabSide(this, platform, env, { tagScheme: this.tagScheme, repositories }, this.identity, this.mirrorEndpoint);
  }
}

// --- Runner cache and registry mirror (issue 5) ---
function buildMirror(
  stack: EnvironmentStack,
  platform: PlatformConfig,
  env: EnvironmentConfig,
  account: AccountStack | undefined,
): NexusMirror | EcrPullThroughMirror | undefined {
  const mirror = env.mirror;
  if (mirror === undefined) return undefined;
  if (mirror.kind === "ecr-pull-through") {
    check(account !== undefined, {
      path: `${stack.node.path}/mirror`,
      subject: "account stack",
      value: undefined,
      rule: "an ECR pull-through mirror reuses the pull-through cache rules of the environment's account stack",
      fix: "pass the AccountStack of the environment's (account, region) to the EnvironmentStack (buildPlatform does)",
    });
    return new EcrPullThroughMirror(stack, "mirror", {
      registry: account.registry,
      accountId: env.accountId,
      region: env.region,
      ...(mirror.prefixes ? { prefixes: mirror.prefixes } : {}),
    });
  }
  return new NexusMirror(stack, "mirror", {
    name: `${platform.project}-${env.name}-mirror`,
    accountId: env.accountId,
    region: env.region,
    network: mirror.network,
    ...(mirror.instanceType ? { instanceType: mirror.instanceType } : {}),
    dataVolume: {
      ...(mirror.dataVolumeSizeGiB !== undefined ? { sizeGiB: mirror.dataVolumeSizeGiB } : {}),
      ...(mirror.snapshotRetentionCount !== undefined ? { snapshotRetentionCount: mirror.snapshotRetentionCount } : {}),
    },
    ...(mirror.adminCidr ? { adminCidr: mirror.adminCidr } : {}),
    ...(mirror.dockerHubCredentialSecretArn ? { dockerHubCredentialSecretArn: mirror.dockerHubCredentialSecretArn } : {}),
    ...(mirror.rawProxies ? { rawProxies: mirror.rawProxies } : {}),
    ...(mirror.dnsZoneName ? { dns: { zoneName: mirror.dnsZoneName } } : {}),
  });
  // The runner fleet's security group is admitted with mirror.allowClients(fleet.securityGroupId) when the fleet lands.
}
