import { validateConfig } from "../../stacks/config";
import { CONFIG_SHAPE, type Field } from "../../stacks/config-fields";
import { damageOf, followOnsOf, outcomeOf, problemIn, SWEEP_SECTIONS, sweepOf, sweepPlaces } from "./shape-sweep";

/**
 * Every field of the configuration, not only those a random run happens to hit: each value of
 * the example (and of the optional sections the example leaves out, and each optional field
 * absent from both) is replaced in turn by null, a number, a string, a list and an object, and the
 * configuration pass the synth command runs (`validateConfig`, in-process) either accepts it or
 * fails with validation errors naming config paths, never with another error (which the synth
 * command would print as a stack trace). The rules run beside shape problems, so the same sweep
 * checks that a missing or misshapen field on the otherwise valid example is reported by its shape
 * lines only: any rule line beside it would be a follow-on of it. The walk is shape-walk.ts, the
 * sweep shape-sweep.ts: this file sweeps every place outside the environments' runners, identity
 * and GitLab sections, which shape-exhaustive-runners.test.ts and shape-exhaustive-access.test.ts
 * sweep; the wrong-kind sweep of the loose fields is shape-wrong-kind.test.ts.
 */

/** Every object field of a shape, at any depth, with the field path it is declared at (a union section's shape holds every variant's keys). */
function objectFieldsOf(field: Field, at: string, seen = new Set<Field>()): { at: string; field: Field }[] {
  if (seen.has(field)) return [];
  seen.add(field);
  const own = field.kinds.includes("object") ? [{ at, field }] : [];
  const children = [
    ...Object.entries(field.shape ?? {}).map(([key, child]) => objectFieldsOf(child, `${at}/${key}`, seen)),
    ...(field.items ? [objectFieldsOf(field.items, `${at}[]`, seen)] : []),
    ...(field.values ? [objectFieldsOf(field.values, `${at}/*`, seen)] : []),
  ];
  return [...own, ...children.flat()];
}

const { enriched, places } = sweepPlaces();

describe("every field of the configuration, each replaced by a value of every other kind", () => {
  test("the enriched example (the example plus the optional sections it leaves out) is a valid configuration", () => {
    expect(problemIn(outcomeOf(enriched))).toBeUndefined();
    expect(() => validateConfig(enriched as Parameters<typeof validateConfig>[0])).not.toThrow();
  });

  test("the walk reaches every section, present or not (it is not vacuous)", () => {
    const paths = places.map((p) => p.path.join("/"));
    expect(places.length).toBeGreaterThan(500);
    for (const expected of [
      "environments/0/runners/runners/0/limit",
      "environments/0/runners/runners/0/sharedBetweenProjects/reason",
      "environments/0/runners/purchase/spotAllocationStrategy",
      "environments/0/runners/network/flowLogs/trafficType",
      "environments/1/runners/network/existing/privateSubnetIds/1",
      "environments/2/registry/tagScheme/kinds/commit/retention/maxCount",
      "environments/2/deploy/lastGoodDigest/parameterPrefix",
      "environments/0/gitlab/toolboxProject/path",
      "environments/0/identity/deployment/statements/0/conditions/StringLike/s3:prefix/0",
      "accounts/1/registry/pullThroughCache/1/credentialSecretArn",
      "backend/roleArn",
      // Absent from the example and the seeds: reached as absent optional fields.
      "environments/0/gitlab/runners",
      "environments/0/promotion",
      "environments/2/runners/deploy/capacity/desiredCapacity",
    ]) {
      expect(paths).toContain(expected);
    }
    expect(places.filter((p) => !p.present).length).toBeGreaterThan(100);
  });

  test("every object field of the shape lists its keys (no section is checked only as 'an object')", () => {
    const bare = objectFieldsOf(CONFIG_SHAPE, "config").filter(({ field }) => !field.shape && !field.values && !field.variant);
    expect(bare.map(({ at }) => at)).toEqual([]);
  });

  test("the sweep's three sections (runners, identity and GitLab, the rest) each hold places and together every place once", () => {
    const counts = Object.values(SWEEP_SECTIONS).map((inSection) => places.filter(inSection).length);
    for (const count of counts) expect(count).toBeGreaterThan(100);
    expect(places.filter((place) => Object.values(SWEEP_SECTIONS).filter((inSection) => inSection(place)).length !== 1)).toEqual([]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(places.length);
  });

  /** The places of this file given every wrong value (computed once, read by the two sweeps below). */
  let damaged: ReturnType<typeof sweepOf> | undefined;
  const sweep = () => (damaged ??= sweepOf(enriched, places.filter(SWEEP_SECTIONS.rest)));

  test("null, a number, a string, a list or an object anywhere outside the runners, identity and GitLab sections ends in validation errors with config paths, or is accepted", () => {
    expect(damageOf(sweep())).toEqual([]);
  });

  test("a missing or misshapen field outside the runners, identity and GitLab sections is its shape lines only: no rule line follows from it", () => {
    const { broken, problems } = followOnsOf(sweep());
    // Not vacuous: many wrong values break their field (over 1,000 in the three files together, as in one file before).
    expect(broken).toBeGreaterThan(sweep().length / 3);
    expect(problems).toEqual([]);
  });
});
