import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Construct } from "constructs";
import { ROLE_DESCRIPTION_MAX_LENGTH, validatePermissionsBoundaryArn, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { iamRoleArn, type IGrantable, type PolicyStatement, validateIamName } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { type CiAwsAccess, type CiSnippet, type CiSnippetOptions, ciSnippet } from "./ci-access";
import { type IGitLabOidcProvider } from "./gitlab-oidc-provider";
import {
  DEFAULT_SUB_CLAIM_COMPONENTS,
  type GitLabSubject,
  type ProtectedRefRequirement,
  type ResolvedSubject,
  resolveSubject,
  type SubClaimComponent,
  subjectConditions,
  validateSubClaimComponents,
} from "./gitlab-subject";
import { attachManagedPolicies, renderTrustPolicy, RoleGrants, validateMaxSessionDuration } from "./role-policy";
import { checkAgainstAwsProvider } from "../core/provider-context";

/** Props of a {@link GitLabCiRole}. */
export interface GitLabCiRoleProps {
  /** The GitLab OIDC provider the role trusts. */
  readonly provider: IGitLabOidcProvider;
  /** Role name, at most 64 characters. */
  readonly roleName: string;
  /** The CI jobs that may assume the role (ORed); at least one. */
  readonly subjects: readonly GitLabSubject[];
  /**
   * The parts of the `sub` claim the instance issues for these projects
   * (GitLab's `ci_id_token_sub_claim_components`); the trust conditions follow it.
   * @default ["project_path", "ref_type", "ref"] (GitLab's default)
   */
  readonly subClaimComponents?: readonly SubClaimComponent[];
  /** The region CI jobs work in, published in {@link GitLabCiRole.ciAccess}. */
  readonly region: string;
  /**
   * The `aud` CI jobs must request; one of the provider's audiences.
   * @default the provider's first audience (the instance URL by default)
   */
  readonly audience?: string;
  /**
   * Maximum session duration in seconds (3600 to 43200).
   * @default 3600
   */
  readonly maxSessionDurationSeconds?: number;
  /**
   * Managed policies to attach.
   * @default none
   */
  readonly managedPolicyArns?: readonly string[];
  /**
   * ARN of a permissions boundary for the role.
   * @default none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Role description.
   * @default "GitLab CI (OIDC): <the trusted subjects>", shortened to IAM's 1000 characters
   */
  readonly description?: string;
  /**
   * Resource tags.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An IAM role that GitLab CI jobs assume with their ID token
 * (`sts:AssumeRoleWithWebIdentity`). Its trust policy is built from typed
 * {@link GitLabSubject} selectors: exact subjects under `StringEquals`, wildcard
 * subjects under `StringLike`, the `aud` condition always present. It starts
 * with no permissions; grant them with `repository.grantPush(role)` and the like.
 *
 * @example
 * const build = new GitLabCiRole(this, "build", {
 *   provider, roleName: "acme-ci-dev-build", region: "eu-central-1",
 *   subjects: [{ projectPath: "acme/app", branch: "main", protectedRefsOnly: true }],
 * });
 * repository.grantPush(build);
 */
export class GitLabCiRole extends Construct implements IGrantable {
  /** The `aws_iam_role`. */
  public readonly role: IamRole;
  /** The grants collected for the role (one inline policy). */
  public readonly grants: RoleGrants;
  /** The trusted subjects, resolved to `sub` values and patterns. */
  public readonly subjects: readonly ResolvedSubject[];
  /** The `aud` the trust policy requires. */
  public readonly audience: string;
  /** What CI needs to assume the role (plain strings). */
  public readonly ciAccess: CiAwsAccess;
  /** The role's maximum session duration, in seconds. */
  public readonly maxSessionDurationSeconds: number;
  /**
   * Refs the role trusts on the assumption that GitLab protects them (subjects
   * with `protectedRefsOnly`): IAM cannot check `ref_protected`, so protect
   * these with protected branches / protected tags in GitLab.
   */
  public readonly requiredProtectedRefs: readonly ProtectedRefRequirement[];
  /**
   * True when every trusted subject is `protectedRefsOnly`: only pipelines of
   * refs GitLab protects can assume the role (given those protections exist).
   */
  public readonly protectedRefsOnly: boolean;
  private readonly roleNameToken: string;
  private roleArnToken?: string;

  public constructor(scope: Construct, id: string, props: GitLabCiRoleProps) {
    super(scope, id);
    const path = this.node.path;
    validateIamName(path, "role", props.roleName);
    validateRegion(path, "region", props.region);
    checkAgainstAwsProvider(this, path, { region: props.region });
    check(props.subjects.length > 0, {
      path: `${path}/subjects`,
      subject: "subjects",
      value: props.subjects,
      rule: "a CI role trusts at least one subject (project and ref selector)",
      fix: 'add e.g. { projectPath: "acme/app", branch: "main" }',
    });
    const components = props.subClaimComponents ?? DEFAULT_SUB_CLAIM_COMPONENTS;
    validateSubClaimComponents(`${path}/subClaimComponents`, components);
    this.subjects = props.subjects.map((s, i) => resolveSubject(`${path}/subjects[${i}]`, s, components));
    this.requiredProtectedRefs = this.subjects.flatMap((s) => (s.protectedRef ? [s.protectedRef] : []));
    this.protectedRefsOnly = this.subjects.every((s) => s.protectedRef !== undefined);

    const { provider } = props;
    this.audience = props.audience ?? provider.audiences[0]!;
    check(isUnresolved(this.audience) || provider.audiences.includes(this.audience), {
      path,
      subject: "audience",
      value: this.audience,
      rule: `the audience must be one the OIDC provider accepts (${provider.audiences.join(", ")}), or STS rejects every token`,
      fix: "use one of the provider's audiences, or add this one to the provider's audiences",
    });
    this.maxSessionDurationSeconds = props.maxSessionDurationSeconds ?? 3600;
    validateMaxSessionDuration(path, this.maxSessionDurationSeconds);

    const trustPolicy = renderTrustPolicy(
      path,
      subjectConditions(provider.host, this.audience, this.subjects).map((conditions) => ({
        principal: { Federated: provider.providerArn },
        actions: ["sts:AssumeRoleWithWebIdentity"],
        conditions,
      })),
    );
    if (props.description !== undefined && !isUnresolved(props.description)) {
      check(props.description.length <= ROLE_DESCRIPTION_MAX_LENGTH, {
        path,
        subject: "description",
        value: `${props.description.length} characters`,
        rule: `IAM limits a role description to ${ROLE_DESCRIPTION_MAX_LENGTH} characters; it is never cut short`,
        fix: `shorten the description by ${props.description.length - ROLE_DESCRIPTION_MAX_LENGTH} characters`,
      });
    }
    // The derived default lists the trusted subjects, or counts them when the list does not fit IAM's limit.
    const listed = `GitLab CI (OIDC): ${this.subjects.map((s) => s.sub).join(", ")}`;
    const description = props.description ?? (listed.length <= ROLE_DESCRIPTION_MAX_LENGTH ? listed : `GitLab CI (OIDC): ${this.subjects.length} subjects (see the trust policy)`);
    if (props.permissionsBoundaryArn !== undefined) validatePermissionsBoundaryArn(path, props.permissionsBoundaryArn);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description,
      assumeRolePolicy: trustPolicy,
      maxSessionDuration: this.maxSessionDurationSeconds,
      ...(props.permissionsBoundaryArn ? { permissionsBoundary: props.permissionsBoundaryArn } : {}),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
    // One token for the name (cdktf captures a stack trace per token it creates).
    this.roleNameToken = this.role.name;
    this.grants = new RoleGrants(this, "grants", this.roleNameToken);
    attachManagedPolicies(this, this.roleNameToken, props.managedPolicyArns ?? []);
    this.ciAccess = {
      roleArn: iamRoleArn(provider.partition, provider.accountId, props.roleName),
      audience: this.audience,
      region: props.region,
    };
  }

  /** Adds a statement to the role's inline policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.grants.addToPrincipalPolicy(statement);
  }

  /** The role ARN (a reference to the role resource). */
  public get roleArn(): string {
    return (this.roleArnToken ??= this.role.arn);
  }

  /** The role name (a reference to the role resource). */
  public get roleName(): string {
    return this.roleNameToken;
  }

  /**
   * A hidden CI job that assumes this role: `id_tokens` with the role's `aud`,
   * then `aws sts assume-role-with-web-identity` (see {@link ciSnippet}).
   * The session lasts the role's maximum session duration unless set.
   */
  public ciSnippet(options: CiSnippetOptions = {}): CiSnippet {
    const durationSeconds = options.durationSeconds ?? this.maxSessionDurationSeconds;
    check(durationSeconds <= this.maxSessionDurationSeconds, {
      path: this.node.path,
      subject: "CI snippet durationSeconds",
      value: durationSeconds,
      rule: `a session cannot outlast the role's maximum session duration (${this.maxSessionDurationSeconds} seconds)`,
      fix: "request a shorter session or raise maxSessionDurationSeconds",
    });
    return ciSnippet(this.node.path, this.ciAccess, { ...options, durationSeconds });
  }
}
