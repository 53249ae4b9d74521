import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { RunnerCacheBucket } from "../cache/cache-bucket";
import { EcrPullThroughMirror } from "../mirror/ecr-pull-through-mirror";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { type NexusMirror } from "../mirror/nexus-mirror";
import { ExistingNetwork } from "../network/existing-network";
import { Network } from "../network/network";
import { type NetworkRef } from "../network/network-ref";
import { type ContainerRepository } from "../registry/repository";
import { releasableGitTags, releaseTagPatternOf } from "../registry/release-tags";
import { TagScheme } from "../registry/tag-scheme";
import { type DockerAutoscalerFleet } from "../runner/autoscaler/docker-autoscaler-fleet";
import { type RunnerFleet } from "../runner/fleet";
import { IMAGE_BUILDER_VARIABLE } from "../runner/image-builder";
import { SecretsKey } from "../secrets/secrets-key";
import { cacheBucketNameOf, runnerFleetName, runnersOf, validateEnvironmentConfig } from "./config";
import { buildRunnerFleets } from "./runner-fleets";
import { type RunnerFleetDashboard } from "../runner/dashboard";
import { runnerPoolsOf } from "./runner-pools";
import { tenantsOf } from "./tenancy";
import { EnvironmentIdentity, type TenantRepositories } from "./environment-identity";
import { EnvironmentGitLabSide } from "./gitlab-side";
import { grantToolboxPull } from "../identity/ci-access";
import { toolboxSourceOf } from "./toolbox-source";
import { tenantRepositoriesOf } from "./tenant-repositories";
import { buildDeployRecords, type LastGoodDigestRecords } from "./deploy-records";
import { grantPromotionPull, promotionPullPrincipals } from "./promotion-grants";
import { validateDeployConfig } from "./deploy-config";
import { buildPlatformMirror } from "./platform-mirror";
import { type ProtectedDeployEnvironments } from "../gitlab/deploy-environments";

import { type GitLabCiPlatformProps, type RunnerPoolInfo } from "./platform-props";

export { type GitLabCiPlatformProps, type PlatformPromotion, type RunnerPoolInfo } from "./platform-props";

/**
 * The GitLab CI platform of one environment: it composes, from one typed
 * {@link GitLabCiPlatformProps.environment | EnvironmentConfig}, the container repositories (one tag scheme for
 * lifecycle rules, templates and variables), the runner network, the S3
 * runner cache, the registry mirror (Nexus host or ECR pull-through), the CI
 * identities, the GitLab side (runner registrations, group CI/CD variables,
 * templates and toolbox projects) and the runner fleets, and exposes every
 * piece. Each piece is a construct usable on its own; the platform only wires
 * them.
 *
 * Group CI/CD variables hold only what every tenant shares (registry host,
 * region, mirror, DOCKER_AUTH_CONFIG, the unprotected pool's runner tags); each
 * tenant's image URLs, role ARNs, audience, toolbox URL and protected runner
 * tags are project-level variables.
 *
 * Providers: the platform creates none (a construct library should not). The
 * stack that holds it needs an AWS provider for the environment's account and
 * region, and a GitLab provider for the instance (`new GitlabProvider(stack,
 * "gitlab", { baseUrl: "<gitlab.url>/api/v4/" })`, token from `GITLAB_TOKEN`);
 * the app's `EnvironmentStack` creates both.
 *
 * Construct ids (the logical ids of every resource derive from them):
 * `repository-<tenant>-<id>`, `repository-<tenant>-unprotected-<id>`, `network`, `secrets-key`, `runner-cache`, `mirror`, `identity`, `gitlab`,
 * `runner-fleet` (the protected pool), `unprotected-fleet`, `deploy-fleet`.
 *
 * Outputs, with static ids (one platform per stack; the ids do not depend on
 * where the platform sits): `repository-url-<tenant>-<id>` and
 * `repository-url-<tenant>-unprotected-<id>` (the unprotected ones only with an unprotected
 * runner pool); `role-arn-<tenant>-protected`, `role-arn-<tenant>-unprotected` (only with an
 * unprotected runner pool), `role-arn-runner-host`, and where they
 * exist `role-arn-<tenant>-deployment`, `role-arn-unprotected-runner-host` and `role-arn-deploy-runner-host`;
 * `runner-cache-bucket`; with a mirror `mirror-image-prefixes` and
 * `mirror-registry-mirrors`, with a Nexus mirror also `mirror-url` and
 * `mirror-admin-password-parameter`; with runners `runner-group-name` (and
 * `unprotected-runner-group-name`, `deploy-runner-group-name`) and `runner-pools`
 * (tags and image builder of every registered runner); `ci-variable-names`.
 *
 * @example
 * const stack = new TerraformStack(app, "dev");
 * new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: ["111111111111"] });
 * new GitlabProvider(stack, "gitlab", { baseUrl: "https://gitlab.example.com/api/v4/" });
 * const platform = new GitLabCiPlatform(stack, "platform", {
 *   platform: { project: "acme-ci" },
 *   environment: {
 *     name: "dev",
 *     accountId: "111111111111",
 *     region: "eu-central-1",
 *     gitlab: { url: "https://gitlab.example.com", group: "acme", projects: ["acme/app"] },
 *     registry: { repositories: [{ id: "app", description: "The application image" }] },
 *   },
 * });
 * platform.tenantRepositories.get("app")!.protected.get("app")!.grantPull(myRole);
 */
export class GitLabCiPlatform extends Construct {
  /** The environment's tag scheme, shared by lifecycle rules, CI templates and variables. */
  public readonly tagScheme: TagScheme;
  /**
   * Every tenant's repositories by tenant name: `protected` (`<prefix>/<tenant>/<id>`,
   * construct id `repository-<tenant>-<id>`) and `unprotected`
   * (`<prefix>/<tenant>/unprotected/<id>`, construct id `repository-<tenant>-unprotected-<id>`),
   * each by repository config id.
   */
  public readonly tenantRepositories: ReadonlyMap<string, TenantRepositories>;
  /**
   * The first tenant's protected repositories by config id.
   * @deprecated every tenant has repositories of its own: use {@link GitLabCiPlatform.tenantRepositories}
   */
  public readonly repositories: ReadonlyMap<string, ContainerRepository>;
  /**
   * The runner hosts' network (created, or an existing VPC).
   * @default none, unless the environment has runners
   */
  public readonly network?: NetworkRef;
  /** The S3 runner cache; the runner fleet writes `[runners.cache]` from `cache.cacheSettings`. */
  public readonly cache: RunnerCacheBucket;
  /**
   * The registry mirror.
   * @default none, unless the environment configures `mirror`
   */
  public readonly mirror?: NexusMirror | EcrPullThroughMirror;
  /**
   * What the runner fleets and the GitLab side consume from the mirror.
   * @default none, unless the environment configures `mirror`
   */
  public readonly mirrorEndpoint?: MirrorEndpoint;
  /** CI identities: per-tenant protected and unprotected OIDC roles, deployment role, runner host role, static credentials. */
  public readonly identity: EnvironmentIdentity;
  /** Runner registrations, group CI/CD variables, published templates and toolbox project. */
  public readonly gitlab: EnvironmentGitLabSide;
  /**
   * The runner fleet.
   * @default none, unless the environment has runners
   */
  public readonly runnerFleet?: RunnerFleet;
  /**
   * The deploy fleet (protected refs only, own hosts and host role).
   * @default none, unless the environment configures `runners.deploy`
   */
  public readonly deployFleet?: RunnerFleet;
  /**
   * The unprotected pool's fleet: own hosts and host role (no protected token, cache prefix or
   * repository push), no docker socket, no privileged mode.
   * @default none, unless the environment configures `runners.unprotected`
   */
  public readonly unprotectedFleet?: RunnerFleet;
  /**
   * Each fleet's dashboard and alarms, by the fleet's construct id (`runner-fleet`, `unprotected-fleet`, `deploy-fleet`).
   * @default none, unless the environment has runners
   */
  public readonly runnerDashboards: ReadonlyMap<string, RunnerFleetDashboard> = new Map();
  /**
   * The unprotected pool in `docker-autoscaler` mode: a manager and single-use workers from zero.
   * @default none, unless `runners.unprotected.mode` is `docker-autoscaler`
   */
  public readonly unprotectedAutoscaler?: DockerAutoscalerFleet;
  /**
   * The customer-managed KMS key of the environment's SSM SecureStrings (runner tokens, the
   * Nexus admin password); its policy lets each host role decrypt only its own parameters.
   * @default none, unless the environment has runners or a Nexus mirror
   */
  public readonly secretsKey?: SecretsKey;
  /** Every registered runner by pool: tags, access level and image builder (what CI templates route by). */
  public readonly runnerPools: readonly RunnerPoolInfo[];
  /**
   * The SSM parameters recording each tenant's last good digest (construct id `deploy-records`).
   * @default none, unless the environment configures `deploy` with a deployment role
   */
  public readonly deployRecords?: LastGoodDigestRecords;
  /**
   * The GitLab protected environments of the deploy jobs, one per tenant project (construct id `deploy-environments`).
   * @default none, unless the environment configures `deploy` and `gitlab.tier` is premium or ultimate
   */
  public readonly deployEnvironments?: ProtectedDeployEnvironments;

  /**
   * @param scope the stack (or a construct in it) that holds the AWS and GitLab providers
   * @param id construct id (the app uses `platform`)
   * @param props the project, the environment and the account's registry settings
   */
  public constructor(scope: Construct, id: string, props: GitLabCiPlatformProps) {
    super(scope, id);
    const { platform, environment: env } = props;
    validateEnvironmentConfig(platform, env, this.node.path);
    validateDeployConfig(platform, env, this.node.path);
    const promotion = props.promotion ?? {};
    // The GitLab instance's toolbox project: its toolbox image is promoted, no application image of it.
    const toolboxProject = props.toolboxProject ?? env.gitlab.toolboxProject?.path;

    this.tagScheme = new TagScheme(this, "tagScheme", env.registry.tagScheme);
    this.tenantRepositories = tenantRepositoriesOf(this, env, this.tagScheme, (tenant, repositoryId) => promotionPullPrincipals(platform, env, promotion.targets ?? [], tenant, repositoryId, toolboxProject));
    const firstTenant = [...this.tenantRepositories.values()][0];
    this.repositories = firstTenant?.protected ?? new Map<string, ContainerRepository>();

    // The runner network; the Nexus host joins it unless it has its own.
    const runners = env.runners;
    if (runners) {
      const network = runners.network;
      this.network =
        network && "existing" in network
          ? new ExistingNetwork(this, "network", network.existing)
          : new Network(this, "network", { name: runnerFleetName(platform, env), ...network });
    }

    // Secrets: one customer-managed key per environment for the SSM SecureStrings (runner tokens, mirror password, static credentials).
    const staticInSsm = (env.identity?.staticCredentials ?? []).some((c) => (c.store ?? "ssm-parameter") === "ssm-parameter");
    if (runners || env.mirror?.kind === "nexus" || staticInSsm) {
      this.secretsKey = new SecretsKey(this, "secrets-key", {
        aliasName: `${platform.project}-${env.name}-secrets`,
        accountId: env.accountId,
        region: env.region,
        preventDestroy: env.production ?? false,
      });
    }
    const secretsKey = this.secretsKey;

    this.cache = new RunnerCacheBucket(this, "runner-cache", { bucketName: cacheBucketNameOf(platform, env), region: env.region, ...env.cache });
    new TerraformOutput(this, "runner-cache-bucket", { staticId: true, value: this.cache.bucketName, description: "S3 bucket of the runner cache" });
    this.mirror = buildPlatformMirror(this, {
      platform,
      env,
      ...(props.registrySettings ? { registrySettings: props.registrySettings } : {}),
      ...(this.network ? { network: this.network } : {}),
      ...(secretsKey ? { secretsKey } : {}),
    });
    this.mirrorEndpoint = this.mirror?.endpoint;

    const release = this.tagScheme.has("release") ? this.tagScheme.kind("release", `${this.node.path}/identity`) : undefined;
    this.identity = new EnvironmentIdentity(this, "identity", {
      platform,
      env,
      repositories: this.tenantRepositories,
      // The Git tags that release: one derivation for the roles, GitLab's tag protection and the templates (release-tags.ts).
      releaseTags: releaseTagPatternOf(release, env.identity?.releaseTags),
      releasableGitTags: releasableGitTags(release),
      ...(promotion.environmentBranches ? { environmentBranches: promotion.environmentBranches } : {}),
      ...(secretsKey ? { secretsKeyArn: secretsKey.keyArn } : {}),
      ...(props.toolboxProject ? { toolboxProject: props.toolboxProject } : {}),
    });
    // Promotion into this environment: each tenant's protected role pulls the source environment's images its promote jobs copy.
    if (promotion.source) grantPromotionPull(promotion.source, env, this.identity, toolboxProject);
    // Each tenant's last good digest (its deployment role's only) and, on Premium and Ultimate, protected environments.
    const deploy = buildDeployRecords(this, platform, env, this.identity.deployments);
    this.deployRecords = deploy.records;
    this.deployEnvironments = deploy.environments;
    const roleArn = (name: string, value: string, description: string) =>
      new TerraformOutput(this, `role-arn-${name}`, { staticId: true, value, description });
    for (const [tenant, roles] of this.identity.tenantRoles) {
      roleArn(`${tenant}-protected`, roles.protected.roleArn, `OIDC role of ${tenant}'s protected pipelines (default branch, release tags)`);
      if (roles.unprotected) roleArn(`${tenant}-unprotected`, roles.unprotected.roleArn, `OIDC role of ${tenant}'s other pipelines (branches, merge requests, other tags)`);
    }
    roleArn("runner-host", this.identity.runnerHost.roleArn, "Instance role of the runner hosts");
    for (const [tenant, deployment] of this.identity.deployments) roleArn(`${tenant}-deployment`, deployment.roleArn, `Deployment role of ${tenant}, assumed from its protected role only`);
    // Builds pull FROM images through the pull-through prefixes with the job's own credentials
    // (with socket binding the daemon pulls with what `docker login` stored in the job), so the
    // tenants' CI roles need the pull-through actions on the rules' prefixes, not only the runner hosts. Only protected
    // roles may create a cache repository on a first pull: one an unprotected job created would escape the repository
    // creation template (EcrPullThroughMirror.grantPullThrough).
    const pullThrough = this.mirror instanceof EcrPullThroughMirror ? this.mirror : undefined;
    for (const roles of this.identity.tenantRoles.values()) {
      pullThrough?.grantPullThrough(roles.protected, { trustLevel: "protected" });
      if (roles.unprotected) pullThrough?.grantPullThrough(roles.unprotected, { trustLevel: "unprotected" });
    }
    // Build and review jobs of every tenant run the toolbox image: its CI roles pull (never push) it.
    for (const tenant of tenantsOf(env)) {
      const source = toolboxSourceOf(env, tenant, toolboxProject);
      const roles = this.identity.tenantRoles.get(tenant.name);
      const toolbox = source ? this.tenantRepositories.get(source.tenant.name)?.protected.get(source.repositoryId) : undefined;
      if (roles && toolbox && source!.tenant.name !== tenant.name) grantToolboxPull(toolbox, [roles.protected, ...(roles.unprotected ? [roles.unprotected] : [])]);
    }

    // Group variables hold only what every tenant shares; each tenant's image URLs, role ARNs,
    // audience, toolbox and protected runner tags are project variables.
    const firstRoles = [...this.identity.tenantRoles.values()][0]!;
    const pools = runnerPoolsOf(env, runnersOf(platform, env), this.node.path);
    this.gitlab = new EnvironmentGitLabSide(this, "gitlab", {
      platform,
      environment: env,
      tagScheme: this.tagScheme,
      repositories: this.repositories,
      identity: { build: firstRoles.protected, ...(firstRoles.unprotected ? { buildMergeRequest: firstRoles.unprotected } : {}) },
      protectedRefs: {
        projects: tenantsOf(env).map((t) => ({
          path: t.path,
          name: t.name,
          mode: (props.protectedRefsManagedElsewhere ?? []).includes(t.path) ? "check" : t.protectedRefs,
        })),
        refs: this.identity.requiredProtectedRefs,
        ...(env.identity?.subClaimComponents ? { subClaimComponents: env.identity.subClaimComponents } : {}),
      },
      ...(this.mirrorEndpoint ? { mirror: this.mirrorEndpoint } : {}),
      ...(secretsKey ? { secretsKey } : {}),
      ...(toolboxProject ? { toolboxProject } : {}),
      ...(promotion.source ? { promotionSource: promotion.source } : {}),
      runnerPools: pools,
      ...(props.groupWideVariablesElsewhere ? { groupWideVariablesElsewhere: true } : {}),
    });
    new TerraformOutput(this, "ci-variable-names", {
      staticId: true,
      value: this.gitlab.variableNames,
      description: "Keys of the group CI/CD variables the platform manages",
    });

    this.runnerPools = pools
      .filter((pool) => pool.registration !== undefined)
      .map((pool) => ({
        name: pool.name,
        pool: pool.pool,
        trust: pool.trust,
        tags: [...(pool.registration!.tags ?? [])],
        untagged: pool.registration!.untagged ?? false,
        accessLevel: pool.registration!.protectedRefsOnly ? ("ref_protected" as const) : ("not_protected" as const),
        scope: pool.scope,
        builder: pool.builder,
      }));
    if (this.runnerPools.length > 0) {
      new TerraformOutput(this, "runner-pools", {
        staticId: true,
        value: this.runnerPools.map((p) => ({ name: p.name, pool: p.pool, tags: p.tags, builder: p.builder })),
        description: `Registered runners by pool: the tags jobs use, and the image builder jobs see as ${IMAGE_BUILDER_VARIABLE}`,
      });
    }

    if (runners && this.network) {
      const fleets = buildRunnerFleets(this, {
        platform,
        env,
        network: this.network,
        pools,
        runnerTokens: this.gitlab.runnerTokens,
        protectedHostRole: this.identity.runnerHost,
        cache: this.cache,
        tenantRepositories: this.tenantRepositories,
        ...(this.mirror ? { mirror: this.mirror } : {}),
        ...(secretsKey ? { secretsKey } : {}),
        roleArn,
      });
      this.runnerFleet = fleets.runnerFleet;
      this.unprotectedFleet = fleets.unprotectedFleet;
      this.unprotectedAutoscaler = fleets.unprotectedAutoscaler;
      this.deployFleet = fleets.deployFleet;
      this.runnerDashboards = fleets.dashboards;
    }
  }
}
