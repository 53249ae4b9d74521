import { type CiJob } from "./ci-yaml";
import { PLATFORM_VARIABLES } from "./platform-variables";

/*
 * How the generated templates' jobs reach AWS and the registry: the GitLab ID token, the AWS SDK's
 * web-identity variables, the trust-level choice of role, and the docker login. Shared by the
 * image-reuse and deploy templates.
 */

/** Where the pipeline pushes images: ECR (login with the OIDC role) or the project's GitLab registry (job token). */
export type TemplateRegistry = "ecr" | "gitlab";

/** Hidden job giving AWS credentials from the job's OIDC token (ECR only). */
export const AWS_JOB = ".platform-aws";
/** Where jobs write the OIDC token for the AWS SDK (container-private /tmp). */
const TOKEN_FILE = "/tmp/gitlab-oidc-token";
/**
 * The ID token (audience `$PLATFORM_OIDC_AUDIENCE`) and the AWS SDK variables that assume
 * `$PLATFORM_AWS_ROLE_ARN` with it (web identity from `/tmp/gitlab-oidc-token`, which the
 * job's before_script writes). Shared by the image-reuse and deploy templates.
 */
export function awsOidcRole(): Required<Pick<CiJob, "id_tokens" | "variables">> {
  return {
    id_tokens: { GITLAB_OIDC_TOKEN: { aud: `$${PLATFORM_VARIABLES.audience}` } },
    variables: {
      AWS_ROLE_ARN: `$${PLATFORM_VARIABLES.roleArn}`,
      AWS_REGION: `$${PLATFORM_VARIABLES.region}`,
      AWS_DEFAULT_REGION: `$${PLATFORM_VARIABLES.region}`,
      AWS_ROLE_SESSION_NAME: "gitlab-${CI_PROJECT_ID}-${CI_JOB_ID}",
      AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN_FILE,
    },
  };
}

/**
 * The job variables and commands that give a job AWS credentials from its GitLab OIDC token:
 * protected pipelines assume `$PLATFORM_AWS_ROLE_ARN` (a protected variable), every other
 * pipeline `$PLATFORM_AWS_UNPROTECTED_ROLE_ARN` (falling back to the older
 * `$PLATFORM_AWS_BRANCH_ROLE_ARN`). A job that does not know its trust level acts as unprotected.
 */
export function awsOidcSetup(): Pick<CiJob, "id_tokens" | "variables" | "before_script"> {
  return {
    ...awsOidcRole(),
    before_script: [
      `printf '%s' "$GITLAB_OIDC_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"`,
      `if [ "\${${PLATFORM_VARIABLES.trust}:-unprotected}" != protected ]; then export AWS_ROLE_ARN="\${${PLATFORM_VARIABLES.unprotectedRoleArn}:-\${${PLATFORM_VARIABLES.branchRoleArn}:-}}"; fi`,
    ],
  };
}

/** Commands that log the docker CLI in to the registry (they write `auths` only: no credential helper in the job). */
export function registryLogin(registry: TemplateRegistry): string[] {
  return registry === "ecr"
    ? [`aws ecr get-login-password | docker login --username AWS --password-stdin "$${PLATFORM_VARIABLES.registryHost}"`]
    : [`printf '%s' "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`];
}
