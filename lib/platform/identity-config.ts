import { check, ValidationError } from "../core/errors";
import { type SubClaimComponent, validateSubClaimComponents } from "../identity/gitlab-subject";
import { validateReleaseTagPattern } from "../identity/ref-patterns";
import { releasableGitTags, releaseKindOf, releaseTagPatternOf } from "../registry/release-tags";
import { type TagKind } from "../registry/tag-kinds";
import { validateDeploymentStatements } from "./deployment-statements";
import { type EnvironmentConfig } from "./environment-config";
import { DEFAULT_RELEASE_TAG_PATTERN, DEFAULT_SUB_CLAIM_COMPONENTS, tenantsOf } from "./tenancy";
import { templatesEnvironmentsOf } from "./shared-tag-scheme";

export { type DeploymentConfig, type EnvironmentIdentityConfig, type StaticCredentialsConfig } from "./identity-config-types";

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
  // The Git tags that release, derived as the templates and the roles derive them (registry/release-tags.ts). A release kind the
  // tag scheme refuses is reported by the tag scheme's own check.
  const release = releaseKindOrInvalid(env);
  if (release !== "invalid") validateReleaseTagPattern(`${path}/releaseTags`, releaseTagPatternOf(release, identity.releaseTags), releasableGitTags(release));
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
    validateDeploymentStatements(`${path}/deployment/statements`, deployment.statements ?? [], tenantsOf(env).map((t) => t.name));
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

/** The environment's release kind, undefined when its tag scheme leaves it out, `"invalid"` when the tag scheme refuses it. */
function releaseKindOrInvalid(env: EnvironmentConfig): TagKind | undefined | "invalid" {
  try {
    return releaseKindOf("tagScheme", env.registry.tagScheme);
  } catch (error) {
    if (error instanceof ValidationError) return "invalid";
    throw error;
  }
}

/**
 * The Git tags whose pipelines release in an environment: `identity.releaseTags`, else the Git tags
 * its tag scheme's release kind releases (`releaseTagPatternOf`). The tenants' protected roles trust
 * exactly these, GitLab protects them, and the CI templates run their Git tag pipelines for them.
 * @default "v*.*.*"
 */
export function releaseTagsOf(env: EnvironmentConfig): string {
  const release = releaseKindOrInvalid(env);
  return releaseTagPatternOf(release === "invalid" ? undefined : release, env.identity?.releaseTags);
}

/**
 * Environments of one GitLab instance share its published CI templates (the instance's
 * `gitlab-shared` stack publishes one `image-reuse.yml` and `deploy.yml`, built with the release
 * pattern of the environment that declares `gitlab.ciTemplates`), and those templates run their
 * Git tag pipelines for one release pattern. So on an instance with published templates every
 * environment must release the same Git tags ({@link releaseTagsOf}): with production's roles
 * trusting `v1.*.*` next to the templates' `v*.*.*`, Git tag `v2.0.0` would start a release
 * pipeline whose production jobs the roles refuse; with a wider production pattern, tags it trusts
 * would start no pipeline. Instances without published templates are not checked (each project's
 * own CI configuration decides there).
 *
 * @param environments the configuration's environments, in order (paths `config/environments[i]`)
 * @throws ValidationError at `config/environments[i]/identity/releaseTags` of each environment
 *   whose release pattern differs from that of the environment declaring `gitlab.ciTemplates` on
 *   the same GitLab URL (the templates are built from its pattern)
 */
export function validateSharedReleaseTags(environments: readonly EnvironmentConfig[]): void {
  // The reference is the environment the templates are built from (it declares gitlab.ciTemplates).
  const templatesOf = templatesEnvironmentsOf(environments);
  environments.forEach((env, i) => {
    const j = templatesOf.get(env.gitlab.url);
    if (j === undefined || j === i) return;
    const mine = releaseTagsOf(env);
    const theirs = releaseTagsOf(environments[j]!);
    check(mine === theirs, {
      path: `config/environments[${i}]/identity/releaseTags`,
      subject: "release tag pattern",
      value: mine,
      rule:
        `the environments on ${env.gitlab.url} share its published CI templates, whose Git tag pipelines run for one release pattern, but environments[${j}] (${environments[j]!.name}) releases ${JSON.stringify(theirs)}; ` +
        "a Git tag inside one pattern and outside the other would start a release pipeline whose jobs this environment's roles refuse, or a tag they trust would start none",
      fix: `give every environment on ${env.gitlab.url} the same identity.releaseTags (e.g. ${JSON.stringify(theirs)}), or leave it unset on all of them with the same release kind`,
    });
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
