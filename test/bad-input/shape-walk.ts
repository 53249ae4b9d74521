/*
 * The walk the exhaustive shape tests share (shape-exhaustive.test.ts, shape-wrong-kind.test.ts):
 * the example enriched with the optional sections it leaves out, every place of it under the
 * configuration's shape, and a copy of it with one value replaced.
 */
import { DEFAULT_RUNNER_HOST_VERSIONS } from "../../lib/runner/user-data";
import { type PlatformConfig, validateConfig } from "../../stacks/config";
import { ValidationError, type Violation, violationsOf } from "../../lib/core/errors";
import { type Field, shapeOfValue } from "../../stacks/config-fields";
import { exampleConfig } from "../../stacks/example-config";

export type Json = unknown;
export type Key = string | number;
export type Path = readonly Key[];

/** One value of each JavaScript kind the configuration could hold by mistake. */
export const WRONG: readonly { readonly name: string; readonly value: Json }[] = [
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
export function enrichedExample(): PlatformConfig {
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
        gitlab: { ...production.gitlab, externalRegistries: (production.gitlab.externalRegistries ?? []).map((r) => ({ ...r, unprotectedPull: { username: "acme-ci-pull@acme", passwordVariable: "acr_pull_password" } })) },
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
export interface Place {
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
export function placesOf(value: Json, field: Field, path: Path = []): Place[] {
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
export function withValue(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  const copy = (Array.isArray(root) ? [...(root as Json[])] : { ...(root as Record<Key, Json>) }) as Record<Key, Json>;
  copy[key!] = withValue(copy[key!], rest, value);
  return copy;
}

/** The violations validateConfig reports for `config` (none when it accepts it). */
export function violationsFor(config: Json): readonly Violation[] {
  try {
    validateConfig(config as Parameters<typeof validateConfig>[0]);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return violationsOf(error);
  }
}
