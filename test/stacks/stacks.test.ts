import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";
import { resourcesOf, type SynthJson } from "../support/synth";

const app = Testing.app();
const stacks = buildPlatform(app, exampleConfig);
const synthOf = (stack: Parameters<typeof Testing.synth>[0]) => Testing.synth(stack);
const all = new Map<string, string>([
  ...[...stacks.accounts].map(([name, s]) => [`account-${name}`, synthOf(s)] as const),
  ...[...stacks.environments].map(([name, s]) => [name, synthOf(s)] as const),
  ...[...stacks.gitlabShared.values()].map((s) => [s.node.id, synthOf(s)] as const),
]);
const json = (name: string) => JSON.parse(all.get(name)!) as SynthJson;

describe("example stacks", () => {
  test("one account stack per (account, region), one stack per environment, one shared GitLab stack", () => {
    expect([...all.keys()]).toEqual(["account-nonprod", "account-prod", "dev", "staging", "production", "gitlab-shared"]);
  });

  test("each environment depends on its account stack and on the gitlab-shared stack that protects its trusted refs (deploy order)", () => {
    const deps = (name: string) => stacks.environments.get(name)!.dependencies.map((d) => d.node.id);
    expect(deps("dev")).toEqual(["account-nonprod", "gitlab-shared"]);
    expect(deps("staging")).toEqual(["account-nonprod", "gitlab-shared"]);
    expect(deps("production")).toEqual(["account-prod", "gitlab-shared"]);
    // Destroying an environment never touches the shared stack: it depends on nothing.
    expect([...stacks.gitlabShared.values()][0]!.dependencies).toEqual([]);
  });

  test("providers are pinned to their account and region", () => {
    const provider = (json("production").provider as { aws: Array<Record<string, unknown>> }).aws[0]!;
    expect(provider).toEqual(expect.objectContaining({ region: "eu-central-1", allowed_account_ids: ["222222222222"] }));
  });

  test("every environment gets the seed repositories, production with prevent_destroy", () => {
    for (const env of ["dev", "staging", "production"]) {
      const repos = Object.values(resourcesOf(json(env), "aws_ecr_repository"));
      // The unprotected copies only where an unprotected pool runs unprotected jobs (dev).
      const unprotected = env === "dev" ? ["app/unprotected/app", "app/unprotected/app-ci", "app/unprotected/toolbox", "toolbox/unprotected/toolbox", "web/unprotected/app", "web/unprotected/app-ci", "web/unprotected/toolbox"] : [];
      expect(repos.map((r) => r.name).sort()).toEqual(
        ["app/app", "app/app-ci", "app/toolbox", "toolbox/toolbox", "web/app", "web/app-ci", "web/toolbox", ...unprotected].sort().map((name) => `acme/${env}/${name}`),
      );
      for (const r of repos) {
        if (env === "production") expect(r.lifecycle).toEqual({ prevent_destroy: true });
        else expect(r).not.toHaveProperty("lifecycle");
        expect(r.force_delete).toBe(false);
      }
    }
  });

  test("production's tag scheme overrides reach its lifecycle policy", () => {
    const policies = Object.values(resourcesOf(json("production"), "aws_ecr_lifecycle_policy")).map(
      (p) => JSON.parse(p.policy as string) as { rules: Array<{ selection: Record<string, unknown> }> },
    );
    const commitRule = policies[0]!.rules.find((r) => (r.selection.tagPrefixList as string[] | undefined)?.[0] === "sha-");
    expect(commitRule?.selection.countNumber).toBe(300);
  });

  test("repository URLs are outputs with stable ids", () => {
    expect(Object.keys(json("dev").output ?? {}).filter((k) => k.startsWith("repository-url-"))).toEqual([
      "repository-url-app-app",
      "repository-url-app-app-ci",
      "repository-url-app-toolbox",
      "repository-url-app-unprotected-app",
      "repository-url-app-unprotected-app-ci",
      "repository-url-app-unprotected-toolbox",
      "repository-url-toolbox-toolbox",
      "repository-url-toolbox-unprotected-toolbox",
      "repository-url-web-app",
      "repository-url-web-app-ci",
      "repository-url-web-toolbox",
      "repository-url-web-unprotected-app",
      "repository-url-web-unprotected-app-ci",
      "repository-url-web-unprotected-toolbox",
    ]);
  });

  test("no stack contains a secret literal", () => {
    for (const [name, text] of all) {
      expect({ name, leaks: text.match(/glrt-[A-Za-z0-9_-]{8,}|AKIA[0-9A-Z]{16}|"password"\s*:\s*"[^$]/g) }).toEqual({ name, leaks: null });
    }
  });

  test.each([...all.keys()])("snapshot of stack %s", (name) => {
    expect(all.get(name)).toMatchSnapshot();
  });
});
