import { validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { exampleWithEnv } from "../support/example-variants";
import { violationOf } from "../support/synth";

const dev = exampleConfig.environments[0]!;

describe("platform configuration", () => {
  test("the example configuration is valid", () => {
    expect(() => validateConfig(exampleConfig)).not.toThrow();
  });

  test("duplicate environment names", () => {
    const error = violationOf(() => validateConfig(exampleWithEnv({ name: "staging" })));
    expect(error.message).toMatch(
      /^config\/environments\[1\]: invalid environment name "staging"\. Rule: environment names are unique .*Fix: rename one of the environments/,
    );
  });

  test.each(["11111111111", "1111111111111", "abcdefghijkl", ""])("malformed account id %p", (accountId) => {
    const error = violationOf(() => validateConfig({ ...exampleConfig, accounts: [{ ...exampleConfig.accounts[0]!, accountId }] }));
    expect(error.message).toMatch(/^config\/accounts\[0\]: invalid accountId .*exactly 12 digits/);
  });

  test.each(["Frankfurt", "eu-central", "EU-CENTRAL-1", "eu_central_1"])("malformed region %p", (region) => {
    const error = violationOf(() => validateConfig(exampleWithEnv({ region })));
    expect(error.message).toMatch(new RegExp(`^config/environments\\[0\\]: invalid region "${region}"\\. Rule: an AWS region looks like eu-central-1`));
  });

  test("an environment whose account stack is missing", () => {
    const error = violationOf(() => validateConfig(exampleWithEnv({ accountId: "333333333333" })));
    expect(error.message).toMatch(/^config\/environments\[0\]: invalid account and region "333333333333\/eu-central-1"/);
    expect(error.message).toMatch(/Fix: add \{ name: "\.\.\.", accountId: "333333333333", region: "eu-central-1" \} to config\.accounts/);
  });

  test("two account stacks for one (account, region)", () => {
    const a = exampleConfig.accounts[0]!;
    const error = violationOf(() => validateConfig({ ...exampleConfig, accounts: [...exampleConfig.accounts, { ...a, name: "again" }] }));
    expect(error.message).toMatch(/one account stack per \(account, region\)/);
  });

  test.each([
    "http://gitlab.example.com",
    "https://gitlab.example.com/",
    "https://gitlab.example.com/gitlab",
    "gitlab.example.com",
    "https://gitlab.example.com?x=1",
  ])("invalid GitLab URL %p", (url) => {
    const error = violationOf(() => validateConfig(exampleWithEnv({ gitlab: { ...dev.gitlab, url } })));
    expect(error.message).toMatch(/^config\/environments\[0\]\/gitlab: invalid GitLab URL /);
    expect(error.message).toContain(JSON.stringify(url));
    expect(error.message).toMatch(/Fix: use e\.g\. https:\/\/gitlab\.example\.com/);
  });

  test("a project outside the group", () => {
    const error = violationOf(() => validateConfig(exampleWithEnv({ gitlab: { ...dev.gitlab, projects: ["other/app"] } })));
    expect(error.message).toMatch(/gitlab\/projects\[0\]: invalid project path "other\/app"/);
  });

  test("two environments creating the same repository in one account", () => {
    const error = violationOf(() => validateConfig(exampleWithEnv({ registry: { ...dev.registry, repositoryPrefix: "acme/staging" } })));
    expect(error.message).toMatch(/invalid repository name "acme\/staging\/app"\. Rule: repository names are unique per account and region/);
  });

  test("environment names are resource-name safe", () => {
    expect(violationOf(() => validateConfig(exampleWithEnv({ name: "Dev" }))).message).toMatch(/invalid environment name "Dev"/);
  });
});
