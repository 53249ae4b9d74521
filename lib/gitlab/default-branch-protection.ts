import { BranchProtection } from "@cdktf/provider-gitlab/lib/branch-protection";
import { type Construct } from "constructs";
import { ProtectedRefs } from "./protected-refs";

/**
 * Protects the default branch of a project this app creates: a
 * `gitlab_branch_protection` with push and merge for Maintainers, no force
 * push, and `prevent_destroy`. For a project whose files every protected
 * pipeline includes or runs (the CI templates, the toolbox image), whoever
 * pushes its default branch runs code in every protected pipeline, so only
 * those who may push the tenants' protected branches may push it.
 *
 * `project` is the created `gitlab_project`'s id (a token), so the protection
 * follows the project's creation. When the group's default branch protection
 * already protected the new branch, the create fails with "already exists"
 * (gitlabhq/terraform-provider-gitlab#671): import it first
 * (`terraform import <address> <project-id>:<branch>`).
 *
 * Provider: `@cdktf/provider-gitlab` 15.6.2, `branch_protection` (`project`,
 * `branch`, `push_access_level`, `merge_access_level`, `allow_force_push`).
 */
export function protectCreatedBranch(scope: Construct, id: string, props: { readonly project: string; readonly branch: string }): BranchProtection {
  return new BranchProtection(scope, id, {
    project: props.project,
    branch: props.branch,
    pushAccessLevel: "maintainer",
    mergeAccessLevel: "maintainer",
    allowForcePush: false,
    lifecycle: { preventDestroy: true },
  });
}

/**
 * Checks at plan time that an existing project's branch is protected with
 * push and merge for Maintainers (or No one) only: a {@link ProtectedRefs} in
 * `check` mode (its data sources and postconditions), the plan failing with
 * the project, the branch and the fix.
 */
export function checkExistingBranch(scope: Construct, id: string, props: { readonly projectPath: string; readonly name: string; readonly branch: string }): ProtectedRefs {
  return new ProtectedRefs(scope, id, {
    projects: [{ path: props.projectPath, name: props.name, mode: "check" }],
    refs: [{ project: props.projectPath, refType: "branch", ref: props.branch }],
    checkSubClaimComponents: false,
    // No CI role trusts this project's refs: its merge request settings are not the platform's concern.
    checkMergedResultsPipelines: false,
  });
}
