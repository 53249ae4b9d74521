import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { expectViolation } from "../support/violations";

// Configuration rules of the cache and mirror sections (issue 5) that span the configuration.

const withDev = (patch: Partial<EnvironmentConfig>): PlatformConfig => ({
  ...exampleConfig,
  environments: exampleConfig.environments.map((e, i) => (i === 0 ? { ...e, ...patch } : e)),
});

describe("cache and mirror configuration", () => {
  test("an ECR pull-through mirror in an account without pull-through rules", () => {
    const config: PlatformConfig = {
      ...withDev({ mirror: { kind: "ecr-pull-through" } }),
      accounts: exampleConfig.accounts.map((a) => (a.name === "nonprod" ? { ...a, registry: {} } : a)),
    };
    expectViolation(() => validateConfig(config), {
      path: "config/environments[0]/mirror",
      subject: "kind",
      value: "ecr-pull-through",
      rule: /uses the pull-through cache rules of its account stack, and account nonprod has none/,
      fix: /add registry\.pullThroughCache rules to account nonprod, or use kind "nexus"/,
    });
  });

  test("an ECR pull-through prefix the account has no rule for", () => {
    expectViolation(() => validateConfig(withDev({ mirror: { kind: "ecr-pull-through", prefixes: ["docker-hub"] } })), {
      path: "config/environments[0]/mirror/prefixes[0]",
      subject: "prefix",
      value: "docker-hub",
      rule: /one of account nonprod's pull-through rules \(ecr-public, quay, k8s\)/,
      fix: /add the rule to the account, or remove the prefix/,
    });
  });

  test("the example configuration's cache and mirror sections are valid", () => {
    expect(() => validateConfig(exampleConfig)).not.toThrow();
    expect(exampleConfig.environments.map((e) => e.mirror?.kind)).toEqual(["ecr-pull-through", "ecr-pull-through", "nexus"]);
  });
});
