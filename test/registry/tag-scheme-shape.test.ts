import { App, TerraformStack } from "cdktf";
import { ValidationError, violationsOf } from "../../lib/core/errors";
import { TagScheme, type TagSchemeProps } from "../../lib/registry/tag-scheme";
import { TAG_SCHEME_KEYS } from "../../lib/registry/tag-scheme-shape";

/**
 * TagScheme from plain JavaScript (or props read from JSON): a misspelt key or a value of another
 * type used to read as absent, so the default scheme applied in silence (a `Kinds` with a
 * protected kind built a lifecycle policy that expires that kind's images).
 */

// The shape's keys are exactly TagSchemeProps' (a compile error in `npx tsc` otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameKeys: Same<keyof typeof TAG_SCHEME_KEYS, keyof TagSchemeProps> = true;

/** Builds the scheme in a fresh stack on each call. */
function schemeIn(props: unknown): () => TagScheme {
  return () => new TagScheme(new TerraformStack(new App(), "team"), "tag-scheme", props as TagSchemeProps);
}

describe("TagScheme refuses props of the wrong shape at its construct path", () => {
  test("the shape's keys are TagSchemeProps' keys", () => {
    expect(sameKeys).toBe(true);
    expect(Object.keys(TAG_SCHEME_KEYS).sort()).toEqual(["kinds", "maxKindsPerImage", "untaggedExpiryDays", "use"]);
  });

  test.each([
    ["a misspelt key", { Kinds: { golden: { prefix: "golden-", protected: true } } }, "team/tag-scheme/Kinds", /invalid key "Kinds".*did you mean "kinds"\?/],
    ["kinds of another type", { kinds: 5 }, "team/tag-scheme/kinds", /kinds is an object \{ \.\.\. \}, not a number/],
    ["a kind that is null", { kinds: { latest: null } }, "team/tag-scheme/kinds/latest", /tag kind latest is an object \{ \.\.\. \}, not null/],
    ["a misspelt kind option", { kinds: { golden: { prefix: "golden-", protect: true } } }, "team/tag-scheme/kinds/golden/protect", /did you mean "protected"\?/],
    ["a prefix that is not a string", { kinds: { golden: { prefix: 5, protected: true } } }, "team/tag-scheme/kinds/golden/prefix", /prefix is a string such as "golden-", not a number/],
    ["props that are a list", [], "team/tag-scheme", /tag scheme is an object \{ \.\.\. \}, not a list/],
  ])("%s", (_, props, path, message) => {
    const build = schemeIn(props);
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(message);
    let error: unknown;
    try {
      build();
    } catch (e) {
      error = e;
    }
    expect(violationsOf(error as ValidationError).map((v) => v.path)).toEqual([path]);
  });

  test("every shape problem at once", () => {
    let error: unknown;
    try {
      schemeIn({ kindz: {}, use: ["commit", 7] })();
    } catch (e) {
      error = e;
    }
    expect(violationsOf(error as ValidationError).map((v) => v.path)).toEqual(["team/tag-scheme/kindz", "team/tag-scheme/use/1"]);
  });

  test("sound props, and no props, build as before", () => {
    expect(schemeIn({ kinds: { golden: { prefix: "golden-", protected: true } } })().protectedKinds.map((k) => k.name)).toContain("golden");
    expect(schemeIn(undefined)().kinds.length).toBeGreaterThan(0);
  });
});
