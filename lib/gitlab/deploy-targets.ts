import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/*
 * The values a protected promote, deploy, smoke-test or rollback job acts on, pinned as literals
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
}

/**
 * Environment variables that would make the AWS CLI use other credentials, another profile,
 * configuration or endpoint than the job's web identity (AWS CLI User Guide, "Environment variables
 * to configure the AWS CLI", and "Service-specific endpoints": `AWS_ENDPOINT_URL_<SERVICE>`); the
 * pinned script unsets them before any AWS call. `platform_as_deployer` sets the key variables
 * again, inside its subshell, from `sts assume-role`.
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
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_ECR",
  "AWS_ENDPOINT_URL_SSM",
  "AWS_ENDPOINT_URL_STS",
  "AWS_USE_FIPS_ENDPOINT",
  "AWS_USE_DUALSTACK_ENDPOINT",
] as const;

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

const PROJECT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REPOSITORY = /^[a-z0-9][a-z0-9.-]*(?::\d+)?\/[a-z0-9][a-z0-9._/-]*$/;
const PARAMETER = /^\/[A-Za-z0-9_./-]+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const TAG = /^[A-Za-z0-9_.${}-]+$/;

/**
 * Checks the targets of one environment: one row per project, each value of its kind (so it stays
 * literal between single quotes), a source repository exactly where the environment is promoted
 * into, a parameter exactly where the last good digest is recorded, a deployment role where jobs deploy.
 * @throws ValidationError naming `<path>/targets[i]/<field>`
 */
export function validateDeployTargets(path: string, targets: readonly DeployTarget[], expect: { promoted: boolean; recorded: boolean; deploys: boolean }): void {
  check(targets.length > 0, {
    path: `${path}/targets`,
    subject: "deploy targets",
    value: [],
    rule: "the jobs act only on the values pinned for the project running them, and no project is listed",
    fix: "give one target per project that deploys to the environment",
  });
  const seen: string[] = [];
  targets.forEach((t, i) => {
    const at = `${path}/targets[${i}]`;
    const field = (name: keyof DeployTarget, value: string | undefined, pattern: RegExp, required: boolean, what: string) => {
      if (value !== undefined && isUnresolved(value)) return;
      check(required ? value !== undefined && pattern.test(value) : value === undefined, {
        path: `${at}/${name}`,
        subject: name,
        value,
        rule: required ? `${what}, written between single quotes in the job's script, so it must match ${pattern}` : `${what}`,
        fix: required ? `give the ${name} of ${t.project} as the platform names it` : `drop ${name}`,
      });
    };
    field("project", t.project, PROJECT, true, "a project's full path (group/project)");
    check(!seen.includes(t.project), { path: `${at}/project`, subject: "project", value: t.project, rule: "one target per project: the job picks its row by CI_PROJECT_PATH", fix: "merge the repeated rows" });
    seen.push(t.project);
    field("roleArn", t.roleArn, ROLE_ARN, true, "an IAM role ARN");
    field("repository", t.repository, REPOSITORY, true, "a repository URL <registry host>/<repository name>, without tag");
    field("promoteFrom", t.promoteFrom, REPOSITORY, expect.promoted, expect.promoted ? "an environment promoted into copies from a repository URL" : "an environment without a promotion source copies from nowhere");
    field("deploymentRoleArn", t.deploymentRoleArn, ROLE_ARN, expect.deploys, expect.deploys ? "deploy jobs run the hooks as the project's deployment role, an IAM role ARN" : "these jobs deploy nothing, so they have no deployment role");
    field("lastGoodDigestParameter", t.lastGoodDigestParameter, PARAMETER, expect.recorded, expect.recorded ? "the last good digest is recorded in an SSM parameter name" : "the environment records no last good digest");
  });
}

/** `'value'`, for a value checked to hold no single quote or newline. */
function quoted(value: string | undefined): string {
  return `'${value ?? ""}'`;
}

/**
 * The first line of each pinned job's script: unsets {@link AWS_CLI_REDIRECTS}, assigns and
 * exports {@link PINNED_VARIABLES} from the row of `CI_PROJECT_PATH` (failing for a project
 * without a row), the region, the commit tag and the deployed tag.
 * @throws ValidationError for a tag that is not a plain tag with variables, or a region of another form
 */
export function deployPinScript(path: string, pins: DeployPins): string {
  check(TAG.test(pins.commitTag) && TAG.test(pins.deployedTag) && !pins.deployedTag.includes("$"), {
    path,
    subject: "pinned tags",
    value: { commitTag: pins.commitTag, deployedTag: pins.deployedTag },
    rule: "the commit tag is written between double quotes (letters, digits, . _ - and ${VARIABLE}), the deployed tag between single quotes (no variable)",
    fix: "keep the commit kind's tag sha-${CI_COMMIT_SHA} and the deployed kind's deployed-${CI_ENVIRONMENT_NAME}",
  });
  check(pins.region === undefined || isUnresolved(pins.region) || REGION.test(pins.region), {
    path: `${path}/region`,
    subject: "region",
    value: pins.region,
    rule: "an AWS region name, e.g. eu-central-1",
    fix: "give the environment's region",
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
    `unset ${AWS_CLI_REDIRECTS.join(" ")}`,
    ...rows,
    ...(pins.region !== undefined ? [`AWS_REGION=${quoted(pins.region)}`, `AWS_DEFAULT_REGION=${quoted(pins.region)}`, "export AWS_REGION AWS_DEFAULT_REGION"] : []),
    `PLATFORM_DEPLOY_TAG="${pins.commitTag}"`,
    `PLATFORM_DEPLOYED_TAG=${quoted(pins.deployedTag)}`,
    `export ${PINNED_VARIABLES.join(" ")}`,
    "",
  ].join("\n");
}
