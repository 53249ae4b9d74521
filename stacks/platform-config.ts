import { type EnvironmentConfig as PlatformEnvironmentConfig, type PlatformInfo } from "../lib/platform/config";
import { type PullThroughCacheRuleOptions, type RegistryScanningOptions } from "../lib/registry/registry-settings";
import { type AccountDeployRole } from "./aws-provider";
import { type BackendConfig } from "./backend";

/*
 * The app's configuration types (types only; the checks are in config.ts, which
 * re-exports these).
 */

/** Identity settings of an account stack. */
export interface AccountIdentityConfig {
  /**
   * GitLab instance URLs whose IAM OIDC provider already exists in this
   * account (created outside this app): environments reference it by ARN and
   * no stack creates it.
   * @default none: the account stack creates one provider per GitLab URL its environments use
   */
  readonly existingOidcProviders?: readonly string[];
}

/**
 * The platform's configuration: typed, validated before any construct is
 * built, and the only input of `main.ts`. Data flows one way:
 * config -> stacks -> constructs -> Terraform JSON.
 */
export interface PlatformConfig extends PlatformInfo {
  /** Shared account-level stacks, one per (AWS account, region). */
  readonly accounts: readonly AccountConfig[];
  /** One stack per environment. */
  readonly environments: readonly EnvironmentConfig[];
  /**
   * Where every stack keeps its state.
   * @default { kind: "local" } (state files next to the synthesized stacks)
   */
  readonly backend?: BackendConfig;
}

/** A shared account stack: registry-wide singletons of one account and region. */
export interface AccountConfig {
  /** Stack name suffix (`account-<name>`), e.g. `nonprod`. */
  readonly name: string;
  /** 12-digit AWS account id. */
  readonly accountId: string;
  /** AWS region, e.g. `eu-central-1`. */
  readonly region: string;
  /**
   * The role the AWS provider of this account's stacks (the account stack and
   * every environment in this account and region) assumes, so that one
   * credential chain deploys every account (`npx cdktf deploy '*'`). See
   * docs/deploy.md for the role's trust policy.
   * @default none: the caller's credentials must already be this account's
   */
  readonly deployRole?: AccountDeployRole;
  /**
   * State key of the stack.
   * @default `<backend keyPrefix or project>/account-<name>.tfstate`
   */
  readonly stateKey?: string;
  /**
   * Registry-wide settings of this account and region.
   * @default basic scan on push, no pull-through cache
   */
  readonly registry?: {
    /**
     * Registry scanning.
     * @default basic scan on push
     */
    readonly scanning?: RegistryScanningOptions;
    /**
     * Pull-through cache rules.
     * @default none
     */
    readonly pullThroughCache?: readonly PullThroughCacheRuleOptions[];
    /**
     * Days after it was cached that a pull-through cached image expires.
     * @default 30
     */
    readonly cachedImageExpiryDays?: number;
  };
  /**
   * Identity settings: GitLab OIDC providers that already exist in the account.
   * @default the account stack creates the OIDC providers its environments need
   */
  readonly identity?: AccountIdentityConfig;
}


/**
 * One environment of the app: the platform construct's {@link PlatformEnvironmentConfig}
 * plus where its stack keeps its state. The stack is named after `name`, and an
 * {@link AccountConfig} with the same account and region must exist.
 */
export interface EnvironmentConfig extends PlatformEnvironmentConfig {
  /**
   * State key of the stack.
   * @default `<backend keyPrefix or project>/<name>.tfstate`
   */
  readonly stateKey?: string;
}
