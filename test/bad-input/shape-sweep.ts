import { formatViolation, ValidationError, type Violation, violationsOf } from "../../lib/core/errors";
import { validateConfig } from "../../stacks/config";
import { CONFIG_SHAPE } from "../../stacks/config-fields";
import { configShapeOf } from "../../stacks/config-shape";
import { enrichedExample, type Json, type Place, placesOf, withValue, WRONG } from "./shape-walk";

/**
 * The damage sweep of the exhaustive shape test, shared by its files: every place of the enriched
 * example (shape-walk.ts) replaced in turn by null, a number, a string, a list and an object, and
 * what the configuration pass did with each. The places fall into three sections, one file each,
 * so the sweep's ~3,400 configuration checks run on both test workers: the environments' runner
 * fleets (shape-exhaustive-runners.test.ts), their identity and GitLab sections
 * (shape-exhaustive-access.test.ts), and every other place (shape-exhaustive.test.ts). Every place
 * is in exactly one section: the last is "none of the others".
 */

/** What the configuration pass did with a configuration: accepted it, refused it with violations, or failed otherwise. */
export type Outcome = { readonly violations: readonly Violation[] } | { readonly failure: string };

export function outcomeOf(config: Json): Outcome {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return { violations: [] };
  } catch (error) {
    if (!(error instanceof ValidationError)) return { failure: `${String(error)}\n${(error as Error).stack ?? ""}` };
    return { violations: violationsOf(error) };
  }
}

/** undefined when the configuration pass accepted the configuration or refused it with config paths; otherwise what went wrong. */
export function problemIn(outcome: Outcome): string | undefined {
  if ("failure" in outcome) return outcome.failure;
  const unnamed = outcome.violations.filter((v) => !/^config(\/|\[|$)/.test(v.path));
  return unnamed.length === 0 ? undefined : `violations without a config path: ${unnamed.map((v) => v.path).join(", ")}`;
}

/** The sections of the sweep, by the place's path: `environments/<i>/<section>/...`. */
export const SWEEP_SECTIONS = {
  runners: (place: Place) => place.path[0] === "environments" && place.path[2] === "runners",
  access: (place: Place) => place.path[0] === "environments" && (place.path[2] === "identity" || place.path[2] === "gitlab"),
  rest: (place: Place) => !SWEEP_SECTIONS.runners(place) && !SWEEP_SECTIONS.access(place),
} as const;

/** The enriched example (the example plus the optional sections it leaves out) and every place of it. */
export function sweepPlaces(): { readonly enriched: Json; readonly places: readonly Place[] } {
  const enriched = enrichedExample();
  return { enriched, places: placesOf(enriched, CONFIG_SHAPE) };
}

/** One place given one wrong value: its label, the damaged configuration and what the configuration pass did with it. */
export interface Damaged {
  readonly label: string;
  readonly config: Json;
  readonly outcome: Outcome;
}

/** Every place of `places` given every wrong value (computed once per file, read by both checks). */
export function sweepOf(enriched: Json, places: readonly Place[]): Damaged[] {
  return places.flatMap((place) =>
    WRONG.map((wrong) => {
      const config = withValue(enriched, place.path, wrong.value);
      return { label: `${place.path.join("/")} = ${wrong.name}${place.present ? "" : " (absent from the example)"}`, config, outcome: outcomeOf(config) };
    }),
  );
}

/** The damaged configurations the pass did not end in acceptance or config-path errors: `<label>: <problem>`. */
export function damageOf(sweep: readonly Damaged[]): string[] {
  return sweep.flatMap(({ label, outcome }) => {
    const problem = problemIn(outcome);
    return problem ? [`${label}: ${problem}`] : [];
  });
}

/**
 * The rule lines beside a broken shape: for each damaged configuration whose shape is broken,
 * the lines that are not its shape lines (each a follow-on of the damage), and how many were broken.
 */
export function followOnsOf(sweep: readonly Damaged[]): { readonly broken: number; readonly problems: string[] } {
  const problems: string[] = [];
  let broken = 0;
  for (const { label, config, outcome } of sweep) {
    const shape = configShapeOf(config);
    if (shape.broken.length === 0 || "failure" in outcome) continue;
    broken++;
    const own = new Set(shape.found.map(formatViolation));
    const others = outcome.violations.map(formatViolation).filter((line) => !own.has(line));
    if (others.length > 0) problems.push(`${label}: ${others.join(" | ")}`);
  }
  return { broken, problems };
}
