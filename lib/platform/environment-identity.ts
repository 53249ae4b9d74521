import { Construct } from "constructs";
import { partitionOf } from "../core/aws";
import { iamRoleArn } from "../core/iam";
import { type CiSnippet } from "../identity/ci-access";
import { DeploymentRole } from "../identity/deployment-role";
import { GitLabCiRole } from "../identity/gitlab-ci-role";
import { GitLabOidcProvider, type IGitLabOidcProvider } from "../identity/gitlab-oidc-provider";
import { type GitLabSubject } from "../identity/gitlab-subject";
import { RunnerHostRole } from "../identity/runner-host-role";
import { StaticCredentials } from "../identity/static-credentials";
import { type ContainerRepository } from "../registry/repository";
import { type EnvironmentConfig, type PlatformInfo } from "./config";
import { tenantsOf } from "./tenancy";

/** Props of {@link EnvironmentIdentity}. */
export interface EnvironmentIdentityProps {
  /** The project (its name prefixes every role and user name). */
  readonly platform: PlatformInfo;
  /** The environment. */
  readonly env: EnvironmentConfig;
  /** The environment's repositories by config id. */
  readonly repositories: ReadonlyMap<string, ContainerRepository>;
}

/**
 * Every identity of one environment, mapped to the seeds:
 * - `build`: OIDC role for default-branch and release-tag pipelines; pushes to every repository;
 *   may assume the deployment role.
 * - `buildMergeRequest`: OIDC role for pipelines on any branch (merge requests); pushes to
 *   `identity.mergeRequestPushRepositories`.
 * - `pull`: OIDC role for any pipeline of the group; pulls every repository.
 * - `deployment`: the deployment role (a hand-made `terraform-deployment-role`), assumed from `build` (and the
 *   runner host role when configured); only when `identity.deployment` is set.
 * - `runnerHost`: the hosts' instance role (Session Manager; pulls every repository).
 * - `staticCredentials`: opt-in IAM users for tools that cannot use OIDC.
 * The OIDC provider is the account's (created once per account, e.g. by the app's account
 * stack), referenced by its deterministic ARN.
 *
 * Construct ids: `oidc-provider`, `build`, `build-mr`, `pull`, `runner-host`, `deployment`,
 * `static-<id>`.
 */
export class EnvironmentIdentity extends Construct {
  /** The account's GitLab OIDC provider (referenced, not created here). */
  public readonly oidcProvider: IGitLabOidcProvider;
  /** Default-branch and release-tag pipelines: push to every repository. */
  public readonly build: GitLabCiRole;
  /** Pipelines on any branch (merge requests): push to the configured repositories. */
  public readonly buildMergeRequest: GitLabCiRole;
  /** Any pipeline of the group: pull every repository. */
  public readonly pull: GitLabCiRole;
  /**
   * The deployment role.
   * @default none, unless the environment configures `identity.deployment`
   */
  public readonly deployment?: DeploymentRole;
  /** The runner hosts' role and instance profile. */
  public readonly runnerHost: RunnerHostRole;
  /** Opt-in static credentials by config id. */
  public readonly staticCredentials: ReadonlyMap<string, StaticCredentials>;
  /** Resource name prefix, `<project>-<env>`. */
  private readonly prefix: string;

  /**
   * @param scope parent construct (`GitLabCiPlatform` uses id `identity`)
   * @param id construct id
   * @param props the project, the environment and its repositories
   */
  public constructor(scope: Construct, id: string, props: EnvironmentIdentityProps) {
    super(scope, id);
    const { platform, env, repositories } = props;
    const identity = env.identity ?? {};
    const prefix = `${platform.project}-${env.name}`;
    this.prefix = prefix;
    const partition = partitionOf(env.region);
    const boundary = identity.permissionsBoundaryArn ? { permissionsBoundaryArn: identity.permissionsBoundaryArn } : {};
    const allRepositories = [...repositories.values()];
    const pick = (ids: readonly string[] | undefined) => (ids ? ids.map((i) => repositories.get(i)!) : allRepositories);

    this.oidcProvider = GitLabOidcProvider.fromExisting(this, "oidc-provider", { url: env.gitlab.url, accountId: env.accountId, partition });
    const ciRole = (roleId: string, roleName: string, subjects: GitLabSubject[]) =>
      new GitLabCiRole(this, roleId, {
        provider: this.oidcProvider,
        roleName,
        region: env.region,
        subjects,
        ...(identity.maxSessionDurationSeconds ? { maxSessionDurationSeconds: identity.maxSessionDurationSeconds } : {}),
        ...boundary,
      });

    const branch = identity.defaultBranch ?? "main";
    const tags = identity.releaseTags ?? "v*";
    const tagSelector = /[*?]/.test(tags) ? { tagPattern: tags } : { tag: tags };
    this.build = ciRole(
      "build",
      `${prefix}-build`,
      tenantsOf(env).flatMap(({ path: projectPath }) => [
        { projectPath, branch, protectedRefsOnly: true },
        { projectPath, ...tagSelector, protectedRefsOnly: true },
      ]),
    );
    allRepositories.forEach((r) => r.grantPush(this.build));

    this.buildMergeRequest = ciRole(
      "build-mr",
      `${prefix}-build-mr`,
      tenantsOf(env).map(({ path: projectPath }) => ({ projectPath, refType: "branch" })),
    );
    pick(identity.mergeRequestPushRepositories).forEach((r) => r.grantPush(this.buildMergeRequest));

    this.pull = ciRole("pull", `${prefix}-pull`, [{ groupPath: env.gitlab.group }]);
    allRepositories.forEach((r) => r.grantPull(this.pull));

    this.runnerHost = new RunnerHostRole(this, "runner-host", { roleName: `${prefix}-runner-host`, ...boundary });
    allRepositories.forEach((r) => r.grantPull(this.runnerHost));

    if (identity.deployment) {
      const deployment = identity.deployment;
      const deploymentBoundary = deployment.permissionsBoundaryArn ?? identity.permissionsBoundaryArn;
      this.deployment = new DeploymentRole(this, "deployment", {
        roleName: `${prefix}-deployment`,
        assumedBy: deployment.trustRunnerHost ? [this.build, this.runnerHost] : [this.build],
        ...(deployment.managedPolicyArns ? { managedPolicyArns: deployment.managedPolicyArns } : {}),
        ...(deployment.statements ? { statements: deployment.statements } : {}),
        ...(deploymentBoundary ? { permissionsBoundaryArn: deploymentBoundary } : {}),
      });
    }

    const credentials = new Map<string, StaticCredentials>();
    for (const creds of identity.staticCredentials ?? []) {
      const user = new StaticCredentials(this, `static-${creds.id}`, {
        userName: `${prefix}-${creds.id}`,
        store:
          creds.store === "secrets-manager"
            ? { type: "secrets-manager", secretName: `${platform.project}/${env.name}/${creds.id}` }
            : { type: "ssm-parameter", parameterName: `/${platform.project}/${env.name}/${creds.id}/secret-access-key` },
        ...(creds.rotation ? { rotation: creds.rotation } : {}),
        ...boundary,
      });
      pick(creds.repositories).forEach((r) => (creds.access === "push" ? r.grantPush(user) : r.grantPull(user)));
      credentials.set(creds.id, user);
    }
    this.staticCredentials = credentials;
  }

  /**
   * CI snippets (hidden jobs) per OIDC role: `.aws-build` (chaining to the
   * deployment role as `.aws-deploy` when there is one), `.aws-build-mr`, `.aws-pull`.
   */
  public ciSnippets(): CiSnippet[] {
    const { partition, accountId } = this.oidcProvider;
    return [
      this.build.ciSnippet({ jobName: ".aws-build" }),
      ...(this.deployment
        ? [
            this.build.ciSnippet({
              jobName: ".aws-deploy",
              durationSeconds: 3600,
              chainRoleArn: iamRoleArn(partition, accountId, `${this.prefix}-deployment`),
            }),
          ]
        : []),
      this.buildMergeRequest.ciSnippet({ jobName: ".aws-build-mr" }),
      this.pull.ciSnippet({ jobName: ".aws-pull" }),
    ];
  }
}
