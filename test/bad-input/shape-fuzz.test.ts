import fc from "fast-check";
import { App } from "cdktf";
import { ValidationError } from "../../lib/core/errors";
import { buildPlatform } from "../../stacks/app";
import { validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";

/**
 * Random shape damage to the example configuration (a key deleted or misspelt, a value replaced
 * by one of another JavaScript type) never ends in anything but a ValidationError: the synth
 * command prints those as problems with config paths, and anything else as a stack trace.
 */

type Json = unknown;

/** Every path (list of keys) to a value of the configuration, the root excluded. */
function pathsOf(value: Json, prefix: readonly (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

/** A deep copy with the value at `path` changed by `damage`. */
function damaged(root: Json, path: readonly (string | number)[], damage: Damage): Json {
  const copy = structuredClone(root) as Record<string | number, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const key = path[path.length - 1]!;
  if (damage.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (damage.kind === "rename") {
    if (Array.isArray(parent)) return copy;
    parent[damage.rename(String(key))] = parent[key];
    delete parent[key];
  } else {
    parent[key] = damage.value;
  }
  return copy;
}

type Damage = { kind: "delete" } | { kind: "rename"; rename: (key: string) => string } | { kind: "replace"; value: Json };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.constant<Damage>({ kind: "delete" }),
  fc.constantFrom<Damage>(
    { kind: "rename", rename: (k) => k.toUpperCase() },
    { kind: "rename", rename: (k) => `${k}s` },
    { kind: "rename", rename: (k) => k.slice(1) },
  ),
  fc.constantFrom<Json>(null, 0, -1, 1.5, "", "x", true, false, [], {}, [1], { a: 1 }).map<Damage>((value) => ({ kind: "replace", value })),
);

// The example is a plain-data object (a JSON configuration gives the same).
const example = JSON.parse(JSON.stringify(exampleConfig)) as Json;
const paths = pathsOf(example);

/** What the synth command would meet: a ValidationError (printed as problems), or nothing. */
function outcome(config: Json, build: boolean): Error | undefined {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    if (build) buildPlatform(new App({ outdir: "/tmp/adopt4b-fuzz-unused" }), config as Parameters<typeof buildPlatform>[1]);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    return error as Error;
  }
}

describe("random shape damage to the example configuration", () => {
  test("the damage model reaches deep fields (the property is not vacuous)", () => {
    expect(paths.length).toBeGreaterThan(200);
    expect(paths).toContainEqual(["environments", 0, "runners", "runners", 0, "limit"]);
  });

  test("the configuration check reports it as validation errors, never as another error", () => {
    fc.assert(
      fc.property(fc.constantFrom(...paths), damage, (path, d) => {
        const error = outcome(damaged(example, path, d), false);
        if (error) throw new Error(`${path.join("/")} ${JSON.stringify(d)}: ${error.stack}`);
      }),
      { numRuns: 1500 },
    );
  });
});
