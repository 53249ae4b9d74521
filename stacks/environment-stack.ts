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
import { dnsSuffixOf } from "../lib/core/aws";
import { type IGrantable } from "../lib/core/iam";
import { check } from "../lib/core/errors";
import { EcrPullThroughMirror } from "../lib/mirror/ecr-pull-through-mirror";
import { type MirrorEndpoint } from "../lib/mirror/mirror-endpoint";
import { NexusMirror } from "../lib/mirror/nexus-mirror";
import { type AccountStack } from "./account-stack";
import { cacheBucketNameOf, type NexusMirrorConfig } from "./config";
// Runner fleet (issue 4) imports.
import { ExistingRunnerTokenParameter } from "../lib/gitlab/existing-runner-token";
import { ExistingNetwork } from "../lib/network/existing-network";
import { Network } from "../lib/network/network";
import { type NetworkRef } from "../lib/network/network-ref";
import { RunnerFleet } from "../lib/runner/fleet";
import { officeHours } from "../lib/runner/schedule";
import { DEPLOY_RUNNER, runnerFleetName, runnerTokenParameterName } from "./config";

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

  // ---- Runner fleet (issue 4) ----
  /** The runner hosts' network, when the environment has runners. */
  public readonly network?: NetworkRef;
  /** The runner fleet, when the environment has runners. */
  public readonly runnerFleet?: RunnerFleet;
  /** The deploy fleet (protected refs only, own hosts), when configured. */
  public readonly deployFleet?: RunnerFleet;

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

    // ---- Runner fleet network (issue 4): the mirror host joins it too ----
    const runners = env.runners;
    const runnersPath = `config/environments/${env.name}/runners`;
    if (runners) {
      const network = runners.network;
      this.network =
        network && "existing" in network
          ? new ExistingNetwork(`${runnersPath}/network`, network.existing)
          : new Network(this, "network", { name: runnerFleetName(platform, env), ...network });
    }

    // --- Runner cache and registry mirror (issue 5) ---
    this.cache = new RunnerCacheBucket(this, "runner-cache", {
      bucketName: cacheBucketNameOf(platform, env),
      region: env.region,
      ...env.cache,
    });
    new TerraformOutput(this, "runner-cache-bucket", { staticId: true, value: this.cache.bucketName, description: "S3 bucket of the runner cache" });
    this.mirror = buildMirror(this, platform, env, account, this.network);
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

    // ---- Runner fleet (issue 4): tokens from the registrations, the identity's host role ----
    if (runners && this.network) {
      const hostRole = this.identity.runnerHost;
      // Every repository of the environment lives in one registry: name it once, as a literal,
      // so DOCKER_AUTH_CONFIG gets one credHelpers entry (not one token per repository).
      const registryHost = `${env.accountId}.dkr.ecr.${env.region}.${dnsSuffixOf(env.region)}`;
      const pullable = [...repositories.values()].map((repository) => ({ registryHost, grantPull: (grantee: IGrantable) => repository.grantPull(grantee) }));
      this.runnerFleet = new RunnerFleet(this, "runner-fleet", {
        fleetName: runnerFleetName(platform, env),
        network: this.network,
        gitlabUrl: env.gitlab.url,
        hostRole,
        runners: runners.runners.map((runner) => ({
          name: runner.name,
          limit: runner.limit,
          tokenSource:
            this.gitlab.runnerTokens.get(runner.name) ??
            new ExistingRunnerTokenParameter(`${runnersPath}/${runner.name}`, {
              parameterName: runnerTokenParameterName(platform, env, runner),
              accountId: env.accountId,
              region: env.region,
            }),
          docker: { image: runner.image, dockerAccess: runner.dockerAccess, privileged: runner.privileged ?? false },
        })),
        repositories: pullable,
        cache: { settings: this.cache.cacheSettings, grantReadWrite: (grantee) => this.cache.grantReadWrite(grantee) },
        ...(this.mirrorEndpoint ? { mirror: this.mirrorEndpoint } : {}),
        ...(runners.instanceTypes ? { instanceTypes: runners.instanceTypes } : {}),
        ...(runners.capacity ? { capacity: runners.capacity } : {}),
        ...(runners.purchase ? { purchase: runners.purchase } : {}),
        ...(runners.officeHours ? { schedules: officeHours(runners.officeHours) } : {}),
        ...(runners.maxJobTimeoutSeconds ? { maxJobTimeoutSeconds: runners.maxJobTimeoutSeconds } : {}),
        ...(runners.imageStorageGiB ? { imageStorageGiB: runners.imageStorageGiB } : {}),
      });
      if (this.mirror instanceof EcrPullThroughMirror) this.mirror.grantPullThrough(hostRole);
      if (this.mirror instanceof NexusMirror) this.mirror.allowClients(this.runnerFleet.securityGroupId);

      // The deploy fleet: own hosts and host role (created by the fleet), no docker socket, no shared cache.
      if (runners.deploy) {
        const deploy = runners.deploy;
        this.deployFleet = new RunnerFleet(this, "deploy-fleet", {
          fleetName: `${runnerFleetName(platform, env)}-${DEPLOY_RUNNER}`,
          network: this.network,
          gitlabUrl: env.gitlab.url,
          runners: [
            {
              name: DEPLOY_RUNNER,
              limit: deploy.limit ?? 2,
              tokenSource: this.gitlab.runnerTokens.get(DEPLOY_RUNNER)!,
              docker: { image: deploy.image ?? "alpine:3.20", dockerAccess: "none", privileged: false },
              useCache: false,
            },
          ],
          repositories: pullable,
          capacity: deploy.capacity ?? { minSize: 1, maxSize: 2 },
          purchase: deploy.purchase ?? { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100 },
          instanceTypes: deploy.instanceTypes ?? ["m7i.large", "m6i.large", "m5.large"],
          ...(this.mirrorEndpoint ? { mirror: this.mirrorEndpoint } : {}),
          ...(runners.maxJobTimeoutSeconds ? { maxJobTimeoutSeconds: runners.maxJobTimeoutSeconds } : {}),
        });
        if (this.mirror instanceof EcrPullThroughMirror) this.mirror.grantPullThrough(this.deployFleet.hostRole);
        if (this.mirror instanceof NexusMirror) this.mirror.allowClients(this.deployFleet.securityGroupId);
        new TerraformOutput(this, "deploy-runner-group-name", {
          staticId: true,
          value: this.deployFleet.autoScalingGroupName,
          description: "Auto Scaling group of the deploy runner hosts (protected refs only)",
        });
      }
      new TerraformOutput(this, "runner-group-name", {
        staticId: true,
        value: this.runnerFleet.autoScalingGroupName,
        description: "Auto Scaling group of the runner hosts",
      });
    }
  }
}

// --- Runner cache and registry mirror (issue 5) ---
function buildMirror(
  stack: EnvironmentStack,
  platform: PlatformConfig,
  env: EnvironmentConfig,
  account: AccountStack | undefined,
  runnerNetwork: NetworkRef | undefined,
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
    network: mirrorNetworkOf(stack, mirror, runnerNetwork),
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
}

/** The Nexus host's network: its own, or the runners' (so the fleet reaches it without peering). */
function mirrorNetworkOf(stack: EnvironmentStack, mirror: NexusMirrorConfig, runnerNetwork: NetworkRef | undefined): NetworkRef {
  const network = mirror.network ?? runnerNetwork;
  check(network !== undefined, {
    path: `${stack.node.path}/mirror`,
    subject: "network",
    value: undefined,
    rule: "a Nexus mirror host needs a network: its own, or the environment's runner network",
    fix: "give mirror.network, or add a runners section",
  });
  return network;
}
