import { type PlatformPromotion } from "../lib/platform/platform";
import { promotionSourceName } from "../lib/platform/promotion";
import { type EnvironmentConfig, type PlatformConfig } from "./config";

/**
 * An environment's neighbours in promotion, from the whole configuration: the environment its
 * images come from, the environments promoted from it, and every environment branch on its
 * GitLab instance (the protected roles of every environment trust them, since a pipeline of an
 * environment branch builds in the build environment and promotes through the others).
 * Environments are matched by name (the app hands stacks copies without the shared GitLab pieces).
 */
export function promotionOf(config: PlatformConfig, env: EnvironmentConfig): PlatformPromotion {
  const sourceName = promotionSourceName(config.environments, env);
  const source = config.environments.find((e) => e.name === sourceName);
  const targets = config.environments.filter((e) => e.name !== env.name && promotionSourceName(config.environments, e) === env.name);
  const environmentBranches = [...new Set(config.environments.filter((e) => e.gitlab.url === env.gitlab.url).flatMap((e) => (e.deploy?.branch !== undefined ? [e.deploy.branch] : [])))];
  return {
    ...(source ? { source } : {}),
    ...(targets.length > 0 ? { targets } : {}),
    ...(environmentBranches.length > 0 ? { environmentBranches } : {}),
  };
}
