import fc from "fast-check";
import { CONFIG_SHAPE } from "../../stacks/config-fields";
import { configShapeOf } from "../../stacks/config-shape";
import { enrichedExample, type Json, placesOf, violationsFor, withValue, WRONG } from "./shape-walk";

/**
 * The rules run beside shape problems: a shape problem anywhere but in production (and but a
 * broken project, accounts or environments list, which every rule reads) leaves production's rule
 * problems reported in the same run, beside the shape's lines: a cache expiry of 0, found early in
 * its section, and an account id no account stack has, found after the section's checks that span
 * environments (the shared GitLab stack's name, every environment's GitLab instance URL): those
 * must not read another environment's broken fields. Only a broken account entry may hide the
 * account problem (the environment's account is looked up among them).
 */

const enriched = enrichedExample();
const planted = withValue(withValue(enriched, ["environments", 2, "cache", "expirationDays"], 0), ["environments", 2, "accountId"], "999999999999");
const EXPIRY = "config/environments[2]/cache expirationDays";
const ACCOUNT = "config/environments[2] account and region";
// Anywhere but production, the project and the two lists themselves (their elements are fair game).
const places = placesOf(enriched, CONFIG_SHAPE).filter(
  (p) => !(p.path[0] === "environments" && (p.path.length === 1 || p.path[1] === 2)) && !(p.path[0] === "accounts" && p.path.length === 1) && !(p.path[0] === "project"),
);

describe("a shape problem hides no rule problem of another section", () => {
  test("a broken project is its shape line only (every resource name derives from it)", () => {
    expect(violationsFor(withValue(planted, ["project"], null)).map((v) => `${v.path} ${v.subject}`)).toEqual(["config project"]);
  });

  test("the planted expiry and account alone are two problems", () => {
    expect(violationsFor(planted).map((v) => `${v.path} ${v.subject}`)).toEqual([EXPIRY, ACCOUNT]);
  });

  test("another environment's GitLab URL missing, of another kind, or misspelt hides no problem of production found after the shared stacks' URLs", () => {
    const staging = ["environments", 1, "gitlab"] as const;
    const gitlab = (enriched.environments[1]!.gitlab as unknown) as Record<string, Json>;
    const { url, ...withoutUrl } = gitlab;
    for (const config of [
      withValue(planted, [...staging, "url"], undefined),
      withValue(planted, [...staging, "url"], 5),
      withValue(planted, [...staging], { ...withoutUrl, urll: url }),
      withValue(planted, ["environments", 1, "gitlab"], undefined),
    ]) {
      const found = violationsFor(config).map((v) => `${v.path} ${v.subject}`);
      expect(found).toEqual(expect.arrayContaining([EXPIRY, ACCOUNT]));
    }
  });

  test("staging's url missing hides no promotion problem that needs no URL (its promotion's region check, dev's account)", () => {
    const config = withValue(withValue(enriched, ["environments", 1, "gitlab", "url"], undefined), ["environments", 0, "region"], "eu-centrall-1");
    const found = violationsFor(config).map((v) => `${v.path} ${v.subject}`);
    expect(found).toEqual(["config/environments[1]/gitlab url", "config/environments[0] account and region", "config/environments[1]/promotion/from promotion source"]);
  });

  test("a broken environment entry hides no account problem of production (its error path is its own, not looked up in the list)", () => {
    const found = violationsFor(withValue(planted, ["environments", 0], null)).map((v) => `${v.path} ${v.subject}`);
    expect(found).toEqual(expect.arrayContaining([EXPIRY, ACCOUNT]));
  });

  test("a wrong kind at a random place outside production: production's expiry is reported with the shape's lines", () => {
    fc.assert(
      fc.property(fc.constantFrom(...places), fc.constantFrom(...WRONG), (place, wrong) => {
        const config = withValue(planted, place.path, wrong.value);
        // Only shape problems (a value of a kind the field takes may be a rule problem of its own).
        fc.pre(configShapeOf(config).found.length > 0);
        const found = violationsFor(config).map((v) => `${v.path} ${v.subject}`);
        const expected = place.path[0] === "accounts" ? [EXPIRY] : [EXPIRY, ACCOUNT];
        if (!expected.every((e) => found.includes(e))) throw new Error(`${place.path.join("/")} = ${wrong.name}: ${found.join(" | ")}`);
      }),
      { numRuns: 200 },
    );
  });
});
