import { check } from "../core/errors";
import { type PolicyStatement } from "../core/iam";
import { type SubClaimComponent, validateSubClaimComponents } from "../identity/gitlab-subject";
import { validateReleaseTagPattern } from "../identity/ref-patterns";
import { type EnvironmentConfig } from "./config";
import { DEFAULT_RELEASE_TAG_PATTERN, DEFAULT_SUB_CLAIM_COMPONENTS, tenantsOf } from "./tenancy";

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

/** The deployment role of an environment (a `terraform-deployment-role`), assumed from the tenants' protected CI roles. */
export interface DeploymentConfig {
  /**
   * Managed policies the deployment role gets. With `statements`, at least one is required.
   * Administrator-level AWS managed policies are accepted only because nothing but
   * the protected CI roles can assume the role (see `ADMINISTRATOR_MANAGED_POLICIES`).
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
   * Release tags the tenants' protected CI roles trust, exact or with `*`; the
   * platform protects them in GitLab. It may not be wider than the release
   * selector the CI templates push (the tag scheme's `release` kind), may not
   * be wildcards only and may not hold `?` (see `validateReleaseTagPattern`).
   * @default "v*.*.*" (`DEFAULT_RELEASE_TAG_PATTERN`)
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
  validateReleaseTagPattern(`${path}/releaseTags`, identity.releaseTags ?? DEFAULT_RELEASE_TAG_PATTERN, releaseSelectorOf(env));
  validateTrustComponents(`${path}/subClaimComponents`, identity.subClaimComponents ?? DEFAULT_SUB_CLAIM_COMPONENTS);
  const deployment = identity.deployment;
  if (deployment) {
    check(deployment.trustRunnerHost === undefined, {
      path: `${path}/deployment/trustRunnerHost`,
      subject: "trustRunnerHost",
      value: deployment.trustRunnerHost,
      rule:
        "the runner host role no longer assumes the deployment role: jobs run in containers behind the instance metadata hop limit of 1, " +
        "so the only jobs that could use the host's credentials are jobs that escaped to the host, from any branch",
      fix: "remove trustRunnerHost and deploy from a protected ref with the tenant's protected CI role (the .aws-<tenant>-deploy snippet)",
    });
  }
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
    const tenantNames = tenantsOf(env).map((t) => t.name);
    (creds.tenants ?? []).forEach((name, k) =>
      check(tenantNames.includes(name), {
        path: `${where}/tenants[${k}]`,
        subject: "tenant",
        value: name,
        rule: `the name is one of the environment's tenants (${tenantNames.join(", ")})`,
        fix: "use a tenant name from gitlab.projects (the project's name, or the last part of its path)",
      }),
    );
  });
}

/**
 * The release tag selector the CI templates push: the tag scheme's `release`
 * kind (its pattern, or its prefix followed by `*`).
 * @default "v*.*.*" when the scheme does not override it
 */
export function releaseSelectorOf(env: EnvironmentConfig): string {
  const release = env.registry.tagScheme?.kinds?.release;
  if (release?.pattern !== undefined) return release.pattern;
  if (release?.prefix !== undefined) return `${release.prefix}*`;
  return DEFAULT_RELEASE_TAG_PATTERN;
}

/**
 * The `sub` components must let IAM tell the trust levels apart: without
 * `ref` every pipeline of a project carries the same `sub`; without
 * `ref_type` a tag named like the default branch (any Developer may push one)
 * carries the default branch's `sub`.
 */
function validateTrustComponents(path: string, components: readonly SubClaimComponent[]): void {
  validateSubClaimComponents(path, components);
  for (const [component, why] of [
    ["ref", "every pipeline of a project then carries the same sub, so protected and unprotected pipelines cannot be told apart"],
    ["ref_type", "a tag named like the default branch (which any Developer may push) then carries the default branch's sub"],
  ] as const) {
    check(components.includes(component), {
      path,
      subject: "sub claim components",
      value: components,
      rule: `the sub claim must carry ${component}: ${why}`,
      fix: `set the projects' ci_id_token_sub_claim_components to project_path,ref_type,ref (GitLab's default) and configure the same here`,
    });
  }
}
