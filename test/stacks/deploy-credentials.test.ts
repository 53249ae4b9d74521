import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { type SynthJson } from "../support/synth";
import { expectViolation } from "../support/violations";

type AwsProviderJson = { region: string; allowed_account_ids: string[]; assume_role?: Array<Record<string, string>> };

function providersOf(config: PlatformConfig, only?: readonly string[]): Map<string, AwsProviderJson> {
  const stacks = buildPlatform(Testing.app(), config);
  const all = [...stacks.accounts.values(), ...stacks.environments.values()].filter((s) => !only || only.includes(s.node.id));
  return new Map(all.map((stack) => [stack.node.id, (JSON.parse(Testing.synth(stack)) as SynthJson & { provider: { aws: AwsProviderJson[] } }).provider.aws[0]!]));
}

describe("per-account deploy credentials", () => {
  test("the example spans two accounts, and every stack's provider assumes its own account's role", () => {
    const providers = providersOf(exampleConfig);
    const roleOf = (accountId: string) => `arn:aws:iam::${accountId}:role/acme-ci-deploy`;
    const expected: Record<string, string> = {
      "account-nonprod": "111111111111",
      dev: "111111111111",
      staging: "111111111111",
      "account-prod": "222222222222",
      production: "222222222222",
    };
    expect(new Set(Object.values(expected)).size).toBe(2);
    expect([...providers.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [stack, accountId] of Object.entries(expected)) {
      const provider = providers.get(stack)!;
      expect({ stack, allowed: provider.allowed_account_ids, assume: provider.assume_role }).toEqual({
        stack,
        allowed: [accountId],
        assume: [{ role_arn: roleOf(accountId), session_name: `acme-ci-${stack}` }],
      });
    }
  });

  test("without a deploy role the provider uses the caller's credentials (no assume_role block)", () => {
    const config: PlatformConfig = { ...exampleConfig, accounts: exampleConfig.accounts.map(({ deployRole: _, ...a }) => a) };
    const providers = providersOf(config, ["account-nonprod", "dev"]);
    expect(providers.size).toBe(2);
    for (const provider of providers.values()) expect(provider).not.toHaveProperty("assume_role");
  });

  test("session name and external id are passed through", () => {
    const [nonprod, prod] = exampleConfig.accounts;
    const config: PlatformConfig = {
      ...exampleConfig,
      accounts: [{ ...nonprod!, deployRole: { roleArn: "arn:aws:iam::111111111111:role/ci/deploy", sessionName: "ci-nonprod", externalId: "acme-7f3a" } }, prod!],
    };
    expect(providersOf(config, ["dev"]).get("dev")!.assume_role).toEqual([{ role_arn: "arn:aws:iam::111111111111:role/ci/deploy", session_name: "ci-nonprod", external_id: "acme-7f3a" }]);
  });

  const withRole = (deployRole: NonNullable<PlatformConfig["accounts"][number]["deployRole"]>): PlatformConfig => ({
    ...exampleConfig,
    accounts: [{ ...exampleConfig.accounts[0]!, deployRole }, exampleConfig.accounts[1]!],
  });

  test("a role of another account is refused (the stacks would deploy into that account)", () => {
    expectViolation(() => validateConfig(withRole({ roleArn: "arn:aws:iam::222222222222:role/acme-ci-deploy" })), {
      path: "config/accounts[0]/deployRole",
      subject: "roleArn",
      value: "arn:aws:iam::222222222222:role/acme-ci-deploy",
      rule: /the role is in the account its stacks deploy into \(111111111111\)/,
      fix: /name a role in account 111111111111/,
    });
  });

  test.each(["acme-ci-deploy", "arn:aws:iam::111111111111:user/deploy", "arn:aws:iam::111111111111:policy/deploy", "arn:aws:iam:eu-central-1:111111111111:role/x"])(
    "a value that is not a role ARN is refused: %p",
    (roleArn) => {
      expectViolation(() => validateConfig(withRole({ roleArn })), {
        path: "config/accounts[0]/deployRole",
        subject: "roleArn",
        value: roleArn,
        rule: /a role ARN looks like arn:aws:iam::<12-digit account>:role\/<name>/,
        fix: /aws iam get-role/,
      });
    },
  );

  test("a role in another partition than the region's is refused", () => {
    expectViolation(() => validateConfig(withRole({ roleArn: "arn:aws-cn:iam::111111111111:role/deploy" })), {
      path: "config/accounts[0]/deployRole",
      subject: "roleArn",
      value: "arn:aws-cn:iam::111111111111:role/deploy",
      rule: /partition of region eu-central-1 \(aws\)/,
      fix: /arn:aws:iam::/,
    });
  });

  test("a session name STS would reject is refused", () => {
    expectViolation(() => validateConfig(withRole({ roleArn: "arn:aws:iam::111111111111:role/deploy", sessionName: "deploy from laptop" })), {
      path: "config/accounts[0]/deployRole",
      subject: "sessionName",
      value: "deploy from laptop",
      rule: /2-64 letters, digits and _\+=,\.@-/,
      fix: /acme-ci-deploy/,
    });
  });
});
