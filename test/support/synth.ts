import { Testing, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { ValidationError } from "../../lib/core/errors";

/** Synthesized Terraform JSON of a stack, parsed. */
export interface SynthJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, Record<string, unknown>>;
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, unknown>;
}

/** A fresh stack in a test app. */
export function testStack(id = "test"): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

/** Synthesizes `stack` and returns the JSON string and the parsed object. */
export function synth(stack: TerraformStack): { text: string; json: SynthJson } {
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) as SynthJson };
}

/** All resources of one type in synthesized JSON, by logical id. */
export function resourcesOf(json: SynthJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** The resources of one type as `[logical id, config]` pairs (the entries of {@link resourcesOf}). */
export function resourceEntriesOf(json: SynthJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(resourcesOf(json, type));
}

/** The single resource of a type (fails when there is not exactly one). */
export function onlyResource(json: SynthJson, type: string): Record<string, unknown> {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0]!;
}

/** Runs `fn` and returns the ValidationError it throws (fails the test otherwise). */
export function violationOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw new Error(`expected a ValidationError, got: ${String(e)}`);
  }
  throw new Error("expected a ValidationError, but nothing was thrown");
}

/** Builds constructs in a fresh stack and returns its parsed synth output. */
export function synthWith(build: (scope: Construct) => void): SynthJson {
  const stack = testStack();
  build(stack);
  return synth(stack).json;
}
