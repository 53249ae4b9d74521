import { type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { type EnvironmentIdentityConfig, oidcProvidersToCreate } from "../../stacks/identity-config";
import { violationOf } from "../support/synth";

const withIdentity = (identity: EnvironmentIdentityConfig): PlatformConfig => ({
  ...exampleConfig,
  environments: exampleConfig.environments.map((e, i) => (i === 0 ? { ...e, identity } : e)),
});
const PATH = "config/environments\\[0\\]/identity";

describe("identity configuration", () => {
  test("the example's identity sections are valid and every field is optional", () => {
    expect(() => validateConfig(exampleConfig)).not.toThrow();
    expect(() => validateConfig(withIdentity({}))).not.toThrow();
  });

  test("the account's first stack creates one provider per GitLab URL; later stacks of the account none", () => {
    const [nonprod, prod] = exampleConfig.accounts;
    expect(oidcProvidersToCreate(exampleConfig, nonprod!)).toEqual(["https://gitlab.example.com"]);
    expect(oidcProvidersToCreate(exampleConfig, prod!)).toEqual(["https://gitlab.example.com"]);
    const second = { ...nonprod!, name: "nonprod-us", region: "us-east-1" };
    expect(oidcProvidersToCreate({ ...exampleConfig, accounts: [nonprod!, second] }, second)).toEqual([]);
    const existing = { ...nonprod!, identity: { existingOidcProviders: ["https://gitlab.example.com"] } };
    expect(oidcProvidersToCreate({ ...exampleConfig, accounts: [existing, prod!] }, existing)).toEqual([]);
  });

  test("a wildcard default branch", () => {
    const error = violationOf(() => validateConfig(withIdentity({ defaultBranch: "release/*" })));
    expect(error.message).toMatch(
      new RegExp(`^${PATH}/defaultBranch: invalid default branch "release/\\*"\\. Rule: defaultBranch is one exact branch name .*Fix: name the project's default branch`),
    );
  });

  test("an unknown repository for merge-request pushes", () => {
    const error = violationOf(() => validateConfig(withIdentity({ mergeRequestPushRepositories: ["app", "nope"] })));
    expect(error.message).toMatch(
      new RegExp(`^${PATH}/mergeRequestPushRepositories\\[1\\]: invalid repository id "nope"\\. Rule: the id names one of the environment's repositories \\(app, app-ci, toolbox\\)`),
    );
  });

  test("duplicate or malformed static credentials ids", () => {
    const dup = violationOf(() => validateConfig(withIdentity({ staticCredentials: [{ id: "a", access: "pull" }, { id: "a", access: "push" }] })));
    expect(dup.message).toMatch(new RegExp(`^${PATH}/staticCredentials\\[1\\]: invalid static credentials id "a"\\. Rule: ids are unique`));
    const bad = violationOf(() => validateConfig(withIdentity({ staticCredentials: [{ id: "Legacy_Pull", access: "pull" }] })));
    expect(bad.message).toMatch(/invalid static credentials id "Legacy_Pull"\. Rule: ids are unique and 1-20 lower-case letters/);
  });

  test("static credentials with an unknown access", () => {
    const error = violationOf(() => validateConfig(withIdentity({ staticCredentials: [{ id: "x", access: "admin" as "pull" }] })));
    expect(error.message).toMatch(new RegExp(`^${PATH}/staticCredentials\\[0\\]: invalid access "admin"\\. Rule: static credentials get "push" or "pull" access`));
  });

  test("static credentials for an unknown repository", () => {
    const error = violationOf(() => validateConfig(withIdentity({ staticCredentials: [{ id: "x", access: "pull", repositories: ["nope"] }] })));
    expect(error.message).toMatch(new RegExp(`^${PATH}/staticCredentials\\[0\\]/repositories\\[0\\]: invalid repository id "nope"`));
  });

  test("an existing OIDC provider URL that is not an https origin", () => {
    const accounts = [{ ...exampleConfig.accounts[0]!, identity: { existingOidcProviders: ["https://gitlab.example.com/"] } }, exampleConfig.accounts[1]!];
    const error = violationOf(() => validateConfig({ ...exampleConfig, accounts }));
    expect(error.message).toMatch(/^config\/accounts\[0\]\/identity\/existingOidcProviders\[0\]: invalid GitLab URL "https:\/\/gitlab\.example\.com\/"/);
  });
});
