import { isWellFormedAccountId, isWellFormedRegion, mayBeAccount, validateAccountId, validateBucketName, validateRegion } from "../lib/core/aws";
import { check, checkOneOf, collectViolations, ValidationError, type ValidationSection } from "../lib/core/errors";
import { isGitLabInstanceUrl, validateGitLabUrl } from "../lib/core/gitlab-url";
import {
  CONFIG_NAME,
  repositoryPrefixOf,
  validateEnvironmentConfig,
  validateEnvironmentGitLab,
} from "../lib/platform/config";
import { validateDeployConfig, validatePromotion } from "../lib/platform/promotion";
import { validateRegistrySettings } from "../lib/registry/registry-settings";
import { validateDeployRole } from "./aws-provider";
import { type BackendConfig } from "./backend";
import { gitLabSharedStackNameAmong, needsSharedGitLabStack } from "./gitlab-shared-stack";
import { versionCheckSkipOf, versionMinimumsOf } from "./gitlab-version-config";
import { configShapeOf } from "./config-shape";
import { configErrorOf } from "./config-follow-ons";
import { validateRunnerIsolation } from "./validate-runner-isolation";
import { validateIdentityConfig } from "./identity-config";
import { validateSharedTagSchemes } from "../lib/platform/shared-tag-scheme";
import { validateUnprotectedPull } from "../lib/platform/unprotected-pull";
import { type AccountConfig, type EnvironmentConfig, type PlatformConfig } from "./platform-config";

export { type AccountConfig, type AccountIdentityConfig, type EnvironmentConfig, type PlatformConfig } from "./platform-config";
export { validateRunnerIsolation } from "./validate-runner-isolation";

// The environment configuration, its defaults and its per-environment checks live with the
// platform construct (lib/platform/config.ts) and are re-exported here, so the app and its
// tests keep one import path. What stays here is app-level: the project's accounts and
// environments, state keys and backend, and the checks that span environments.
export {
  type CacheConfig,
  type DeployRunnersConfig,
  type UnprotectedPoolConfig,
  type EcrPullThroughMirrorConfig,
  type ExternalRegistryConfig,
  type GitLabConfig,
  type MirrorConfig,
  type NexusMirrorConfig,
  type PlatformInfo,
  type RepositoryConfig,
  type RunnerConfigEntry,
  type RunnerRegistrationConfig,
  type RunnersConfig,
  cacheBucketNameOf,
  CONFIG_NAME,
  DEFAULT_IMAGE_ROLES,
  DEPLOY_RUNNER,
  imageRolesOf,
  protectsData,
  repositoryPrefixOf,
  runnerFleetName,
  runnersOf,
  runnerTokenParameterName,
  validateEnvironmentConfig,
  validateRunnersConfig,
} from "../lib/platform/config";

/** Checks the cache and mirror sections that depend on other parts of the configuration. */
export function validateCacheAndMirrorConfig(config: PlatformConfig, env: EnvironmentConfig, path: string): void {
  const mirror = env.mirror;
  if (mirror?.kind !== "ecr-pull-through") return;
  // Unknown while an account id or region is malformed (reported at its own field).
  const account = deployedAccountOf(config, env, path);
  if (account === undefined) return;
  const prefixes = (account.registry?.pullThroughCache ?? []).map((r) => r.prefix ?? r.upstream);
  check(prefixes.length > 0, {
    path: `${path}/mirror`,
    subject: "kind",
    value: mirror.kind,
    rule: `an ECR pull-through mirror uses the pull-through cache rules of its account stack, and account ${account.name} has none`,
    fix: `add registry.pullThroughCache rules to account ${account.name}, or use kind "nexus"`,
  });
  // A rule's upstream or prefix of the wrong type is reported at its own field; the prefixes are unknown until it is fixed.
  if (prefixes.some((p) => typeof p !== "string")) return;
  (mirror.prefixes ?? []).forEach((prefix, i) => {
    check(prefixes.includes(prefix), {
      path: `${path}/mirror/prefixes[${i}]`,
      subject: "prefix",
      value: prefix,
      rule: `the prefix must be one of account ${account.name}'s pull-through rules (${prefixes.join(", ")})`,
      fix: "add the rule to the account, or remove the prefix",
    });
  });
}


/** The state key of a stack: the configured one, or `<keyPrefix or project>/<stack>.tfstate`. */
export function stateKeyOf(config: PlatformConfig, stackName: string, configured: string | undefined): string {
  if (configured !== undefined) return configured;
  const prefix = config.backend?.kind === "s3" ? (config.backend.keyPrefix ?? config.project) : config.project;
  return `${prefix}/${stackName}.tfstate`;
}

/** The id of the account stack serving (accountId, region). */
export function accountStackName(account: AccountConfig): string {
  return `account-${account.name}`;
}

/**
 * The account config an environment deploys into.
 * @param path the environment's config path, named by the error (default: found by its place in
 *   `config.environments`; a rule section passes its own, so that it reads no other environment)
 */
export function accountOf(config: PlatformConfig, env: EnvironmentConfig, path?: string): AccountConfig {
  const account = config.accounts.find((a) => a.accountId === env.accountId && a.region === env.region);
  if (!account) {
    throw new ValidationError({
      path: path ?? `config/environments[${config.environments.indexOf(env)}]`,
      subject: "account and region",
      value: `${env.accountId}/${env.region}`,
      rule: "every environment deploys into an (account, region) that has an account stack for its registry-wide settings",
      fix: `add { name: "...", accountId: "${env.accountId}", region: "${env.region}" } to config.accounts`,
    });
  }
  return account;
}

/**
 * The account entry an environment deploys into, as {@link accountOf} finds it; undefined, with
 * nothing reported, when a malformed account id or region (the environment's, or that of an entry
 * that would match once fixed) leaves it unknown: that field's own check reports it, and "no
 * account stack" would be a follow-on of it.
 *
 * @throws ValidationError as {@link accountOf} when no entry, fixed or not, can be it
 */
export function deployedAccountOf(config: PlatformConfig, env: EnvironmentConfig, path?: string): AccountConfig | undefined {
  const exact = listOf(config.accounts).find((a) => a.accountId === env.accountId && a.region === env.region);
  if (exact) return exact;
  return listOf(config.accounts).some((a) => mayBeAccount(a, env)) ? undefined : accountOf(config, env, path);
}

/**
 * Validates the whole configuration and reports every problem at once. Its
 * shape ({@link validateConfigShape}: required fields, lists, sections, unknown
 * keys) and its rules, in one run: each account, each environment and each
 * cross-cutting part (backend, identity, GitLab side, each GitLab instance's
 * version check) is checked on its own, so one mistake neither hides nor breaks
 * the checks of the others. A shape problem is reported with the rules' other
 * problems, less those that may follow from it (see `configErrorOf`): an
 * unknown key hides nothing, a missing or misshapen field's section is judged by
 * its shape line, and a field of the wrong type whose rule words it better is
 * reported in its rule's words. Each mistake is
 * one problem, at every path that holds it: a field of the wrong type or form is
 * not checked further by the rules that read it (a deploy role against a
 * malformed account id, an environment against an account entry whose id is
 * malformed), and a value read by several checks (the project name) is
 * reported at its own path once.
 *
 * @throws ValidationError naming the config path, the value, the rule and the
 *   fix, when there is one problem; ValidationErrors (a
 *   `ValidationError` whose `violations` list them all) when there are several
 */
export function validateConfig(config: PlatformConfig): void {
  const shape = configShapeOf(config);
  if (shape.found.length === 0) {
    collectViolations((section) => validateConfigSections(config, section));
    return;
  }
  throw configErrorOf(shape, config, (input, wrap) => collectViolations((section) => validateConfigSections(input, wrap(section))));
}

function validateConfigSections(config: PlatformConfig, section: ValidationSection): void {
  section(() => validateLists(config));
  section(() => check(CONFIG_NAME.test(config.project), {
    path: "config/project",
    subject: "project name",
    value: config.project,
    rule: "1-20 lower-case letters, digits and '-', starting with a letter (it prefixes resource names)",
    fix: "use a short name such as acme-ci",
  }));

  const accountNames = new Set<string>();
  const accountKeys = new Set<string>();
  listOf(config.accounts).forEach((account, i) => section(() => {
    const path = `config/accounts[${i}]`;
    check(CONFIG_NAME.test(account.name), {
      path,
      subject: "account stack name",
      value: account.name,
      rule: "1-20 lower-case letters, digits and '-', starting with a letter",
      fix: "use a name such as nonprod",
    });
    check(!accountNames.has(account.name), {
      path,
      subject: "account stack name",
      value: account.name,
      rule: "account stack names are unique",
      fix: "rename one of the account stacks",
    });
    accountNames.add(account.name);
    validateAccountId(path, "accountId", account.accountId);
    validateRegion(path, "region", account.region);
    if (account.deployRole !== undefined) validateDeployRole(`${path}/deployRole`, account.deployRole, account.accountId, account.region);
    const key = `${account.accountId}/${account.region}`;
    check(!accountKeys.has(key), {
      path,
      subject: "account and region",
      value: key,
      rule: "one account stack per (account, region): registry-wide settings are singletons",
      fix: "merge the two account entries",
    });
    accountKeys.add(key);
  }));
  // The account stack's registry settings, by the rules RegistrySettings enforces (upstreams, prefixes, credentials, scanning, expiry).
  listOf(config.accounts).forEach((account, i) => section(() => {
    // A malformed account id or region is reported at its own field: the secrets' account and region are not compared with it.
    const where = { ...(isWellFormedAccountId(account.accountId) ? { accountId: account.accountId } : {}), ...(isWellFormedRegion(account.region) ? { region: account.region } : {}) };
    if (account.registry !== undefined) validateRegistrySettings(`config/accounts[${i}]/registry`, { ...account.registry, ...where });
  }));

  // Read once, here, and not inside each environment's section: a section that read another
  // environment's broken field (a missing gitlab.url) would lose every problem it found after it.
  const sharedUrls = wellFormedSharedGitLabUrls(config);
  const envNames = new Set<string>();
  const repositoryNames = new Map<string, string>();
  listOf(config.environments).forEach((env, i) => section(() => {
    const path = `config/environments[${i}]`;
    // Everything the environment alone decides (the platform construct runs the same checks).
    // The project name is config/project's: its violation is reported there (once, with the check above).
    validateEnvironmentConfig(config, env, path, "config/project");
    validateDeployConfig(config, env, path);
    check(!envNames.has(env.name), {
      path,
      subject: "environment name",
      value: env.name,
      rule: "environment names are unique (each names a stack and its state)",
      fix: "rename one of the environments",
    });
    envNames.add(env.name);
    check(!sharedUrls.some((url) => gitLabSharedStackNameAmong(sharedUrls, url) === env.name), {
      path,
      subject: "environment name",
      value: env.name,
      rule: "the shared GitLab stack (CI templates and toolbox projects) has this name",
      fix: "rename the environment",
    });
    deployedAccountOf(config, env, path);
    env.registry.repositories.forEach((repo, j) => {
      const name = `${env.accountId}/${env.region}/${repositoryPrefixOf(env)}/${repo.id}`;
      const other = repositoryNames.get(name);
      // Another environment of the same name: the name check reports it (the default prefix derives from the name).
      check(other === undefined || other === env.name, {
        path: `${path}/registry/repositories[${j}]`,
        subject: "repository name",
        value: `${repositoryPrefixOf(env)}/${repo.id}`,
        rule: `repository names are unique per account and region, but environment ${other} already creates it`,
        fix: "give the environments different registry.repositoryPrefix values",
      });
      repositoryNames.set(name, env.name);
    });
    validateCacheAndMirrorConfig(config, env, path);
  }));
  section(() => validateBackend(config, sharedUrls));
  // The accounts' existing OIDC providers.
  section(() => validateIdentityConfig(config));
  section(() => validateSharedTagSchemes(config.environments));
  // What environments sharing a GitLab instance must not both own.
  section(() => validateGitLabSide(config));
  // Pull-only credentials of external registries in each group's * DOCKER_AUTH_CONFIG (gitlab-shared stack).
  section(() => validateUnprotectedPull(listOf(config.environments)));
  // The GitLab version check of each instance: its minimum versions and its opt-out, which the
  // instance's environments share (the stacks read them again when they build the check).
  section(() => {
    for (const url of new Set(listOf(config.environments).map((env) => env.gitlab.url))) {
      section(() => versionMinimumsOf(config, url));
      section(() => versionCheckSkipOf(config, url));
    }
  });
  // No job can land on the runners of two environments.
  section(() => validateRunnerIsolation(config));
  // Promotion by digest: sources exist, come earlier, and both accounts can grant the pull.
  section(() => validatePromotion(config, section));
}

/**
 * The GitLab instances with a shared stack ({@link sharedGitLabUrls}), judged from the environments
 * whose `gitlab.url` is a well-formed instance URL only: an environment without one (missing, of
 * another type, malformed: reported at its own field) or whose GitLab section the judgement cannot
 * read (a field of another type) counts for no instance. Read outside every rule section, so that
 * no environment's section reads another environment's GitLab fields.
 */
function wellFormedSharedGitLabUrls(config: PlatformConfig): string[] {
  const urls = listOf(config.environments).flatMap((env) => {
    const gitlab: unknown = typeof env === "object" && env !== null ? env.gitlab : undefined;
    if (typeof gitlab !== "object" || gitlab === null || !isGitLabInstanceUrl((gitlab as { url?: unknown }).url)) return [];
    try {
      return needsSharedGitLabStack(env) ? [env.gitlab.url] : [];
    } catch {
      // A field of another type in the GitLab section: reported by the shape, and no instance is judged from it.
      return [];
    }
  });
  return [...new Set(urls)];
}

/** `accounts` and `environments` are lists (a plain-JavaScript or JSON configuration may get that wrong). */
function validateLists(config: PlatformConfig): void {
  for (const key of ["accounts", "environments"] as const) {
    check(Array.isArray(config[key]), {
      path: `config/${key}`,
      subject: key,
      value: config[key],
      rule: `${key} is a list`,
      fix: `give ${key} as an array, e.g. ${key}: [{ name: "..." }]`,
    });
  }
}

/** The list, or nothing to iterate when it is not one (validateLists reports that). */
function listOf<T>(value: readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/** Checks the GitLab-side fields of every environment, and what environments sharing a GitLab instance must not both own. */
export function validateGitLabSide(config: PlatformConfig): void {
  const owners = new Map<string, string>();
  const own = (what: string, key: string, env: EnvironmentConfig, path: string, fix: string): void => {
    const identity = JSON.stringify([what, env.gitlab.url, key]);
    const other = owners.get(identity);
    check(other === undefined, {
      path,
      subject: what,
      value: key,
      rule: `only one environment may own the ${what} on ${env.gitlab.url}, but environment ${other} already does (separate stacks would overwrite each other)`,
      fix,
    });
    owners.set(identity, env.name);
  };
  config.environments.forEach((env, i) => {
    const path = `config/environments[${i}]/gitlab`;
    const gitlab = env.gitlab;
    validateEnvironmentGitLab(config, env, path);
    const scope = gitlab.variables?.environmentScope ?? "*";
    // GitLab Free has no environment scopes on group variables (docs/gitlab-tiers.md): there the only fix is a group per environment.
    const variablesFix =
      (gitlab.tier ?? "free") === "free"
        ? "give each environment a GitLab group of its own (gitlab.group): GitLab Free has no environment scopes on group variables, so environments sharing a group cannot have distinct variables"
        : "give the environments sharing the group distinct variables.environmentScope values (e.g. * for the build environment, staging, production)";
    own("group variables", `${gitlab.group} (environment scope ${scope})`, env, `${path}/variables`, variablesFix);
    if (Object.keys(gitlab.buildpackVariables ?? {}).length > 0 || gitlab.autoDevOps) {
      // Scoped * whatever the environment's scope: one environment per group publishes them.
      own("buildpack variables", `${gitlab.group} (environment scope *)`, env, `${path}/buildpackVariables`, "set buildpackVariables and autoDevOps in one environment of the group only");
    }
    if (gitlab.ciTemplates) {
      own("CI templates project", gitlab.ciTemplates.project, env, `${path}/ciTemplates`, "publish the templates from one environment only");
    }
    if (gitlab.toolboxProject) {
      own("toolbox project", gitlab.toolboxProject.path, env, `${path}/toolboxProject`, "create the toolbox project from one environment only");
    }
  });
}

/** The backend kinds a configuration may name (`BackendConfig`). */
const BACKEND_KINDS: readonly BackendConfig["kind"][] = ["local", "s3"];

const STATE_KEY = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** The backend: a valid bucket, and one state key per stack (`sharedUrls`: the instances with a shared GitLab stack). */
function validateBackend(config: PlatformConfig, sharedUrls: readonly string[]): void {
  if (config.backend !== undefined) checkOneOf("config/backend", "kind", config.backend.kind, BACKEND_KINDS);
  if (config.backend?.kind === "s3") {
    validateBucketName("config/backend", "bucket", config.backend.bucket);
    validateRegion("config/backend", "region", config.backend.region);
  }
  const keys = new Map<string, { readonly name: string; readonly path: string }>();
  const stacks = [
    ...config.accounts.map((a, i) => ({ path: `config/accounts[${i}]`, name: accountStackName(a), configured: a.stateKey, key: stateKeyOf(config, accountStackName(a), a.stateKey) })),
    ...config.environments.map((e, i) => ({ path: `config/environments[${i}]`, name: e.name, configured: e.stateKey, key: stateKeyOf(config, e.name, e.stateKey) })),
    // A malformed URL is reported by the URL check; its shared stack's name and key would be follow-ons.
    ...sharedUrls.map((url) => {
      const name = gitLabSharedStackNameAmong(sharedUrls, url);
      return { path: `config/environments[${config.environments.findIndex((e) => e.gitlab?.url === url && (e.gitlab.ciTemplates || e.gitlab.toolboxProject))}]/gitlab`, name, configured: undefined, key: stateKeyOf(config, name, undefined) };
    }),
  ];
  // A default key is `<keyPrefix or project>/<stack>.tfstate`: project and stack names are checked
  // on their own, so only the prefix is checked here, once, and not again in every default key.
  const keyPrefix = config.backend?.kind === "s3" ? config.backend.keyPrefix : undefined;
  if (keyPrefix !== undefined) {
    check(STATE_KEY.test(keyPrefix) && !keyPrefix.split("/").includes(".."), {
      path: "config/backend",
      subject: "keyPrefix",
      value: keyPrefix,
      rule: "a state key prefix is a relative path of letters, digits, '_', '.', '-' (no leading or trailing '/', no '..')",
      fix: "use a prefix such as acme-ci",
    });
  }
  for (const stack of stacks) {
    check(stack.configured === undefined || (STATE_KEY.test(stack.key) && !stack.key.split("/").includes("..")), {
      path: stack.path,
      subject: "stateKey",
      value: stack.key,
      rule: "a state key is a relative path of letters, digits, '_', '.', '-' (no leading '/', no '..')",
      fix: "use a key such as acme-ci/dev.tfstate",
    });
    const other = keys.get(stack.key);
    // Another environment (or account stack) of the same name: the name checks report it (the default
    // key derives from the name). An environment named like an account stack is reported here.
    const sameKindSameName = other !== undefined && other.name === stack.name && other.path.split("[")[0] === stack.path.split("[")[0];
    check(other === undefined || sameKindSameName, {
      path: stack.path,
      subject: "stateKey",
      value: stack.key,
      rule: `every stack needs its own state, but stack ${other?.name} already uses this key (two stacks on one state destroy each other's resources)`,
      fix: "give the stacks different stateKey values",
    });
    keys.set(stack.key, { name: stack.name, path: stack.path });
  }
}

/** Checks a GitLab instance URL: https, a host, no path, query, fragment or trailing slash. */
export { validateGitLabUrl };
