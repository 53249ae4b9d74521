import { type DeployTemplateEnvironment } from "../lib/gitlab/deploy-template";
import { type ToolboxPromotionEnvironment } from "../lib/gitlab/deploy-toolbox";
import { deployPinsOf } from "../lib/platform/promotion-targets";
import { type PlatformPromotion } from "../lib/platform/platform";
import { deployedImageOf, deployRouteOf, promotionSourceName, recordsLastGoodDigest, rollsBack } from "../lib/platform/promotion";
import { toolboxProjectPathOf } from "./gitlab-instance";
import { type EnvironmentConfig, type PlatformConfig } from "./platform-config";

/**
 * An environment's neighbours in promotion, from the whole configuration: the environment its
 * images come from, the environments promoted from it, and the environment branches its
 * protected roles trust: its own and those of the environments downstream of it (a pipeline of
 * an environment branch builds in the environments before it and promotes through them), never
 * those of environments before it, so the `staging` branch reaches no production role.
 * Environments are matched by name (the app hands stacks copies without the shared GitLab pieces).
 */
export function promotionOf(config: PlatformConfig, env: EnvironmentConfig): PlatformPromotion {
  const sourceName = promotionSourceName(config.environments, env);
  const source = config.environments.find((e) => e.name === sourceName);
  const targets = config.environments.filter((e) => e.name !== env.name && promotionSourceName(config.environments, e) === env.name);
  const downstream = downstreamOf(config, env);
  const environmentBranches = [...new Set(downstream.filter((e) => e.gitlab.url === env.gitlab.url).flatMap((e) => (e.deploy?.branch !== undefined ? [e.deploy.branch] : [])))];
  return {
    ...(source ? { source } : {}),
    ...(targets.length > 0 ? { targets } : {}),
    ...(environmentBranches.length > 0 ? { environmentBranches } : {}),
  };
}

/** The environment and every environment promoted from it, directly or through others, in configuration order. */
export function downstreamOf(config: PlatformConfig, env: EnvironmentConfig): EnvironmentConfig[] {
  const reached = new Set<string>([env.name]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of config.environments) {
      const from = promotionSourceName(config.environments, e);
      if (!reached.has(e.name) && from !== undefined && reached.has(from)) {
        reached.add(e.name);
        grew = true;
      }
    }
  }
  return config.environments.filter((e) => reached.has(e.name));
}

/**
 * What the published deploy template needs of the configuration: the environments of one GitLab
 * instance with `deploy`, in configuration (promotion) order, each with its deploy runner's
 * tags, promotion source, branch and rollback settings, and the values its jobs pin as literals
 * (`deployPinsOf`: per project its roles, repositories and parameter, the audience, region and
 * toolbox repository; the toolbox project's row for its promotion job); and the image role they deploy.
 * @returns undefined when no environment of the instance deploys
 */
export function deployTemplateOf(
  config: PlatformConfig,
  gitlabUrl: string,
): { environments: (DeployTemplateEnvironment & ToolboxPromotionEnvironment)[]; image: string; jobImage?: string } | undefined {
  const deploying = config.environments.filter((e) => e.gitlab.url === gitlabUrl && e.deploy !== undefined);
  if (deploying.length === 0) return undefined;
  const toolboxProject = toolboxProjectPathOf(config, gitlabUrl);
  const environments = deploying.map((env): DeployTemplateEnvironment & ToolboxPromotionEnvironment => {
    const from = promotionSourceName(config.environments, env);
    const source = config.environments.find((e) => e.name === from);
    return {
      ...deployPinsOf(config, env, source, toolboxProject),
      name: env.name,
      runnerTags: deployRouteOf(config, env)?.tags ?? [],
      ...(from !== undefined ? { promoteFrom: from } : {}),
      ...(env.deploy?.manual ? { manual: true } : {}),
      recordLastGood: recordsLastGoodDigest(env),
      rollback: rollsBack(env),
      ...(env.deploy?.branch !== undefined ? { branch: env.deploy.branch } : {}),
    };
  });
  const jobImage = deploying[0]!.deploy!.jobImage;
  return { environments, image: deployedImageOf(deploying[0]!), ...(jobImage !== undefined ? { jobImage } : {}) };
}
