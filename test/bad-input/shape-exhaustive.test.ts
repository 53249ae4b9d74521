import { ValidationError, type Violation, violationsOf } from "../../lib/core/errors";
import { DEFAULT_RUNNER_HOST_VERSIONS } from "../../lib/runner/user-data";
import { type PlatformConfig, validateConfig } from "../../stacks/config";
import { CONFIG_SHAPE, type Field, type Kind, shapeOfValue } from "../../stacks/config-fields";
import { exampleConfig } from "../../stacks/example-config";

/**
 * Every field of the configuration, not only those a random run happens to hit: each value of
 * the example (and of the optional sections the example leaves out, and each optional field
 * absent from both) is replaced in turn by null, a number, a string, a list and an object, and the
 * configuration pass the synth command runs (`validateConfig`, in-process) either accepts it or
 * fails with validation errors naming config paths, never with another error (which the synth
 * command would print as a stack trace).
 */

type Json = unknown;
type Key = string | number;
type Path = readonly Key[];

/** One value of each JavaScript kind the configuration could hold by mistake. */
const WRONG: readonly { readonly name: string; readonly value: Json }[] = [
  { name: "null", value: null },
  { name: "a number", value: 7 },
  { name: "a string", value: "x" },
  { name: "a list", value: [] },
  { name: "an object", value: {} },
];

/**
 * The example with the optional sections it leaves out filled with valid values (taken from the
 * configuration types and their docs), so that the walk reaches their fields too.
 */
function enrichedExample(): PlatformConfig {
  const [nonprod, prod] = exampleConfig.accounts;
  const [dev, staging, production] = exampleConfig.environments;
  if (!nonprod || !prod || !dev?.runners || !staging?.runners || !production?.runners?.deploy || production.mirror?.kind !== "nexus") throw new Error("the example changed: update the seeds");
  const config: PlatformConfig = {
    ...exampleConfig,
    backend: { kind: "s3", bucket: "acme-ci-terraform-state", region: "eu-central-1", keyPrefix: "acme-ci", kmsKeyId: "alias/acme-ci-state", roleArn: "arn:aws:iam::111111111111:role/acme-ci-state" },
    accounts: [
      {
        ...nonprod,
        deployRole: { roleArn: nonprod.deployRole!.roleArn, sessionName: "acme-ci-nonprod", externalId: "acme-ci-external" },
        stateKey: "acme-ci/account-nonprod.tfstate",
        registry: { ...nonprod.registry, scanning: { scanType: "ENHANCED", frequency: "CONTINUOUS_SCAN" }, cachedImageExpiryDays: 30 },
        identity: { existingOidcProviders: [] },
      },
      prod,
    ],
    environments: [
      {
        ...dev,
        identity: { ...dev.identity, defaultBranch: "main", releaseTags: "v*.*.*", mergeRequestPushRepositories: ["app"], subClaimComponents: ["project_path", "ref_type", "ref"], maxSessionDurationSeconds: 3600 },
        cache: { ...dev.cache, path: "runner-cache", shared: true, forceDestroy: false, accessLogs: { retentionDays: 90 } },
        registry: { ...dev.registry, repositories: dev.registry.repositories.map((r, i) => (i === 0 ? { ...r, catchAllRetention: { maxAgeDays: 365 } } : r)) },
        runners: {
          ...dev.runners,
          network: { cidr: "10.10.0.0/16", natGateways: "single", flowLogs: { retentionDays: 90, trafficType: "ALL" } },
          purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "price-capacity-optimized", capacityRebalance: true },
          versions: { ...DEFAULT_RUNNER_HOST_VERSIONS },
          maxJobTimeoutSeconds: 3600,
          imageStorageGiB: 50,
          logRetentionDays: 30,
          alarmActions: [],
        },
      },
      {
        ...staging,
        runners: { ...staging.runners, network: { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"], vpcCidr: "10.20.0.0/16", reachesEc2InstanceConnectApi: true } } },
      },
      {
        ...production,
        registry: { ...production.registry, tagScheme: { ...production.registry.tagScheme, kinds: { ...production.registry.tagScheme?.kinds, semver: { pattern: "*.*.*", protected: true } }, untaggedExpiryDays: 1, maxKindsPerImage: 3 } },
        deploy: { ...production.deploy, lastGoodDigest: { parameterPrefix: "/acme-ci/production/deploy" }, rollback: true },
        mirror: { ...production.mirror, instanceType: "m7i.large", dataVolumeSizeGiB: 200, snapshotRetentionCount: 7, dnsZoneName: "ci.internal" },
        runners: { ...production.runners, deploy: { ...production.runners.deploy, limit: 2, image: "alpine:3.20", purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100 } } },
      },
    ],
  };
  // Plain data, as a JSON configuration gives it.
  return JSON.parse(JSON.stringify(config)) as PlatformConfig;
}

/** A field's place in the configuration: its path, its field, and whether the value is there. */
interface Place {
  readonly path: Path;
  readonly field: Field;
  readonly present: boolean;
}

/** A field the shape does not describe (the walk still visits what the value holds there). */
const UNDESCRIBED: Field = { kinds: ["string", "number", "boolean", "array", "object"] };

/**
 * Every place of `value` under `field`: each value it holds, at any depth, whether the shape
 * describes it or not (elements and map entries too), and each key of its sections' shapes that
 * it leaves out.
 */
function placesOf(value: Json, field: Field, path: Path = []): Place[] {
  const places: Place[] = [];
  if (Array.isArray(value)) {
    const item = field.items ?? UNDESCRIBED;
    value.forEach((element, i) => places.push({ path: [...path, i], field: item, present: true }, ...placesOf(element, item, [...path, i])));
    return places;
  }
  if (typeof value !== "object" || value === null) return places;
  const object = value as Record<string, Json>;
  const { shape } = shapeOfValue(field, object);
  for (const [key, entry] of Object.entries(object)) {
    const child = shape?.[key] ?? field.values ?? UNDESCRIBED;
    places.push({ path: [...path, key], field: child, present: true }, ...placesOf(entry, child, [...path, key]));
  }
  for (const [key, child] of Object.entries(shape ?? {})) {
    if (!(key in object)) places.push({ path: [...path, key], field: child, present: false });
  }
  return places;
}

/** `root` with `value` at `path`: the objects and lists along the path copied, everything else shared (the check reads, never writes). */
function withValue(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  const copy = (Array.isArray(root) ? [...(root as Json[])] : { ...(root as Record<Key, Json>) }) as Record<Key, Json>;
  copy[key!] = withValue(copy[key!], rest, value);
  return copy;
}

/** undefined when the configuration pass accepts the configuration or refuses it with config paths; otherwise what went wrong. */
function problemOf(config: Json): string | undefined {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return undefined;
  } catch (error) {
    if (!(error instanceof ValidationError)) return `${String(error)}\n${(error as Error).stack ?? ""}`;
    const unnamed = violationsOf(error).filter((v) => !/^config(\/|\[|$)/.test(v.path));
    return unnamed.length === 0 ? undefined : `violations without a config path: ${unnamed.map((v) => v.path).join(", ")}`;
  }
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
    expect(problemOf(enriched)).toBeUndefined();
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

  test("null, a number, a string, a list or an object anywhere ends in validation errors with config paths, or is accepted", () => {
    const problems: string[] = [];
    for (const place of places) {
      for (const wrong of WRONG) {
        const problem = problemOf(withValue(enriched, place.path, wrong.value));
        if (problem) problems.push(`${place.path.join("/")} = ${wrong.name}${place.present ? "" : " (absent from the example)"}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

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

/** The violations validateConfig reports for `config` (none when it accepts it). */
function violationsFor(config: Json): readonly Violation[] {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return violationsOf(error);
  }
}

describe("a field of the wrong type is one problem, at its path (no rule that reads it runs on it)", () => {
  // Loose fields: the shape pass leaves their type to the field's rule (which explains it better),
  // so the rules run with the wrong type in place. Every other field's wrong type stops at the shape pass.
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
