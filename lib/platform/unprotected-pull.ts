import { TerraformVariable } from "cdktf";
import { type Construct } from "constructs";
import { check } from "../core/errors";
import { type CiVariableOptions } from "../gitlab/ci-variable";
import { DockerAuthConfig, UNPROTECTED_PULL_DESCRIPTION } from "../gitlab/docker-auth-config";
import { type EnvironmentConfig } from "./environment-config";

/*
 * Pull-only credentials of external registries for every job of a GitLab group
 * (`gitlab.externalRegistries[].unprotectedPull`): what each environment may declare, and the
 * one list the group's `*`-scoped, unprotected DOCKER_AUTH_CONFIG holds.
 *
 * GitLab hands a job the variables whose environment scope matches its environment; a job
 * without `environment:` (every build job of the templates, every merge-request job) matches
 * only scope `*`. When a key is defined for several matching scopes, GitLab uses the most
 * specific one (docs.gitlab.com/ci/environments/#limit-the-environment-scope-of-a-cicd-variable
 * and ci/variables/#cicd-variable-precedence), so a deploy job with `environment: production`
 * keeps production's own DOCKER_AUTH_CONFIG and never sees the `*` one. Unprotected variables
 * reach jobs of unprotected refs; protected ones only protected branches and tags
 * (ci/variables/#protect-a-cicd-variable).
 */

/** A Terraform variable name (`TF_VAR_<name>` sets it). */
const TERRAFORM_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** One external registry's pull-only credential in the group's `*` DOCKER_AUTH_CONFIG. */
export interface UnprotectedPullRegistry {
  /** Registry host, as the environment's `externalRegistries[].registry`. */
  readonly registry: string;
  /** The read-only robot's user name. */
  readonly username: string;
  /** The sensitive Terraform variable holding its password. */
  readonly passwordVariable: string;
  /** Where it is configured (`config/environments[i]/gitlab/externalRegistries[j]/unprotectedPull`). */
  readonly configPath: string;
}

/**
 * Checks one environment's opt-ins: a non-empty user name without white space or ':' (the
 * `auths` entry is base64 of `user:password`), and a password variable that is a Terraform
 * identifier and differs from every password variable of the environment's external registries
 * (one `TF_VAR_` would otherwise set the credential for protected jobs and the one every job
 * reads) and from the other opt-ins'.
 * @param path the environment's `gitlab` config path
 * @throws ValidationError for each rule broken, at `<path>/externalRegistries[i]/unprotectedPull`
 */
export function validateUnprotectedPullEntries(env: EnvironmentConfig, path: string): void {
  const registries = env.gitlab.externalRegistries ?? [];
  const protectedVariables = new Map(registries.map((r, i) => [r.passwordVariable, i] as const));
  const pullVariables = new Map<string, number>();
  registries.forEach((ext, i) => {
    const pull = ext.unprotectedPull;
    if (pull === undefined) return;
    const where = `${path}/externalRegistries[${i}]/unprotectedPull`;
    check(typeof pull.username === "string" && pull.username.length > 0 && !/[\s:]/.test(pull.username), {
      path: where,
      subject: "username",
      value: pull.username,
      rule: "the pull-only user name is non-empty without white space or ':' (DOCKER_AUTH_CONFIG's auth is base64 of user:password)",
      fix: "use the read-only robot's user name as the registry shows it",
    });
    check(typeof pull.passwordVariable === "string" && TERRAFORM_IDENTIFIER.test(pull.passwordVariable), {
      path: where,
      subject: "passwordVariable",
      value: pull.passwordVariable,
      rule: "the password variable is a Terraform variable name: letters, digits, '_' and '-', starting with a letter or '_'",
      fix: `use a name such as ${JSON.stringify(`${ext.passwordVariable}_pull`)}`,
    });
    const sameProtected = protectedVariables.get(pull.passwordVariable);
    check(sameProtected === undefined, {
      path: where,
      subject: "passwordVariable",
      value: pull.passwordVariable,
      rule: `the pull-only credential reaches every job, unprotected ones included, so it has a variable of its own, but externalRegistries[${sameProtected}].passwordVariable names the credential of protected jobs`,
      fix: `use a separate read-only token in a variable such as ${JSON.stringify(`${ext.passwordVariable}_pull`)}`,
    });
    const samePull = pullVariables.get(pull.passwordVariable);
    check(samePull === undefined, {
      path: where,
      subject: "passwordVariable",
      value: pull.passwordVariable,
      rule: `each pull-only credential has a variable of its own, but externalRegistries[${samePull}]/unprotectedPull already uses it`,
      fix: `give this registry's pull-only credential its own variable, e.g. ${JSON.stringify(`${pull.passwordVariable}_${i + 1}`)}`,
    });
    pullVariables.set(pull.passwordVariable, i);
  });
}

/** The environment that owns a group's `*` group variables: no environment scope, or `*`. */
const ownsGroupWideVariables = (env: EnvironmentConfig): boolean => (env.gitlab.variables?.environmentScope ?? "*") === "*";

/**
 * The pull-only credentials of every environment of `group` on the instance `url`, once per
 * registry: the `auths` of the group's `*`-scoped DOCKER_AUTH_CONFIG. Environments may declare
 * the same registry's credential alike (one entry); any difference is refused.
 *
 * @param environments every environment of the configuration (index = config position)
 * @throws ValidationError at `config/environments[i]/gitlab/externalRegistries[j]/unprotectedPull` when
 *   no environment of the group owns the `*` variables (nothing would carry the credential), when
 *   the owner's variables are protected (unprotected jobs would get no DOCKER_AUTH_CONFIG at all),
 *   when two environments give one registry different credentials, when two registries share a
 *   password variable, or when it names the password variable of an external registry's
 *   credential for protected jobs on the instance
 */
export function unprotectedPullRegistriesOf(environments: readonly EnvironmentConfig[], url: string, group: string): UnprotectedPullRegistry[] {
  const onInstance = environments.map((env, i) => ({ env, i })).filter(({ env }) => env.gitlab.url === url);
  // The environment's own entries are checked by validateUnprotectedPullEntries: only other environments' here.
  const protectedVariables = new Map<string, { readonly path: string; readonly env: number }>();
  for (const { env, i } of onInstance) {
    (env.gitlab.externalRegistries ?? []).forEach((ext, j) => protectedVariables.set(ext.passwordVariable, { path: `config/environments[${i}]/gitlab/externalRegistries[${j}]`, env: i }));
  }
  const owner = onInstance.find(({ env }) => env.gitlab.group === group && ownsGroupWideVariables(env));
  const byHost = new Map<string, UnprotectedPullRegistry>();
  const byVariable = new Map<string, UnprotectedPullRegistry>();
  for (const { env, i } of onInstance) {
    if (env.gitlab.group !== group) continue;
    (env.gitlab.externalRegistries ?? []).forEach((ext, j) => {
      const pull = ext.unprotectedPull;
      if (pull === undefined) return;
      const configPath = `config/environments[${i}]/gitlab/externalRegistries[${j}]/unprotectedPull`;
      check(owner !== undefined, {
        path: configPath,
        subject: "unprotectedPull",
        value: ext.registry,
        rule: `the pull-only credential goes into the group's DOCKER_AUTH_CONFIG with environment scope *, and no environment of ${group} on ${url} defines the * group variables`,
        fix: `give another environment of ${group} no gitlab.variables.environmentScope (or *) and unprotected variables: it owns the * variables build and merge-request jobs read (this environment keeps its scope and protection), or remove unprotectedPull`,
      });
      const ownerProtected = owner!.env.gitlab.variables?.protected ?? owner!.env.production ?? false;
      check(!ownerProtected, {
        path: configPath,
        subject: "unprotectedPull",
        value: ext.registry,
        rule: `the pull-only credential is for unprotected jobs, but the * group variables of ${group}, defined by environment ${owner!.env.name}, are protected: unprotected jobs get no DOCKER_AUTH_CONFIG from them`,
        fix: `set gitlab.variables.protected: false in environment ${owner!.env.name}, the owner of the * variables (its * variables hold no secret besides the pull-only credentials; this environment keeps its protected, scoped credential), or remove unprotectedPull`,
      });
      const entry: UnprotectedPullRegistry = { registry: ext.registry, username: pull.username, passwordVariable: pull.passwordVariable, configPath };
      const host = String(ext.registry).toLowerCase();
      const same = byHost.get(host);
      check(same === undefined || (same.username === entry.username && same.passwordVariable === entry.passwordVariable), {
        path: configPath,
        subject: "unprotectedPull",
        value: { username: pull.username, passwordVariable: pull.passwordVariable },
        rule: `one DOCKER_AUTH_CONFIG entry per registry in the group's * variables, and ${same?.configPath} gives ${ext.registry} the credential ${JSON.stringify({ username: same?.username, passwordVariable: same?.passwordVariable })}`,
        fix: "declare the registry's pull-only credential in one environment only, or give it the same username and passwordVariable everywhere",
      });
      const sharing = byVariable.get(pull.passwordVariable);
      check(sharing === undefined || sharing.registry.toLowerCase() === host || sharing.configPath.startsWith(`config/environments[${i}]/`), {
        path: configPath,
        subject: "passwordVariable",
        value: pull.passwordVariable,
        rule: `one Terraform variable per pull-only credential in the gitlab-shared stack, but ${sharing?.configPath} uses it for ${sharing?.registry}`,
        fix: `give this registry's pull-only credential its own variable, e.g. ${JSON.stringify(`${pull.passwordVariable}_${j + 1}`)}`,
      });
      const protectedOne = protectedVariables.get(pull.passwordVariable);
      check(protectedOne === undefined || protectedOne.env === i, {
        path: configPath,
        subject: "passwordVariable",
        value: pull.passwordVariable,
        rule: `the pull-only credential reaches every job, unprotected ones included, but ${protectedOne?.path}.passwordVariable names a credential of protected jobs (one TF_VAR_ would set both)`,
        fix: `use a separate read-only token in a variable such as ${JSON.stringify(`${pull.passwordVariable}_pull`)}`,
      });
      if (same === undefined) byHost.set(host, entry);
      if (sharing === undefined) byVariable.set(pull.passwordVariable, entry);
    });
  }
  return [...byHost.values()];
}

/**
 * Checks every group's pull-only credentials ({@link unprotectedPullRegistriesOf} of each GitLab
 * instance and group of the configuration).
 * @throws ValidationError as {@link unprotectedPullRegistriesOf}
 */
export function validateUnprotectedPull(environments: readonly EnvironmentConfig[]): void {
  const groups = new Set(environments.map((env) => JSON.stringify([env.gitlab.url, env.gitlab.group])));
  for (const key of groups) {
    const [url, group] = JSON.parse(key) as [string, string];
    unprotectedPullRegistriesOf(environments, url, group);
  }
}

/**
 * The group's `*`-scoped DOCKER_AUTH_CONFIG with the pull-only credentials added: the ECR hosts
 * of `groupWide` (the owner's variable, `credHelpers`) and one `auths` entry per registry, each
 * password from a sensitive Terraform variable declared under `scope` with the configured name
 * (`TF_VAR_<name>`). Masked (it now holds a secret); the owner's protection and hidden flag kept
 * (unprotected: {@link unprotectedPullRegistriesOf} refuses protected owners; not hidden, as the
 * owner's credential-helper variable was created, so opting in or out updates it in place).
 *
 * @param scope where the variables and the `DockerAuthConfig` are declared (the gitlab-shared stack)
 * @param id construct id of the `DockerAuthConfig`
 * @param ecrRegistries the owner's ECR hosts (`EnvironmentGitLabSide.dockerAuth.ecrRegistries`)
 * @param registries the group's pull-only credentials
 * @param groupWide the owner's `*` DOCKER_AUTH_CONFIG, whose place and protection the result takes
 * @throws ValidationError as `DockerAuthConfig` (a registry listed twice, a bad host or user name)
 */
export function withUnprotectedPull(scope: Construct, id: string, ecrRegistries: readonly string[], registries: readonly UnprotectedPullRegistry[], groupWide: CiVariableOptions): CiVariableOptions {
  const auth = new DockerAuthConfig(scope, id, {
    ecrRegistries,
    staticCredentials: registries.map((r) => {
      const password = new TerraformVariable(scope, `unprotected-pull-${r.passwordVariable}`, {
        type: "string",
        sensitive: true,
        description: `${UNPROTECTED_PULL_DESCRIPTION} ${r.username} at ${r.registry} (group DOCKER_AUTH_CONFIG, environment scope *)`,
      });
      password.overrideLogicalId(r.passwordVariable);
      return { registry: r.registry, username: r.username, password: password.stringValue };
    }),
  });
  // hidden as the owner's variable had it (false): GitLab sets "masked and hidden" only when a variable is created
  // (docs.gitlab.com/ci/variables/#hide-a-cicd-variable), so the provider replaces a variable whose hidden flag
  // changes (gitlab-org/terraform-provider-gitlab#6685), which the shared stack's prevent_destroy refuses.
  return { ...auth.toVariable({ protected: groupWide.protected ?? false, environmentScope: "*", hidden: groupWide.hidden ?? false }), description: "Registry credentials for job images: credential helpers and pull-only credentials every job may read; managed by Terraform" };
}
