/**
 * TagScheme, ExistingNetwork, ExistingRunnerTokenParameter and DockerAuthConfig are constructs with (scope, id,
 * props): their errors carry the construct path, account and region come from (and are checked
 * against) the stack's AWS provider, and the deprecated (path, props) form still works.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { PolicyDocument } from "../../lib/core/iam";
import { DockerAuthConfig } from "../../lib/gitlab/docker-auth-config";
import { ExistingRunnerTokenParameter } from "../../lib/gitlab/existing-runner-token";
import { ExistingNetwork } from "../../lib/network/existing-network";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { testStack, violationOf } from "../support/synth";

/** A stack with a default AWS provider in eu-central-1 that may deploy into one account. */
function providerStack(accounts: string[] = ["111111111111"]): TerraformStack {
  const stack = testStack();
  new AwsProvider(stack, "aws", { region: "eu-central-1", allowedAccountIds: accounts });
  return stack;
}

const network = { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d"] };
const ECR = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";

describe("construct form", () => {
  test("each is a construct in the tree under its scope and id", () => {
    const stack = providerStack();
    const team = new Construct(stack, "team");
    const scheme = new TagScheme(team, "tags");
    const net = new ExistingNetwork(team, "network", network);
    const token = new ExistingRunnerTokenParameter(team, "token", { parameterName: "/ci/runner/token" });
    const auth = new DockerAuthConfig(team, "docker-auth", { ecrRegistries: [ECR] });
    expect([scheme, net, token, auth].map((c) => c.node.path)).toEqual(["test/team/tags", "test/team/network", "test/team/token", "test/team/docker-auth"]);
    expect(team.node.children).toEqual([scheme, net, token, auth]);
    expect(scheme.path).toBe("test/team/tags");
    expect(auth.path).toBe("test/team/docker-auth");
    expect(JSON.parse(auth.render())).toEqual({ credHelpers: { [ECR]: "ecr-login" } });
  });

  test("errors name the construct path", () => {
    const stack = providerStack();
    expect(violationOf(() => new TagScheme(stack, "tags", { use: ["nightly" as never] })).message).toMatch(/^test\/tags: invalid use "nightly"/);
    expect(violationOf(() => new TagScheme(stack, "tags2", { kinds: { mergeRequest: { retention: { maxAgeDays: 0 } } } })).message).toMatch(
      /^test\/tags2\/kinds\/mergeRequest: invalid retention maxAgeDays/,
    );
    expect(violationOf(() => new ExistingNetwork(stack, "network", { ...network, vpcId: "vpc-12" })).message).toMatch(/^test\/network: invalid vpcId "vpc-12"/);
    expect(violationOf(() => new ExistingRunnerTokenParameter(stack, "token", { parameterName: "has space" })).message).toMatch(/^test\/token: invalid parameterName/);
    expect(violationOf(() => new DockerAuthConfig(stack, "docker-auth", {})).message).toMatch(/^test\/docker-auth: invalid registries \{\}\. Rule: DOCKER_AUTH_CONFIG needs at least one registry/);
    expect(violationOf(() => new DockerAuthConfig(stack, "docker-auth-2", { ecrRegistries: [`https://${ECR}/app`] })).path).toBe("test/docker-auth-2/ecrRegistries[0]");
  });

  test("plain-JavaScript callers that pass no scope or no id get a clear error", () => {
    const stack = testStack();
    expect(violationOf(() => new ExistingNetwork({} as never, "network", network)).message).toMatch(
      /^ExistingNetwork: invalid scope \{\}\. Rule: ExistingNetwork takes \(scope, id, props\) like every construct of the library/,
    );
    expect(violationOf(() => new TagScheme(stack, {} as never)).message).toMatch(/^test\/TagScheme: invalid construct id \{\}\. Rule: a construct id is a non-empty string/);
    expect(violationOf(() => new DockerAuthConfig(undefined as never, "docker-auth", { ecrRegistries: [ECR] })).message).toMatch(/^DockerAuthConfig: invalid scope undefined\. Rule: DockerAuthConfig takes \(scope, id, props\)/);
  });
});

describe("account and region from the stack's AWS provider", () => {
  const grantsOf = (token: ExistingRunnerTokenParameter) => {
    const doc = new PolicyDocument();
    token.grantRead(doc);
    return doc.toJson().Statement.flatMap((s) => s.Resource);
  };

  test("left out, they are the provider's region and its only allowed account", () => {
    const token = new ExistingRunnerTokenParameter(providerStack(), "token", { parameterName: "/ci/runner/token" });
    expect(token.parameterArn).toBe("arn:aws:ssm:eu-central-1:111111111111:parameter/ci/runner/token");
    expect(grantsOf(token)).toEqual([token.parameterArn]);
  });

  test("given, they must match the provider: another region or an account it may not deploy into is refused", () => {
    expect(violationOf(() => new ExistingRunnerTokenParameter(providerStack(), "token", { parameterName: "/ci/t", region: "eu-west-1" })).message).toMatch(
      /^test\/token: invalid region "eu-west-1"\. Rule: the construct's region is the region of the stack's AWS provider \(eu-central-1\)/,
    );
    expect(violationOf(() => new ExistingRunnerTokenParameter(providerStack(), "token", { parameterName: "/ci/t", accountId: "222222222222" })).message).toMatch(
      /^test\/token: invalid accountId "222222222222"\. Rule: the construct's account is one the stack's AWS provider may deploy into/,
    );
    const matching = new ExistingRunnerTokenParameter(providerStack(), "token", { parameterName: "/ci/t", accountId: "111111111111", region: "eu-central-1" });
    expect(matching.parameterArn).toBe("arn:aws:ssm:eu-central-1:111111111111:parameter/ci/t");
  });

  test("not given and not known from the provider (none, or several allowed accounts): an error asks for them", () => {
    expect(violationOf(() => new ExistingRunnerTokenParameter(testStack(), "token", { parameterName: "/ci/t" })).message).toMatch(
      /^test\/token: invalid accountId undefined\. Rule: the parameter's account is given, or the stack's AWS provider names exactly one allowed account/,
    );
    expect(violationOf(() => new ExistingRunnerTokenParameter(providerStack(["111111111111", "222222222222"]), "token", { parameterName: "/ci/t" })).subject).toBe("accountId");
    const stack = providerStack(["111111111111", "222222222222"]);
    expect(new ExistingRunnerTokenParameter(stack, "token", { parameterName: "/ci/t", accountId: "222222222222" }).parameterArn).toBe(
      "arn:aws:ssm:eu-central-1:222222222222:parameter/ci/t",
    );
  });
});

describe("the deprecated (path, props) form still works", () => {
  test("errors name the given path; nothing joins a construct tree", () => {
    const scheme = new TagScheme("cfg/tagScheme");
    expect(scheme.path).toBe("cfg/tagScheme");
    expect(scheme.node.scope).toBeUndefined();
    expect(violationOf(() => new TagScheme("cfg/tagScheme", { use: ["nightly" as never] })).message).toMatch(/^cfg\/tagScheme: invalid use "nightly"/);
    expect(new ExistingNetwork("cfg/network", network).privateSubnetIds).toEqual(network.privateSubnetIds);
    expect(violationOf(() => new ExistingNetwork("cfg/network", { ...network, privateSubnetIds: [] })).message).toMatch(/^cfg\/network: invalid privateSubnetIds/);
    const token = new ExistingRunnerTokenParameter("cfg/runner", { parameterName: "/ci/t", accountId: "111111111111", region: "eu-west-1" });
    expect(token.parameterArn).toBe("arn:aws:ssm:eu-west-1:111111111111:parameter/ci/t");
    expect(violationOf(() => new ExistingRunnerTokenParameter("cfg/runner", { parameterName: "/ci/t" })).message).toMatch(/^cfg\/runner: invalid accountId undefined/);
    const auth = new DockerAuthConfig("cfg/docker-auth", { ecrRegistries: [ECR] });
    expect({ path: auth.path, scope: auth.node.scope, ecr: auth.ecrRegistries }).toEqual({ path: "cfg/docker-auth", scope: undefined, ecr: [ECR] });
    expect(violationOf(() => new DockerAuthConfig("cfg/docker-auth", {})).message).toMatch(/^cfg\/docker-auth: invalid registries/);
  });
});
