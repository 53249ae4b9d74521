import { validateAccountId, validateRegion } from "../lib/core/aws";
import { check, ValidationError } from "../lib/core/errors";
import { type PullThroughCacheRuleOptions, type RegistryScanningOptions } from "../lib/registry/registry-settings";
import { type Retention, type TagSchemeProps } from "../lib/registry/tag-scheme";
// Runner fleet (issue 4) imports.
import { type ExistingNetworkProps } from "../lib/network/existing-network";
import { type NatGatewayMode } from "../lib/network/network";
import { type DockerAccess } from "../lib/runner/config-toml";
import { type RunnerFleetCapacity, type RunnerFleetPurchaseOptions } from "../lib/runner/fleet";
import { type OfficeHoursOptions, officeHours, validateCapacity, validateSchedule } from "../lib/runner/schedule";

/**
 * The platform's configuration: typed, validated before any construct is
 * built, and the only input of `main.ts`. Data flows one way:
 * config -> stacks -> constructs -> Terraform JSON.
 */
export interface PlatformConfig {
  /** Short name used as a prefix of resource names and as the `platform` tag, e.g. `acme-ci`. */
  readonly project: string;
  /** Shared account-level stacks, one per (AWS account, region). */
  readonly accounts: readonly AccountConfig[];
  /** One stack per environment. */
  readonly environments: readonly EnvironmentConfig[];
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
}

/** The GitLab instance and the part of it an environment serves. */
export interface GitLabConfig {
  /** Instance URL: `https://gitlab.com` or a self-managed host, https, no path or trailing slash. */
  readonly url: string;
  /** Top-level group path served, e.g. `acme`. */
  readonly group: string;
  /** Project paths served, e.g. `acme/app`. */
  readonly projects: readonly string[];
}

/** One container repository of an environment. */
export interface RepositoryConfig {
  /** Logical id, also the last part of the repository name, e.g. `app`. */
  readonly id: string;
  /** What the image is, for the README and descriptions. */
  readonly description: string;
  /**
   * Catch-all retention for images no tag kind selects.
   * @default none
   */
  readonly catchAllRetention?: Retention;
}

/** One environment: its stack, account, GitLab scope and registries. */
export interface EnvironmentConfig {
  /** Environment name, lower case, e.g. `dev`; the stack is named after it. */
  readonly name: string;
  /** 12-digit AWS account id; an {@link AccountConfig} with the same account and region must exist. */
  readonly accountId: string;
  /** AWS region. */
  readonly region: string;
  /** GitLab instance and scope. */
  readonly gitlab: GitLabConfig;
  /**
   * Marks a production environment (stricter defaults: destroy protection on data).
   * @default false
   */
  readonly production?: boolean;
  /** Registries of this environment. */
  readonly registry: {
    /**
     * Repository name prefix; repositories are named `<prefix>/<id>`.
     * @default `<gitlab.group>/<name>`
     */
    readonly repositoryPrefix?: string;
    /**
     * Tag scheme overrides.
     * @default the built-in tag kinds
     */
    readonly tagScheme?: TagSchemeProps;
    /** The repositories. */
    readonly repositories: readonly RepositoryConfig[];
  };
  // ---- Runner fleet (issue 4) ----
  /**
   * Autoscaling GitLab runner hosts for this environment (and their network).
   * @default none
   */
  readonly runners?: RunnersConfig;
}

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const GITLAB_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;

/** The repository name prefix of an environment. */
export function repositoryPrefixOf(env: EnvironmentConfig): string {
  return env.registry.repositoryPrefix ?? `${env.gitlab.group}/${env.name}`;
}

/** The id of the account stack serving (accountId, region). */
export function accountStackName(account: AccountConfig): string {
  return `account-${account.name}`;
}

/** The account config an environment deploys into. */
export function accountOf(config: PlatformConfig, env: EnvironmentConfig): AccountConfig {
  const account = config.accounts.find((a) => a.accountId === env.accountId && a.region === env.region);
  if (!account) {
    throw new ValidationError({
      path: `config/environments/${env.name}`,
      subject: "account and region",
      value: `${env.accountId}/${env.region}`,
      rule: "every environment deploys into an (account, region) that has an account stack for its registry-wide settings",
      fix: `add { name: "...", accountId: "${env.accountId}", region: "${env.region}" } to config.accounts`,
    });
  }
  return account;
}

/**
 * Validates the whole configuration; throws a {@link ValidationError} naming
 * the config path, the value, the rule and the fix of the first problem.
 */
export function validateConfig(config: PlatformConfig): void {
  check(NAME.test(config.project), {
    path: "config/project",
    subject: "project name",
    value: config.project,
    rule: "1-20 lower-case letters, digits and '-', starting with a letter (it prefixes resource names)",
    fix: "use a short name such as acme-ci",
  });

  const accountNames = new Set<string>();
  const accountKeys = new Set<string>();
  config.accounts.forEach((account, i) => {
    const path = `config/accounts[${i}]`;
    check(NAME.test(account.name), {
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
    const key = `${account.accountId}/${account.region}`;
    check(!accountKeys.has(key), {
      path,
      subject: "account and region",
      value: key,
      rule: "one account stack per (account, region): registry-wide settings are singletons",
      fix: "merge the two account entries",
    });
    accountKeys.add(key);
  });

  const envNames = new Set<string>();
  const repositoryNames = new Map<string, string>();
  config.environments.forEach((env, i) => {
    const path = `config/environments[${i}]`;
    check(NAME.test(env.name), {
      path,
      subject: "environment name",
      value: env.name,
      rule: "1-20 lower-case letters, digits and '-', starting with a letter (it names the stack and resources)",
      fix: "use a name such as dev, staging or production",
    });
    check(!envNames.has(env.name), {
      path,
      subject: "environment name",
      value: env.name,
      rule: "environment names are unique (each names a stack and its state)",
      fix: "rename one of the environments",
    });
    envNames.add(env.name);
    validateAccountId(path, "accountId", env.accountId);
    validateRegion(path, "region", env.region);
    accountOf(config, env);
    validateGitLabUrl(`${path}/gitlab`, env.gitlab.url);
    validateRunnersConfig(config, env, path); // Runner fleet (issue 4)
    check(GITLAB_PATH.test(env.gitlab.group) && !env.gitlab.group.includes("/"), {
      path: `${path}/gitlab`,
      subject: "group",
      value: env.gitlab.group,
      rule: "a top-level GitLab group path: letters, digits, '_', '.', '-'",
      fix: "use the group's path as in its URL, e.g. acme",
    });
    env.gitlab.projects.forEach((project, j) => {
      check(GITLAB_PATH.test(project) && project.startsWith(`${env.gitlab.group}/`), {
        path: `${path}/gitlab/projects[${j}]`,
        subject: "project path",
        value: project,
        rule: `a project path inside the group, such as ${env.gitlab.group}/app`,
        fix: `use the full path as in the project's URL, starting with ${env.gitlab.group}/`,
      });
    });
    const ids = new Set<string>();
    env.registry.repositories.forEach((repo, j) => {
      check(!ids.has(repo.id), {
        path: `${path}/registry/repositories[${j}]`,
        subject: "repository id",
        value: repo.id,
        rule: "repository ids are unique within an environment",
        fix: "rename one of the repositories",
      });
      ids.add(repo.id);
      const name = `${env.accountId}/${env.region}/${repositoryPrefixOf(env)}/${repo.id}`;
      const other = repositoryNames.get(name);
      check(other === undefined, {
        path: `${path}/registry/repositories[${j}]`,
        subject: "repository name",
        value: `${repositoryPrefixOf(env)}/${repo.id}`,
        rule: `repository names are unique per account and region, but environment ${other} already creates it`,
        fix: "give the environments different registry.repositoryPrefix values",
      });
      repositoryNames.set(name, env.name);
    });
  });
}

/** Checks a GitLab instance URL: https, a host, no path, query, fragment or trailing slash. */
export function validateGitLabUrl(path: string, url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  check(
    parsed !== undefined &&
      parsed.protocol === "https:" &&
      parsed.pathname === "/" &&
      !url.endsWith("/") &&
      parsed.search === "" &&
      parsed.hash === "" &&
      parsed.username === "" &&
      parsed.password === "",
    {
      path,
      subject: "GitLab URL",
      value: url,
      rule: "the instance URL is https://<host>[:port] with no path, query or trailing slash (it is also the OIDC issuer)",
      fix: "use e.g. https://gitlab.com or https://gitlab.example.com",
    },
  );
}

// ---- Runner fleet (issue 4) ----

/** One runner (`[[runners]]` entry) on every host of an environment's fleet. */
export interface RunnerConfigEntry {
  /** Runner name, e.g. `build`; also part of the token parameter name. */
  readonly name: string;
  /** Jobs at once per host. */
  readonly limit: number;
  /** How jobs reach docker: `socket-binding` (layer cache, trusted projects), `dind` (privileged) or `none`. */
  readonly dockerAccess: DockerAccess;
  /** Default job image. */
  readonly image: string;
  /**
   * Privileged job containers (needed by dind).
   * @default false
   */
  readonly privileged?: boolean;
  /**
   * SSM SecureString parameter holding the runner's `glrt-` token.
   * @default `/<project>/<environment>/runner/<name>/token`
   */
  readonly tokenParameterName?: string;
}

/** An environment's runner fleet. */
export interface RunnersConfig {
  /**
   * The network: an existing VPC (`{ existing: { vpcId, privateSubnetIds } }`) or a new small VPC.
   * @default a new VPC 10.0.0.0/16 in two zones with a single NAT gateway
   */
  readonly network?: { readonly existing: ExistingNetworkProps } | { readonly cidr?: string; readonly natGateways?: NatGatewayMode };
  /** The runners on every host. */
  readonly runners: readonly RunnerConfigEntry[];
  /**
   * Instance types.
   * @default m7i/m6i/m5 xlarge
   */
  readonly instanceTypes?: readonly string[];
  /**
   * Group sizes.
   * @default { minSize: 1, maxSize: 3 }
   */
  readonly capacity?: RunnerFleetCapacity;
  /**
   * On-demand/spot mix.
   * @default all spot
   */
  readonly purchase?: RunnerFleetPurchaseOptions;
  /**
   * Run only during office hours (scale to zero at night and on weekends).
   * @default always on
   */
  readonly officeHours?: OfficeHoursOptions;
  /**
   * The longest job timeout the drain must cover, in seconds.
   * @default 3600
   */
  readonly maxJobTimeoutSeconds?: number;
  /**
   * Disk for image layers and build cache, GiB.
   * @default 50
   */
  readonly imageStorageGiB?: number;
}

/** The runner fleet's name in an environment: `<project>-<environment>`. */
export function runnerFleetName(config: PlatformConfig, env: EnvironmentConfig): string {
  return `${config.project}-${env.name}`;
}

/** The SSM parameter name of a runner's token. */
export function runnerTokenParameterName(config: PlatformConfig, env: EnvironmentConfig, runner: RunnerConfigEntry): string {
  return runner.tokenParameterName ?? `/${config.project}/${env.name}/runner/${runner.name}/token`;
}

/**
 * Checks an environment's runner section before any construct is built (the
 * fleet checks the rest at construction, with its construct path).
 */
export function validateRunnersConfig(config: PlatformConfig, env: EnvironmentConfig, path: string): void {
  const runners = env.runners;
  if (!runners) return;
  const at = `${path}/runners`;
  const fleetName = runnerFleetName(config, env);
  check(fleetName.length <= 40, {
    path: at,
    subject: "fleet name",
    value: fleetName,
    rule: "the fleet name <project>-<environment> is at most 40 characters (it names the role, group and log group)",
    fix: "shorten the project or environment name",
  });
  check(runners.runners.length >= 1, {
    path: at,
    subject: "runners",
    value: [],
    rule: "a fleet runs at least one runner",
    fix: "add a runner, or remove the runners section",
  });
  const names = new Set<string>();
  runners.runners.forEach((runner, i) => {
    check(!names.has(runner.name), {
      path: `${at}/runners[${i}]`,
      subject: "runner name",
      value: runner.name,
      rule: "runner names are unique in a fleet (they name the token parameters)",
      fix: "rename one of the runners",
    });
    names.add(runner.name);
  });
  if (runners.capacity) validateCapacity(at, "capacity", runners.capacity);
  if (runners.officeHours) {
    officeHours(runners.officeHours).forEach((schedule, i) => validateSchedule(`${at}/officeHours[${i}]`, schedule, true));
  }
}
