/*
 * An attack-path scenario: the synthesized JSON of every stack of one
 * configuration, its IAM model, and GitLab's actors for every environment and
 * tenant with the claims GitLab would issue to them.
 */
import { Testing } from "cdktf";
import { gitLabHostOf } from "../../lib/core/gitlab-url";
import { audienceOf, DEFAULT_SUB_CLAIM_COMPONENTS, type Tenant, tenantsOf } from "../../lib/platform/tenancy";
import { buildPlatform, type PlatformStacks } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { type Actor, actorsFor, type ActorOptions, subClaimOf } from "../support/gitlab-actors";
import { type SynthJson } from "../support/synth";
import { buildIamModel, type IamModel, type Token } from "./iam-model";

/** One environment as the scenario sees it. */
export interface ScenarioEnvironment {
  readonly config: EnvironmentConfig;
  readonly audience: string;
  readonly host: string;
  readonly tenants: readonly Tenant[];
}

/** A built configuration, ready for attack-path questions. */
export interface Scenario {
  readonly config: PlatformConfig;
  readonly stacks: PlatformStacks;
  readonly json: ReadonlyMap<string, SynthJson>;
  readonly model: IamModel;
  readonly environments: readonly ScenarioEnvironment[];
}

/** Builds every stack of `config` (validating it, as the app does) and reads the IAM model from their JSON. */
export function buildScenario(config: PlatformConfig): Scenario {
  const stacks = buildPlatform(Testing.app(), config);
  const json = new Map<string, SynthJson>(
    [...stacks.accounts.values(), ...stacks.environments.values(), ...stacks.gitlabShared.values()].map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as SynthJson]),
  );
  return {
    config,
    stacks,
    json,
    model: buildIamModel(json),
    environments: config.environments.map((env) => ({ config: env, audience: audienceOf(config, env), host: gitLabHostOf(env.gitlab.url), tenants: tenantsOf(env) })),
  };
}

/** The actors of one tenant (defaults: release tag `v1.2.3`, attacker tag `v0-x`, attacker branch = default branch). */
export function tenantActors(tenant: Tenant, options: Partial<ActorOptions> = {}): readonly Actor[] {
  return actorsFor(tenant.path, { defaultBranch: tenant.defaultBranch, releaseTag: "v1.2.3", ...options });
}

/** The token an actor's job gets when it requests `aud` (any job may request any audience). */
export function tokenOf(env: ScenarioEnvironment, actor: Actor, aud: string): Token {
  const components = env.config.identity?.subClaimComponents ?? DEFAULT_SUB_CLAIM_COMPONENTS;
  return { host: env.host, sub: subClaimOf(actor, components), aud };
}
