import os from "node:os";
import path from "node:path";
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
    // Built, not synthesized: nothing is written to the outdir.
    if (build) buildPlatform(new App({ outdir: path.join(os.tmpdir(), "shape-fuzz-unused") }), config as Parameters<typeof buildPlatform>[1]);
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

  /** One to three damages at random paths (a later one may land inside an earlier one's result, or miss it). */
  const damages = fc.array(fc.tuple(fc.constantFrom(...paths), damage), { minLength: 1, maxLength: 3 });
  const apply = (list: readonly [(string | number)[], Damage][]): Json => list.reduce((config, [path, d]) => (reachable(config, path) ? damaged(config, path, d) : config), example);

  test("the configuration check reports it as validation errors, never as another error", () => {
    fc.assert(
      fc.property(damages, (list) => {
        const error = outcome(apply(list), false);
        if (error) throw new Error(`${JSON.stringify(list.map(([p, d]) => [p.join("/"), d]))}: ${error.stack}`);
      }),
      { numRuns: 1000 },
    );
  });

  test("what passes the configuration check builds, or fails with a construct's validation error", () => {
    fc.assert(
      // Only damage the configuration check lets through (a deleted optional key, another value of the right type): the rest never reaches a construct.
      fc.property(damages.map((list) => list.slice(0, 1)).filter((list) => passesCheck(apply(list))), (list) => {
        const error = outcome(apply(list), true);
        if (error) throw new Error(`${JSON.stringify(list.map(([p, d]) => [p.join("/"), d]))}: ${error.stack}`);
      }),
      { numRuns: 6 },
    );
  });
});

function passesCheck(config: Json): boolean {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return true;
  } catch {
    return false;
  }
}

/** Whether every key but the last of `path` leads to an object (earlier damage may have removed it). */
function reachable(root: Json, path: readonly (string | number)[]): boolean {
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return false;
    node = (node as Record<string | number, Json>)[key];
  }
  return typeof node === "object" && node !== null;
}
