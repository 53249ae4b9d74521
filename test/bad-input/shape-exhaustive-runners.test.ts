import { damageOf, followOnsOf, SWEEP_SECTIONS, sweepOf, sweepPlaces } from "./shape-sweep";

/**
 * The exhaustive shape sweep (shape-exhaustive.test.ts, shape-sweep.ts) for the environments'
 * runner fleets: every place under `environments[i].runners`, present in the enriched example or
 * absent, replaced by null, a number, a string, a list and an object, ends in validation errors
 * naming config paths, or is accepted, never in another error; and a missing or misshapen field
 * there is reported by its shape lines only (no rule line follows from it).
 */
const { enriched, places } = sweepPlaces();

const runners = places.filter(SWEEP_SECTIONS.runners);
/** The places of this file given every wrong value (computed once, read by both sweeps). */
let damaged: ReturnType<typeof sweepOf> | undefined;
const sweep = () => (damaged ??= sweepOf(enriched, runners));

test("null, a number, a string, a list or an object anywhere in an environment's runners ends in validation errors with config paths, or is accepted", () => {
  expect(runners.map((p) => p.path.join("/"))).toEqual(expect.arrayContaining(["environments/0/runners/runners/0/limit", "environments/0/runners/network/flowLogs/trafficType", "environments/2/runners/deploy/capacity/desiredCapacity"]));
  expect(damageOf(sweep())).toEqual([]);
});

test("a missing or misshapen field in an environment's runners is its shape lines only: no rule line follows from it", () => {
  const { broken, problems } = followOnsOf(sweep());
  // Not vacuous: many wrong values break their field (over 1,000 in the three files together, as in one file before).
  expect(broken).toBeGreaterThan(sweep().length / 3);
  expect(problems).toEqual([]);
});
