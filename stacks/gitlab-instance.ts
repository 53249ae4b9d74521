import { type EnvironmentConfig, type PlatformConfig } from "./platform-config";

/*
 * What the environments of one GitLab instance share, read from the configuration once for every
 * stack that needs it (the instance's shared GitLab stack, the environment stacks, the deploy
 * template).
 */

/**
 * The environment on `gitlabUrl` that declares the toolbox project (`gitlab.toolboxProject`; the
 * configuration check allows one per instance), if any.
 */
export function toolboxDeclarerOf(config: PlatformConfig, gitlabUrl: string): EnvironmentConfig | undefined {
  return config.environments.find((e) => e.gitlab.url === gitlabUrl && e.gitlab.toolboxProject);
}

/**
 * The path of the toolbox project of `gitlabUrl` (declared by one environment on it, held by the
 * instance's shared GitLab stack), which every environment on the instance reads.
 */
export function toolboxProjectPathOf(config: PlatformConfig, gitlabUrl: string): string | undefined {
  return toolboxDeclarerOf(config, gitlabUrl)?.gitlab.toolboxProject?.path;
}
