import { DataGitlabGroup } from "@cdktf/provider-gitlab/lib/data-gitlab-group";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformResource, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { gitLabHostOf } from "../lib/core/gitlab-url";
import { CiTemplatesProject } from "../lib/gitlab/ci-templates-project";
import { platformCiTemplates } from "../lib/gitlab/platform-templates";
import { ToolboxImageProject } from "../lib/gitlab/toolbox-project";
import { TagScheme } from "../lib/registry/tag-scheme";
import { type EnvironmentConfig, type PlatformConfig } from "./config";

/** The GitLab pieces every environment on one instance shares: what moves out of the environment stacks. */
export interface SharedGitLabPieces {
  /** The environment whose `gitlab.ciTemplates` publishes the templates (its tag scheme, its group). */
  readonly ciTemplates?: EnvironmentConfig;
  /** The environment whose `gitlab.toolboxProject` creates the toolbox project. */
  readonly toolboxProject?: EnvironmentConfig;
}

/** The shared pieces of `gitlabUrl`: which environment declares the templates and the toolbox project. */
export function sharedGitLabPiecesOf(config: PlatformConfig, gitlabUrl: string): SharedGitLabPieces {
  const on = config.environments.filter((e) => e.gitlab.url === gitlabUrl);
  const ciTemplates = on.find((e) => e.gitlab.ciTemplates);
  const toolboxProject = on.find((e) => e.gitlab.toolboxProject);
  return { ...(ciTemplates ? { ciTemplates } : {}), ...(toolboxProject ? { toolboxProject } : {}) };
}

/** GitLab instances whose environments declare shared pieces, in configuration order. */
export function sharedGitLabUrls(config: PlatformConfig): string[] {
  return [...new Set(config.environments.filter((e) => e.gitlab.ciTemplates || e.gitlab.toolboxProject).map((e) => e.gitlab.url))];
}

/**
 * Name of the shared GitLab stack of `gitlabUrl`: `gitlab-shared` when one
 * instance has shared pieces, else `gitlab-shared-<host>` (dots become `-`).
 */
export function gitLabSharedStackName(config: PlatformConfig, gitlabUrl: string): string {
  return sharedGitLabUrls(config).length <= 1 ? "gitlab-shared" : `gitlab-shared-${gitLabHostOf(gitlabUrl).replace(/[^a-z0-9-]/gi, "-").toLowerCase()}`;
}

/** The last segment of a project path. */
const lastSegment = (projectPath: string): string => projectPath.slice(projectPath.lastIndexOf("/") + 1);

/**
 * What every environment on one GitLab instance shares and no environment
 * may take down with it: the published CI templates project (production
 * pipelines include its files) and the toolbox image project. They are
 * declared on the environment that owns them (`gitlab.ciTemplates`,
 * `gitlab.toolboxProject`) but live here, in a stack of their own that
 * outlives every environment: `cdktf destroy dev` leaves them alone, and every
 * resource here has `lifecycle { prevent_destroy = true }`, so Terraform
 * refuses any plan that would delete them (remove the flag in a reviewed
 * change first). Group CI/CD variables stay in the environment stacks: each
 * environment's variables name its own roles, registry and scope.
 *
 * Construct ids: `gitlab` (provider), `gitlab-group` (data source),
 * `ci-templates`, `toolbox-project` (the ids the environment stack used).
 * Needs only a GitLab token (`GITLAB_TOKEN`), no AWS credentials.
 */
export class GitLabSharedStack extends TerraformStack {
  /** The published CI templates, when an environment on this instance declares them. */
  public readonly templates?: CiTemplatesProject;
  /** The toolbox image project, when an environment on this instance declares it. */
  public readonly toolbox?: ToolboxImageProject;

  /**
   * @param scope the app
   * @param id stack name ({@link gitLabSharedStackName})
   * @param pieces the environments that declare the templates and the toolbox project, all on one instance
   */
  public constructor(scope: Construct, id: string, pieces: SharedGitLabPieces) {
    super(scope, id);
    const owner = pieces.ciTemplates ?? pieces.toolboxProject;
    if (!owner) throw new RangeError(`${id}: a shared GitLab stack needs an environment that declares ciTemplates or toolboxProject`);
    new GitlabProvider(this, "gitlab", { baseUrl: `${owner.gitlab.url}/api/v4/` });
    const groups = new Map<string, DataGitlabGroup>();
    const groupOf = (path: string): DataGitlabGroup => {
      const id = groups.size === 0 ? "gitlab-group" : `gitlab-group-${path.replace(/\//g, "-")}`;
      const group = groups.get(path) ?? new DataGitlabGroup(this, id, { fullPath: path });
      groups.set(path, group);
      return group;
    };

    const templatesEnv = pieces.ciTemplates;
    const templatesConfig = templatesEnv?.gitlab.ciTemplates;
    if (templatesEnv && templatesConfig) {
      const scheme = new TagScheme(this, "ci-templates-tag-scheme", templatesEnv.registry.tagScheme);
      this.templates = new CiTemplatesProject(this, "ci-templates", {
        project:
          templatesConfig.create === false
            ? { existingPath: templatesConfig.project }
            : { namespaceId: groupOf(templatesEnv.gitlab.group).groupId, path: lastSegment(templatesConfig.project) },
        templates: platformCiTemplates(`${this.node.path}/ci-templates`, scheme),
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
      });
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
