import { check } from "../lib/core/errors";
import { validateGitLabUrl } from "../lib/core/gitlab-url";
import { validateEnvironmentIdentity, validateSharedReleaseTags } from "../lib/platform/identity-config";
import { audienceOf, tenantsOf } from "../lib/platform/tenancy";
import { type AccountConfig, type EnvironmentConfig, type PlatformConfig } from "./platform-config";

// The environment's identity settings live with the platform construct (lib/platform);
// re-exported here so the app and its tests keep one import path.
export {
  type DeploymentConfig,
  type EnvironmentIdentityConfig,
  type StaticCredentialsConfig,
  validateEnvironmentIdentity,
} from "../lib/platform/identity-config";

export { type AccountIdentityConfig } from "./platform-config";

/**
 * The GitLab URLs whose OIDC provider an account stack creates: IAM is global
 * to an account, so only the first account stack (in config order) of an
 * account creates them, once per URL its account's environments use, minus
 * the providers that exist already.
 */
export function oidcProvidersToCreate(config: PlatformConfig, account: AccountConfig): string[] {
  const first = config.accounts.find((a) => a.accountId === account.accountId);
  if (first !== account) return [];
  const existing = new Set(config.accounts.filter((a) => a.accountId === account.accountId).flatMap((a) => a.identity?.existingOidcProviders ?? []));
  const urls = config.environments.filter((e) => e.accountId === account.accountId).map((e) => e.gitlab.url);
  return [...new Set(urls)].filter((url) => !existing.has(url));
}

/**
 * The audiences (IAM client ids) of an account's OIDC provider for one GitLab
 * URL: the audience of every environment in the account that uses the URL
 * (`audienceOf`, one per environment), in configuration order. Each
 * environment's roles require their own audience, so the provider accepting
 * all of them lets no token cross environments.
 */
export function oidcAudiencesOf(config: PlatformConfig, accountId: string, url: string): string[] {
  const audiences = config.environments.filter((e) => e.accountId === accountId && e.gitlab.url === url).map((e) => audienceOf(config, e));
  return [...new Set(audiences)];
}

/**
 * The projects of an environment whose ref protections the instance's
 * `gitlab-shared` stack manages (`GitLabSharedStack`): every tenant with
 * `protectedRefs: "manage"`. GitLab has one protection per project and ref,
 * and every environment's roles rely on it, so no environment stack owns it;
 * the environment stacks check at plan time that it exists and admits
 * Maintainers only, as they do for the `check` tenants.
 */
export function protectedRefsManagedElsewhere(env: EnvironmentConfig): string[] {
  return tenantsOf(env)
    .filter((t) => t.protectedRefs === "manage")
    .map((t) => t.path);
}

/** Checks the identity sections of the configuration (config paths in messages). */
export function validateIdentityConfig(config: PlatformConfig): void {
  config.accounts.forEach((account, i) => {
    (account.identity?.existingOidcProviders ?? []).forEach((url, j) =>
      validateGitLabUrl(`config/accounts[${i}]/identity/existingOidcProviders[${j}]`, url),
    );
  });
  config.environments.forEach((env, i) => validateEnvironmentIdentity(`config/environments[${i}]/identity`, env));
  validateSharedReleaseTags(config.environments);
  // One audience per environment: two environments sharing one would accept each other's tokens.
  const seen = new Map<string, number>();
  config.environments.forEach((env, i) => {
    const audience = audienceOf(config, env);
    const other = seen.get(`${env.gitlab.url} ${audience}`);
    check(other === undefined, {
      path: `config/environments[${i}]/identity/audience`,
      subject: "OIDC audience",
      value: audience,
      rule: `every environment has an audience of its own (environments[${other}] uses it too), so a token requested for one is refused by the other's roles`,
      fix: "remove the audience override, or give each environment a distinct one",
    });
    seen.set(`${env.gitlab.url} ${audience}`, i);
  });
}
