import { DataGitlabGroup } from "@cdktf/provider-gitlab/lib/data-gitlab-group";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformResource, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { check } from "../lib/core/errors";
import { gitLabHostOf } from "../lib/core/gitlab-url";
import { CiTemplatesProject } from "../lib/gitlab/ci-templates-project";
import { type CiVariableOptions, CiVariables } from "../lib/gitlab/ci-variable";
import { DOCKER_AUTH_CONFIG } from "../lib/gitlab/docker-auth-config";
import { protectCreatedBranch } from "../lib/gitlab/default-branch-protection";
import { ProtectedContainerRepositories, protectedRegistryRepositoriesOf } from "../lib/gitlab/gitlab-registry";
import { GitLabVersionCheck } from "../lib/gitlab/gitlab-version-check";
import { type CiTemplate } from "../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../lib/gitlab/platform-templates";
import { distinctRefs, ProtectedRefs, type ProtectedRefsProject } from "../lib/gitlab/protected-refs";
import { ToolboxImageProject } from "../lib/gitlab/toolbox-project";
import { type ProtectedRefRequirement } from "../lib/identity/gitlab-subject";
import { tenantsOf } from "../lib/platform/tenancy";
import { type UnprotectedPullRegistry, withUnprotectedPull } from "../lib/platform/unprotected-pull";
import { TagScheme } from "../lib/registry/tag-scheme";
import { type EnvironmentConfig, type PlatformConfig } from "./platform-config";
import { toolboxDeclarerOf } from "./gitlab-instance";
import { versionCheckOf } from "./gitlab-version-config";
import { deployTemplateOf } from "./promotion";

/** The tenants' trusted refs on one instance, protected by its shared stack. */
export interface SharedProtectedRefs {
  /** Every project whose refs the stack protects (`manage` tenants of every environment on the instance). */
  readonly projects: readonly ProtectedRefsProject[];
  /** Every ref any environment's CI roles trust in those projects (repeats allowed: each is protected once). */
  readonly refs: readonly ProtectedRefRequirement[];
}

/** The GitLab pieces every environment on one instance shares: what moves out of the environment stacks. */
export interface SharedGitLabPieces {
  /**
   * The instance URL.
   * @default the URL of the environment declaring `ciTemplates` or `toolboxProject`
   */
  readonly gitlabUrl?: string;
  /** The environment whose `gitlab.ciTemplates` publishes the templates (its tag scheme, its group). */
  readonly ciTemplates?: EnvironmentConfig;
  /** The environment whose `gitlab.toolboxProject` creates the toolbox project. */
  readonly toolboxProject?: EnvironmentConfig;
  /**
   * The protected refs: protections for what every environment's CI roles trust, so that no
   * environment's stack owns a protection another environment's roles rely on.
   * @default none
   */
  readonly protectedRefs?: SharedProtectedRefs;
  /**
   * The deploy template's environments (environments of the instance with `deploy`).
   * @default none: no deploy template
   */
  readonly deploy?: ReturnType<typeof deployTemplateOf>;
  /**
   * Skip the GitLab version check (`gitlab.skipVersionCheck` of the instance's environments).
   * @default checked
   */
  readonly skipVersionCheck?: { readonly reason: string };
  /**
   * The version check's minimum versions (`gitlab.minimumVersions` of the instance's environments).
   * @default ["18.2.2"]
   */
  readonly minimumVersions?: readonly string[];
  /**
   * Group CI/CD variables with environment scope `*`, by the environment that defines them
   * (`EnvironmentGitLabSide.groupWideVariables`): every pipeline reads them, so they live here.
   * @default none
   */
  readonly groupVariables?: readonly SharedGroupVariables[];
}

/** One environment's group-wide (`*`-scoped) group variables, created by the shared stack. */
export interface SharedGroupVariables {
  /** The environment that defines them (names the construct: `group-variables-<environment>`). */
  readonly environment: string;
  /** The group's full path. */
  readonly group: string;
  /** The variables (literal values). */
  readonly variables: readonly CiVariableOptions[];
  /**
   * Pull-only credentials of external registries (`externalRegistries[].unprotectedPull` of the
   * group's environments) added to these variables' DOCKER_AUTH_CONFIG, next to the owner's ECR
   * hosts; their sensitive Terraform variables are declared here (`TF_VAR_<passwordVariable>`).
   * @default none
   */
  readonly unprotectedPull?: { readonly ecrRegistries: readonly string[]; readonly registries: readonly UnprotectedPullRegistry[] };
}

/** The shared pieces of `gitlabUrl`: which environment declares the templates and the toolbox project. */
export function sharedGitLabPiecesOf(config: PlatformConfig, gitlabUrl: string): SharedGitLabPieces {
  const ciTemplates = config.environments.find((e) => e.gitlab.url === gitlabUrl && e.gitlab.ciTemplates);
  const toolboxProject = toolboxDeclarerOf(config, gitlabUrl);
  const deploy = deployTemplateOf(config, gitlabUrl);
  const { skip: skipVersionCheck, minimumVersions } = versionCheckOf(config, gitlabUrl);
  return {
    gitlabUrl,
    ...(ciTemplates ? { ciTemplates } : {}),
    ...(toolboxProject ? { toolboxProject } : {}),
    ...(deploy ? { deploy } : {}),
    ...(skipVersionCheck ? { skipVersionCheck } : {}),
    ...(minimumVersions ? { minimumVersions } : {}),
  };
}

/**
 * The projects whose protected refs the shared stack of `gitlabUrl` manages:
 * every tenant with `protectedRefs: "manage"` of every environment on the
 * instance, once per path (the first environment's tenant name names its
 * construct ids).
 * @throws ValidationError when environments disagree on a project's mode, or two projects share a tenant name
 */
export function sharedProtectedProjects(config: PlatformConfig, gitlabUrl: string): ProtectedRefsProject[] {
  const projects = new Map<string, ProtectedRefsProject & { readonly configPath: string }>();
  const names = new Map<string, string>();
  config.environments.forEach((env, i) => {
    if (env.gitlab.url !== gitlabUrl) return;
    for (const tenant of tenantsOf(env, `config/environments[${i}]`)) {
      const seen = projects.get(tenant.path);
      if (seen) {
        check(seen.mode === tenant.protectedRefs, {
          path: `${tenant.configPath}/protectedRefs`,
          subject: "protectedRefs",
          value: tenant.protectedRefs,
          rule: `a project has one set of protected refs on its instance, and ${seen.configPath} says "${seen.mode}" for ${tenant.path}`,
          fix: `give ${tenant.path} the same protectedRefs in every environment`,
        });
        continue;
      }
      const owner = names.get(tenant.name);
      check(owner === undefined, {
        path: `${tenant.configPath}/name`,
        subject: "tenant name",
        value: tenant.name,
        rule: `tenant names name the protections in the instance's shared stack, and ${owner} already uses it`,
        fix: `give ${tenant.path} a name of its own (gitlab.projects[].name)`,
      });
      names.set(tenant.name, tenant.path);
      projects.set(tenant.path, { path: tenant.path, name: tenant.name, mode: tenant.protectedRefs, configPath: tenant.configPath });
    }
  });
  return [...projects.values()].filter((p) => p.mode === "manage").map(({ path, name, mode }) => ({ path, name, ...(mode ? { mode } : {}) }));
}

/**
 * Whether the environment defines group variables with environment scope `*`: all of them
 * without `gitlab.variables.environmentScope` (or with `*`), and the buildpack and Auto
 * DevOps variables always (`platformVariables`: Auto DevOps' build job has no environment).
 */
export function hasGroupWideVariables(env: EnvironmentConfig): boolean {
  // Non-empty buildpack variables only, as the ownership rule (stacks/config.ts) and platformVariables read them.
  return (env.gitlab.variables?.environmentScope ?? "*") === "*" || Object.keys(env.gitlab.buildpackVariables ?? {}).length > 0 || env.gitlab.autoDevOps === true;
}

/**
 * Whether the environment puts pieces into its GitLab instance's shared stack: CI templates, a
 * toolbox project, tenants whose protected refs the platform manages, or group-wide variables.
 */
export function needsSharedGitLabStack(e: EnvironmentConfig): boolean {
  return Boolean(e.gitlab.ciTemplates || e.gitlab.toolboxProject || tenantsOf(e).some((t) => t.protectedRefs === "manage") || hasGroupWideVariables(e));
}

/** GitLab instances with shared pieces or tenants whose refs need protections, in configuration order. */
export function sharedGitLabUrls(config: PlatformConfig): string[] {
  return [...new Set(config.environments.filter(needsSharedGitLabStack).map((e) => e.gitlab.url))];
}

/**
 * Name of the shared GitLab stack of `gitlabUrl`: `gitlab-shared` when one
 * instance has shared pieces, else `gitlab-shared-<host>` (dots become `-`).
 */
export function gitLabSharedStackName(config: PlatformConfig, gitlabUrl: string): string {
  return gitLabSharedStackNameAmong(sharedGitLabUrls(config), gitlabUrl);
}

/**
 * {@link gitLabSharedStackName} given the instances with shared stacks (`sharedUrls`, as
 * {@link sharedGitLabUrls} lists them), so that a caller can compute that list once.
 */
export function gitLabSharedStackNameAmong(sharedUrls: readonly string[], gitlabUrl: string): string {
  return sharedUrls.length <= 1 ? "gitlab-shared" : `gitlab-shared-${gitLabHostOf(gitlabUrl).replace(/[^a-z0-9-]/gi, "-").toLowerCase()}`;
}

/** The last segment of a project path. */
const lastSegment = (projectPath: string): string => projectPath.slice(projectPath.lastIndexOf("/") + 1);

/**
 * What every environment on one GitLab instance shares and no environment
 * may take down with it: the protected refs every environment's CI roles
 * trust, the published CI templates project (production pipelines include
 * its files) and the toolbox image project. Templates and toolbox are
 * declared on the environment that owns them (`gitlab.ciTemplates`,
 * `gitlab.toolboxProject`) but live here, in a stack of their own that
 * outlives every environment: `cdktf destroy dev` leaves them alone, and every
 * resource here has `lifecycle { prevent_destroy = true }`, so Terraform
 * refuses any plan that would delete them (remove the flag in a reviewed
 * change first). Group CI/CD variables with environment scope `*` (registry host,
 * region, runner tags of unprotected jobs, `DOCKER_AUTH_CONFIG`, mirror prefixes,
 * buildpack variables) live here too (`group-variables-<environment>`): every
 * pipeline reads them, whichever environment it deploys to. Their DOCKER_AUTH_CONFIG also holds
 * the group's pull-only credentials of external registries (`unprotectedPull`), whose sensitive
 * Terraform variables this stack declares. Scoped group variables
 * and the tenants' project variables stay in the environment stacks.
 *
 * Protected refs: one `ProtectedRefs` (construct id `protected-refs`) for the
 * union of the refs every environment's roles trust, in the `manage` projects
 * ({@link sharedProtectedProjects}); a ref two environments trust is one
 * protection. The environment stacks create none: they check at plan time
 * that the refs their roles trust are protected by Maintainers only, so deploy
 * this stack before them (the app makes every environment stack depend on it).
 * When the templates are published, every `manage` project also gets protected
 * container repositories (`registry-<tenant>`, {@link ProtectedContainerRepositories})
 * for the repositories the GitLab-registry template's protected pipelines push
 * (`$CI_REGISTRY_IMAGE/<image>`): pushes by Maintainers and above only
 * (GitLab 17.8 or later).
 *
 * Default branches of the platform's own projects: every protected pipeline
 * includes the templates project's files and runs the toolbox image, so their
 * default branches are protected like the tenants' (push and merge:
 * Maintainers): the templates project's by {@link CiTemplatesProject} (a
 * protection when created here, a plan-time check for `create: false`), the
 * toolbox project's here (`toolbox-branch-protection`) unless it is a managed
 * tenant whose trusted refs already protect it.
 *
 * GitLab version: a plan-time check (`gitlab-version`, {@link GitLabVersionCheck}) that the
 * instance runs GitLab 18.2.2 or later, unless every environment on it skips it with a reason.
 *
 * Construct ids: `gitlab` (provider), `gitlab-group` (data source), `gitlab-version`,
 * `ci-templates`, `toolbox-project` (the ids the environment stack used),
 * `protected-refs`, `toolbox-branch-protection`, `registry-<tenant>`, `group-variables-<environment>`.
 * Needs only a GitLab token (`GITLAB_TOKEN`), no AWS credentials.
 */
export class GitLabSharedStack extends TerraformStack {
  /** The published CI templates, when an environment on this instance declares them. */
  public readonly templates?: CiTemplatesProject;
  /** The toolbox image project, when an environment on this instance declares it. */
  public readonly toolbox?: ToolboxImageProject;
  /** The protections of every environment's trusted refs, when a project's refs are managed here. */
  public readonly protectedRefs?: ProtectedRefs;
  /** The GitLab-registry template's protected repositories, per tenant name (with the published templates). */
  public readonly protectedContainerRepositories: ReadonlyMap<string, ProtectedContainerRepositories>;

  /**
   * @param scope the app
   * @param id stack name ({@link gitLabSharedStackName})
   * @param pieces the environments that declare the templates and the toolbox project, and the protected refs, all on one instance
   */
  public constructor(scope: Construct, id: string, pieces: SharedGitLabPieces) {
    super(scope, id);
    const url = pieces.gitlabUrl ?? (pieces.ciTemplates ?? pieces.toolboxProject)?.gitlab.url;
    if (!url) throw new RangeError(`${id}: a shared GitLab stack needs gitlabUrl or an environment that declares ciTemplates or toolboxProject`);
    new GitlabProvider(this, "gitlab", { baseUrl: `${url}/api/v4/` });
    // Fork merge-request pipelines carry the fork's project_path only from GitLab 18.2.2: checked at plan time.
    new GitLabVersionCheck(this, "gitlab-version", {
      gitlabUrl: url,
      ...(pieces.skipVersionCheck ? { skip: pieces.skipVersionCheck } : {}),
      ...(pieces.minimumVersions ? { minimumVersions: pieces.minimumVersions } : {}),
    });
    const groups = new Map<string, DataGitlabGroup>();
    const groupOf = (path: string): DataGitlabGroup => {
      const id = groups.size === 0 ? "gitlab-group" : `gitlab-group-${path.replace(/\//g, "-")}`;
      const group = groups.get(path) ?? new DataGitlabGroup(this, id, { fullPath: path });
      groups.set(path, group);
      return group;
    };

    const templatesEnv = pieces.ciTemplates;
    const templatesConfig = templatesEnv?.gitlab.ciTemplates;
    let published: CiTemplate[] = [];
    if (templatesEnv && templatesConfig) {
      const scheme = new TagScheme(this, "ci-templates-tag-scheme", templatesEnv.registry.tagScheme);
      // Git tag pipelines run for the Git tags the templates environment's protected roles trust (registry/release-tags.ts).
      published = platformCiTemplates(`${this.node.path}/ci-templates`, scheme, pieces.deploy, templatesEnv.identity?.releaseTags);
      this.templates = new CiTemplatesProject(this, "ci-templates", {
        project:
          templatesConfig.create === false
            ? { existingPath: templatesConfig.project }
            : { namespaceId: groupOf(templatesEnv.gitlab.group).groupId, path: lastSegment(templatesConfig.project) },
        templates: published,
      });
    }
    const toolboxEnv = pieces.toolboxProject;
    const toolboxConfig = toolboxEnv?.gitlab.toolboxProject;
    if (toolboxEnv && toolboxConfig) {
      this.toolbox = new ToolboxImageProject(this, "toolbox-project", {
        namespaceId: groupOf(toolboxEnv.gitlab.group).groupId,
        path: lastSegment(toolboxConfig.path),
        tagScheme: new TagScheme(this, "toolbox-tag-scheme", toolboxEnv.registry.tagScheme),
        ...(toolboxConfig.dockerfile ? { dockerfile: toolboxConfig.dockerfile } : {}),
        // Deploy jobs run the toolbox image of their environment: the toolbox project promotes it there.
        ...(pieces.deploy ? { promoteTo: pieces.deploy.environments } : {}),
      });
    }
    const shared = pieces.protectedRefs;
    if (shared && shared.projects.length > 0) {
      const managed = new Set(shared.projects.map((p) => p.path));
      this.protectedRefs = new ProtectedRefs(this, "protected-refs", {
        projects: shared.projects,
        refs: distinctRefs(shared.refs.filter((r) => managed.has(r.project))),
        // Each environment's stack checks the sub claim components its own roles expect.
        checkSubClaimComponents: false,
        // ... and whether merged-results pipelines are off in the projects its roles trust.
        checkMergedResultsPipelines: false,
      });
    }
    // The toolbox project's default branch runs in every protected pipeline (its image): protected
    // here unless it is a managed tenant whose trusted refs (which include that branch) are.
    const toolbox = this.toolbox;
    if (toolbox && toolboxConfig) {
      const protectedAsTenant = (shared?.projects ?? []).some((p) => p.path === toolboxConfig.path && (p.mode ?? "manage") === "manage") && (shared?.refs ?? []).some((r) => r.project === toolboxConfig.path && r.refType === "branch" && r.ref === toolbox.branch);
      if (!protectedAsTenant) protectCreatedBranch(this, "toolbox-branch-protection", { project: toolbox.project.id, branch: toolbox.branch });
    }
    const registries = new Map<string, ProtectedContainerRepositories>();
    const registryRepositories = published.flatMap(protectedRegistryRepositoriesOf);
    if (this.protectedRefs && registryRepositories.length > 0) {
      for (const project of shared!.projects) {
        registries.set(
          project.name,
          new ProtectedContainerRepositories(this, `registry-${project.name}`, {
            projectPath: project.path,
            project: this.protectedRefs.projects.get(project.path)!.id,
            repositories: [...new Set(registryRepositories)],
          }),
        );
      }
    }
    this.protectedContainerRepositories = registries;
    // Group-wide variables every pipeline reads: here, so that destroying an environment keeps them.
    for (const shared of pieces.groupVariables ?? []) {
      const pull = shared.unprotectedPull;
      const variables =
        pull && pull.registries.length > 0
          ? shared.variables.map((v) => (v.key === DOCKER_AUTH_CONFIG ? withUnprotectedPull(this, `docker-auth-config-${shared.environment}`, pull.ecrRegistries, pull.registries, v) : v))
          : shared.variables;
      if (variables.length > 0) new CiVariables(this, `group-variables-${shared.environment}`, { target: { group: shared.group }, variables });
    }
    // prevent_destroy on every resource (data sources are not resources), set here, where the
    // stack is built (the rule pack reads the stack after every aspect, so it would see an
    // aspect's change too).
    for (const node of this.node.findAll()) {
      if (node instanceof TerraformResource) node.lifecycle = { ...node.lifecycle, preventDestroy: true };
    }
  }
}

/** The environment as its own stack sees it: the shared pieces belong to the shared stack. */
export function withoutSharedGitLabPieces(env: EnvironmentConfig): EnvironmentConfig {
  if (!env.gitlab.ciTemplates && !env.gitlab.toolboxProject) return env;
  const { ciTemplates: _templates, toolboxProject: _toolbox, ...gitlab } = env.gitlab;
  return { ...env, gitlab };
}
