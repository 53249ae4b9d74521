import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, TerraformStack, Testing } from "cdktf";
import { UniquePhysicalNames } from "../../lib/checks/unique-names";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";
import { annotationsOf } from "../support/annotations";

const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

function stackIn(app = Testing.app(), id = "test", region = "eu-central-1"): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region });
  return stack;
}

describe("duplicate physical names", () => {
  test("two constructs of one stack creating the same role, repository, OIDC provider or registry scanning configuration are refused", () => {
    const stack = stackIn();
    for (const id of ["a", "b"]) {
      new IamRole(stack, `role-${id}`, { name: "ci-build", assumeRolePolicy: trust });
      new EcrRepository(stack, `repo-${id}`, { name: "acme/app" });
      new IamOpenidConnectProvider(stack, `oidc-${id}`, { url: "https://gitlab.example.com", clientIdList: ["x"] });
      new EcrRegistryScanningConfiguration(stack, `scanning-${id}`, { scanType: "BASIC" });
    }
    Aspects.of(stack).add(new UniquePhysicalNames({ account: "111111111111" }));
    Testing.synth(stack);
    const errors = annotationsOf(stack).filter((a) => a.level === "error");
    expect(errors.map((a) => a.path)).toEqual(["test/role-b", "test/repo-b", "test/oidc-b", "test/scanning-b"]);
    expect(errors[0]!.message).toMatch(/^Duplicate IAM role name "ci-build" in account 111111111111: test\/role-b \(aws_iam_role\.role-b\) and test\/role-a \(aws_iam_role\.role-a\) would both create it/);
    expect(errors[1]!.message).toContain("in account 111111111111, region eu-central-1");
  });

  test("across stacks of one account: account-wide names clash, regional names only in the same region", () => {
    const app = Testing.app();
    const names = new UniquePhysicalNames({ account: "111111111111" });
    const one = stackIn(app, "one", "eu-central-1");
    const two = stackIn(app, "two", "eu-west-1");
    for (const stack of [one, two]) {
      new IamRole(stack, "role", { name: "ci-build", assumeRolePolicy: trust });
      new EcrRepository(stack, "repo", { name: "acme/app" });
      Aspects.of(stack).add(names);
    }
    Testing.synth(one);
    Testing.synth(two);
    expect(annotationsOf(one)).toEqual([]);
    expect(annotationsOf(two).map((a) => [a.level, a.path, a.message.slice(0, 31)])).toEqual([["error", "two/role", 'Duplicate IAM role name "ci-bui']]);
  });

  test("different accounts and names known only at apply time do not clash", () => {
    const app = Testing.app();
    for (const [id, account] of [["one", "111111111111"], ["two", "222222222222"]] as const) {
      const stack = stackIn(app, id);
      new IamRole(stack, "role", { name: "ci-build", assumeRolePolicy: trust });
      new IamRole(stack, "generated", { namePrefix: "x", assumeRolePolicy: trust });
      Aspects.of(stack).add(new UniquePhysicalNames({ account }));
      Testing.synth(stack);
      expect(annotationsOf(stack)).toEqual([]);
    }
  });
});

test("a plain-JavaScript caller passing a non-string account is refused", () => {
  expect(() => new UniquePhysicalNames({ account: 111111111111 as unknown as string })).toThrow(/^UniquePhysicalNames: invalid account 111111111111\. Rule: the account the stacks deploy into/);
});

test("the platform app compares names across the stacks of one account (dev and staging share one)", () => {
  const app = Testing.app();
  const stacks = buildPlatform(app, exampleConfig);
  const dev = stacks.environments.get("dev")!;
  const staging = stacks.environments.get("staging")!;
  const production = stacks.environments.get("production")!;
  new IamRole(staging, "copy", { name: "acme-ci-dev-app-protected", assumeRolePolicy: trust });
  new IamRole(production, "copy", { name: "acme-ci-dev-app-protected", assumeRolePolicy: trust });
  for (const stack of [dev, staging, production]) Testing.synth(stack);
  const duplicates = (s: TerraformStack) => annotationsOf(s).filter((a) => a.message.startsWith("Duplicate IAM role name"));
  expect(duplicates(staging).map((a) => a.path)).toEqual(["staging/copy"]);
  expect(duplicates(staging)[0]!.message).toContain("dev/platform/");
  // Production deploys into another account: the same name is no clash there.
  expect(duplicates(production)).toEqual([]);
});
