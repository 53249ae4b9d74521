/*
 * Planting grants in a copy of a scenario's synthesized JSON: the attack-path tests that show a
 * boundary check can fail change one resource and rebuild the IAM model from the copy.
 */
import { type SynthJson } from "../support/synth";
import { buildIamModel } from "./iam-model";
import { type Scenario, withJson } from "./scenario";

export type Json = Record<string, unknown>;

/** A deep copy of one stack's synthesized JSON, to plant in. */
export function copiedStack(json: SynthJson): SynthJson {
  return JSON.parse(JSON.stringify(json)) as SynthJson;
}

/** Deep copies of every stack's synthesized JSON, by stack name. */
export function copiedStacks(json: ReadonlyMap<string, SynthJson>): Map<string, SynthJson> {
  return new Map([...json].map(([stack, j]) => [stack, copiedStack(j)]));
}

/** `base` with `mutate` applied to a deep copy of its JSON, and the model rebuilt from it. */
export function plantedIn(base: Scenario, mutate: (json: Map<string, SynthJson>) => void): Scenario {
  const json = copiedStacks(base.json);
  mutate(json);
  return withJson(base, json, buildIamModel(json));
}

/**
 * The resources of one type in a stack's JSON, to plant in: created empty when absent (unlike
 * `resourcesOf` of test/support/synth.ts, which only reads).
 */
export function plantableResources(json: SynthJson, type: string): Record<string, Json> {
  const all = json.resource as Record<string, Record<string, Json>>;
  return (all[type] ??= {});
}

/** The construct id of the role named `name` in a stack's JSON. */
export const roleIdIn = (json: SynthJson, name: string): string => Object.entries(plantableResources(json, "aws_iam_role")).find(([, r]) => r.name === name)![0];

/** A policy document's JSON text. */
export const policyText = (...statements: Json[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });

/** Adds an inline policy (`aws_iam_role_policy`) to a role of a stack. */
export function grantRoleIn(json: SynthJson, role: string, ...statements: Json[]): void {
  plantableResources(json, "aws_iam_role_policy")[`planted_${role}`] = { name: "planted", role: `\${aws_iam_role.${roleIdIn(json, role)}.name}`, policy: policyText(...statements) };
}
