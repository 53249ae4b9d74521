import { Aspects, type App } from "cdktf";
import { protectedTagPatterns, SecurityRulePack } from "../lib/checks/pack";
import { UniquePhysicalNames } from "../lib/checks/unique-names";
import { DOCKER_AUTH_CONFIG } from "../lib/gitlab/docker-auth-config";
import { unprotectedPullRegistriesOf } from "../lib/platform/unprotected-pull";
import { AccountStack } from "./account-stack";
import { applyBackend } from "./backend";
import { accountOf, accountStackName, type PlatformConfig, stateKeyOf, validateConfig } from "./config";
import { EnvironmentStack } from "./environment-stack";
import { gitLabSharedStackName, GitLabSharedStack, sharedGitLabPiecesOf, sharedGitLabUrls, sharedProtectedProjects, withoutSharedGitLabPieces } from "./gitlab-shared-stack";

/** The stacks built from one configuration. */
export interface PlatformStacks {
  /** Account stacks by account config name. */
  readonly accounts: ReadonlyMap<string, AccountStack>;
  /** Environment stacks by environment name. */
  readonly environments: ReadonlyMap<string, EnvironmentStack>;
  /** Shared GitLab stacks (protected refs, templates and toolbox projects) by GitLab instance URL. */
  readonly gitlabShared: ReadonlyMap<string, GitLabSharedStack>;
}

/**
 * Validates `config` and adds every stack to `app`: one account stack per
 * (account, region), one stack per environment, each environment depending
 * on its account stack so `cdktf deploy '*'` deploys the account first, and a
 * `gitlab-shared` stack per GitLab instance for the CI templates and toolbox
 * projects (protected from destroy, outliving every environment).
 * Every stack gets the security rule pack (account stacks as non-production):
 * an error finding fails synth.
 */
export function buildPlatform(app: App, config: PlatformConfig): PlatformStacks {
  validateConfig(config);
  const accounts = new Map<string, AccountStack>();
  // One duplicate-name check per AWS account, shared by every stack deployed into it.
  const names = new Map<string, UniquePhysicalNames>();
  const namesOf = (accountId: string) => names.get(accountId) ?? names.set(accountId, new UniquePhysicalNames({ account: accountId })).get(accountId)!;
  for (const account of config.accounts) {
    const stack = new AccountStack(app, accountStackName(account), config, account);
    applyBackend(stack, config.backend ?? { kind: "local" }, stateKeyOf(config, stack.node.id, account.stateKey));
    Aspects.of(stack).add(new SecurityRulePack({ production: false }));
    Aspects.of(stack).add(namesOf(account.accountId));
    accounts.set(account.name, stack);
  }
  const environments = new Map<string, EnvironmentStack>();
  const sharedUrls = sharedGitLabUrls(config);
  for (const env of config.environments) {
    const account = accounts.get(accountOf(config, env).name)!;
    // Group-wide (`*`) group variables go to the instance's shared stack (every instance with them has one).
    const stack = new EnvironmentStack(app, env.name, config, withoutSharedGitLabPieces(env), account, { groupWideVariablesElsewhere: sharedUrls.includes(env.gitlab.url) });
    applyBackend(stack, config.backend ?? { kind: "local" }, stateKeyOf(config, env.name, env.stateKey));
    stack.addDependency(account);
    Aspects.of(stack).add(new SecurityRulePack({ production: env.production ?? false, protectedTags: protectedTagPatterns(stack.tagScheme) }));
    Aspects.of(stack).add(namesOf(accountOf(config, env).accountId));
    environments.set(env.name, stack);
  }
  const gitlabShared = new Map<string, GitLabSharedStack>();
  for (const url of sharedUrls) {
    const name = gitLabSharedStackName(config, url);
    const on = config.environments.filter((e) => e.gitlab.url === url);
    // The union of what every environment's roles trust, read from the roles themselves.
    const refs = on.flatMap((e) => environments.get(e.name)!.identity.requiredProtectedRefs);
    const groupVariables = on.map((e) => {
      const side = environments.get(e.name)!.gitlab;
      // The group's pull-only credentials join the * DOCKER_AUTH_CONFIG of the environment defining it.
      const registries = side.groupWideVariables.some((v) => v.key === DOCKER_AUTH_CONFIG) ? unprotectedPullRegistriesOf(config.environments, url, e.gitlab.group) : [];
      return { environment: e.name, group: e.gitlab.group, variables: side.groupWideVariables, unprotectedPull: { ecrRegistries: side.dockerAuth.ecrRegistries, registries } };
    });
    const stack = new GitLabSharedStack(app, name, { ...sharedGitLabPiecesOf(config, url), protectedRefs: { projects: sharedProtectedProjects(config, url), refs }, groupVariables });
    for (const e of on) environments.get(e.name)!.addDependency(stack);
    applyBackend(stack, config.backend ?? { kind: "local" }, stateKeyOf(config, name, undefined));
    Aspects.of(stack).add(new SecurityRulePack({ production: true }));
    gitlabShared.set(url, stack);
  }
  return { accounts, environments, gitlabShared };
}
