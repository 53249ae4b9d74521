import { type BranchProtection } from "@cdktf/provider-gitlab/lib/branch-protection";
import { Project, type ProjectConfig } from "@cdktf/provider-gitlab/lib/project";
import { RepositoryFile } from "@cdktf/provider-gitlab/lib/repository-file";
import { Construct } from "constructs";
import { check } from "../core/errors";
import { escapeTerraformTemplate } from "../core/terraform-text";
import { type CiJob, renderCiYaml } from "./ci-yaml";
import { checkExistingBranch, protectCreatedBranch } from "./default-branch-protection";
import { type CiTemplate } from "./image-reuse-template";
import { type ProtectedRefs } from "./protected-refs";

/** A project's `include:` of a template: from the templates project, or a local file (tests). */
export type TemplateInclude = { readonly project: string; readonly file: string; readonly ref?: string } | { readonly local: string };

/** Props of {@link projectCiFile}. */
export interface ProjectCiFileProps {
  /** Where the template comes from. */
  readonly include: TemplateInclude;
  /** The project's own jobs, e.g. tests that `extends: .in-ci-image`. */
  readonly jobs: Readonly<Record<string, CiJob>>;
}

/** A project's `.gitlab-ci.yml` that includes a template and adds its own jobs. */
export function projectCiFile(props: ProjectCiFileProps): string {
  return renderCiYaml({ include: [props.include], jobs: props.jobs });
}

/**
 * The worked example's own jobs: tests that run inside the CI image built by the template; the
 * dependency install uses the template's npm cache (`.platform-cache-npm`: npm's download cache
 * in the runner's S3 cache, keyed on package-lock.json, per trust level).
 */
export const EXAMPLE_PROJECT_JOBS: Readonly<Record<string, CiJob>> = {
  "unit-tests": { extends: [".in-ci-image", ".platform-cache-npm"], stage: "test", script: ["npm ci --prefer-offline", "npm test"] },
  lint: { extends: ".in-ci-image", stage: "test", script: ["npm run lint"] },
};

/** An existing templates project, or one to create. */
export type TemplatesProjectRef =
  | { readonly existingPath: string }
  | {
      /** Numeric id of the group to create the project in (tokens fine, e.g. a `data.gitlab_group`'s `groupId`). */
      readonly namespaceId: number;
      /** Project path (last URL segment), e.g. `ci-templates`. */
      readonly path: string;
      /**
       * Visibility: members of the including projects need read access.
       * @default "private" (group members inherit access)
       */
      readonly visibility?: "private" | "internal" | "public";
    };

/** Props of {@link CiTemplatesProject}. */
export interface CiTemplatesProjectProps {
  /** The project that holds the templates. */
  readonly project: TemplatesProjectRef;
  /** The templates to publish. */
  readonly templates: readonly CiTemplate[];
  /**
   * Branch the files are committed to (projects include from it).
   * @default "main"
   */
  readonly branch?: string;
  /**
   * Directory inside the project, e.g. `templates` (no leading or trailing `/`).
   * @default "" (the root)
   */
  readonly directory?: string;
  /**
   * Protect `branch`: every protected pipeline that includes a template runs what is on it,
   * so pushing it must take what pushing a protected branch takes. A created project gets a
   * `gitlab_branch_protection` (push and merge: Maintainers, no force push, `prevent_destroy`);
   * an existing project gets a plan-time check that fails unless the branch is protected for
   * Maintainers (or No one) only. Turn off only where the same branch is protected by other
   * code of this app.
   * @default true
   */
  readonly protectBranch?: boolean;
}

/**
 * Publishes generated CI templates into a GitLab project with
 * `gitlab_repository_file`, so projects `include:` them. Creates the project
 * (private, initialized, so the branch exists) or uses an existing one.
 * Generated files overwrite what is at their path (`overwrite_on_create`).
 * The branch is protected (`protectBranch`): created, or checked at plan time
 * for an existing project; the token Terraform uses must be a Maintainer to commit.
 *
 * Construct ids: `project` (when created), `branch-protection` (created project) or
 * `branch-check` (existing project), `file-<template file name>` per template.
 */
export class CiTemplatesProject extends Construct {
  /** The created project, if any. */
  public readonly project?: Project;
  /** Project id or full path, for `project:` arguments. */
  public readonly projectRef: string;
  /** The file resources by path. */
  public readonly files: ReadonlyMap<string, RepositoryFile>;
  /** The branch the files are on. */
  public readonly branch: string;
  /** The branch's protection, for a created project (unless `protectBranch` is false). */
  public readonly branchProtection?: BranchProtection;
  /** The plan-time check of the branch's protection, for an existing project (unless `protectBranch` is false). */
  public readonly branchCheck?: ProtectedRefs;

  public constructor(scope: Construct, id: string, props: CiTemplatesProjectProps) {
    super(scope, id);
    this.branch = props.branch ?? "main";
    const ref = props.project;
    const protect = props.protectBranch ?? true;
    if ("existingPath" in ref) {
      this.projectRef = ref.existingPath;
      if (protect) this.branchCheck = checkExistingBranch(this, "branch-check", { projectPath: ref.existingPath, name: "ci-templates", branch: this.branch });
    } else {
      this.project = managedProject(this, "project", {
        path: ref.path,
        namespaceId: ref.namespaceId,
        description: "Generated GitLab CI templates of the platform (managed by Terraform: do not edit by hand)",
        visibilityLevel: ref.visibility ?? "private",
        defaultBranch: this.branch,
      });
      this.projectRef = this.project.id;
      if (protect) this.branchProtection = protectCreatedBranch(this, "branch-protection", { project: this.project.id, branch: this.branch });
    }
    const directory = props.directory ?? "";
    check(directory === "" || /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/.test(directory), {
      path: this.node.path,
      subject: "directory",
      value: directory,
      rule: "a directory inside the repository: segments of letters, digits, '_', '.', '-' separated by '/', no leading or trailing '/'",
      fix: 'use e.g. "templates", or "" for the root',
    });
    const files = new Map<string, RepositoryFile>();
    props.templates.forEach((template, i) => {
      const filePath = directory ? `${directory}/${template.fileName}` : template.fileName;
      check(!files.has(filePath), {
        path: `${this.node.path}/templates[${i}]`,
        subject: "template file name",
        value: filePath,
        rule: "each template needs its own file",
        fix: "give the templates different `fileName`s",
      });
      files.set(filePath, publishFile(this, `file-${template.fileName}`, { project: this.projectRef, branch: this.branch, filePath, content: template.content }));
    });
    this.files = files;
  }
}

/**
 * A project whose files Terraform commits: named after its path and
 * initialized with a README, so its default branch exists for `gitlab_repository_file`.
 * Nobody may run its pipelines with pipeline variables (`ci_pipeline_variables_minimum_override_role
 * = "no_one_allowed"`, GitLab 17.1+; GitLab's own default is `developer` or `maintainer` on
 * self-managed, `no_one_allowed` only for new namespaces on GitLab.com: GitLab docs, "Restrict
 * pipeline variables"), since a pipeline variable overrides every variable of a job, predefined
 * ones included; the toolbox project's protected jobs need none. `config` may set another role.
 * Merged results pipelines and merge trains (GitLab Premium) are off (`merge_pipelines_enabled`,
 * `merge_trains_enabled` false; provider-gitlab 15.6.2 `project`): a merged-results pipeline of a
 * merge request from the protected default branch runs the target branch's CI file with the default
 * branch's `sub` claim, which the protected CI roles of a project that is also a tenant (the toolbox
 * project) trust. The provider sends them on update only (a new project has both off), so a later
 * change in the UI shows as drift and the next apply turns them off again.
 */
export function managedProject(
  scope: Construct,
  id: string,
  config: Required<Pick<ProjectConfig, "path" | "namespaceId" | "description" | "visibilityLevel" | "defaultBranch">> & Partial<ProjectConfig>,
): Project {
  return new Project(scope, id, {
    name: config.path,
    initializeWithReadme: true,
    ciPipelineVariablesMinimumOverrideRole: "no_one_allowed",
    mergePipelinesEnabled: false,
    mergeTrainsEnabled: false,
    ...config,
  });
}

/**
 * Commits one generated file (text encoding, overwriting on create). Terraform reads every string of
 * its JSON configuration as a template, so the content's `${`/`%{` (GitLab's `${CI_COMMIT_SHA}`,
 * shell's `${_host%%.*}`) are escaped (`escapeTerraformTemplate`): unescaped, the plan fails ("A
 * reference to a resource type must be followed by at least one attribute access") or substitutes.
 */
export function publishFile(scope: Construct, id: string, file: { project: string; branch: string; filePath: string; content: string }): RepositoryFile {
  return new RepositoryFile(scope, id, {
    project: file.project,
    branch: file.branch,
    filePath: file.filePath,
    content: escapeTerraformTemplate(file.content),
    encoding: "text",
    overwriteOnCreate: true,
    commitMessage: `Update ${file.filePath} (generated by gitlab-ci-platform)`,
  });
}
