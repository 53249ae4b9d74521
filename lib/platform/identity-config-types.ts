import { type PolicyStatement } from "../core/iam";
import { type SubClaimComponent } from "../identity/gitlab-subject";

/*
 * The identity section of an environment's configuration (types only; checks in identity-config.ts).
 */
/** Opt-in static credentials for a tool that cannot use OIDC. */
export interface StaticCredentialsConfig {
  /** Id, also the user name suffix (`<project>-<env>-<id>`): 1-20 of `a-z0-9-`, starting with a letter. */
  readonly id: string;
  /** Push (and pull) or pull only. */
  readonly access: "push" | "pull";
  /**
   * Repository ids the user may use: the protected repository of that id of every tenant that has one.
   * @default every protected repository of every tenant
   */
  readonly repositories?: readonly string[];
  /**
   * Tenants (by tenant name, see `ProjectConfig.name`) whose protected repositories the user may
   * use; with `repositories`, only those ids of these tenants.
   * @default every tenant of the environment
   */
  readonly tenants?: readonly string[];
  /**
   * Where the secret access key is stored: parameter `/<project>/<env>/<id>/secret-access-key`
   * (a SecureString under the environment's customer-managed secrets key, alias
   * `<project>-<env>-secrets`, decryptable only through SSM) or secret `<project>/<env>/<id>`
   * (under the AWS-managed `aws/secretsmanager` key).
   * @default "ssm-parameter"
   */
  readonly store?: "ssm-parameter" | "secrets-manager";
  /**
   * Rotation counter: raise it to replace the access key.
   * @default 1
   */
  readonly rotation?: number;
}

/** The deployment role of an environment (a `terraform-deployment-role`), assumed from the tenants' protected CI roles. */
export interface DeploymentConfig {
  /**
   * Managed policies the deployment role gets. With `statements`, at least one is required.
   * Administrator-level AWS managed policies (and statements of the same power,
   * `administratorGrantsOf`) are accepted only because nothing but the protected CI
   * roles can assume the role (see `ADMINISTRATOR_MANAGED_POLICIES`).
   * @default none
   */
  readonly managedPolicyArns?: readonly string[];
  /**
   * Inline permission statements, given to every deploying tenant's deployment role. `{{tenant}}`
   * in a resource ARN or condition value becomes the tenant's name in each tenant's role
   * (`TENANT_PLACEHOLDER`), e.g. `arn:aws:s3:::state/production/{{tenant}}/*`: scope what one
   * project's deploy jobs may write to that project. With several tenants, an Allow statement with
   * a write action whose resource covers another tenant's `{{tenant}}` scope is refused
   * (`validateDeploymentStatements`). With `managedPolicyArns`, at least one is required.
   * @default none
   */
  readonly statements?: readonly PolicyStatement[];
  /**
   * Permissions boundary of the deployment role.
   * @default the environment's identity.permissionsBoundaryArn
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Removed: setting it fails validation. Jobs run in containers behind the
   * instance metadata hop limit of 1, so no job can use the runner host's
   * credentials; the only callers it would admit are jobs that escaped to the
   * host (docker socket, `--network host`), from any branch. Deploy from a
   * protected ref with the tenant's protected CI role (`.aws-<tenant>-deploy`).
   * @deprecated refused at validation; remove it from the configuration
   * @default undefined
   */
  readonly trustRunnerHost?: boolean;
}

/** Identity settings of an environment; every field has a default. */
export interface EnvironmentIdentityConfig {
  /**
   * The default branch: build-role pipelines run on it (protect it in GitLab).
   * @default "main"
   */
  readonly defaultBranch?: string;
  /**
   * The Git tags that release, exact or with `*`: the tenants' protected CI
   * roles trust them, the platform protects them in GitLab, and the CI
   * templates run their Git tag pipelines for them (one derivation,
   * `releaseTagPatternOf` of registry/release-tags.ts). It may not be wider
   * than the Git tags whose tag the tag scheme's `release` kind selects
   * (`releasableGitTags`), may not be wildcards only, may not hold `?` and may
   * hold no character outside the Docker tag alphabet (letters, digits, `_`,
   * `.`, `-`; see `validateReleaseTagPattern`). The templates' `*` matches
   * only that alphabet, so a trusted, protected Git tag such as
   * `v1.2.3+build.7` starts no release pipeline. Environments of one GitLab
   * instance with published CI templates must give the same pattern
   * (`validateSharedReleaseTags`).
   * @default the Git tags the release kind releases when that is one pattern a
   *   role may trust (`v*.*.*` for the built-in kind), else "v*.*.*" (`DEFAULT_RELEASE_TAG_PATTERN`)
   */
  readonly releaseTags?: string;
  /**
   * Repository ids whose unprotected copy (`<prefix>/<tenant>/unprotected/<id>`)
   * the tenants' unprotected CI roles may push to. Protected repositories are
   * never pushed by unprotected pipelines.
   * @default every repository of the tenant
   */
  readonly mergeRequestPushRepositories?: readonly string[];
  /**
   * The parts of the ID token's `sub` claim the tenants' projects issue
   * (GitLab's per-project `ci_id_token_sub_claim_components`, projects API);
   * every trust condition follows it. It must carry `ref_type` and `ref`, or
   * protected and unprotected pipelines cannot be told apart.
   * @default ["project_path", "ref_type", "ref"] (GitLab's default)
   */
  readonly subClaimComponents?: readonly SubClaimComponent[];
  /**
   * The OIDC audience (`aud`) this environment's CI roles accept and its jobs request: one per
   * environment, so a token minted for one environment is refused by the others' roles.
   * @default `<platform project>-<environment name>` (see `audienceOf`)
   */
  readonly audience?: string;
  /**
   * Maximum session duration of the CI roles, in seconds (3600-43200).
   * @default 3600
   */
  readonly maxSessionDurationSeconds?: number;
  /**
   * Permissions boundary for every role and user of the environment.
   * @default none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * The deployment role.
   * @default none: no deployment role (its permissions must come from you)
   */
  readonly deployment?: DeploymentConfig;
  /**
   * Opt-in static credentials.
   * @default none
   */
  readonly staticCredentials?: readonly StaticCredentialsConfig[];
}
