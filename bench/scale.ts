/**
 * The scale benchmark's stack: one stack serving many GitLab
 * projects, each with its own repositories, CI role and project variables,
 * built from the public API only (as a consumer would).
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { CiVariables, ContainerRepository, dnsSuffixOf, GitLabCiRole, GitLabOidcProvider, imageVariable, PLATFORM_VARIABLES, TagScheme } from "../lib";

/** The GitLab instance every project lives on (also the OIDC issuer and audience). */
export const SCALE_GITLAB_URL = "https://gitlab.example.com";
/** The account and region of the stack. */
export const SCALE_ACCOUNT_ID = "111111111111";
/** The region of the stack. */
export const SCALE_REGION = "eu-central-1";
/** The GitLab group that holds the projects (`<group>/project-<i>`). */
export const SCALE_GROUP = "group";

/** Repositories per project, by image role: `<project path>/<suffix>`. */
export const SCALE_REPOSITORIES = { app: "app", ci: "app-ci" } as const;

/** GitLab path of project `i`: `group/project-<i>`. */
export function scaleProjectPath(i: number): string {
  return `${SCALE_GROUP}/project-${i}`;
}

/**
 * Builds the scale stack `scale` in `app`: an AWS provider, a GitLab provider
 * (base URL only; the token comes from `GITLAB_TOKEN` at plan time), one
 * shared {@link TagScheme}, the account's GitLab OIDC provider referenced by
 * its ARN, the group's registry host variable, and per project
 * `group/project-<i>` (construct `project-<i>`):
 * - two {@link ContainerRepository}s, `<path>/app` and `<path>/app-ci`;
 * - a {@link GitLabCiRole} trusted by the project's protected default branch
 *   (`main`), with `grantPush` on both repositories (one inline policy);
 * - {@link CiVariables} on the project, addressed by its full path (no data
 *   source, so no network and no lookup at plan time), named as the CI
 *   templates expect them: role ARN, OIDC audience and region
 *   (`PLATFORM_AWS_ROLE_ARN`, `PLATFORM_OIDC_AUDIENCE`, `PLATFORM_AWS_REGION`)
 *   and one image URL per repository (`PLATFORM_APP_IMAGE`, `PLATFORM_CI_IMAGE`).
 *
 * The registry host (`PLATFORM_REGISTRY_HOST`) is one per account and region,
 * so it is a single group variable. There is no `PLATFORM_AWS_BRANCH_ROLE_ARN`:
 * the role trusts only the default branch, so merge-request pipelines cannot
 * use it.
 *
 * Nothing is read from outside: the same `projects` gives the same stack.
 *
 * @param app the app (or any scope) the stack is created in
 * @param projects how many projects, a whole number >= 0
 * @returns the stack
 */
export function buildScaleStack(app: Construct, projects: number): TerraformStack {
  if (!Number.isInteger(projects) || projects < 0) throw new Error(`projects must be a whole number >= 0, got ${projects}`);
  const stack = new TerraformStack(app, "scale");
  new AwsProvider(stack, "aws", { region: SCALE_REGION, allowedAccountIds: [SCALE_ACCOUNT_ID] });
  new GitlabProvider(stack, "gitlab", { baseUrl: `${SCALE_GITLAB_URL}/api/v4/` });

  const tagScheme = new TagScheme("scale/tagScheme");
  const provider = GitLabOidcProvider.fromExisting(stack, "oidc-provider", { url: SCALE_GITLAB_URL, accountId: SCALE_ACCOUNT_ID });
  new CiVariables(stack, "group-variables", {
    target: { group: SCALE_GROUP },
    variables: [{ key: PLATFORM_VARIABLES.registryHost, value: `${SCALE_ACCOUNT_ID}.dkr.ecr.${SCALE_REGION}.${dnsSuffixOf(SCALE_REGION)}`, raw: true }],
  });

  for (let i = 0; i < projects; i++) {
    const projectPath = scaleProjectPath(i);
    const scope = new Construct(stack, `project-${i}`);
    const repositories = Object.fromEntries(
      Object.entries(SCALE_REPOSITORIES).map(([role, suffix]) => [
        role,
        new ContainerRepository(scope, suffix, { repositoryName: `${projectPath}/${suffix}`, tagScheme }),
      ]),
    );
    const role = new GitLabCiRole(scope, "ci-role", {
      provider,
      roleName: `scale-project-${i}-ci`,
      region: SCALE_REGION,
      subjects: [{ projectPath, branch: "main", protectedRefsOnly: true }],
    });
    Object.values(repositories).forEach((r) => r.grantPush(role));
    const variable = (key: string, value: string) => ({ key, value, raw: true });
    new CiVariables(scope, "variables", {
      target: { project: projectPath },
      variables: [
        variable(PLATFORM_VARIABLES.roleArn, role.ciAccess.roleArn),
        variable(PLATFORM_VARIABLES.audience, role.ciAccess.audience),
        variable(PLATFORM_VARIABLES.region, role.ciAccess.region),
        ...Object.entries(repositories).map(([imageRole, repository]) => variable(imageVariable(imageRole), repository.repositoryUrl)),
      ],
    });
  }
  return stack;
}
