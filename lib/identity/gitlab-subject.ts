/**
 * Typed selectors for the `sub` claim of GitLab CI ID tokens, and the IAM
 * trust conditions built from them.
 *
 * GitLab's default `sub` is `project_path:{group}/{project}:ref_type:{branch|tag}:ref:{name}`
 * (a project can reorder or drop the ref parts through the projects API
 * attribute `ci_id_token_sub_claim_components`; roles take the components the
 * instance issues, see {@link resolveSubject}). For a custom OIDC provider IAM evaluates only the standard claim
 * keys (`aud`, `sub`, `amr`, `email`, `oaud`) in trust policies: GitLab's
 * other claims (`ref_protected`, `environment`, `namespace_path`,
 * `pipeline_source`, ...) cannot be conditioned on, so everything a role
 * trusts is expressed through `sub` (and `aud`).
 */
import { check } from "../core/errors";
import { suggestGitLabPath } from "../core/gitlab-url";
import { type PolicyConditions } from "../core/iam";
import { isUnresolved } from "../core/tokens";

/**
 * The parts GitLab can put into an ID token's `sub` claim, set per project
 * with the projects API attribute `ci_id_token_sub_claim_components`
 * (gitlab-org/gitlab!160562; the supported values are listed in
 * gitlab-org/gitlab#477260): the list starts with `project_path`; each part
 * becomes `<name>:<value>`, joined with `:`.
 */
export type SubClaimComponent = "project_path" | "ref_type" | "ref";

/** GitLab's default `sub` components: `project_path:<path>:ref_type:<branch|tag>:ref:<name>`. */
export const DEFAULT_SUB_CLAIM_COMPONENTS: readonly SubClaimComponent[] = ["project_path", "ref_type", "ref"];

/**
 * The `sub` component lists GitLab accepts for `ci_id_token_sub_claim_components`
 * (gitlab-org/gitlab#477260: "project_path,ref_type,ref", "project_path,ref,ref_type",
 * "project_path,ref", "project_path,ref_type").
 */
export const SUPPORTED_SUB_CLAIM_COMPONENTS: readonly (readonly SubClaimComponent[])[] = [
  ["project_path", "ref_type", "ref"],
  ["project_path", "ref", "ref_type"],
  ["project_path", "ref"],
  ["project_path", "ref_type"],
];

/**
 * Checks a `sub` component list against the values GitLab accepts.
 * @param path where it is configured, for error messages
 */
export function validateSubClaimComponents(path: string, components: readonly SubClaimComponent[]): void {
  check(
    Array.isArray(components) && SUPPORTED_SUB_CLAIM_COMPONENTS.some((c) => c.length === components.length && c.every((part, i) => components[i] === part)),
    {
      path,
      subject: "sub claim components",
      value: components,
      rule: `GitLab's ci_id_token_sub_claim_components accepts ${SUPPORTED_SUB_CLAIM_COMPONENTS.map((c) => c.join(",")).join(" | ")}`,
      fix: "copy the project's ci_id_token_sub_claim_components (GET /projects/:id), or leave the default project_path,ref_type,ref",
    },
  );
}

/**
 * Which CI jobs may assume a role: one project or every project of a group,
 * and optionally one ref type and one ref name or pattern. Exact fields
 * (`projectPath`, `branch`, `tag`) match with `StringEquals`; wildcard fields
 * (`groupPath`, `branchPattern`, `tagPattern`) with `StringLike`.
 *
 * Not expressible for GitLab in IAM: the `environment` claim (it is neither in
 * `sub` nor an IAM condition key), and pipeline kinds (merge request vs branch
 * pipelines carry the same `sub`).
 */
export interface GitLabSubject {
  /**
   * Exact project path, e.g. `acme/app` (subgroups allowed). Give exactly one of `projectPath` and `groupPath`.
   * @default none
   */
  readonly projectPath?: string;
  /**
   * Group path, e.g. `acme`: every project of the group and its subgroups (`project_path:acme/*`).
   * @default none
   */
  readonly groupPath?: string;
  /**
   * The ref type. Needed only to trust every ref of one type; otherwise it follows from the ref field.
   * @default from the ref field; both types when no ref field is given
   */
  readonly refType?: "branch" | "tag";
  /**
   * Exact branch name, e.g. `main`.
   * @default none
   */
  readonly branch?: string;
  /**
   * Branch name pattern with `*` (any run of characters) or `?` (one character), e.g. `release/*`.
   * @default none
   */
  readonly branchPattern?: string;
  /**
   * Exact tag name, e.g. `v1.2.3`.
   * @default none
   */
  readonly tag?: string;
  /**
   * Tag name pattern with `*` or `?`, e.g. `v*`.
   * @default none
   */
  readonly tagPattern?: string;
  /**
   * Intended for protected refs only. IAM cannot check GitLab's `ref_protected`
   * claim, so this adds no condition: the role trusts the named refs, and only
   * GitLab's protected branch / protected tag settings keep other people from
   * pushing to them. It requires a named ref or pattern (not every ref), and the
   * refs are listed in {@link GitLabCiRole.requiredProtectedRefs} so the GitLab
   * side can protect them.
   * @default false
   */
  readonly protectedRefsOnly?: boolean;
}

/** A subject selector resolved to one `sub` value or pattern. */
export interface ResolvedSubject {
  /** The `sub` value (exact) or pattern (wildcard). */
  readonly sub: string;
  /** True when `sub` holds a wildcard and must be matched with `StringLike`. */
  readonly wildcard: boolean;
  /** The ref that GitLab must protect, when the selector asks for protected refs only. */
  readonly protectedRef?: ProtectedRefRequirement;
}

/** A ref that a role trusts on the assumption that GitLab protects it. */
export interface ProtectedRefRequirement {
  /** Project path, or `<group>/*` for every project of a group. */
  readonly project: string;
  /** Branch or tag. */
  readonly refType: "branch" | "tag";
  /** Ref name or wildcard pattern (GitLab protected branches and tags accept the same `*` wildcards). */
  readonly ref: string;
}

const WILDCARD = /[*?]/;
/** GitLab namespace and project path segments. */
const PATH_SEGMENT = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** Characters git forbids in ref names (git check-ref-format), wildcards aside. */
const REF_FORBIDDEN = /[\s:~^[\\\x00-\x1f\x7f]/;

type RefField = "branch" | "branchPattern" | "tag" | "tagPattern";
const REF_FIELDS: readonly RefField[] = ["branch", "branchPattern", "tag", "tagPattern"];
const EXACT_FIELD: Record<"branchPattern" | "tagPattern", "branch" | "tag"> = { branchPattern: "branch", tagPattern: "tag" };
const PATTERN_FIELD: Record<"branch" | "tag", "branchPattern" | "tagPattern"> = { branch: "branchPattern", tag: "tagPattern" };

/**
 * Checks a subject selector and resolves it to its `sub` value or pattern.
 * @param path where the selector is configured (construct path plus sub-path), for error messages
 */
export function resolveSubject(path: string, subject: GitLabSubject, components: readonly SubClaimComponent[] = DEFAULT_SUB_CLAIM_COMPONENTS): ResolvedSubject {
  const project = resolveProject(path, subject);
  const refFields = REF_FIELDS.filter((f) => subject[f] !== undefined);
  check(refFields.length <= 1, {
    path,
    subject: "ref selector",
    value: Object.fromEntries(refFields.map((f) => [f, subject[f]])),
    rule: "a subject selects at most one ref field (branch, branchPattern, tag or tagPattern): a token has one ref",
    fix: "split the selector into one subject per ref",
  });
  const field = refFields[0];
  const fieldType = field === undefined ? undefined : field.startsWith("branch") ? "branch" : "tag";
  if (subject.refType !== undefined) {
    check(subject.refType === "branch" || subject.refType === "tag", {
      path,
      subject: "refType",
      value: subject.refType,
      rule: 'GitLab ref types are "branch" and "tag"',
      fix: 'use "branch" or "tag", or leave refType out to trust both',
    });
    if (field !== undefined) {
      check(fieldType === subject.refType, {
        path,
        subject: "ref selector",
        value: { refType: subject.refType, [field]: subject[field] },
        rule: `a subject with ref_type ${subject.refType} can never carry a ${fieldType} name, so this selector could never match`,
        fix: `use ${subject.refType}${field.endsWith("Pattern") ? "Pattern" : ""} for the name, or refType "${fieldType}"`,
      });
    }
  }
  const refType = subject.refType ?? fieldType;
  const ref = field === undefined ? undefined : resolveRef(`${path}/${field}`, field, subject[field]!);
  const refPattern = ref ?? "*";

  if (subject.protectedRefsOnly) {
    check(refPattern !== "*" && refType !== undefined, {
      path,
      subject: "protectedRefsOnly",
      value: { refType: refType ?? "any", ref: refPattern },
      rule: "IAM cannot check GitLab's ref_protected claim, so protected-only is expressed by naming the refs GitLab protects; every ref cannot be protected-only",
      fix: "name the protected refs, e.g. { branch: \"main\" } or { tagPattern: \"v*\" }",
    });
  }

  for (const [component, constrained] of [
    ["ref_type", refType !== undefined],
    ["ref", refPattern !== "*"],
  ] as const) {
    check(components.includes(component) || !constrained, {
      path,
      subject: "subject",
      value: { refType: refType ?? "any", ref: refPattern, subClaimComponents: components },
      rule: `the instance's sub claim carries no ${component} (ci_id_token_sub_claim_components = ${components.join(",")}), so IAM cannot tell refs apart by it and the selector would trust more than it names`,
      fix: `add ${component} to the project's ci_id_token_sub_claim_components (and to the configuration), or drop the ${component} selector`,
    });
  }
  const values: Record<SubClaimComponent, string> = { project_path: project, ref_type: refType ?? "*", ref: refPattern };
  const sub = components.map((c) => `${c}:${values[c]}`).join(":");
  return {
    sub,
    wildcard: WILDCARD.test(sub),
    ...(subject.protectedRefsOnly ? { protectedRef: { project, refType: refType!, ref: refPattern } } : {}),
  };
}

function resolveProject(path: string, subject: GitLabSubject): string {
  const { projectPath, groupPath } = subject;
  check((projectPath === undefined) !== (groupPath === undefined), {
    path,
    subject: "project selector",
    value: { projectPath, groupPath },
    rule: "a subject names exactly one of projectPath (one project) and groupPath (every project of a group)",
    fix: 'give e.g. projectPath: "acme/app" or groupPath: "acme"',
  });
  if (projectPath !== undefined) {
    if (isUnresolved(projectPath)) return projectPath;
    check(!WILDCARD.test(projectPath), {
      path: `${path}/projectPath`,
      subject: "project path",
      value: projectPath,
      rule: "projectPath is an exact match (StringEquals): it takes no wildcard",
      fix: `to trust every project of a group, use groupPath: ${JSON.stringify(suggestGitLabPath(projectPath, "acme"))}`,
    });
    const segments = projectPath.split("/");
    check(segments.length >= 2 && segments.every((s) => PATH_SEGMENT.test(s)), {
      path: `${path}/projectPath`,
      subject: "project path",
      value: projectPath,
      rule: "a project path is <group>[/<subgroup>...]/<project>, each part letters, digits, '_', '.', '-' (not empty, no leading or trailing '/')",
      fix: `copy the path from the project's URL, e.g. ${JSON.stringify(suggestGitLabPath(projectPath, "acme/app").includes("/") ? suggestGitLabPath(projectPath, "acme/app") : "acme/app")}`,
    });
    return projectPath;
  }
  const group = groupPath!;
  if (isUnresolved(group)) return `${group}/*`;
  check(!WILDCARD.test(group), {
    path: `${path}/groupPath`,
    subject: "group path",
    value: group,
    rule: "groupPath is the group's exact path; the wildcard over its projects is added (project_path:<group>/*)",
    fix: `remove the wildcard: groupPath: ${JSON.stringify(suggestGitLabPath(group, "acme"))}`,
  });
  check(group.split("/").every((s) => PATH_SEGMENT.test(s)), {
    path: `${path}/groupPath`,
    subject: "group path",
    value: group,
    rule: "a group path is <group>[/<subgroup>...], each part letters, digits, '_', '.', '-' (not empty, no leading or trailing '/')",
    fix: `copy the path from the group's URL, e.g. ${JSON.stringify(suggestGitLabPath(group, "acme"))}`,
  });
  return `${group}/*`;
}

function resolveRef(path: string, field: RefField, value: string): string {
  if (isUnresolved(value)) return value;
  const exact = field === "branch" || field === "tag";
  if (exact) {
    check(!WILDCARD.test(value), {
      path,
      subject: `${field} name`,
      value,
      rule: `${field} is an exact match (StringEquals): it takes no wildcard`,
      fix: `use ${PATTERN_FIELD[field]}: ${JSON.stringify(value)} to match a pattern`,
    });
  } else {
    check(WILDCARD.test(value), {
      path,
      subject: `${field}`,
      value,
      rule: `${field} is a wildcard match (StringLike) and needs a '*' or '?'`,
      fix: `use ${EXACT_FIELD[field]}: ${JSON.stringify(value)} for an exact match`,
    });
  }
  check(!/^refs\//.test(value), {
    path,
    subject: `${field}`,
    value,
    rule: "GitLab's ref claim is the short name (main, v1.2.3), never refs/heads/... or refs/tags/..., so this could never match",
    fix: `use ${JSON.stringify(value.replace(/^refs\/(?:heads|tags)\//, ""))}`,
  });
  check(
    value.length > 0 &&
      !REF_FORBIDDEN.test(value) &&
      !value.includes("..") &&
      !value.includes("//") &&
      !value.includes("@{") &&
      !/^[/.]|[/.]$|\.lock$/.test(value),
    {
      path,
      subject: `${field}`,
      value,
      rule: "git ref names are not empty and hold no space, ':', '~', '^', '[', '\\', '..', '//' or '@{', nor start or end with '/' or '.' (such a ref cannot exist, so the selector could never match)",
      fix: "use the ref name as GitLab shows it, e.g. main or release/1.2",
    },
  );
  return value;
}

/**
 * The trust conditions for a set of subjects, as one or two condition blocks:
 * exact subjects under `StringEquals`, wildcard subjects under `StringLike`,
 * each with `aud` under `StringEquals`. They must be separate statements: the
 * operators of one statement are ANDed.
 */
export function subjectConditions(host: string, audience: string, subjects: readonly ResolvedSubject[]): PolicyConditions[] {
  const single = (values: string[]): string | string[] => (values.length === 1 ? values[0]! : values);
  const unique = (values: string[]) => [...new Set(values)];
  const exact = unique(subjects.filter((s) => !s.wildcard).map((s) => s.sub));
  const wildcard = unique(subjects.filter((s) => s.wildcard).map((s) => s.sub));
  const aud = { [`${host}:aud`]: audience };
  return [
    ...(exact.length > 0 ? [{ StringEquals: { ...aud, [`${host}:sub`]: single(exact) } }] : []),
    ...(wildcard.length > 0 ? [{ StringEquals: aud, StringLike: { [`${host}:sub`]: single(wildcard) } }] : []),
  ];
}
