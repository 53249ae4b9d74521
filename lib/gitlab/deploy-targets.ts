import { IAM_ROLE_ARN, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { isTenantProjectPath } from "./project-path";

/*
 * The values a protected promote, deploy (with its smoke test) or rollback job acts on, pinned as literals
 * in the job's script. GitLab lets pipeline variables (a manual run's variables, trigger, schedule
 * and API variables, downstream-pipeline variables, push options, manual job variables) override
 * every other variable of a job, project variables and predefined variables included (GitLab docs,
 * "CI/CD variables", "CI/CD variable precedence" and "Use pipeline variables": "These variables have
 * higher precedence and can override other defined variables, including predefined variables"),
 * and `dotenv` reports of earlier jobs override job variables too. A value that reaches the job as
 * a CI/CD variable can therefore be changed by whoever may run the pipeline with variables; text of
 * the job's script cannot. So the script assigns (and exports) what decides where an image comes
 * from and goes to, which role acts, which tag moves and which parameter is written, from a table
 * written into the template per project, and unsets what would redirect the AWS CLI.
 *
 * What stays a variable, and why that is harmless:
 * - `CI_PROJECT_PATH` selects the project's row of the table. Another project's row names that
 *   project's role, repositories, deployment role and parameter, which the job's ID token cannot
 *   assume or reach: each protected role trusts its own project's protected refs only (its `sub`
 *   condition), so the job fails.
 * - `CI_COMMIT_SHA` names the commit's tag (`sha-<commit>`). Another value selects another
 *   commit's image of the same protected repositories, which only protected pipelines wrote, and
 *   which passes the same promote gate, smoke test and rollback as this commit's.
 * - The ID token's audience and the job image are pinned by the deploy template itself (see
 *   `DeployTemplateEnvironment.audience` and `toolboxRepository`).
 */

/** What one project's deploy jobs act on in one environment, written into the job's script as literals. */
export interface DeployTarget {
  /** Full project path, as GitLab reports it in `CI_PROJECT_PATH` (e.g. `acme/app`). */
  readonly project: string;
  /** The project's protected CI role of the environment, which the job assumes with its ID token (`AWS_ROLE_ARN`). */
  readonly roleArn: string;
  /** The project's protected repository of the deployed image role in the environment (URL without tag). */
  readonly repository: string;
  /**
   * The source environment's protected repository of the same image role (environments with a promotion source).
   * @default none: nothing is promoted into the environment
   */
  readonly promoteFrom?: string;
  /**
   * The project's deployment role of the environment (`sts:AssumeRole` from the protected role).
   * @default none (the toolbox project deploys nothing)
   */
  readonly deploymentRoleArn?: string;
  /**
   * The SSM parameter holding the project's last good digest in the environment.
   * @default none: the last good digest is not recorded
   */
  readonly lastGoodDigestParameter?: string;
}

/** The values of one environment's jobs: its targets and the tags they move. */
export interface DeployPins {
  /** The environment (for messages). */
  readonly environment: string;
  /** The environment's AWS region (`AWS_REGION`, `AWS_DEFAULT_REGION`). @default not pinned */
  readonly region?: string;
  /** One row per project, or exactly one row without a `case` when `single` is set (a CI file of one project). */
  readonly targets: readonly DeployTarget[];
  /**
   * The table has one row that applies whatever project runs it (the toolbox project's own CI file).
   * @default false
   */
  readonly single?: boolean;
  /** The commit kind's CI tag, e.g. `sha-${CI_COMMIT_SHA}` (double-quoted: the commit variable is expanded). */
  readonly commitTag: string;
  /** The tag the smoke test (or the toolbox promotion) moves, e.g. `deployed-staging`. */
  readonly deployedTag: string;
  /**
   * The `PATH` the script pins: absolute directories separated by `:`.
   * @default {@link DEFAULT_DEPLOY_SEARCH_PATH}
   */
  readonly searchPath?: string;
}

/**
 * Environment variables that would make the AWS CLI use other credentials, another profile,
 * configuration, CA bundle, endpoint or service data than the job's web identity: the credential,
 * profile and file variables, `AWS_CA_BUNDLE`, `AWS_ENDPOINT_URL` and its per-service forms
 * (`AWS_ENDPOINT_URL_<SERVICE>`), the FIPS and dual-stack switches, `AWS_DATA_PATH` (where botocore
 * loads service models and endpoint rules from), the container and instance metadata credential
 * sources and `AWS_STS_REGIONAL_ENDPOINTS` (AWS CLI User Guide, "Configuring environment variables for
 * the AWS CLI" and "Service-specific endpoints"; botocore `loaders.py`: `AWS_DATA_PATH` is searched
 * before the bundled data). The pinned script unsets these by name, and then every other exported
 * `AWS_*` variable except the web-identity token file and the region (so an
 * `AWS_ENDPOINT_URL_<SERVICE>` of any service, and any variable a later CLI reads, goes too).
 * `platform_as_deployer` sets the key variables again, inside its subshell, from `sts assume-role`.
 */
export const AWS_CLI_REDIRECTS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CA_BUNDLE",
  "AWS_DATA_PATH",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_ECR",
  "AWS_ENDPOINT_URL_SSM",
  "AWS_ENDPOINT_URL_STS",
  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
  "AWS_USE_FIPS_ENDPOINT",
  "AWS_USE_DUALSTACK_ENDPOINT",
  "AWS_STS_REGIONAL_ENDPOINTS",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
  "AWS_ROLE_SESSION_NAME",
  "AWS_CLI_AUTO_PROMPT",
] as const;

/**
 * Environment variables of the other programs a pinned job runs that would send its calls, its
 * credentials or its code elsewhere; the pinned script unsets them. The docker CLI's daemon,
 * configuration (credential helpers and `auths`), context, TLS files and buildx builder
 * (`DOCKER_HOST`, `DOCKER_CONFIG`, `DOCKER_CONTEXT`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`,
 * `BUILDX_BUILDER`, `BUILDX_CONFIG`: docker CLI reference, "Environment variables"; buildx
 * reference, "Environment variables"); HTTP proxies in both spellings (`HTTPS_PROXY`, `https_proxy`,
 * `HTTP_PROXY`, `http_proxy`, `NO_PROXY`, `no_proxy`, `ALL_PROXY`, `all_proxy`, read by the AWS
 * CLI, AWS CLI User Guide, "Using an HTTP proxy", and by Go's `net/http` in the docker CLI) and the
 * TLS trust stores that would let a proxy read them (`SSL_CERT_FILE`, `SSL_CERT_DIR`,
 * `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`); code the shell, the dynamic loader or Python load first
 * (`BASH_ENV`, `ENV`, `LD_PRELOAD`, `LD_LIBRARY_PATH`, `PYTHONPATH`, `PYTHONHOME`, `PYTHONSTARTUP`);
 * and the git variables that would make `platform_branch_head` read another repository
 * (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_COMMON_DIR`, `GIT_NAMESPACE`, `GIT_CONFIG_PARAMETERS`,
 * `GIT_CONFIG_COUNT`; git reference, "Environment Variables") or another configuration file or
 * program (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`, git 2.32 and later; `GIT_EXEC_PATH`;
 * `XDG_CONFIG_HOME`, whose `git/config` git reads: git-config, "FILES"). `PATH` and `HOME` are not
 * unset but pinned ({@link DEFAULT_DEPLOY_SEARCH_PATH}, {@link PINNED_HOME_TEMPLATE}).
 */
export const JOB_REDIRECTS = [
  "DOCKER_HOST",
  "DOCKER_CONFIG",
  "DOCKER_CONTEXT",
  "DOCKER_TLS_VERIFY",
  "DOCKER_CERT_PATH",
  "BUILDX_BUILDER",
  "BUILDX_CONFIG",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "BASH_ENV",
  "ENV",
  "LD_PRELOAD",
  "LD_LIBRARY_PATH",
  "PYTHONPATH",
  "PYTHONHOME",
  "PYTHONSTARTUP",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_CONFIG_GLOBAL",
  "GIT_CONFIG_SYSTEM",
  "GIT_EXEC_PATH",
  "XDG_CONFIG_HOME",
] as const;

/**
 * The `PATH` every pinned job's script sets first, before it runs any program: the directories of
 * the Docker official images' default `PATH` (the toolbox image, `amazon/aws-cli` with `aws` and
 * `docker` in `/usr/local/bin`, and the bootstrap `docker:*-cli` image with the Alpine `aws-cli`
 * package in `/usr/bin`). A `PATH` pipeline variable would otherwise choose which `aws`, `docker`
 * or `sh` runs with the job's credentials. A deploy hook that needs other directories sets them
 * itself, in its own script file.
 */
export const DEFAULT_DEPLOY_SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The `mktemp -d` template of the `HOME` every pinned job's script sets right after `PATH`: a fresh
 * directory (mode 0700, created by the job, empty), so no `HOME` variable chooses the files the
 * programs read from it: the AWS CLI's `~/.aws/config` and `~/.aws/credentials` (`endpoint_url`,
 * `ca_bundle`, `credential_process`, profiles; AWS CLI User Guide, "Configuration and credential
 * file settings": default location `~/.aws/config`), the docker CLI's `~/.docker` (`config.json`
 * with credential helpers, contexts; docker CLI reference, "Configuration files": default
 * `$HOME/.docker`) and git's `~/.gitconfig` (git-config, "FILES"). An absolute template, so
 * `TMPDIR` plays no part; the script stops when the directory cannot be made (an empty `HOME` would
 * make the CLIs read `.aws` of the working directory).
 */
export const PINNED_HOME_TEMPLATE = "/tmp/platform-home.XXXXXXXXXX";

const PINNED_HOME_COMMENT = "A fresh HOME: no variable picks the .aws, .docker or .gitconfig the AWS CLI, docker and git read.";

/** The variables that survive the pinned script's unset of every `AWS_*` variable (the region is pinned again where it is given). */
const AWS_KEPT = ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION", "AWS_DEFAULT_REGION"] as const;

/** The shell variables the pinned script sets and exports (the names the deploy functions read). */
export const PINNED_VARIABLES = [
  "AWS_ROLE_ARN",
  "PLATFORM_DEPLOY_REPOSITORY",
  "PLATFORM_PROMOTE_FROM",
  "PLATFORM_DEPLOY_ROLE_ARN",
  "PLATFORM_LAST_GOOD_DIGEST_PARAMETER",
  "PLATFORM_DEPLOY_TAG",
  "PLATFORM_DEPLOYED_TAG",
] as const;

const REPOSITORY = /^[a-z0-9][a-z0-9.-]*(?::\d+)?\/[a-z0-9][a-z0-9._/-]*$/;
const PARAMETER = /^\/[A-Za-z0-9_./-]+$/;
const SEARCH_PATH = /^\/[A-Za-z0-9_.\/-]*(?::\/[A-Za-z0-9_.\/-]*)*$/;
const TAG = /^[A-Za-z0-9_.${}-]+$/;

/**
 * Checks the targets of one environment: one row per project, each value of its kind (so it stays
 * literal between single quotes), a source repository exactly where the environment is promoted
 * into, a parameter exactly where the last good digest is recorded, a deployment role where jobs deploy.
 * @throws ValidationError naming `<path>/targets[i]/<field>`
 */
export function validateDeployTargets(path: string, targets: readonly DeployTarget[], expect: { promoted: boolean; recorded: boolean; deploys: boolean }): void {
  check(Array.isArray(targets) && targets.length > 0, {
    path: `${path}/targets`,
    subject: "deploy targets",
    value: [],
    rule: "the jobs act only on the values pinned for the project running them, and no project is listed",
    fix: "give one target per project that deploys to the environment",
  });
  const seen: string[] = [];
  targets.forEach((t, i) => {
    const at = `${path}/targets[${i}]`;
    const field = (name: keyof DeployTarget, value: unknown, valid: RegExp | ((v: string) => boolean), required: boolean, what: string) => {
      if (typeof value === "string" && isUnresolved(value)) return;
      const ok = typeof value === "string" && (valid instanceof RegExp ? valid.test(value) : valid(value));
      const form = valid instanceof RegExp ? `it must match ${valid}` : "it must be a project path the configuration accepts (group[/subgroup…]/project, segments of letters, digits, _ . -, not starting with -, not ending in .git)";
      check(required ? ok : value === undefined, {
        path: `${at}/${name}`,
        subject: name,
        value,
        rule: required ? `${what}, written between single quotes in the job's script, so ${form}` : `${what}`,
        fix: required ? `give the ${name} of ${String(t.project)} as the platform names it` : `drop ${name}`,
      });
    };
    field("project", t.project, isTenantProjectPath, true, "a project's full path (group/project)");
    check(!seen.includes(t.project), { path: `${at}/project`, subject: "project", value: t.project, rule: "one target per project: the job picks its row by CI_PROJECT_PATH", fix: "merge the repeated rows" });
    seen.push(t.project);
    field("roleArn", t.roleArn, IAM_ROLE_ARN, true, "an IAM role ARN");
    field("repository", t.repository, REPOSITORY, true, "a repository URL <registry host>/<repository name>, without tag");
    field("promoteFrom", t.promoteFrom, REPOSITORY, expect.promoted, expect.promoted ? "an environment promoted into copies from a repository URL" : "an environment without a promotion source copies from nowhere");
    field("deploymentRoleArn", t.deploymentRoleArn, IAM_ROLE_ARN, expect.deploys, expect.deploys ? "deploy jobs run the hooks as the project's deployment role, an IAM role ARN" : "these jobs deploy nothing, so they have no deployment role");
    field("lastGoodDigestParameter", t.lastGoodDigestParameter, PARAMETER, expect.recorded, expect.recorded ? "the last good digest is recorded in an SSM parameter name" : "the environment records no last good digest");
  });
}

/** `'value'`, for a value checked to hold no single quote or newline. */
function quoted(value: string | undefined): string {
  return `'${value ?? ""}'`;
}

/**
 * The first line of each pinned job's script: pins `PATH` (`searchPath`) before it runs any
 * program, then `HOME` to a fresh private directory ({@link PINNED_HOME_TEMPLATE}), unsets {@link AWS_CLI_REDIRECTS}, {@link JOB_REDIRECTS} and every other exported `AWS_*`
 * variable but the web-identity token file and the region, pins `AWS_PAGER` empty (no pager
 * program runs; AWS CLI User Guide, "Using the pagination options in the AWS CLI", client-side pager: an empty `AWS_PAGER` disables it), assigns and exports
 * {@link PINNED_VARIABLES} from the row of `CI_PROJECT_PATH` (failing for a project without a
 * row), the region, the commit tag and the deployed tag.
 * @throws ValidationError for a tag that is not a plain tag with variables, a region of another
 *   form, or a search path that is not absolute directories separated by `:`
 */
export function deployPinScript(path: string, pins: DeployPins): string {
  check(TAG.test(pins.commitTag) && TAG.test(pins.deployedTag) && !pins.deployedTag.includes("$"), {
    path,
    subject: "pinned tags",
    value: { commitTag: pins.commitTag, deployedTag: pins.deployedTag },
    rule: "the commit tag is written between double quotes (letters, digits, . _ - and ${VARIABLE}), the deployed tag between single quotes (no variable)",
    fix: "keep the commit kind's tag sha-${CI_COMMIT_SHA} and the deployed kind's deployed-${CI_ENVIRONMENT_NAME}",
  });
  // The configuration's region rule (core/aws.ts), so the pinned script accepts exactly the regions the configuration does.
  if (pins.region !== undefined) validateRegion(`${path}/region`, "region", pins.region);
  const searchPath = pins.searchPath ?? DEFAULT_DEPLOY_SEARCH_PATH;
  check(typeof searchPath === "string" && SEARCH_PATH.test(searchPath), {
    path: `${path}/searchPath`,
    subject: "search path",
    value: searchPath,
    rule: "the PATH pinned in the job's script: absolute directories (letters, digits, _ . / -) separated by ':', no variable or quote",
    fix: `give the job image's directories, e.g. ${DEFAULT_DEPLOY_SEARCH_PATH}`,
  });
  const assign = (t: DeployTarget, indent: string): string[] => [
    `${indent}AWS_ROLE_ARN=${quoted(t.roleArn)}`,
    `${indent}PLATFORM_DEPLOY_REPOSITORY=${quoted(t.repository)}`,
    `${indent}PLATFORM_PROMOTE_FROM=${quoted(t.promoteFrom)}`,
    `${indent}PLATFORM_DEPLOY_ROLE_ARN=${quoted(t.deploymentRoleArn)}`,
    `${indent}PLATFORM_LAST_GOOD_DIGEST_PARAMETER=${quoted(t.lastGoodDigestParameter)}`,
  ];
  check(!pins.single || pins.targets.length === 1, {
    path: "deploy pins",
    subject: "single",
    value: pins.targets.map((t) => t.project),
    rule: "a single set of pins is for exactly one project's target (more would silently use the first)",
    fix: "pass one target with single: true, or leave single unset to pin each project by CI_PROJECT_PATH",
  });
  const rows = pins.single
    ? assign(pins.targets[0]!, "")
    : [
        'case "${CI_PROJECT_PATH:-}" in',
        ...pins.targets.flatMap((t) => [`  ${quoted(t.project)})`, ...assign(t, "    "), "    ;;"]),
        "  *)",
        `    echo "platform-deploy: \${CI_PROJECT_PATH:-this project} has no pinned values for ${pins.environment} (${pins.targets.map((t) => t.project).join(", ")}): the platform deploys only the projects it configures" >&2`,
        "    exit 1",
        "    ;;",
        "esac",
      ];
  return [
    `# Pinned for ${pins.environment}: literals, which no CI/CD variable (pipeline, trigger, schedule, project, dotenv) can change.`,
    `PATH=${quoted(searchPath)}`,
    "export PATH",
    `# ${PINNED_HOME_COMMENT}`,
    `HOME=$(mktemp -d ${PINNED_HOME_TEMPLATE}) || exit 1`,
    "export HOME",
    `unset ${AWS_CLI_REDIRECTS.join(" ")}`,
    `unset ${JOB_REDIRECTS.join(" ")}`,
    "# Every other AWS_* variable too (AWS_ENDPOINT_URL_<SERVICE> of any service): only the token file and the region stay.",
    "for _pin_var in $(env | sed -n 's/^\\(AWS_[A-Za-z0-9_]*\\)=.*/\\1/p'); do",
    `  case $_pin_var in ${AWS_KEPT.join(" | ")}) ;; *) unset "$_pin_var" ;; esac`,
    "done",
    "AWS_PAGER=''",
    "export AWS_PAGER",
    ...rows,
    ...(pins.region !== undefined ? [`AWS_REGION=${quoted(pins.region)}`, `AWS_DEFAULT_REGION=${quoted(pins.region)}`, "export AWS_REGION AWS_DEFAULT_REGION"] : []),
    `PLATFORM_DEPLOY_TAG="${pins.commitTag}"`,
    `PLATFORM_DEPLOYED_TAG=${quoted(pins.deployedTag)}`,
    `export ${PINNED_VARIABLES.join(" ")}`,
    "",
  ].join("\n");
}
