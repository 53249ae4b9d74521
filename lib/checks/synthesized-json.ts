/**
 * Checks that read a stack's synthesized JSON, run on the JSON synth writes instead of resolving
 * the stack once more per check.
 *
 * cdktf 0.21's stack synthesizer (`StackSynthesizer.synthesize` in
 * `cdktf/lib/synthesize/synthesizer.js`) runs, per stack: the aspects, the validations (unless
 * `skipValidation`), every construct's custom synthesis (children first, the stack last), then
 * collects the annotations into the manifest, throws when one is an error (unless
 * `CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS` is set), and only then resolves the stack
 * (`stack.toTerraform()`) and writes `cdk.tf.json`. A check must annotate before the annotations
 * are collected, so it cannot wait for that last resolution; before, each check resolved the
 * stack itself, from its aspect: the example app resolved every stack three times.
 *
 * Here a check registers (from its aspect's visit of the stack) and the stack is resolved once,
 * in the stack's custom synthesis, the last step before the annotations are collected: every
 * registered check reads that JSON, and the `toTerraform()` call that follows in the same synth
 * returns it instead of resolving again. The checks therefore see the stack after every aspect
 * ran (also aspects that change resources), which the old aspect-time resolution did not.
 *
 * `Testing.synth(stack)` runs no custom synthesis: there the checks run on its own
 * `toTerraform()` call, whose result is the same JSON. A stack that already carries a custom
 * synthesis of its own cannot take a second one: its checks then run at once, from the aspect
 * (the former behaviour: one more resolution).
 */
import { AnnotationMetadataEntryType, type TerraformStack } from "cdktf";
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";

/** A check of one stack's synthesized JSON (`toTerraform()` output: resolved, snake_case keys, `"//"` metadata). */
export type SynthesizedJsonCheck = (json: Record<string, unknown>) => void;

/** Per stack: the checks waiting for its JSON, and the JSON resolved for them and not yet handed to synth. */
interface StackState {
  readonly pending: SynthesizedJsonCheck[];
  /** Set by the custom synthesis, taken by the next `toTerraform()` of the same synth. */
  resolved?: Record<string, unknown>;
}

const states = new WeakMap<TerraformStack, StackState>();

/** cdktf's marker of a construct's custom synthesis (`Symbol.for("cdktf/customSynthesis")` in cdktf 0.21). */
const CUSTOM_SYNTHESIS = Symbol.for("cdktf/customSynthesis");

/** The stack's own `toTerraform` (the prototype's), bypassing the override installed below. */
function resolveStack(stack: TerraformStack): Record<string, unknown> {
  return Object.getPrototypeOf(stack).toTerraform.call(stack) as Record<string, unknown>;
}

/**
 * Whether cdktf's synthesizer goes on to `toTerraform()` after the custom syntheses: not when it
 * writes HCL (`SYNTH_HCL_OUTPUT`), nor when it stops at an error annotation (unless
 * `CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS` is set). Then the JSON is not kept, so that a later
 * `toTerraform()` (after the caller changed the stack) resolves afresh.
 */
function synthWillResolve(stack: TerraformStack): boolean {
  if (process.env.SYNTH_HCL_OUTPUT === "true" || process.env.SYNTH_HCL_OUTPUT === "1") return false;
  if (process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS !== undefined) return true;
  return !stack.node.findAll().some((c) => c.node.metadata.some((m) => m.type === AnnotationMetadataEntryType.ERROR));
}

/** Runs and forgets the stack's pending checks on `json`. */
function runPending(state: StackState, json: Record<string, unknown>): void {
  const checks = state.pending.splice(0);
  for (const check of checks) check(json);
}

/**
 * Installs, once per stack, the custom synthesis that resolves the stack for the pending checks
 * and the `toTerraform` override that hands synth that same JSON. False when the stack already
 * has a custom synthesis of its own (it cannot be replaced: cdktf defines it non-configurable).
 */
function install(stack: TerraformStack): StackState | undefined {
  const existing = states.get(stack);
  if (existing) return existing;
  if (Object.getOwnPropertyDescriptor(stack, CUSTOM_SYNTHESIS) !== undefined) return undefined;
  const state: StackState = { pending: [] };
  states.set(stack, state);
  addCustomSynthesis(stack, {
    onSynthesize: () => {
      if (state.pending.length === 0) return;
      const json = resolveStack(stack);
      runPending(state, json);
      if (!synthWillResolve(stack)) return;
      state.resolved = json;
      // Synth is synchronous: the toTerraform() right after this step takes the JSON; should
      // another synthesizer not call it, the JSON is not kept beyond this synth.
      queueMicrotask(() => (state.resolved = undefined));
    },
  });
  Object.defineProperty(stack, "toTerraform", {
    configurable: true,
    writable: true,
    value: (): Record<string, unknown> => {
      const resolved = state.resolved;
      if (resolved) {
        state.resolved = undefined;
        return resolved;
      }
      const json = resolveStack(stack);
      runPending(state, json);
      return json;
    },
  });
  return state;
}

/**
 * Runs `check` on `stack`'s synthesized JSON, once, in the stack's next synth (`app.synth()`,
 * `Testing.fullSynth`, `Testing.synth`), sharing one resolution of the stack with every other
 * check registered for it and with the JSON synth writes. Call it from an aspect's visit of the
 * stack (aspects run at the start of each stack's synth); annotations the check adds fail synth
 * like any other error annotation.
 *
 * @param stack the stack whose JSON the check reads
 * @param check called with the stack's `toTerraform()` output; it must not change it (synth writes that object)
 */
export function checkSynthesizedJson(stack: TerraformStack, check: SynthesizedJsonCheck): void {
  const state = install(stack);
  if (!state) {
    check(stack.toTerraform() as Record<string, unknown>);
    return;
  }
  // A new synth of the stack: JSON resolved for an earlier one is stale.
  state.resolved = undefined;
  state.pending.push(check);
}
