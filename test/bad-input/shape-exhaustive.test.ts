import { formatViolation, ValidationError, type Violation, violationsOf } from "../../lib/core/errors";
import { validateConfig } from "../../stacks/config";
import { CONFIG_SHAPE, type Field } from "../../stacks/config-fields";
import { configShapeOf } from "../../stacks/config-shape";
import { enrichedExample, type Json, placesOf, withValue, WRONG } from "./shape-walk";

/**
 * Every field of the configuration, not only those a random run happens to hit: each value of
 * the example (and of the optional sections the example leaves out, and each optional field
 * absent from both) is replaced in turn by null, a number, a string, a list and an object, and the
 * configuration pass the synth command runs (`validateConfig`, in-process) either accepts it or
 * fails with validation errors naming config paths, never with another error (which the synth
 * command would print as a stack trace). The rules run beside shape problems, so the same sweep
 * checks that a missing or misshapen field on the otherwise valid example is reported by its shape
 * lines only: any rule line beside it would be a follow-on of it. The walk is shape-walk.ts; the
 * wrong-kind sweep of the loose fields is shape-wrong-kind.test.ts.
 */

/** What the configuration pass did with a configuration: accepted it, refused it with violations, or failed otherwise. */
type Outcome = { readonly violations: readonly Violation[] } | { readonly failure: string };

function outcomeOf(config: Json): Outcome {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return { violations: [] };
  } catch (error) {
    if (!(error instanceof ValidationError)) return { failure: `${String(error)}\n${(error as Error).stack ?? ""}` };
    return { violations: violationsOf(error) };
  }
}

/** undefined when the configuration pass accepted the configuration or refused it with config paths; otherwise what went wrong. */
function problemIn(outcome: Outcome): string | undefined {
  if ("failure" in outcome) return outcome.failure;
  const unnamed = outcome.violations.filter((v) => !/^config(\/|\[|$)/.test(v.path));
  return unnamed.length === 0 ? undefined : `violations without a config path: ${unnamed.map((v) => v.path).join(", ")}`;
}

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

const enriched = enrichedExample();
const places = placesOf(enriched, CONFIG_SHAPE);

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

  /** Every place given every wrong value, with what the configuration pass did (computed once, read by the two sweeps below). */
  let damaged: { readonly label: string; readonly config: Json; readonly outcome: Outcome }[] | undefined;
  const sweep = (): NonNullable<typeof damaged> => {
    damaged ??= places.flatMap((place) =>
      WRONG.map((wrong) => {
        const config = withValue(enriched, place.path, wrong.value);
        return { label: `${place.path.join("/")} = ${wrong.name}${place.present ? "" : " (absent from the example)"}`, config, outcome: outcomeOf(config) };
      }),
    );
    return damaged;
  };

  test("null, a number, a string, a list or an object anywhere ends in validation errors with config paths, or is accepted", () => {
    const problems: string[] = [];
    for (const { label, outcome } of sweep()) {
      const problem = problemIn(outcome);
      if (problem) problems.push(`${label}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  test("a missing or misshapen field of the otherwise valid example is its shape lines only: no rule line follows from it", () => {
    const problems: string[] = [];
    let broken = 0;
    for (const { label, config, outcome } of sweep()) {
      const shape = configShapeOf(config);
      if (shape.broken.length === 0 || "failure" in outcome) continue;
      broken++;
      const own = new Set(shape.found.map(formatViolation));
      const others = outcome.violations.map(formatViolation).filter((line) => !own.has(line));
      if (others.length > 0) problems.push(`${label}: ${others.join(" | ")}`);
    }
    // Not vacuous: most wrong values break their field.
    expect(broken).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  });
});
