import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as Cdktf from "cdktf";
import type * as AppModule from "../../stacks/app";
import type * as ExampleConfigModule from "../../stacks/example-config";
import { sourceHash } from "./source-hash";
import { type SynthJson } from "./synth";

/**
 * The synthesized JSON of every stack of the example app (accounts, environments, gitlab-shared),
 * by stack name, as `buildPlatform(Testing.app(), exampleConfig)` and `Testing.synth` of each
 * stack give it (the example validated on the way; a stack's JSON does not depend on which other
 * stacks were synthesized before it). Cached in the temp directory under a hash of lib/, stacks/,
 * this module and package-lock.json, so the test files of one run that only read the example's
 * JSON synthesize it once between them; cdktf and the stacks are loaded only on a cache miss.
 * Each call parses the JSON anew: a caller may change its copy.
 */
export function exampleSynthJson(): Map<string, SynthJson> {
  const file = path.join(tmpdir(), `example-synth-${sourceHash([__filename, path.join(__dirname, "../../package-lock.json")])}.json`);
  if (existsSync(file)) return new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, SynthJson>));
  const { Testing } = require("cdktf") as typeof Cdktf;
  const { buildPlatform } = require("../../stacks/app") as typeof AppModule;
  const { exampleConfig } = require("../../stacks/example-config") as typeof ExampleConfigModule;
  const stacks = buildPlatform(Testing.app(), exampleConfig);
  const text = `{${[...stacks.accounts.values(), ...stacks.environments.values(), ...stacks.gitlabShared.values()].map((s) => `${JSON.stringify(s.node.id)}:${Testing.synth(s)}`).join(",")}}`;
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, text);
  renameSync(partial, file);
  return new Map(Object.entries(JSON.parse(text) as Record<string, SynthJson>));
}
