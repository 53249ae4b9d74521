import fc from "fast-check";
import { ValidationError, type Violation, violationsOf } from "../../lib/core/errors";
import { validateConfig } from "../../stacks/config";
import { CONFIG_SHAPE } from "../../stacks/config-fields";
import { configShapeOf } from "../../stacks/config-shape";
import { enrichedExample, type Json, placesOf, withValue, WRONG } from "./shape-walk";

/**
 * The rules run beside shape problems: a shape problem anywhere but in production (and but a
 * broken project, accounts or environments list, which every rule reads) leaves production's rule problem
 * (a cache expiry of 0) reported in the same run, beside the shape's lines.
 */

function violationsFor(config: Json): readonly Violation[] {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return violationsOf(error);
  }
}

const enriched = enrichedExample();
const planted = withValue(enriched, ["environments", 2, "cache", "expirationDays"], 0);
const EXPIRY = "config/environments[2]/cache expirationDays";
// Anywhere but production, the project and the two lists themselves (their elements are fair game).
const places = placesOf(enriched, CONFIG_SHAPE).filter(
  (p) => !(p.path[0] === "environments" && (p.path.length === 1 || p.path[1] === 2)) && !(p.path[0] === "accounts" && p.path.length === 1) && !(p.path[0] === "project"),
);

describe("a shape problem hides no rule problem of another section", () => {
  test("a broken project is its shape line only (every resource name derives from it)", () => {
    expect(violationsFor(withValue(planted, ["project"], null)).map((v) => `${v.path} ${v.subject}`)).toEqual(["config project"]);
  });

  test("the planted expiry alone is one problem", () => {
    expect(violationsFor(planted).map((v) => `${v.path} ${v.subject}`)).toEqual([EXPIRY]);
  });

  test("a wrong kind at a random place outside production: production's expiry is reported with the shape's lines", () => {
    fc.assert(
      fc.property(fc.constantFrom(...places), fc.constantFrom(...WRONG), (place, wrong) => {
        const config = withValue(planted, place.path, wrong.value);
        // Only shape problems (a value of a kind the field takes may be a rule problem of its own).
        fc.pre(configShapeOf(config).found.length > 0);
        const found = violationsFor(config).map((v) => `${v.path} ${v.subject}`);
        if (!found.includes(EXPIRY)) throw new Error(`${place.path.join("/")} = ${wrong.name}: ${found.join(" | ")}`);
      }),
      { numRuns: 200 },
    );
  });
});
