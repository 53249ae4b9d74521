import { DataGitlabGroup } from "@cdktf/provider-gitlab/lib/data-gitlab-group";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformVariable } from "cdktf";
import { type Construct } from "constructs";
import { CiTemplatesProject } from "../lib/gitlab/ci-templates-project";
import { CiVariables } from "../lib/gitlab/ci-variable";
import { DockerAuthConfig } from "../lib/gitlab/docker-auth-config";
import { ExistingRunnerTokenParameter } from "../lib/gitlab/existing-runner-token";
import { RegistryDeployToken } from "../lib/gitlab/gitlab-registry";
import { platformCiTemplates } from "../lib/gitlab/platform-templates";
import { platformVariables } from "../lib/gitlab/platform-variables";
import { type CiAwsAccess } from "../lib/identity/ci-access";
import { type MirrorEndpoint } from "../lib/mirror/mirror-endpoint";
import { RunnerRegistration } from "../lib/gitlab/runner-registration";
import { type RunnerTokenSource } from "../lib/gitlab/runner-token-source";
import { ToolboxImageProject } from "../lib/gitlab/toolbox-project";
import { type ContainerRepository } from "../lib/registry/repository";
import { type TagScheme } from "../lib/registry/tag-scheme";
import { type EnvironmentConfig, imageRolesOf, type PlatformConfig, runnersOf } from "./config";

/** What the GitLab side of an environment stack exposes. */
export interface GitLabSide {
  /** Runner token sources by runner name (consumed by the runner fleets). */
  readonly runnerTokens: ReadonlyMap<string, RunnerTokenSource>;
  /** The group CI/CD variables. */
  readonly variables: CiVariables;
  /** OIDC access the variables point jobs at. */
  readonly ciAwsAccess: CiAwsAccess;
  /**
   * The published templates.
   * @default none, unless the environment configures `gitlab.ciTemplates`
   */
  readonly templates?: CiTemplatesProject;
  /**
   * The toolbox project.
   * @default none, unless the environment configures `gitlab.toolboxProject`
   */
  readonly toolbox?: ToolboxImageProject;
}

/** The last segment of a project path. */
const lastSegment = (projectPath: string): string => projectPath.slice(projectPath.lastIndexOf("/") + 1);

/**
 * Adds the GitLab side to an environment stack: the GitLab provider (base URL
 * from the config; the token from the `GITLAB_TOKEN` environment variable,
 * read by the provider and never written into the configuration), runner
 * registrations, group variables (platform variables and
 * DOCKER_AUTH_CONFIG), and, where configured, the published CI templates and
 * the toolbox project.
 */
export function addGitLabSide(
  stack: Construct,
  platform: PlatformConfig,
  env: EnvironmentConfig,
  registry: { readonly tagScheme: TagScheme; readonly repositories: ReadonlyMap<string, ContainerRepository> },
  identity: { readonly build: { readonly ciAccess: CiAwsAccess }; readonly buildMergeRequest: { readonly ciAccess: CiAwsAccess } },
  mirror?: MirrorEndpoint,
): GitLabSide {
  const gitlab = env.gitlab;
  new GitlabProvider(stack, "gitlab", { baseUrl: `${gitlab.url}/api/v4/` });
  const group = new DataGitlabGroup(stack, "gitlab-group", { fullPath: gitlab.group });

  const runnerTokens = new Map<string, RunnerTokenSource>();
  for (const runner of runnersOf(platform, env)) {
    const parameterName = runner.existingTokenParameter ?? `/${platform.project}/${env.name}/runner/${runner.name}/token`;
    runnerTokens.set(
      runner.name,
      runner.existingTokenParameter
        ? new ExistingRunnerTokenParameter(`${stack.node.path}/runner-${runner.name}`, { parameterName, accountId: env.accountId, region: env.region })
        : new RunnerRegistration(stack, `runner-${runner.name}`, {
            scope: { type: "group", groupId: group.groupId },
            description: `${platform.project} ${env.name} ${runner.name}`,
            tags: runner.tags ?? [],
            untagged: runner.untagged ?? false,
            protectedRefsOnly: runner.protectedRefsOnly ?? false,
            maximumTimeoutSeconds: runner.maximumTimeoutSeconds ?? 3600,
            parameterName,
          }),
    );
  }

  const ciAwsAccess = identity.build.ciAccess;
  const images = Object.fromEntries(Object.entries(imageRolesOf(env)).map(([role, id]) => [role, registry.repositories.get(id)!]));
  const registryHost = [...registry.repositories.values()][0]?.registryHost;
  const scope = gitlab.variables?.environmentScope ?? "*";
  const isProtected = gitlab.variables?.protected ?? env.production ?? false;

  const dockerAuth = new DockerAuthConfig(`${stack.node.path}/docker-auth-config`, {
    ecrRegistries: registryHost ? [registryHost] : [],
    staticCredentials: (gitlab.externalRegistries ?? []).map((ext) => ({
      registry: ext.registry,
      username: ext.username,
      password: new TerraformVariable(stack, ext.passwordVariable, { type: "string", sensitive: true, description: `Password of ${ext.username} at ${ext.registry} (DOCKER_AUTH_CONFIG)` }).stringValue,
    })),
    deployTokens: gitlab.containerRegistryHost
      ? [new RegistryDeployToken(stack, "registry-pull-token", { target: { group: gitlab.group }, name: `${platform.project}-${env.name}-ci-pull`, registryHost: gitlab.containerRegistryHost })]
      : [],
  });
  const variables = new CiVariables(stack, "group-variables", {
    target: { group: gitlab.group },
    variables: [
      ...(registryHost ? platformVariables(`${stack.node.path}/group-variables`, {
            aws: ciAwsAccess,
            branchAws: identity.buildMergeRequest.ciAccess,
            registryHost,
            images,
            environmentScope: scope,
            protected: isProtected,
            ...(mirror ? { mirror } : {}),
            ...(gitlab.rawProxyVariables ? { rawProxyVariables: gitlab.rawProxyVariables } : {}),
            ...(gitlab.autoDevOps ? { autoDevOps: true } : {}),
          }) : []),
      dockerAuth.toVariable({ protected: isProtected, environmentScope: scope }),
    ],
  });

  const templatesConfig = gitlab.ciTemplates;
  const templates = templatesConfig
    ? new CiTemplatesProject(stack, "ci-templates", {
        project: templatesConfig.create === false ? { existingPath: templatesConfig.project } : { namespaceId: group.groupId, path: lastSegment(templatesConfig.project) },
        templates: platformCiTemplates(`${stack.node.path}/ci-templates`, registry.tagScheme),
      })
    : undefined;
  const toolbox = gitlab.toolboxProject
    ? new ToolboxImageProject(stack, "toolbox-project", {
        namespaceId: group.groupId,
        path: lastSegment(gitlab.toolboxProject.path),
        tagScheme: registry.tagScheme,
        ...(gitlab.toolboxProject.dockerfile ? { dockerfile: gitlab.toolboxProject.dockerfile } : {}),
      })
    : undefined;
  return { runnerTokens, variables, ciAwsAccess, ...(templates ? { templates } : {}), ...(toolbox ? { toolbox } : {}) };
}
