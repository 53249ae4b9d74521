import fc from "fast-check";
import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { violationOf } from "../support/synth";

/*
 * gitlab.externalRegistries: one rule at the config path (protected variables with an environment
 * scope other than *), whose fix is accepted, and none on GitLab Free.
 */

const external = { registry: "registry.example.org", username: "ci", passwordVariable: "example_password" };
const pull = { username: "ci-pull", passwordVariable: "example_pull_password" };
const withGitLab = (index: number, patch: Partial<EnvironmentConfig["gitlab"]>, config: PlatformConfig = exampleConfig): PlatformConfig => ({
  ...config,
  environments: config.environments.map((e, i) => (i === index ? { ...e, gitlab: { ...e.gitlab, ...patch } } : e)),
});
const messageOf = (config: PlatformConfig): string => violationOf(() => validateConfig(config)).message;
const RULE = /Rule: the registry's credential goes into the environment's DOCKER_AUTH_CONFIG, so the environment's group variables must be protected and have an environment scope other than \*/;

describe("externalRegistries: one rule, whose fix is accepted", () => {
  test("the environment owning the * variables, protected: refused at the config path (it passed the configuration and failed in the construct, asking for a scope)", () => {
    const message = messageOf(withGitLab(0, { externalRegistries: [external], variables: { protected: true } }));
    expect(message).toMatch(/^config\/environments\[0\]\/gitlab\/externalRegistries\[0\]: invalid registry "registry\.example\.org"\./m);
    expect(message).toMatch(RULE);
    expect(message).not.toMatch(/dev\/platform\/gitlab/);
  });

  test("the environment owning the * variables, unprotected: the fix asks for protection and a scope together, and unprotectedPull in the same entry (it asked for protection alone, and then unprotectedPull refused the protected owner)", () => {
    const message = messageOf(withGitLab(0, { externalRegistries: [external] }));
    expect(message).toMatch(RULE);
    expect(message).toMatch(/Fix: set gitlab\.variables\.protected: true and gitlab\.variables\.environmentScope: "dev" in this environment; .*unprotectedPull in this same entry/);
    expect(message).not.toMatch(/set gitlab\.variables\.protected: false/);
  });

  test("a scoped, unprotected environment is refused (an unprotected job may name the environment)", () => {
    const message = messageOf(withGitLab(1, { externalRegistries: [external] }));
    expect(message).toMatch(/^config\/environments\[1\]\/gitlab\/externalRegistries\[0\]: invalid registry "registry\.example\.org"\. Rule: .*not protected .*scope "staging"/m);
  });

  test("property: whatever the environment's protection and scope, following the fix (protected, scope = its name, unprotectedPull in the same entry) is accepted and builds", () => {
    // Staging or production: dev keeps the * variables, which carry the pull-only credential.
    const environment = fc.constantFrom(1, 2);
    const variables = fc.record({ protected: fc.option(fc.boolean(), { nil: undefined }), environmentScope: fc.option(fc.constantFrom("*", "staging", "production"), { nil: undefined }) }, { requiredKeys: [] });
    fc.assert(
      fc.property(environment, variables, (i, vars) => {
        const env = exampleConfig.environments[i]!;
        const entry = { ...external, unprotectedPull: pull };
        const config = withGitLab(i, { externalRegistries: [entry], variables: vars });
        const accepted = (() => { try { validateConfig(config); return true; } catch { return false; } })();
        const isProtected = vars.protected ?? env.production ?? false;
        const scope = vars.environmentScope ?? "*";
        expect(accepted).toBe(isProtected && scope !== "*" && scope === env.name);
        // The fix as the message words it.
        const fixed = withGitLab(i, { externalRegistries: [entry], variables: { protected: true, environmentScope: env.name } });
        expect(() => validateConfig(fixed)).not.toThrow();
      }),
      { numRuns: 30 },
    );
    const fixed = withGitLab(1, { externalRegistries: [{ ...external, unprotectedPull: pull }], variables: { protected: true, environmentScope: "staging" } });
    expect(() => buildPlatform(Testing.app(), fixed)).not.toThrow();
  });
});

describe("externalRegistries on GitLab Free", () => {
  test("refused at the config path with the tier named, before the scope rule (Free has no environment scopes on group variables, so no environment can hold the credential)", () => {
    const free: PlatformConfig = { ...exampleConfig, environments: exampleConfig.environments.map((e, i) => ({ ...e, gitlab: { ...e.gitlab, tier: "free" as const, variables: undefined, ...(i === 2 ? { group: "acme-prod", externalRegistries: [external] } : { externalRegistries: undefined }), ...(i === 1 ? { group: "acme-staging" } : {}) } })) };
    const lines = messageOf(free).split("\n").filter((l) => l.includes("externalRegistries"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config\/environments\[2\]\/gitlab\/externalRegistries\[0\]: invalid registry "registry\.example\.org"\. Rule: .*gitlab\.tier is free: GitLab Free has no environment scopes on group variables/);
    expect(lines[0]).toMatch(/Fix: set gitlab\.tier: "premium" \(or "ultimate"\) if the instance or group has it, or pull the images through the ECR pull-through cache .* or the Nexus mirror/);
    // The default tier is free.
    const unset = withGitLab(2, { tier: undefined, externalRegistries: [external] });
    expect(messageOf(unset)).toMatch(/externalRegistries\[0\]: .*gitlab\.tier is free/);
  });
});
