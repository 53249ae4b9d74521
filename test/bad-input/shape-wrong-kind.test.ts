import { CONFIG_SHAPE, type Kind } from "../../stacks/config-fields";
import { enrichedExample, type Json, type Path, placesOf, violationsFor, withValue, WRONG } from "./shape-walk";

/**
 * A field of the wrong type is one problem, at its path: each loose field of the enriched example
 * (see shape-walk.ts) given a value of every other kind gives exactly one violation, at the field
 * or the section holding it. The sweep of every field with every kind is in shape-exhaustive.test.ts.
 */

const enriched = enrichedExample();
const places = placesOf(enriched, CONFIG_SHAPE);

/** The JavaScript kind of a value, as the shape names it (null has none of the shape's kinds). */
function kindOf(value: Json): Kind | "null" {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : (typeof value as Kind);
}

/** The config path of a place, as messages write it: `config/environments[0]/runners/runners[1]/limit`. */
function configPathOf(path: Path): string {
  return path.reduce<string>((at, key) => (typeof key === "number" ? `${at}[${key}]` : `${at}/${key}`), "config");
}

/** Whether `ancestor` is `path` or a section or list above it. */
function isAtOrAbove(ancestor: string, path: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`) || path.startsWith(`${ancestor}[`);
}

describe("a field of the wrong type is one problem, at its path (no rule that reads it runs on it)", () => {
  // Loose fields: the shape pass leaves their type to the field's rule (which explains it better),
  // so the rules run with the wrong type in place. Every other field's wrong type is its shape line (shape-exhaustive.test.ts).
  const loose = places.filter((p) => p.present && p.field.loose);

  test("the walk reaches the loose fields (account ids, enums, numbers with ranges)", () => {
    const paths = loose.map((p) => p.path.join("/"));
    expect(paths).toEqual(expect.arrayContaining(["accounts/0/accountId", "environments/0/accountId", "environments/0/runners/runners/0/limit", "environments/0/cache/expirationDays", "environments/2/mirror/kind", "backend/kind"]));
    expect(loose.length).toBeGreaterThan(40);
  });

  test("each loose field given a value of another kind gives exactly one problem, at the field or the section holding it", () => {
    const problems: string[] = [];
    for (const place of loose) {
      const fieldPath = configPathOf(place.path);
      for (const wrong of WRONG.filter((w) => !(place.field.kinds as readonly string[]).includes(kindOf(w.value)))) {
        const found = violationsFor(withValue(enriched, place.path, wrong.value));
        const here = found.length === 1 && isAtOrAbove(found[0]!.path, fieldPath);
        if (!here) problems.push(`${fieldPath} = ${wrong.name}: ${found.length === 0 ? "accepted" : found.map((v) => `${v.path} ${v.subject}: ${v.rule}`).join(" | ")}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
