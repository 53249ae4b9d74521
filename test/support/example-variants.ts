import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";

/*
 * The example configuration with one part changed, for the configuration tests and the bad-input
 * rows (which pass wrongly typed values on purpose, as plain-JavaScript callers can).
 */

/** The example configuration with environment `index` shallowly patched. */
export function exampleWithEnv(patch: Record<string, unknown>, index = 0): PlatformConfig {
  return { ...exampleConfig, environments: exampleConfig.environments.map((e, i) => (i === index ? ({ ...e, ...patch } as EnvironmentConfig) : e)) };
}

/** A bad-input row's run: `validateConfig` of the example with environment `index` patched. */
export const withEnv =
  (patch: Record<string, unknown>, index = 0) =>
  (): void =>
    validateConfig(exampleWithEnv(patch, index));

/** A bad-input row's run: `validateConfig` of the example with top-level fields replaced. */
export const withConfig =
  (patch: Partial<PlatformConfig>) =>
  (): void =>
    validateConfig({ ...exampleConfig, ...patch });
