/*
 * An attack-path scenario: the synthesized JSON of every stack of one
 * configuration, its IAM model, and GitLab's actors for every environment and
 * tenant with the claims GitLab would issue to them.
 */
import type * as Cdktf from "cdktf";
import { gitLabHostOf } from "../../lib/core/gitlab-url";
import { audienceOf, DEFAULT_SUB_CLAIM_COMPONENTS, type Tenant, tenantsOf } from "../../lib/platform/tenancy";
import type * as AppModule from "../../stacks/app";
import { type PlatformStacks } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { exampleSynthJson } from "../support/example-synth";
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

/** Every stack of `config`, built (validating it, as the app does); cdktf and the stacks are loaded on the first call only. */
function platformOf(config: PlatformConfig): PlatformStacks {
  const { Testing } = require("cdktf") as typeof Cdktf;
  const { buildPlatform } = require("../../stacks/app") as typeof AppModule;
  return buildPlatform(Testing.app(), config);
}

/** The synthesized JSON of every stack, by stack name. */
function jsonOf(stacks: PlatformStacks): Map<string, SynthJson> {
  const { Testing } = require("cdktf") as typeof Cdktf;
  return new Map([...stacks.accounts.values(), ...stacks.environments.values(), ...stacks.gitlabShared.values()].map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as SynthJson]));
}

/**
 * A scenario of `config` from its synthesized JSON, with `stacks` built on first read (from
 * `built` when given): questions that read only the JSON and the model never construct it.
 */
function scenarioOf(config: PlatformConfig, json: ReadonlyMap<string, SynthJson>, model: IamModel, built?: PlatformStacks): Scenario {
  let stacks = built;
  return {
    config,
    get stacks() {
      return (stacks ??= platformOf(config));
    },
    json,
    model,
    environments: config.environments.map((env) => ({ config: env, audience: audienceOf(config, env), host: gitLabHostOf(env.gitlab.url), tenants: tenantsOf(env) })),
  };
}

/** Builds every stack of `config` (validating it, as the app does) and reads the IAM model from their JSON. */
export function buildScenario(config: PlatformConfig): Scenario {
  const stacks = platformOf(config);
  const json = jsonOf(stacks);
  return scenarioOf(config, json, buildIamModel(json), stacks);
}

/**
 * The example app's scenario, as {@link buildScenario} builds it, from the example's synthesized
 * JSON cached between test files ({@link exampleSynthJson}): the attack-path files of a test run
 * synthesize the example once between them (about a second of CPU each, and the load of cdktf and
 * the provider classes), then build the IAM model from the JSON. `stacks` is built on first read.
 */
export function exampleScenario(): Scenario {
  const json = exampleSynthJson();
  return scenarioOf(exampleConfig, json, buildIamModel(json));
}

/** `base` with another JSON and model (a planted copy), its stacks still built on first read only. */
export function withJson(base: Scenario, json: ReadonlyMap<string, SynthJson>, model: IamModel): Scenario {
  return {
    config: base.config,
    get stacks() {
      return base.stacks;
    },
    json,
    model,
    environments: base.environments,
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
