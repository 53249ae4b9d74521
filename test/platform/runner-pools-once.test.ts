import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { type EnvironmentConfig } from "../../lib/platform/config";
import { GitLabCiPlatform } from "../../lib/platform/platform";
import { RegistrySettings } from "../../lib/registry/registry-settings";

// The platform computes an environment's runner pools once and hands them to the GitLab side,
// so registrations and fleets read one model (the GitLab side used to compute its own copy).

const calls: Array<string | undefined> = [];
jest.mock("../../lib/platform/runner-pools", () => {
  const actual = jest.requireActual("../../lib/platform/runner-pools");
  return {
    ...actual,
    runnerPoolsOf: (...args: Parameters<typeof actual.runnerPoolsOf>) => {
      calls.push(args[2] as string | undefined);
      return actual.runnerPoolsOf(...args);
    },
  };
});

const environment: EnvironmentConfig = {
  name: "sandbox",
  accountId: "111111111111",
  region: "eu-central-1",
  gitlab: { url: "https://gitlab.example.com", group: "acme", projects: ["acme/app"] },
  registry: { repositories: [{ id: "app", description: "The application image" }] },
  runners: {
    runners: [{ name: "build", limit: 2, dockerAccess: "socket-binding", image: "docker:27" }],
    unprotected: { runners: [{ name: "mr", limit: 2, dockerAccess: "none", image: "alpine:3.20" }] },
  },
};

test("runner pools are computed once per environment, by the platform, and the GitLab side uses them", () => {
  const stack = new TerraformStack(Testing.app(), "pools-once");
  new AwsProvider(stack, "aws", { region: "eu-central-1" });
  new GitlabProvider(stack, "gitlab", { baseUrl: "https://gitlab.example.com/api/v4/" });
  const registry = new RegistrySettings(stack, "registry", { accountId: "111111111111", region: "eu-central-1" });
  calls.length = 0;
  const platform = new GitLabCiPlatform(stack, "ci", { platform: { project: "acme" }, environment, registrySettings: registry });
  const ownPath = calls.filter((p) => p === platform.node.path);
  const gitlabSide = calls.filter((p) => p === platform.gitlab.node.path);
  expect(ownPath).toHaveLength(1);
  expect(gitlabSide).toEqual([]);
  // The GitLab side still registers every pool's runner (it read the pools it was given).
  expect([...platform.gitlab.runnerTokens.keys()].sort()).toEqual(["build", "mr"]);
});
