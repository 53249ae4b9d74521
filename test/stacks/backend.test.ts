import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { violationOf } from "../support/synth";

// Backends do not depend on fleets or mirrors: a lighter copy of the example
// (same accounts and environments) keeps this file fast.
const lightConfig: PlatformConfig = {
  ...exampleConfig,
  environments: exampleConfig.environments.map(({ runners: _runners, mirror: _mirror, deploy: _deploy, ...env }) => ({
    ...env,
    gitlab: { ...env.gitlab, rawProxyVariables: undefined, buildpackVariables: undefined, autoDevOps: undefined },
  })),
};

const s3Config: PlatformConfig = {
  ...lightConfig,
  backend: { kind: "s3", bucket: "acme-ci-terraform-state-111111111111", region: "eu-central-1" },
};

function backends(config: PlatformConfig): Record<string, Record<string, Record<string, unknown>>> {
  const stacks = buildPlatform(Testing.app(), config);
  const all = [...stacks.accounts.values(), ...stacks.environments.values()];
  return Object.fromEntries(
    all.map((s) => [s.node.id, (JSON.parse(Testing.synth(s)) as { terraform: { backend: Record<string, Record<string, unknown>> } }).terraform.backend]),
  );
}

describe("state backend", () => {
  test("the offline example keeps local state, one file per stack", () => {
    const paths = Object.values(backends(lightConfig)).map((b) => b.local?.path);
    expect(paths).toEqual([
      "terraform.acme-ci-account-nonprod.tfstate",
      "terraform.acme-ci-account-prod.tfstate",
      "terraform.acme-ci-dev.tfstate",
      "terraform.acme-ci-staging.tfstate",
      "terraform.acme-ci-production.tfstate",
    ]);
  });

  test("the S3 option: one key per stack, encryption, and S3-native locking through an override", () => {
    const role = "arn:aws:iam::111111111111:role/terraform-state";
    const all = backends({ ...s3Config, backend: { ...s3Config.backend!, keyPrefix: "platform", roleArn: role, kmsKeyId: "alias/state" } as PlatformConfig["backend"] });
    expect(all.dev).toEqual({
      s3: {
        bucket: "acme-ci-terraform-state-111111111111",
        key: "platform/dev.tfstate",
        region: "eu-central-1",
        encrypt: true,
        use_lockfile: true,
        // assume-role and KMS options reach the backend
        assume_role: { role_arn: role },
        kms_key_id: "alias/state",
      },
    });
    expect(Object.values(all).map((b) => b.s3?.key)).toEqual([
      "platform/account-nonprod.tfstate",
      "platform/account-prod.tfstate",
      "platform/dev.tfstate",
      "platform/staging.tfstate",
      "platform/production.tfstate",
    ]);
  });

  describe("bad input", () => {
    test.each([
      ["Acme-State", /3-63 characters of lower-case letters/],
      ["ab", /3-63 characters/],
      ["acme..state", /no two adjacent periods/],
      ["192.168.1.10", /not formatted as an IP address/],
      ["xn--acme-state", /reserves the bucket name prefix "xn--"/],
      ["acme-state-s3alias", /reserves the bucket name suffix "-s3alias"/],
    ])("backend bucket %p", (bucket, rule) => {
      const error = violationOf(() => validateConfig({ ...s3Config, backend: { kind: "s3", bucket, region: "eu-central-1" } }));
      expect(error.message).toMatch(/^config\/backend: invalid bucket /);
      expect(error.message).toContain(JSON.stringify(bucket));
      expect(error.message).toMatch(rule);
      expect(error.message).toMatch(/Fix: use 3-63 lower-case letters/);
    });

    test("two environments sharing a state key", () => {
      const config: PlatformConfig = {
        ...exampleConfig,
        environments: exampleConfig.environments.map((e) => (e.name === "staging" ? { ...e, stateKey: "acme-ci/dev.tfstate" } : e)),
      };
      const error = violationOf(() => validateConfig(config));
      expect(error.message).toMatch(
        /^config\/environments\[1\]: invalid stateKey "acme-ci\/dev\.tfstate"\. Rule: every stack needs its own state, but stack dev already uses this key.*Fix: give the stacks different stateKey values/,
      );
    });

    test("a state key that escapes its prefix", () => {
      const config: PlatformConfig = { ...exampleConfig, environments: [{ ...exampleConfig.environments[0]!, stateKey: "../other.tfstate" }] };
      expect(violationOf(() => validateConfig(config)).message).toMatch(/invalid stateKey "\.\.\/other\.tfstate"/);
    });
  });
});

describe("production destroy protection", () => {
  const production = exampleConfig.environments.find((e) => e.production)!;
  const withProduction = (patch: Partial<typeof production>): PlatformConfig => ({
    ...exampleConfig,
    environments: exampleConfig.environments.map((e) => (e === production ? { ...e, ...patch } : e)),
  });

  test("switching it off without a written waiver is refused", () => {
    const error = violationOf(() => validateConfig(withProduction({ registry: { ...production.registry, preventDestroy: false } })));
    expect(error.message).toMatch(
      /^config\/environments\[2\]: invalid registry\.preventDestroy false\. Rule: a production environment keeps prevent_destroy on its data.*Fix: remove the override, or give destroyProtectionWaiver a written reason/,
    );
  });

  test("a written waiver allows it, and the repositories then lose prevent_destroy", () => {
    const config = withProduction({
      registry: { ...production.registry, preventDestroy: false },
      destroyProtectionWaiver: "images are rebuilt from source; the account is being retired",
    });
    const stack = buildPlatform(Testing.app(), config).environments.get("production")!;
    const repos = Object.values((JSON.parse(Testing.synth(stack)) as { resource: { aws_ecr_repository: Record<string, Record<string, unknown>> } }).resource.aws_ecr_repository);
    expect(repos.every((r) => r.lifecycle === undefined)).toBe(true);
  });
});
