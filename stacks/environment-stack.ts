import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { type RunnerCacheBucket } from "../lib/cache/cache-bucket";
import { type EcrPullThroughMirror } from "../lib/mirror/ecr-pull-through-mirror";
import { type MirrorEndpoint } from "../lib/mirror/mirror-endpoint";
import { type NexusMirror } from "../lib/mirror/nexus-mirror";
import { type NetworkRef } from "../lib/network/network-ref";
import { type EnvironmentIdentity, type TenantRepositories } from "../lib/platform/environment-identity";
import { type EnvironmentGitLabSide } from "../lib/platform/gitlab-side";
import { GitLabCiPlatform } from "../lib/platform/platform";
import { type ContainerRepository } from "../lib/registry/repository";
import { type TagScheme } from "../lib/registry/tag-scheme";
import { type RunnerFleet } from "../lib/runner/fleet";
import { type AccountStack } from "./account-stack";
import { addAwsProvider } from "./aws-provider";
import { type EnvironmentConfig, type PlatformConfig } from "./config";
import { GitLabVersionCheck } from "../lib/gitlab/gitlab-version-check";
import { toolboxProjectPathOf } from "./gitlab-instance";
import { sharedGitLabUrls } from "./gitlab-shared-stack";
import { versionCheckOf } from "./gitlab-version-config";
import { protectedRefsManagedElsewhere } from "./identity-config";
import { promotionOf } from "./promotion";

/**
 * One environment's stack: the providers (AWS pinned to the environment's
 * account and region with default tags; GitLab at the instance's API, its
 * token from `GITLAB_TOKEN`) and the {@link GitLabCiPlatform} (construct id
 * `platform`), whose pieces it re-exposes.
 */
export class EnvironmentStack extends TerraformStack {
  /** Everything the environment owns: registries, network, cache, mirror, identities, GitLab side, fleets. */
  public readonly platform: GitLabCiPlatform;

  /**
   * @param scope the app
   * @param id stack name (the environment's name)
   * @param platform the app configuration (project name)
   * @param env the environment
   * @param account the account stack of the environment's (account, region); the ECR pull-through mirror uses its registry settings
   * @param options `groupWideVariablesElsewhere`: the group variables with environment scope `*` go to the
   *   instance's shared GitLab stack (read them from `gitlab.groupWideVariables`); default false
   */
  public constructor(scope: Construct, id: string, platform: PlatformConfig, env: EnvironmentConfig, account?: AccountStack, options: { readonly groupWideVariablesElsewhere?: boolean } = {}) {
    super(scope, id);
    // The deploy role of the environment's (account, region) entry, when the configuration names one.
    const deployRole = platform.accounts.find((a) => a.accountId === env.accountId && a.region === env.region)?.deployRole;
    addAwsProvider(this, {
      accountId: env.accountId,
      region: env.region,
      ...(deployRole ? { deployRole } : {}),
      defaultSessionName: `${platform.project}-${id}`,
      tags: { platform: platform.project, environment: env.name, "managed-by": "cdktf" },
    });
    new GitlabProvider(this, "gitlab", { baseUrl: `${env.gitlab.url}/api/v4/` });
    // The instance's toolbox project and version check (checked here too, wherever the check lives).
    const toolboxProject = toolboxProjectPathOf(platform, env.gitlab.url);
    const versionCheck = versionCheckOf(platform, env.gitlab.url);
    this.platform = new GitLabCiPlatform(this, "platform", {
      platform,
      environment: env,
      ...(account ? { registrySettings: account.registry } : {}),
      protectedRefsManagedElsewhere: protectedRefsManagedElsewhere(env),
      ...(toolboxProject ? { toolboxProject } : {}),
      promotion: promotionOf(platform, env),
      ...(options.groupWideVariablesElsewhere ? { groupWideVariablesElsewhere: true } : {}),
    });
    // The GitLab version check lives in the instance's gitlab-shared stack; an instance without
    // one (no templates, toolbox project or managed protections) gets it here, wherever roles trust refs.
    if (!sharedGitLabUrls(platform).includes(env.gitlab.url) && this.platform.identity.requiredProtectedRefs.length > 0) {
      new GitLabVersionCheck(this, "gitlab-version", { gitlabUrl: env.gitlab.url, ...versionCheck });
    }
  }

  /** The environment's tag scheme, shared by lifecycle rules, CI templates and variables. */
  public get tagScheme(): TagScheme {
    return this.platform.tagScheme;
  }

  /** Every tenant's protected and unprotected repositories, by tenant name. */
  public get tenantRepositories(): ReadonlyMap<string, TenantRepositories> {
    return this.platform.tenantRepositories;
  }

  /**
   * The first tenant's protected repositories by config id.
   * @deprecated every tenant has repositories of its own: use {@link EnvironmentStack.tenantRepositories}
   */
  public get repositories(): ReadonlyMap<string, ContainerRepository> {
    return this.platform.tenantRepositories.values().next().value?.protected ?? new Map<string, ContainerRepository>();
  }

  /** The runner hosts' network, when the environment has runners. */
  public get network(): NetworkRef | undefined {
    return this.platform.network;
  }

  /** The S3 runner cache. */
  public get cache(): RunnerCacheBucket {
    return this.platform.cache;
  }

  /** The registry mirror, when configured. */
  public get mirror(): NexusMirror | EcrPullThroughMirror | undefined {
    return this.platform.mirror;
  }

  /** What the runner fleet and the GitLab side consume from the mirror, when configured. */
  public get mirrorEndpoint(): MirrorEndpoint | undefined {
    return this.platform.mirrorEndpoint;
  }

  /** CI identities. */
  public get identity(): EnvironmentIdentity {
    return this.platform.identity;
  }

  /** Runner registrations, group CI/CD variables, published templates and toolbox project. */
  public get gitlab(): EnvironmentGitLabSide {
    return this.platform.gitlab;
  }

  /** The runner fleet, when the environment has runners. */
  public get runnerFleet(): RunnerFleet | undefined {
    return this.platform.runnerFleet;
  }

  /** The deploy fleet, when configured. */
  public get deployFleet(): RunnerFleet | undefined {
    return this.platform.deployFleet;
  }
}
