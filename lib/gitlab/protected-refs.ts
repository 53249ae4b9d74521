import { BranchProtection } from "@cdktf/provider-gitlab/lib/branch-protection";
import { DataGitlabProject } from "@cdktf/provider-gitlab/lib/data-gitlab-project";
import { DataGitlabProjectProtectedBranches } from "@cdktf/provider-gitlab/lib/data-gitlab-project-protected-branches";
import { DataGitlabProjectProtectedTags } from "@cdktf/provider-gitlab/lib/data-gitlab-project-protected-tags";
import { TagProtection } from "@cdktf/provider-gitlab/lib/tag-protection";
import { type TerraformDataSource } from "cdktf";
import { Construct } from "constructs";
import { check } from "../core/errors";
import { branchConditions, hclString as hcl, tagConditions } from "./protected-ref-conditions";
import { DEFAULT_SUB_CLAIM_COMPONENTS, type ProtectedRefRequirement, type SubClaimComponent } from "../identity/gitlab-subject";

/** How one project's trusted refs are made protected. */
export type ProtectedRefsMode = "manage" | "check";

/** One project whose refs CI roles trust. */
export interface ProtectedRefsProject {
  /** Full project path, e.g. `acme/app`. */
  readonly path: string;
  /** Short name, used in construct ids (`<name>-...`): 1-20 of `a-z0-9-`. */
  readonly name: string;
  /**
   * `manage`: create the protections. `check`: the project's settings are kept
   * elsewhere; read its protected branches and tags and fail the plan when a
   * trusted ref is not protected.
   * @default "manage"
   */
  readonly mode?: ProtectedRefsMode;
}

/** Props of {@link ProtectedRefs}. */
export interface ProtectedRefsProps {
  /** The projects; every ref in `refs` must belong to one of them. */
  readonly projects: readonly ProtectedRefsProject[];
  /** The refs CI roles trust on the assumption that GitLab protects them (`GitLabCiRole.requiredProtectedRefs`). */
  readonly refs: readonly ProtectedRefRequirement[];
  /**
   * The `sub` components the trust policies were built for; a plan-time check
   * fails when a project's `ci_id_token_sub_claim_components` differs.
   * @default ["project_path", "ref_type", "ref"]
   */
  readonly subClaimComponents?: readonly SubClaimComponent[];
  /**
   * Check every project's `ci_id_token_sub_claim_components` at plan time. A
   * stack that only protects refs for roles defined elsewhere (the app's
   * `gitlab-shared` stack) leaves the check to the stacks of those roles.
   * @default true
   */
  readonly checkSubClaimComponents?: boolean;
  /**
   * Check at plan time that every project whose trusted refs include a branch has merged
   * results pipelines and merge trains (GitLab Premium) off, see {@link mergedResultsCondition}.
   * A stack that only protects refs for roles defined elsewhere (the app's `gitlab-shared`
   * stack) leaves the check to the stacks of those roles.
   * @default true
   */
  readonly checkMergedResultsPipelines?: boolean;
}

/**
 * The plan-time condition that a project runs no merged-results pipelines (and so no merge
 * trains): `merge_pipelines_enabled` and `merge_trains_enabled` of its `gitlab_project` data
 * source both false. A missing or null attribute fails (`try(..., false)`).
 *
 * Why: GitLab issues a merge-request pipeline's ID token with the merge request's source branch
 * in `sub` (`lib/gitlab/ci/jwt_v2.rb`: `ref:#{source_ref}`; `Ci::Pipeline#source_ref` is the
 * source branch of a merge-request pipeline), while a merged-results pipeline runs the merge of
 * source and target, the target's CI configuration included. A Developer who opens a merge
 * request from `main` into a branch of theirs runs their own CI file with `main`'s `sub`, which
 * the protected roles trust; IAM cannot tell the two apart (it sees `sub`, not `pipeline_source`
 * or the target branch). Merge trains run merged-results pipelines too.
 *
 * Upstream: provider-gitlab 15.6.2 (gitlabhq/gitlab 18.6.1) data source `gitlab_project` reads
 * both attributes from `GET /projects/:id` (`d.Set("merge_pipelines_enabled",
 * found.MergePipelinesEnabled)`, the same for merge trains, in
 * `internal/provider/data_source_gitlab_project.go`); GitLab exposes them only where the
 * Premium feature is available (`ee/lib/ee/api/entities/project.rb`: `expose
 * :merge_pipelines_enabled?, ..., if: ->(project, _) { project.feature_available?(:merge_pipelines) }`),
 * and the provider reads an absent attribute as false, as it is on Free, where no
 * merged-results pipeline can run.
 */
export function mergedResultsCondition(): string {
  return "try(!self.merge_pipelines_enabled && !self.merge_trains_enabled, false)";
}

/** `lifecycle.postcondition` blocks, written as Terraform JSON. */
function postconditions(source: TerraformDataSource, blocks: readonly { condition: string; errorMessage: string }[]): void {
  source.addOverride(
    "lifecycle.postcondition",
    blocks.map((b) => ({ condition: `\${${b.condition}}`, error_message: b.errorMessage })),
  );
}

/** The refs without repeats (the same project, type and name trusted by several roles or environments), in first-seen order. */
export function distinctRefs(refs: readonly ProtectedRefRequirement[]): ProtectedRefRequirement[] {
  const seen = new Map<string, ProtectedRefRequirement>();
  for (const ref of refs) {
    const key = JSON.stringify([ref.project, ref.refType, ref.ref]);
    if (!seen.has(key)) seen.set(key, ref);
  }
  return [...seen.values()];
}

/**
 * Protected refs as code: every ref pattern a CI role trusts becomes a
 * protection in GitLab, so "trusted" means "protected" by construction.
 *
 * - `manage` projects get a `gitlab_branch_protection` (push and merge:
 *   Maintainers, no force push) per trusted branch and a
 *   `gitlab_tag_protection` (create: Maintainers) per trusted tag pattern,
 *   each with `prevent_destroy`. A ref trusted several times (by several
 *   roles or environments) is protected once. GitLab's protected ref
 *   wildcards match `*` as any run of characters (`Gitlab::RefMatcher`),
 *   exactly like the roles' `StringLike`. A default branch GitLab already
 *   protected on project creation must be imported first (`terraform import
 *   <address> <project-id>:<branch>`), or the create fails with "already
 *   exists" (gitlabhq/terraform-provider-gitlab#671).
 * - `check` projects get the `gitlab_project_protected_branches` and
 *   `gitlab_project_protected_tags` data sources with Terraform
 *   `postcondition`s (see protected-ref-conditions.ts): the plan fails, naming
 *   the project and the ref, when a trusted ref is not protected, or when any
 *   protection rule matching it (GitLab applies the most permissive matching
 *   rule) lets anyone below Maintainer push or merge a branch or create a tag:
 *   Developer and lower roles, or a named user, group or deploy key. "No one",
 *   Maintainer, Owner and Admin pass.
 * - Every project gets a `gitlab_project` data source whose postcondition
 *   fails the plan when its `ci_id_token_sub_claim_components` differ from
 *   what the trust policies expect (unless `checkSubClaimComponents` is false),
 *   and, for a project with a trusted branch, when merged results pipelines or
 *   merge trains are on (unless `checkMergedResultsPipelines` is false; see
 *   {@link mergedResultsCondition}).
 *
 * Provider: `@cdktf/provider-gitlab` 15.6.2 (gitlabhq/gitlab 18.6.1):
 * `branch_protection` (`project`, `branch`, `push_access_level`,
 * `merge_access_level`, `allow_force_push`), `tag_protection` (`project`,
 * `tag`, `create_access_level`), data sources `project` (`path_with_namespace`,
 * `ci_id_token_sub_claim_components`, `merge_pipelines_enabled`,
 * `merge_trains_enabled`), `project_protected_branches`
 * (`project_id`; `protected_branches[]`: `name`, `push_access_levels[]`,
 * `merge_access_levels[]`) and `project_protected_tags` (`project`;
 * `protected_tags[]`: `tag`, `create_access_levels[]`).
 *
 * Construct ids: `project-<name>`, `branch-<name>-<n>`, `tag-<name>-<n>`,
 * `protected-branches-<name>`, `protected-tags-<name>` (n counts the project's
 * distinct branches or tags in `refs` order).
 */
export class ProtectedRefs extends Construct {
  /** The protection resources created, in `refs` order (one per distinct ref). */
  public readonly protections: readonly (BranchProtection | TagProtection)[];
  /** The plan-time checks (data sources with postconditions), one set per `check` project. */
  public readonly checks: readonly TerraformDataSource[];
  /** The `gitlab_project` data source of every project, by project path. */
  public readonly projects: ReadonlyMap<string, DataGitlabProject>;

  /**
   * @throws ValidationError when a ref names a project not in `projects`, or a mode is unknown
   */
  public constructor(scope: Construct, id: string, props: ProtectedRefsProps) {
    super(scope, id);
    const components = (props.subClaimComponents ?? DEFAULT_SUB_CLAIM_COMPONENTS).join(",");
    const isDefault = components === DEFAULT_SUB_CLAIM_COMPONENTS.join(",");
    const protections: (BranchProtection | TagProtection)[] = [];
    const checks: TerraformDataSource[] = [];
    props.projects.forEach((project, i) =>
      check(project.mode === undefined || project.mode === "manage" || project.mode === "check", {
        path: `${this.node.path}/projects[${i}]`,
        subject: "mode",
        value: project.mode,
        rule: 'a project\'s protected refs are "manage"d here or "check"ed at plan time',
        fix: 'use "manage" or "check"',
      }),
    );
    const known = new Set(props.projects.map((p) => p.path));
    props.refs.forEach((ref, i) =>
      check(known.has(ref.project), {
        path: `${this.node.path}/refs[${i}]`,
        subject: "protected ref",
        value: ref,
        rule: "every trusted ref belongs to a listed project, or nothing would protect it",
        fix: `add ${ref.project} to projects`,
      }),
    );
    const all = distinctRefs(props.refs);
    const projects = new Map<string, DataGitlabProject>();
    for (const project of props.projects) {
      const refs = all.filter((r) => r.project === project.path);
      const data = new DataGitlabProject(this, `project-${project.name}`, { pathWithNamespace: project.path });
      projects.set(project.path, data);
      const branches = refs.filter((r) => r.refType === "branch");
      const tags = refs.filter((r) => r.refType === "tag");
      const projectChecks: { condition: string; errorMessage: string }[] = [];
      if (props.checkSubClaimComponents ?? true) {
        const actual = `try(join(",", self.ci_id_token_sub_claim_components), "")`;
        projectChecks.push({
          condition: isDefault ? `contains(["", ${hcl(components)}], ${actual})` : `${actual} == ${hcl(components)}`,
          errorMessage:
            `Project ${project.path} issues ID tokens whose sub claim components differ from ${components}, which the platform's CI roles trust: ` +
            `set its ci_id_token_sub_claim_components to ${components} (PUT /projects/:id), or configure identity.subClaimComponents to match.`,
        });
      }
      if ((props.checkMergedResultsPipelines ?? true) && branches.length > 0) {
        const names = branches.map((r) => r.ref).join(", ");
        projectChecks.push({
          condition: mergedResultsCondition(),
          errorMessage:
            `Project ${project.path} has merged results pipelines or merge trains enabled: a merged-results pipeline of a merge request whose source branch is ${names} runs the target branch's CI configuration with the sub claim of ${names}, which the platform's protected CI roles trust, so any Developer who opens such a merge request into a branch of theirs assumes them. ` +
            `Turn off "Enable merged results pipelines" and "Enable merge trains" (Settings > Merge requests; API: PUT /projects/:id merge_pipelines_enabled=false merge_trains_enabled=false).`,
        });
      }
      if (projectChecks.length > 0) postconditions(data, projectChecks);
      if ((project.mode ?? "manage") === "manage") {
        branches.forEach((ref, n) =>
          protections.push(
            new BranchProtection(this, `branch-${project.name}-${n}`, {
              project: data.id,
              branch: ref.ref,
              pushAccessLevel: "maintainer",
              mergeAccessLevel: "maintainer",
              allowForcePush: false,
              // Roles in every environment trust this protection: removing it with one stack
              // would open them to unprotected pushes.
              lifecycle: { preventDestroy: true },
            }),
          ),
        );
        tags.forEach((ref, n) =>
          protections.push(new TagProtection(this, `tag-${project.name}-${n}`, { project: data.id, tag: ref.ref, createAccessLevel: "maintainer", lifecycle: { preventDestroy: true } })),
        );
        continue;
      }
      // Per trusted ref two postconditions: it is protected, and no rule matching it admits anyone below Maintainer.
      if (branches.length > 0) {
        const source = new DataGitlabProjectProtectedBranches(this, `protected-branches-${project.name}`, { projectId: data.id });
        postconditions(
          source,
          branches.flatMap((ref) => {
            const c = branchConditions(ref.ref);
            return [
              {
                condition: c.exists,
                errorMessage:
                  `Project ${project.path} must protect the branch ${ref.ref}: the platform's protected CI roles trust its pipelines. ` +
                  `Protect it (Settings > Repository > Protected branches, allowed to push and merge: Maintainers), or let the platform manage it (protectedRefs: manage).`,
              },
              {
                condition: c.maintainersOnly,
                errorMessage:
                  `Project ${project.path}: a protected branch rule matching ${ref.ref} lets someone below Maintainer push or merge (a Developer or lower role, a named user, group or deploy key), ` +
                  `and GitLab applies the most permissive matching rule, while the platform's protected CI roles trust every pipeline of ${ref.ref}. ` +
                  `Set allowed to push and merge to Maintainers (or No one) on every rule matching ${ref.ref}, or let the platform manage it (protectedRefs: manage).`,
              },
            ];
          }),
        );
        checks.push(source);
      }
      if (tags.length > 0) {
        const source = new DataGitlabProjectProtectedTags(this, `protected-tags-${project.name}`, { project: data.id });
        postconditions(
          source,
          tags.flatMap((ref) => {
            const c = tagConditions(ref.ref);
            return [
              {
                condition: c.exists,
                errorMessage:
                  `Project ${project.path} must protect the tags ${ref.ref}: the platform's protected CI roles trust their pipelines. ` +
                  `Protect them (Settings > Repository > Protected tags, allowed to create: Maintainers), or let the platform manage them (protectedRefs: manage).`,
              },
              {
                condition: c.maintainersOnly,
                errorMessage:
                  `Project ${project.path}: a protected tag rule matching ${ref.ref} lets someone below Maintainer create such tags (a Developer or lower role, a named user or group), ` +
                  `while the platform's protected CI roles trust their pipelines. ` +
                  `Set allowed to create to Maintainers (or No one) on every rule matching ${ref.ref}, or let the platform manage them (protectedRefs: manage).`,
              },
            ];
          }),
        );
        checks.push(source);
      }
    }
    this.protections = protections;
    this.checks = checks;
    this.projects = projects;
  }
}
