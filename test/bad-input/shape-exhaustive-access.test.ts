import { damageOf, followOnsOf, SWEEP_SECTIONS, sweepOf, sweepPlaces } from "./shape-sweep";

/**
 * The exhaustive shape sweep (shape-exhaustive.test.ts, shape-sweep.ts) for who may do what: every
 * place under `environments[i].identity` and `environments[i].gitlab`, present in the enriched
 * example or absent, replaced by null, a number, a string, a list and an object, ends in
 * validation errors naming config paths, or is accepted; never in another error.
 */
const { enriched, places } = sweepPlaces();

const access = places.filter(SWEEP_SECTIONS.access);
/** The places of this file given every wrong value (computed once, read by both sweeps). */
let damaged: ReturnType<typeof sweepOf> | undefined;
const sweep = () => (damaged ??= sweepOf(enriched, access));

test("null, a number, a string, a list or an object anywhere in an environment's identity or gitlab section ends in validation errors with config paths, or is accepted", () => {
  expect(access.map((p) => p.path.join("/"))).toEqual(expect.arrayContaining(["environments/0/identity/deployment/statements/0/conditions/StringLike/s3:prefix/0", "environments/0/gitlab/toolboxProject/path", "environments/0/gitlab/runners"]));
  expect(damageOf(sweep())).toEqual([]);
});

test("a missing or misshapen field in an environment's identity or gitlab section is its shape lines only: no rule line follows from it", () => {
  const { broken, problems } = followOnsOf(sweep());
  // Not vacuous: many wrong values break their field (over 1,000 in the three files together, as in one file before).
  expect(broken).toBeGreaterThan(sweep().length / 3);
  expect(problems).toEqual([]);
});
