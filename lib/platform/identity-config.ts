import { check } from "../core/errors";
import { type PolicyStatement } from "../core/iam";
import { type EnvironmentConfig } from "./config";

/** Opt-in static credentials for a tool that cannot use OIDC. */
export interface StaticCredentialsConfig {
  /** Id, also the user name suffix (`<project>-<env>-<id>`): 1-20 of `a-z0-9-`, starting with a letter. */
  readonly id: string;
  /** Push (and pull) or pull only. */
  readonly access: "push" | "pull";
  /**
   * Repository ids the user may use.
   * @default every repository of the environment
   */
  readonly repositories?: readonly string[];
  /**
   * Where the secret access key is stored: parameter `/<project>/<env>/<id>/secret-access-key`
   * or secret `<project>/<env>/<id>`.
   * @default "ssm-parameter"
   */
  readonly store?: "ssm-parameter" | "secrets-manager";
  /**
   * Rotation counter: raise it to replace the access key.
   * @default 1
   */
  readonly rotation?: number;
}

/** The deployment role of an environment (what a hand-made `terraform-deployment-role` does). */
export interface DeploymentConfig {
  /**
   * Managed policies the deployment role gets. With `statements`, at least one is required.
   * @default none
   */
  readonly managedPolicyArns?: readonly string[];
  /**
   * Inline permission statements. With `managedPolicyArns`, at least one is required.
   * @default none
   */
  readonly statements?: readonly PolicyStatement[];
  /**
   * Permissions boundary of the deployment role.
   * @default the environment's identity.permissionsBoundaryArn
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Also let the runner host role assume it (the instance-credential path;
   * every job on those hosts can then deploy). The build role always may.
   * @default false
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
   * Release tags the build role trusts, exact or with `*` (protect them in GitLab).
   * @default "v*"
   */
  readonly releaseTags?: string;
  /**
   * Repository ids merge-request (any-branch) pipelines may push to.
   * @default every repository of the environment
   */
  readonly mergeRequestPushRepositories?: readonly string[];
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

const CREDENTIALS_ID = /^[a-z][a-z0-9-]{0,19}$/;

/** Checks an environment's identity section (`path` names it in messages, e.g. `config/environments[0]/identity`). */
export function validateEnvironmentIdentity(path: string, env: EnvironmentConfig): void {
  const identity = env.identity ?? {};
  const repositoryIds = env.registry.repositories.map((r) => r.id);
  const checkRepositories = (where: string, ids: readonly string[]) =>
    ids.forEach((id, j) =>
      check(repositoryIds.includes(id), {
        path: `${where}[${j}]`,
        subject: "repository id",
        value: id,
        rule: `the id names one of the environment's repositories (${repositoryIds.join(", ")})`,
        fix: "use an id from registry.repositories",
      }),
    );

  if (identity.defaultBranch !== undefined) {
    check(!/[*?]/.test(identity.defaultBranch), {
      path: `${path}/defaultBranch`,
      subject: "default branch",
      value: identity.defaultBranch,
      rule: "defaultBranch is one exact branch name (the build role trusts it with StringEquals)",
      fix: "name the project's default branch, e.g. main",
    });
  }
  checkRepositories(`${path}/mergeRequestPushRepositories`, identity.mergeRequestPushRepositories ?? []);
  const ids = new Set<string>();
  (identity.staticCredentials ?? []).forEach((creds, j) => {
    const where = `${path}/staticCredentials[${j}]`;
    check(CREDENTIALS_ID.test(creds.id) && !ids.has(creds.id), {
      path: where,
      subject: "static credentials id",
      value: creds.id,
      rule: "ids are unique and 1-20 lower-case letters, digits and '-', starting with a letter (they name the IAM user)",
      fix: "use a short name such as legacy-pull",
    });
    ids.add(creds.id);
    check(creds.access === "push" || creds.access === "pull", {
      path: where,
      subject: "access",
      value: creds.access,
      rule: 'static credentials get "push" or "pull" access',
      fix: 'use "pull" unless the tool pushes images',
    });
    checkRepositories(`${where}/repositories`, creds.repositories ?? []);
  });
}
