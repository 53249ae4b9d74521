import { stringify } from "yaml";
import { IAM_ROLE_ARN, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { type IGrantable } from "../core/iam";
import { isUnresolved } from "../core/tokens";

/**
 * What a GitLab CI job needs to assume an identity through OIDC: plain
 * strings (no tokens), so they can be published as CI/CD variables or written
 * into CI templates.
 */
export interface CiAwsAccess {
  /** ARN of the role to assume, e.g. `arn:aws:iam::111111111111:role/acme-ci-dev-build`. */
  readonly roleArn: string;
  /** The `aud` the job must request in `id_tokens`; the role's trust policy requires it. */
  readonly audience: string;
  /** The AWS region the job works in (ECR registry, STS endpoint). */
  readonly region: string;
}

/** The CI/CD variable the ID token is exposed in by {@link ciSnippet}. */
export const CI_ID_TOKEN_VARIABLE = "GITLAB_OIDC_TOKEN";

/** STS bounds of `--duration-seconds` for a role session: 15 minutes to 12 hours. */
export const MIN_SESSION_SECONDS = 900;
/** See {@link MIN_SESSION_SECONDS}. */
export const MAX_SESSION_SECONDS = 43_200;

/** Options of {@link ciSnippet}. */
export interface CiSnippetOptions {
  /**
   * Name of the hidden job (starts with `.`) that jobs `extends`.
   * @default ".aws-oidc"
   */
  readonly jobName?: string;
  /**
   * Session length requested from STS, at most the role's maximum session duration.
   * @default 3600
   */
  readonly durationSeconds?: number;
  /**
   * A role to assume next with the OIDC role's credentials (role chaining), e.g.
   * a deployment role. Chained sessions last at most one hour.
   * @default none
   */
  readonly chainRoleArn?: string;
}

/** A hidden GitLab CI job (a template other jobs `extends`), the typed model of the snippet. */
export interface GitLabCiJobTemplate {
  /** ID tokens GitLab issues to the job: name -> `{ aud }`. */
  readonly id_tokens: Readonly<Record<string, { readonly aud: string }>>;
  /** Job variables. */
  readonly variables: Readonly<Record<string, string>>;
  /** Shell lines run before the job's script; they export AWS credentials. */
  readonly before_script: readonly string[];
}

/** A ready-made CI snippet: the typed job template and its YAML. */
export interface CiSnippet {
  /** The hidden job's name, e.g. `.aws-oidc`. */
  readonly jobName: string;
  /** The job template. */
  readonly job: GitLabCiJobTemplate;
  /** The snippet as `.gitlab-ci.yml` YAML (`{ [jobName]: job }`), written by the yaml library. */
  toYaml(): string;
}

/** IAM role ARNs (one definition for the library: lib/core/aws.ts). */
const ROLE_ARN = IAM_ROLE_ARN;
const SESSION_NAME = '"gitlab-$CI_PROJECT_ID-$CI_JOB_ID"';
const CREDENTIALS_QUERY = '--query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text';

/** Shell lines that run an STS call printing `AccessKeyId SecretAccessKey SessionToken` and export them. */
function exportCredentials(stsCall: string): string[] {
  return [
    `creds="$(${stsCall} ${CREDENTIALS_QUERY})"`,
    `AWS_ACCESS_KEY_ID="$(printf '%s' "$creds" | cut -f1)"`,
    `AWS_SECRET_ACCESS_KEY="$(printf '%s' "$creds" | cut -f2)"`,
    `AWS_SESSION_TOKEN="$(printf '%s' "$creds" | cut -f3)"`,
    "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
  ];
}

/**
 * A hidden CI job that requests an ID token with the right `aud` and exchanges
 * it for role credentials with `aws sts assume-role-with-web-identity` (then,
 * optionally, chains to another role). Jobs use it with `extends`; the image
 * needs the AWS CLI.
 * @param path where the snippet is built (construct path), for error messages
 */
export function ciSnippet(path: string, access: CiAwsAccess, options: CiSnippetOptions = {}): CiSnippet {
  const values = { ...access, ...(options.chainRoleArn ? { chainRoleArn: options.chainRoleArn } : {}) };
  for (const [name, value] of Object.entries(values)) {
    check(!isUnresolved(value), {
      path,
      subject: `CI snippet ${name}`,
      value,
      rule: "a CI snippet is plain YAML, so its values must be known at synth time (not Terraform references)",
      fix: "give the identity plain names and account ids, or publish the value as a CI/CD variable through Terraform instead",
    });
  }
  for (const [name, arn] of Object.entries({ roleArn: access.roleArn, chainRoleArn: options.chainRoleArn })) {
    if (arn === undefined) continue;
    check(ROLE_ARN.test(arn), {
      path,
      subject: `CI snippet ${name}`,
      value: arn,
      rule: "a role ARN is arn:<partition>:iam::<12-digit account>:role/<path><name> (name characters: letters, digits, + = , . @ _ -)",
      fix: "pass the role's ARN, e.g. arn:aws:iam::111111111111:role/acme-ci-dev-build",
    });
  }
  validateRegion(path, "CI snippet region", access.region);
  const jobName = options.jobName ?? ".aws-oidc";
  check(/^\.[A-Za-z0-9_.-]+$/.test(jobName), {
    path,
    subject: "CI snippet jobName",
    value: jobName,
    rule: "the snippet is a hidden job: its name starts with '.' followed by letters, digits, '_', '.', '-'",
    fix: "use e.g. .aws-oidc-build",
  });
  const duration = options.durationSeconds ?? 3600;
  check(Number.isInteger(duration) && duration >= MIN_SESSION_SECONDS && duration <= MAX_SESSION_SECONDS, {
    path,
    subject: "CI snippet durationSeconds",
    value: duration,
    rule: `an STS session lasts ${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS} seconds (and at most the role's maximum session duration)`,
    fix: "use e.g. 3600",
  });

  const before_script = [
    ...exportCredentials(
      `aws sts assume-role-with-web-identity --role-arn "${access.roleArn}" --role-session-name ${SESSION_NAME} --web-identity-token "$${CI_ID_TOKEN_VARIABLE}" --duration-seconds ${duration}`,
    ),
    ...(options.chainRoleArn
      ? exportCredentials(`aws sts assume-role --role-arn "${options.chainRoleArn}" --role-session-name ${SESSION_NAME}`)
      : []),
  ];
  const job: GitLabCiJobTemplate = {
    id_tokens: { [CI_ID_TOKEN_VARIABLE]: { aud: access.audience } },
    variables: { AWS_REGION: access.region, AWS_DEFAULT_REGION: access.region },
    before_script,
  };
  return { jobName, job, toYaml: () => stringify({ [jobName]: job }, { lineWidth: 0 }) };
}

/** A repository that grants pulls (`ContainerRepository` fits). */
export interface PullGrantingRepository {
  /** Grants `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`, `ecr:BatchCheckLayerAvailability` on the repository (and `ecr:GetAuthorizationToken`). */
  grantPull(grantee: IGrantable): unknown;
}

/**
 * Lets CI roles run the toolbox image: pull, and nothing else, on the repository the toolbox
 * project pushes (`PLATFORM_TOOLBOX_URL`). Build and review jobs of every tenant run that image,
 * and with the docker socket or rootless BuildKit the job's own credentials pull it when a
 * Dockerfile or the job names it; a push stays with the toolbox tenant's protected role.
 */
export function grantToolboxPull(toolbox: PullGrantingRepository, roles: readonly IGrantable[]): void {
  for (const role of roles) toolbox.grantPull(role);
}
