import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { DataGitlabGroup } from "@cdktf/provider-gitlab/lib/data-gitlab-group";
import { ProjectRunnerEnablement } from "@cdktf/provider-gitlab/lib/project-runner-enablement";
import { UserRunner } from "@cdktf/provider-gitlab/lib/user-runner";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { SSM_DESCRIPTION_MAX_LENGTH, validateSsmParameterName } from "../core/aws";
import { check } from "../core/errors";
import { type IGrantable } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { checkOneKey, grantParameterRead, type ISecretsKey } from "../secrets/secrets-key-ref";
import { type RunnerTokenSource } from "./runner-token-source";
import { type TrustLevel } from "../core/trust";

/**
 * Where a runner is registered: the whole instance, one group (by numeric id, or by full path:
 * the construct then looks the id up with a `gitlab_group` data source), or one project
 * (numeric id). Tokens are fine for ids and paths.
 */
export type RunnerScope =
  | { readonly type: "instance" }
  | { readonly type: "group"; readonly groupId: number }
  | { readonly type: "group"; readonly groupPath: string }
  | { readonly type: "project"; readonly projectId: number };

/** A GitLab group's full path: `/`-separated segments of letters, digits, `_`, `.` and `-` (no leading or trailing `/`). */
const GROUP_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** Props of {@link RunnerRegistration}. */
export interface RunnerRegistrationProps {
  /** Instance, group or project runner. Instance runners need an administrator's token. */
  readonly scope: RunnerScope;
  /** Description shown in GitLab, e.g. `acme-ci dev build`. */
  readonly description: string;
  /**
   * Runner tags: jobs with `tags:` run only on runners carrying all of them.
   * A runner needs tags, or `untagged: true`, or it never gets a job.
   * @default none
   */
  readonly tags?: readonly string[];
  /**
   * Also pick up jobs without tags.
   * @default false
   */
  readonly untagged?: boolean;
  /**
   * Run only jobs of protected branches and tags (`ref_protected`): for deploy runners
   * whose hosts hold deploy credentials.
   * @default false (`not_protected`)
   */
  readonly protectedRefsOnly?: boolean;
  /**
   * Maximum job timeout in seconds, overriding longer project timeouts. GitLab requires at least 600.
   * @default none (the project's timeout applies)
   */
  readonly maximumTimeoutSeconds?: number;
  /**
   * Register the runner paused (it takes no jobs until unpaused).
   * @default false
   */
  readonly paused?: boolean;
  /**
   * Lock a project runner to its project (other projects cannot enable it).
   * @default false
   */
  readonly locked?: boolean;
  /**
   * Maintenance note shown to administrators (at most 1024 characters).
   * @default none
   */
  readonly maintenanceNote?: string;
  /** Name of the SSM SecureString parameter that receives the authentication token, e.g. `/acme-ci/dev/runner/build/token`. */
  readonly parameterName: string;
  /**
   * ARN of a customer-managed KMS key for the parameter; readers also get an IAM `kms:Decrypt` on it.
   * That alone decrypts only when the key policy lets IAM policies grant it; a key that does not
   * (such as a `SecretsKey`) must name each reader in its key policy, which this construct cannot
   * do from an ARN, and nothing checks it (neither for an unresolved token nor for a `SecretsKey`'s ARN).
   * @deprecated pass `secretsKey`: `grantRead` then also names the reader in the key policy.
   * @default the AWS-managed `aws/ssm` key
   */
  readonly kmsKeyArn?: string;
  /**
   * The customer-managed key of the parameter (e.g. a `SecretsKey`): `grantRead` adds the IAM
   * statements and names the reader in the key policy for exactly this parameter.
   * @default the AWS-managed `aws/ssm` key (or `kmsKeyArn`)
   */
  readonly secretsKey?: ISecretsKey;
  /**
   * Further projects (ids or full paths) a project runner is enabled for, with
   * `gitlab_project_runner_enablement` (GitLab provider 15.6.2: `project`, `runner_id`;
   * REST `POST /projects/:id/runners`). Only for project runners, which must not be `locked`.
   * @default none
   */
  readonly enableForProjects?: readonly string[];
  /**
   * AWS resource tags for the SSM parameter.
   * @default none
   */
  readonly parameterTags?: Readonly<Record<string, string>>;
}

/** GitLab's minimum for a runner's maximum timeout. */
export const MIN_RUNNER_TIMEOUT_SECONDS = 600;

/**
 * A runner registered in GitLab with `gitlab_user_runner` (the runner
 * creation workflow of GitLab 16+, `glrt-` authentication tokens), whose
 * token is stored in an SSM SecureString parameter that runner hosts read at
 * boot: it never appears in user data or in the synthesized JSON.
 *
 * The token does land in Terraform state, twice: as `gitlab_user_runner.token`
 * and as the parameter's value. Protect the state accordingly, or create the
 * runner outside Terraform and use {@link ExistingRunnerTokenParameter}.
 *
 * Construct ids: `runner` (gitlab_user_runner), `token` (aws_ssm_parameter),
 * `enable-<i>` (gitlab_project_runner_enablement of `enableForProjects[i]`),
 * `group` (gitlab_group data source, only for a group given by path).
 *
 * @example
 * const build = new RunnerRegistration(this, "build-runner", {
 *   scope: { type: "group", groupPath: "acme" }, // or { type: "group", groupId: 42 }
 *   description: "acme-ci dev build",
 *   tags: ["acme-ci-build"],
 *   untagged: true,
 *   parameterName: "/acme-ci/dev/runner/build/token",
 *   secretsKey, // a SecretsKey: grantRead also names the reader in its key policy
 * });
 * build.grantRead(runnerHostRole);
 */
export class RunnerRegistration extends Construct implements RunnerTokenSource {
  /** The `gitlab_user_runner`. */
  public readonly runner: UserRunner;
  /** The `aws_ssm_parameter` holding the token. */
  public readonly parameter: SsmParameter;
  /** Parameter name. */
  public readonly parameterName: string;
  /** `protected` with `protectedRefsOnly` (`ref_protected`), otherwise `unprotected` (`not_protected`). */
  public readonly trustLevel: TrustLevel;
  private readonly kmsKeyArn?: string;
  private readonly secretsKey?: ISecretsKey;
  private readonly scopeKey: readonly string[];

  public constructor(scope: Construct, id: string, props: RunnerRegistrationProps) {
    super(scope, id);
    const path = this.node.path;
    validateRunnerProps(path, props);
    const parameterDescription = `GitLab runner authentication token: ${props.description}`;
    check(isUnresolved(props.description) || parameterDescription.length <= SSM_DESCRIPTION_MAX_LENGTH, {
      path,
      subject: "description",
      value: `${String(props.description).length} characters`,
      rule: `the description also describes the token's SSM parameter ("GitLab runner authentication token: <description>"), which SSM limits to ${SSM_DESCRIPTION_MAX_LENGTH} characters; it is never cut short`,
      fix: `shorten the description by ${parameterDescription.length - SSM_DESCRIPTION_MAX_LENGTH} characters`,
    });
    validateSsmParameterName(path, "parameterName", props.parameterName, "/acme-ci/dev/runner/token");
    this.parameterName = props.parameterName;
    this.trustLevel = props.protectedRefsOnly ? "protected" : "unprotected";
    checkOneKey(path, "kmsKeyArn", props.secretsKey, props.kmsKeyArn);
    this.kmsKeyArn = props.kmsKeyArn;
    this.secretsKey = props.secretsKey;
    const keyArn = props.secretsKey?.keyArn ?? props.kmsKeyArn;

    const where = props.scope;
    // A group given by path: look its id up (construct id `group`).
    const groupId = where.type !== "group" ? undefined : "groupPath" in where ? new DataGitlabGroup(this, "group", { fullPath: where.groupPath }).groupId : where.groupId;
    // Ids may be number tokens: whole list elements, so Terraform functions get them as references.
    const idText = (value: number) => (isUnresolved(value) ? Token.asString(value) : String(value));
    this.scopeKey = where.type === "group" ? ["group", idText(groupId!)] : where.type === "project" ? ["project", idText(where.projectId)] : ["instance"];
    this.runner = new UserRunner(this, "runner", {
      runnerType: `${where.type}_type`,
      ...(groupId !== undefined ? { groupId } : {}),
      ...(where.type === "project" ? { projectId: where.projectId } : {}),
      description: props.description,
      tagList: [...(props.tags ?? [])],
      untagged: props.untagged ?? false,
      accessLevel: props.protectedRefsOnly ? "ref_protected" : "not_protected",
      paused: props.paused ?? false,
      locked: props.locked ?? false,
      ...(props.maximumTimeoutSeconds !== undefined ? { maximumTimeout: props.maximumTimeoutSeconds } : {}),
      ...(props.maintenanceNote ? { maintenanceNote: props.maintenanceNote } : {}),
    });
    (props.enableForProjects ?? []).forEach((project, i) => {
      new ProjectRunnerEnablement(this, `enable-${i}`, { project, runnerId: Token.asNumber(this.runner.id) });
    });
    this.parameter = new SsmParameter(this, "token", {
      name: props.parameterName,
      description: parameterDescription,
      type: "SecureString",
      value: this.runner.token,
      ...(keyArn ? { keyId: keyArn } : {}),
      ...(props.parameterTags ? { tags: { ...props.parameterTags } } : {}),
    });
  }

  /** Parameter ARN. */
  public get parameterArn(): string {
    return this.parameter.arn;
  }

  /**
   * Changes whenever the token does: the registration's scope (a new scope
   * replaces the runner, and with it the token) and the parameter's version
   * (incremented on every new value). See {@link RunnerTokenSource.revision}.
   */
  public get revision(): string {
    // `version` is a number attribute: a whole list element of join(), so it renders as a reference.
    return Fn.join("/", [...this.scopeKey, Token.asString(this.parameter.version)]);
  }

  /** The runner's GitLab id. */
  public get runnerId(): string {
    return this.runner.id;
  }

  /**
   * Grants `ssm:GetParameter` on this parameter only, `kms:Decrypt` on its customer key if any,
   * and with `secretsKey` a key policy statement naming the grantee for this parameter only.
   * @throws ValidationError with `secretsKey`, for a grantee that is not an IAM role or user
   */
  public grantRead(grantee: IGrantable): void {
    grantParameterRead(this.node.path, grantee, { parameterName: this.parameterName, parameterArn: this.parameterArn, secretsKey: this.secretsKey, kmsKeyArn: this.kmsKeyArn });
  }
}

/** Runner tags: no commas (GitLab splits tag lists on them), no surrounding white space, 1-255 characters. */
const RUNNER_TAG = /^[^,\s](?:[^,]{0,253}[^,\s])?$/;

/** Checks runner props: tags or untagged, tag format, timeout >= 600 s, ids for group/project runners. */
/**
 * A runner tag: 1-255 characters, no comma (the API's `tag_list` is comma-separated) and no
 * leading or trailing white space (`"build "` and `"build"` look like two tags to the platform's
 * overlap checks, and a job's tag would have to carry the same blanks).
 * @throws ValidationError at `path`
 */
export function validateRunnerTag(path: string, tag: string): void {
  if (isUnresolved(tag)) return;
  check(typeof tag === "string" && RUNNER_TAG.test(tag), {
    path,
    subject: "runner tag",
    value: tag,
    rule: "a runner tag is 1-255 characters without commas and without leading or trailing white space",
    fix: typeof tag === "string" && tag.includes(",") ? "split it into separate tags" : "remove the white space around the tag (and give it at least one character)",
  });
}

export function validateRunnerProps(path: string, props: RunnerRegistrationProps): void {
  const tags = props.tags ?? [];
  check(tags.length > 0 || props.untagged === true, {
    path,
    subject: "tags",
    value: { tags, untagged: props.untagged ?? false },
    rule: "a runner with neither tags nor `untagged: true` never receives a job",
    fix: "give the tags its jobs use (e.g. tags: [\"acme-ci-build\"]), or set `untagged: true` to take untagged jobs",
  });
  tags.forEach((tag, i) => validateRunnerTag(`${path}/tags[${i}]`, tag));
  check(new Set(tags).size === tags.length, {
    path,
    subject: "tags",
    value: tags,
    rule: "runner tags are unique",
    fix: "remove the duplicate tag",
  });
  const timeout = props.maximumTimeoutSeconds;
  if (timeout !== undefined && !isUnresolved(timeout)) {
    check(Number.isInteger(timeout) && timeout >= MIN_RUNNER_TIMEOUT_SECONDS, {
      path,
      subject: "maximumTimeoutSeconds",
      value: timeout,
      rule: `GitLab requires a runner's maximum timeout to be a whole number of at least ${MIN_RUNNER_TIMEOUT_SECONDS} seconds (10 minutes)`,
      fix: `use ${MIN_RUNNER_TIMEOUT_SECONDS} or more, or leave it out to use the project's timeout`,
    });
  }
  const scope = props.scope as { type?: unknown; groupId?: unknown; groupPath?: unknown; projectId?: unknown };
  check(scope.type === "instance" || scope.type === "group" || scope.type === "project", {
    path: `${path}/scope`,
    subject: "type",
    value: scope.type,
    rule: 'a runner scope type is "instance", "group" or "project"',
    fix: 'use { type: "group", groupPath: "acme" } for a group runner',
  });
  if (scope.type === "group") {
    check((scope.groupId === undefined) !== (scope.groupPath === undefined), {
      path: `${path}/scope`,
      subject: "group",
      value: { groupId: scope.groupId, groupPath: scope.groupPath },
      rule: "a group runner names its group by groupId or by groupPath, exactly one of them",
      fix: 'give { type: "group", groupPath: "acme/platform" } or { type: "group", groupId: 42 }',
    });
    if (typeof scope.groupPath === "string" && !isUnresolved(scope.groupPath)) {
      check(GROUP_PATH.test(scope.groupPath), {
        path: `${path}/scope`,
        subject: "groupPath",
        value: scope.groupPath,
        rule: "a group's full path is /-separated segments of letters, digits, '_', '.' and '-', without a leading or trailing '/'",
        fix: `use the path as shown in the group's URL, e.g. ${JSON.stringify(scope.groupPath.replace(/^\/+|\/+$/g, "") || "acme")}`,
      });
    }
  }
  check(props.locked !== true || props.scope.type === "project", {
    path,
    subject: "locked",
    value: { locked: props.locked, scope: props.scope.type },
    rule: "only a project runner can be locked to its project",
    fix: "drop `locked`, or register a project runner",
  });
  const enabled = props.enableForProjects ?? [];
  check(enabled.length === 0 || (props.scope.type === "project" && props.locked !== true), {
    path,
    subject: "enableForProjects",
    value: { enableForProjects: enabled, scope: props.scope.type, locked: props.locked ?? false },
    rule: "only an unlocked project runner can be enabled for further projects",
    fix: "register a project runner with locked: false, or drop enableForProjects",
  });
  if (props.maintenanceNote !== undefined) {
    check(props.maintenanceNote.length <= 1024, {
      path,
      subject: "maintenanceNote",
      value: `${props.maintenanceNote.length} characters`,
      rule: "a maintenance note is at most 1024 characters",
      fix: "shorten the note",
    });
  }
}
