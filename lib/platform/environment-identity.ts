import { Construct } from "constructs";
import { partitionOf } from "../core/aws";
import { iamRoleArn } from "../core/iam";
import { type CiSnippet } from "../identity/ci-access";
import { DeploymentRole } from "../identity/deployment-role";
import { GitLabCiRole } from "../identity/gitlab-ci-role";
import { GitLabOidcProvider, type IGitLabOidcProvider } from "../identity/gitlab-oidc-provider";
import { type GitLabSubject, type ProtectedRefRequirement } from "../identity/gitlab-subject";
import { validateReleaseTagPattern } from "../identity/ref-patterns";
import { RunnerHostRole } from "../identity/runner-host-role";
import { StaticCredentials } from "../identity/static-credentials";
import { type ContainerRepository } from "../registry/repository";
import { type EnvironmentConfig, type PlatformInfo } from "./config";
import { statementsForTenant } from "./deployment-statements";
import { deployingTenantsOf, deploysTenant } from "./toolbox-source";
import {
  audienceOf,
  tenantDeploymentRoleName,
  tenantRoleName,
  DEFAULT_RELEASE_TAG_PATTERN,
  DEFAULT_SUB_CLAIM_COMPONENTS,
  type Tenant,
  tenantsOf,
  servesUnprotected,
  type TrustLevel,
} from "./tenancy";

/** One tenant's repositories at both trust levels, by repository config id. */
export interface TenantRepositories {
  /** `<prefix>/<tenant>/<id>`: what protected pipelines push and every job of the tenant may run. */
  readonly protected: ReadonlyMap<string, ContainerRepository>;
  /**
   * `<prefix>/<tenant>/unprotected/<id>`: what unprotected pipelines push; protected jobs never use it.
   * Empty in an environment without an unprotected runner pool (`servesUnprotected`).
   */
  readonly unprotected: ReadonlyMap<string, ContainerRepository>;
}

/** One tenant's CI roles. */
export interface TenantRoles {
  /** Trusted by the tenant's default branch and release tags only; pushes the tenant's protected repositories. */
  readonly protected: GitLabCiRole;
  /**
   * Trusted by every ref of the tenant; pushes its unprotected repositories, pulls its protected ones.
   * @default none in an environment without an unprotected runner pool (`servesUnprotected`):
   * unprotected jobs have no runner there, so no role of theirs either
   */
  readonly unprotected?: GitLabCiRole;
  /**
   * The tenant's deployment role `<project>-<env>-<tenant>-deployment`: assumed (`sts:AssumeRole`)
   * from this tenant's protected role alone, with the permissions of `identity.deployment`; the
   * platform adds what belongs to this tenant only (its last-good-digest parameter), so one
   * project's deploy job cannot reach another project's records.
   * `{{tenant}}` in the statements' resources and condition values becomes this tenant's name
   * (`statementsForTenant`), so each role can be scoped to its own tenant.
   * @default none, unless the environment configures `identity.deployment`; never for the
   * toolbox project (`toolboxProject`), which deploys nothing
   */
  readonly deployment?: DeploymentRole;
}

/** Props of {@link EnvironmentIdentity}. */
export interface EnvironmentIdentityProps {
  /** The project (its name prefixes every role and user name). */
  readonly platform: PlatformInfo;
  /** The environment. */
  readonly env: EnvironmentConfig;
  /** The tenants' repositories by tenant name. */
  readonly repositories: ReadonlyMap<string, TenantRepositories>;
  /**
   * The release tag selector the CI templates push (the tag scheme's `release`
   * kind): the protected roles' release tag pattern may not be wider. Read only
   * without {@link releasableGitTags}.
   * @deprecated give `releasableGitTags` (`releasableGitTags(releaseKind)` of registry/release-tags.ts):
   *   the release pattern names Git tags, and the selector names image tags, which differ when the
   *   release kind's tag has literal text around `${CI_COMMIT_TAG}`
   * @default "v*.*.*"
   */
  readonly releaseTagSelector?: string;
  /**
   * The Git tags the CI templates can release (`releasableGitTags` of the tag scheme's release kind,
   * registry/release-tags.ts): the protected roles' release tag pattern may not be wider.
   * @default [releaseTagSelector], else ["v*.*.*"]
   */
  readonly releasableGitTags?: readonly string[];
  /**
   * The Git tags the tenants' protected roles trust as release tags, and GitLab protects: the same
   * pattern the CI templates run their Git tag pipelines for (`releaseTagPatternOf` of
   * registry/release-tags.ts, which `GitLabCiPlatform` passes).
   * @default the environment's `identity.releaseTags`, else "v*.*.*"
   */
  readonly releaseTags?: string;
  /**
   * Environment branches (branch-per-environment deploys, `deploy.branch` of the configuration's
   * environments): every tenant's protected role trusts them too, and the platform protects them.
   * @default none
   */
  readonly environmentBranches?: readonly string[];
  /**
   * ARN of the environment's customer-managed secrets key (`SecretsKey`): static
   * credentials stored as an SSM SecureString are encrypted with it instead of the
   * AWS-managed `aws/ssm` key, which every principal of the account allowed
   * `ssm:GetParameter` decrypts. Secrets Manager stores keep `aws/secretsmanager`
   * (the secrets key only decrypts through SSM).
   * @default the AWS-managed `aws/ssm` key
   */
  readonly secretsKeyArn?: string;
  /**
   * Path of the GitLab project that builds the toolbox image (`gitlab.toolboxProject.path` of
   * whichever environment declares it): it deploys nothing, so it gets no deployment role.
   * @default the environment's own `gitlab.toolboxProject.path`, if any
   */
  readonly toolboxProject?: string;
}

/**
 * Every identity of one environment:
 * - per tenant (`gitlab.projects`) two OIDC roles, `<project>-<env>-<tenant>-protected`
 *   (the tenant's default branch and release tags; push and pull of the tenant's
 *   protected repositories; may assume its own deployment role) and
 *   `<project>-<env>-<tenant>-unprotected` (every ref of the tenant; push of its
 *   unprotected repositories, pull of its protected ones; only in an environment with
 *   an unprotected runner pool, `servesUnprotected`). No role reaches another
 *   tenant's repositories, and no role is trusted group-wide.
 * - per tenant that deploys (every tenant but the toolbox project), with `identity.deployment`, a deployment role `<project>-<env>-<tenant>-deployment`
 *   ({@link TenantRoles.deployment}), assumed from that tenant's protected role only.
 * - `runnerHost`: the protected pool's instance role (Session Manager; the runner
 *   fleets grant it pull of the repositories of the tenants its runners serve).
 * - `staticCredentials`: opt-in IAM users.
 *
 * Every trust condition requires the environment's own audience (`audienceOf`),
 * so a token requested for another environment is refused. The OIDC provider is
 * the account's (created once per account by the app's account stack, listing the
 * audiences of every environment in the account), referenced by its deterministic ARN.
 *
 * Construct ids: `oidc-provider`, `ci-<tenant>-protected`, `ci-<tenant>-unprotected`,
 * `deployment-<tenant>`, `runner-host`, `static-<id>`.
 */
export class EnvironmentIdentity extends Construct {
  /** The account's GitLab OIDC provider (referenced, not created here). */
  public readonly oidcProvider: IGitLabOidcProvider;
  /** The audience every CI role of the environment requires. */
  public readonly audience: string;
  /** The tenants' CI roles by tenant name. */
  public readonly tenantRoles: ReadonlyMap<string, TenantRoles>;
  /** The runner hosts' role and instance profile. */
  public readonly runnerHost: RunnerHostRole;
  /** Opt-in static credentials by config id. */
  public readonly staticCredentials: ReadonlyMap<string, StaticCredentials>;
  /** The deployment role names by tenant name (literals, for ARNs known before the roles exist). */
  private readonly deploymentRoleNames: ReadonlyMap<string, string>;

  /**
   * @param scope parent construct (`GitLabCiPlatform` uses id `identity`)
   * @param id construct id
   * @param props the project, the environment and its tenants' repositories
   * @throws ValidationError for a release tag pattern wider than the release selector,
   *   a role name over 64 characters, or a sub component set the trust levels need
   */
  public constructor(scope: Construct, id: string, props: EnvironmentIdentityProps) {
    super(scope, id);
    const { platform, env, repositories } = props;
    const identity = env.identity ?? {};
    const prefix = `${platform.project}-${env.name}`;
    const partition = partitionOf(env.region);
    const boundary = identity.permissionsBoundaryArn ? { permissionsBoundaryArn: identity.permissionsBoundaryArn } : {};
    this.audience = audienceOf(platform, env);
    const components = identity.subClaimComponents ?? DEFAULT_SUB_CLAIM_COMPONENTS;
    const toolboxProject = props.toolboxProject ?? env.gitlab.toolboxProject?.path;

    this.oidcProvider = GitLabOidcProvider.fromExisting(this, "oidc-provider", {
      url: env.gitlab.url,
      accountId: env.accountId,
      partition,
      audiences: [this.audience],
    });
    const ciRole = (tenant: Tenant, trust: TrustLevel, subjects: GitLabSubject[]) =>
      new GitLabCiRole(this, `ci-${tenant.name}-${trust}`, {
        provider: this.oidcProvider,
        roleName: tenantRoleName(platform, env, tenant, trust),
        audience: this.audience,
        region: env.region,
        subjects,
        subClaimComponents: components,
        description: `GitLab CI (OIDC), ${trust} pipelines of ${tenant.path}`,
        ...(identity.maxSessionDurationSeconds ? { maxSessionDurationSeconds: identity.maxSessionDurationSeconds } : {}),
        ...boundary,
      });

    // One deployment role per tenant, trusted by that tenant's protected role alone: a role shared by
    // the tenants would let one project's deploy job write another project's last good digest.
    const deploymentRole = (tenant: Tenant, protectedRole: GitLabCiRole): DeploymentRole | undefined => {
      const deployment = identity.deployment;
      if (deployment === undefined || !deploysTenant(tenant, toolboxProject)) return undefined;
      const deploymentBoundary = deployment.permissionsBoundaryArn ?? identity.permissionsBoundaryArn;
      return new DeploymentRole(this, `deployment-${tenant.name}`, {
        roleName: tenantDeploymentRoleName(platform, env, tenant),
        description: `Deployments of ${tenant.path} to ${env.name} from CI, assumed from its protected CI role`,
        assumedBy: [protectedRole],
        ...(deployment.managedPolicyArns ? { managedPolicyArns: deployment.managedPolicyArns } : {}),
        ...(deployment.statements ? { statements: statementsForTenant(deployment.statements, tenant.name) } : {}),
        ...(deploymentBoundary ? { permissionsBoundaryArn: deploymentBoundary } : {}),
      });
    };
    const tags = props.releaseTags ?? identity.releaseTags ?? DEFAULT_RELEASE_TAG_PATTERN;
    validateReleaseTagPattern(`${this.node.path}/releaseTags`, tags, props.releasableGitTags ?? [props.releaseTagSelector ?? DEFAULT_RELEASE_TAG_PATTERN]);
    const tagSelector = /[*?]/.test(tags) ? { tagPattern: tags } : { tag: tags };
    const unprotectedPush = identity.mergeRequestPushRepositories;
    const roles = new Map<string, TenantRoles>();
    for (const tenant of tenantsOf(env)) {
      const own = repositories.get(tenant.name) ?? { protected: new Map(), unprotected: new Map() };
      const projectPath = tenant.path;
      const environmentBranches = [...new Set(props.environmentBranches ?? [])].filter((b) => b !== tenant.defaultBranch);
      const protectedRole = ciRole(tenant, "protected", [
        { projectPath, branch: tenant.defaultBranch, protectedRefsOnly: true },
        ...environmentBranches.map((branch) => ({ projectPath, branch, protectedRefsOnly: true })),
        { projectPath, ...tagSelector, protectedRefsOnly: true },
      ]);
      own.protected.forEach((r) => r.grantPush(protectedRole));
      const deployment = deploymentRole(tenant, protectedRole);
      if (!servesUnprotected(env)) {
        roles.set(tenant.name, { protected: protectedRole, ...(deployment ? { deployment } : {}) });
        continue;
      }
      const unprotectedRole = ciRole(tenant, "unprotected", [{ projectPath }]);
      own.unprotected.forEach((r, repositoryId) => {
        if (unprotectedPush === undefined || unprotectedPush.includes(repositoryId)) r.grantPush(unprotectedRole);
        else r.grantPull(unprotectedRole);
      });
      own.protected.forEach((r) => r.grantPull(unprotectedRole));
      roles.set(tenant.name, { protected: protectedRole, unprotected: unprotectedRole, ...(deployment ? { deployment } : {}) });
    }
    this.tenantRoles = roles;
    this.deploymentRoleNames = new Map(deployingTenantsOf(env, toolboxProject).map((t) => [t.name, tenantDeploymentRoleName(platform, env, t)]));

    // No repository grant here: the runner fleets grant each pool's host role pull of the
    // repositories of the tenants its runners serve, at its trust level (buildRunnerFleets).
    this.runnerHost = new RunnerHostRole(this, "runner-host", { roleName: `${prefix}-runner-host`, ...boundary });

    const credentials = new Map<string, StaticCredentials>();
    for (const creds of identity.staticCredentials ?? []) {
      const user = new StaticCredentials(this, `static-${creds.id}`, {
        userName: `${prefix}-${creds.id}`,
        store:
          creds.store === "secrets-manager"
            ? { type: "secrets-manager", secretName: `${platform.project}/${env.name}/${creds.id}` }
            : {
                type: "ssm-parameter",
                parameterName: `/${platform.project}/${env.name}/${creds.id}/secret-access-key`,
                ...(props.secretsKeyArn ? { kmsKeyArn: props.secretsKeyArn } : {}),
              },
        ...(creds.rotation ? { rotation: creds.rotation } : {}),
        ...boundary,
      });
      for (const [tenantName, tenant] of repositories) {
        if (creds.tenants !== undefined && !creds.tenants.includes(tenantName)) continue;
        tenant.protected.forEach((r, repositoryId) => {
          if (creds.repositories !== undefined && !creds.repositories.includes(repositoryId)) return;
          if (creds.access === "push") r.grantPush(user);
          else r.grantPull(user);
        });
      }
      credentials.set(creds.id, user);
    }
    this.staticCredentials = credentials;
  }

  /** The tenants' deployment roles by tenant name (empty without `identity.deployment`). */
  public get deployments(): ReadonlyMap<string, DeploymentRole> {
    return new Map([...this.tenantRoles].flatMap(([name, roles]) => (roles.deployment ? [[name, roles.deployment] as const] : [])));
  }

  /**
   * Every ref a CI role of the environment trusts on the assumption that GitLab protects it
   * (`GitLabCiRole.requiredProtectedRefs` of each tenant's protected and unprotected role, in
   * tenant order; repeats allowed). What the environment's protected-ref checks, the shared
   * stack's protections and the GitLab version check's placement read.
   */
  public get requiredProtectedRefs(): ProtectedRefRequirement[] {
    return [...this.tenantRoles.values()].flatMap((r) => [...r.protected.requiredProtectedRefs, ...(r.unprotected?.requiredProtectedRefs ?? [])]);
  }

  /**
   * CI snippets (hidden jobs) per tenant: `.aws-<tenant>-protected` (chaining to
   * the tenant's own deployment role as `.aws-<tenant>-deploy` when there is one) and
   * `.aws-<tenant>-unprotected` (where the tenant has an unprotected role). Each requests the environment's audience.
   */
  public ciSnippets(): CiSnippet[] {
    const { partition, accountId } = this.oidcProvider;
    return [...this.tenantRoles].flatMap(([name, roles]) => [
      roles.protected.ciSnippet({ jobName: `.aws-${name}-protected` }),
      ...(roles.deployment
        ? [
            roles.protected.ciSnippet({
              jobName: `.aws-${name}-deploy`,
              durationSeconds: 3600,
              chainRoleArn: iamRoleArn(partition, accountId, this.deploymentRoleNames.get(name)!),
            }),
          ]
        : []),
      ...(roles.unprotected ? [roles.unprotected.ciSnippet({ jobName: `.aws-${name}-unprotected` })] : []),
    ]);
  }
}
