/*
 * Cache probes cover every key layout GitLab Runner 18.11.2 gives a cache prefix (`Shared = true`:
 * `<Path>/project/<id>/<key>`; `Shared = false`: `<Path>/runner/<short token>/project/<id>/<key>`)
 * and every part of it a grant may name. Planted grants on the per-runner layout or on one
 * project's keys of the protected prefix, for the unprotected role or the merge-request pool's
 * host role, are caught by both the IAM model and the runner-side model.
 */
import fc from "fast-check";
import { cachePathOf } from "../../lib/platform/tenancy";
import { exampleConfig } from "../../stacks/example-config";
import { wildcardMatch } from "../support/iam-evaluator";
import { boundaryViolations } from "./boundaries";
import { cacheKeyLayouts, cacheObjectKey, cacheObjectProbes, patternOverlap } from "./cache-keys";
import { modelsOf } from "./host-pulls";
import { copiedStack, grantRoleIn, type Json, plantedIn, plantableResources } from "./planted";
import { stackModelOf } from "./runner-model";
import { reachOf } from "./runner-routing";
import { bucketsOf } from "./secret-reach";
import { exampleScenario } from "./scenario";

const base = exampleScenario();
const UNPROTECTED = "acme-ci-dev-app-unprotected";
const dev = exampleConfig.environments.find((e) => e.name === "dev")!;
const PROTECTED = cachePathOf(dev, "protected");
const UNPROTECTED_PREFIX = cachePathOf(dev, "unprotected");
const bucket = bucketsOf(base.json).find((b) => b.stack === "dev" && !b.name.endsWith("-logs"))!.name;
const objects = (key: string): Json => ({ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::${bucket}/${key}` });

/** The IAM model's protected-cache findings for the unprotected role after planting `statement` (what it does, once for all the actors reaching it). */
const caughtForRole = (statement: Json) => [
  ...new Set(
    boundaryViolations(plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, statement)))
      .filter((v) => v.includes(`reaches ${UNPROTECTED}, which`) && v.includes("protected cache"))
      .map((v) => v.slice(v.indexOf(", which ") + 2)),
  ),
];

/** The runner-side reach of the merge-request pool's host role after planting `statement` on it. */
function hostReach(statement: Json) {
  const json = copiedStack(base.json.get("dev")!);
  const role = stackModelOf("dev", json).hosts.find((h) => h.runners.some((r) => r.name === "mr"))!.role;
  grantRoleIn(json, String(plantableResources(json, "aws_iam_role")[role]!.name), statement);
  const reach = reachOf(stackModelOf("dev", json), role, [PROTECTED, UNPROTECTED_PREFIX]);
  return { reads: reach.cacheReads, writes: reach.cacheWrites };
}

describe("cache key layouts (GitLab Runner 18.11.2 cache/cache.go)", () => {
  test("the object key of each Shared setting lies in its layout, never in the other", () => {
    const { shared, perRunner } = cacheKeyLayouts("runner-cache/protected");
    const sharedKey = cacheObjectKey("runner-cache/protected", true, "abcdefghi", 42, "main-protected");
    const ownKey = cacheObjectKey("runner-cache/protected", false, "abcdefghi", 42, "main-protected");
    expect(sharedKey).toBe("runner-cache/protected/project/42/main-protected");
    expect(ownKey).toBe("runner-cache/protected/runner/abcdefghi/project/42/main-protected");
    expect([wildcardMatch(shared, sharedKey), wildcardMatch(perRunner, sharedKey), wildcardMatch(perRunner, ownKey), wildcardMatch(shared, ownKey)]).toEqual([true, false, true, false]);
  });

  test("every runner of the example's config.toml writes keys a probed layout covers, whatever its Shared setting", () => {
    const runners = [...base.json].flatMap(([stack, json]) => stackModelOf(stack, json).hosts.flatMap((h) => h.runners)).filter((r) => r.cachePath !== undefined);
    expect(runners.length).toBeGreaterThan(0);
    for (const runner of runners) {
      const layouts = Object.values(cacheKeyLayouts(runner.cachePath!));
      for (const shared of [runner.cacheShared!, !runner.cacheShared]) {
        const key = cacheObjectKey(runner.cachePath!, shared, "abcdefghi", 7, "default-protected");
        expect({ runner: runner.name, shared, key, covered: layouts.some((l) => wildcardMatch(l, key)) }).toEqual({ runner: runner.name, shared, key, covered: true });
      }
    }
  });

  test("a configuration with shared: false writes per-runner keys that each host role's own grant covers (the probes see a fleet's own prefix)", () => {
    const config = { ...exampleConfig, environments: exampleConfig.environments.map((e) => (e.name === "dev" ? { ...e, cache: { ...e.cache, shared: false } } : e)) };
    const model = modelsOf(config).find((m) => m.stack === "dev")!;
    const hosts = model.hosts.filter((h) => h.runners.some((r) => r.cachePath !== undefined));
    expect(hosts.length).toBeGreaterThan(0);
    for (const host of hosts) {
      for (const runner of host.runners.filter((r) => r.cachePath !== undefined)) {
        expect(runner.cacheShared).toBe(false);
        expect(reachOf(model, host.role, [runner.cachePath!]).cacheWrites).toEqual([runner.cachePath]);
      }
    }
  });
});

describe("pattern overlap (the probe witnesses)", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "b", "/", "-", "1"), maxLength: 12 });
  /** A pattern `s` matches: some characters replaced by `?`, some runs by `*`. */
  const patternOf = (s: string, cuts: readonly number[]) =>
    [...s].map((c, i) => (cuts[i % cuts.length] === 0 ? "?" : cuts[i % cuts.length] === 1 ? `*${c}` : c)).join("");

  test("the witness, when found, matches both patterns; two patterns a common string matches always have one", () => {
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }), (s, cutsA, cutsB) => {
        const [a, b] = [patternOf(s, cutsA), patternOf(s, cutsB)];
        expect(wildcardMatch(a, s) && wildcardMatch(b, s)).toBe(true);
        const witness = patternOverlap(a, b);
        expect(witness).toBeDefined();
        expect([wildcardMatch(a, witness!), wildcardMatch(b, witness!)]).toEqual([true, true]);
      }),
    );
  });

  test("disjoint patterns have none", () => {
    expect(patternOverlap("arn:aws:s3:::b/runner-cache/unprotected/*", "arn:aws:s3:::b/runner-cache/protected/project/?*/?*")).toBeUndefined();
    expect(patternOverlap("a?c", "ab")).toBeUndefined();
    expect(patternOverlap("a*", "b*")).toBeUndefined();
  });

  test("probes of a prefix: an example of each layout, and a key inside every pattern that reaches the prefix", () => {
    const probes = cacheObjectProbes("b", "runner-cache/protected", ["arn:aws:s3:::b/runner-cache/protected/project/42/*", "arn:aws:s3:::other/*"]);
    expect(probes).toEqual(
      expect.arrayContaining([
        "arn:aws:s3:::b/runner-cache/protected/project/1/probe",
        "arn:aws:s3:::b/runner-cache/protected/runner/probe0001/project/1/probe",
        "arn:aws:s3:::b/runner-cache/protected/project/42/x",
      ]),
    );
    expect(probes.every((p) => p.startsWith("arn:aws:s3:::b/runner-cache/protected/"))).toBe(true);
  });
});

describe("attack paths: protected cache objects of any key layout", () => {
  test("the example app: no unprotected role and no merge-request host role reaches the protected prefix in any layout", () => {
    expect(boundaryViolations(base).filter((v) => v.includes("protected cache"))).toEqual([]);
    expect(hostReach({ Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` })).toEqual({ reads: [UNPROTECTED_PREFIX], writes: [UNPROTECTED_PREFIX] });
  });

  test("a grant on <bucket>/<protected prefix>/runner/* (the Shared = false layout) is caught (the old probe <prefix>/project/1/probe missed it)", () => {
    expect(caughtForRole(objects(`${PROTECTED}/runner/*`))).toEqual([`which reads the protected cache ${bucket}/${PROTECTED}`, `which writes the protected cache ${bucket}/${PROTECTED}`]);
    expect(hostReach(objects(`${PROTECTED}/runner/*`))).toEqual({ reads: [PROTECTED, UNPROTECTED_PREFIX], writes: [PROTECTED, UNPROTECTED_PREFIX] });
  });

  test("a grant on one project's keys (<protected prefix>/project/42/*, or /runner/*/project/42/*) is caught", () => {
    for (const key of [`${PROTECTED}/project/42/*`, `${PROTECTED}/runner/*/project/42/*`, `${PROTECTED}/project/4?/main-*`]) {
      expect({ key, caught: caughtForRole(objects(key)).length }).toEqual({ key, caught: 2 });
      expect({ key, ...hostReach(objects(key)) }).toEqual({ key, reads: [PROTECTED, UNPROTECTED_PREFIX], writes: [PROTECTED, UNPROTECTED_PREFIX] });
    }
  });

  test("grants outside the protected prefix stay silent: the unprotected prefix in either layout, a sibling prefix", () => {
    for (const key of [`${UNPROTECTED_PREFIX}/runner/*`, `${UNPROTECTED_PREFIX}/project/42/*`, `${PROTECTED}-old/*`, `${PROTECTED}x/project/1/*`]) {
      expect({ key, caught: caughtForRole(objects(key)) }).toEqual({ key, caught: [] });
    }
  });
});
