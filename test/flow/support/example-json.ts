import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as Cdktf from "cdktf";
import type * as AccountStackModule from "../../../stacks/account-stack";
import type * as ConfigModule from "../../../stacks/config";
import type * as EnvironmentStackModule from "../../../stacks/environment-stack";
import type * as ExampleConfigModule from "../../../stacks/example-config";
import type * as SharedStackModule from "../../../stacks/gitlab-shared-stack";
import { sourceHash as hashOfSources } from "../../support/source-hash";
import { type SynthJson } from "../../support/synth";

/** A hash of every source the synthesized stacks depend on (lib/, stacks/, this module) and of `extra` files. */
export function sourceHash(extra: readonly string[] = []): string {
  return hashOfSources([__filename, ...extra]);
}

/**
 * The synthesized JSON of the example's account and environment stacks, by stack name, built as
 * the app builds them (validated configuration, each environment with its account stack; the
 * rule pack's aspects, which only check, are left out). Cached in the temp directory under
 * {@link sourceHash}, so the flow files of one test run synthesize once between them; the modules
 * that synthesize are loaded only on a cache miss.
 */
export function exampleStackJson(): ReadonlyMap<string, SynthJson> {
  const file = path.join(tmpdir(), `flow-example-stacks-${sourceHash()}.json`);
  if (existsSync(file)) return new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, SynthJson>));
  // Loaded only to synthesize: cdktf and the stacks' provider classes cost a flow file about a second of CPU to load.
  const { Testing } = require("cdktf") as typeof Cdktf;
  const { AccountStack } = require("../../../stacks/account-stack") as typeof AccountStackModule;
  const { accountOf, accountStackName, validateConfig } = require("../../../stacks/config") as typeof ConfigModule;
  const { EnvironmentStack } = require("../../../stacks/environment-stack") as typeof EnvironmentStackModule;
  const { exampleConfig } = require("../../../stacks/example-config") as typeof ExampleConfigModule;
  const { withoutSharedGitLabPieces } = require("../../../stacks/gitlab-shared-stack") as typeof SharedStackModule;
  validateConfig(exampleConfig);
  const app = Testing.app();
  const accounts = new Map(exampleConfig.accounts.map((a) => [a.name, new AccountStack(app, accountStackName(a), exampleConfig, a)]));
  const stacks = [
    ...accounts.values(),
    ...exampleConfig.environments.map((env) => new EnvironmentStack(app, env.name, exampleConfig, withoutSharedGitLabPieces(env), accounts.get(accountOf(exampleConfig, env).name))),
  ];
  const json = Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as SynthJson]));
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(json));
  renameSync(partial, file);
  return new Map(Object.entries(json));
}
