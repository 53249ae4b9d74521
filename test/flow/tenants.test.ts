import { validateEnvironmentConfig, type EnvironmentConfig } from "../../lib/platform/config";
import { exampleConfig } from "../../stacks/example-config";
import { resourcesOf, violationOf } from "../support/synth";
import { exampleStackJson } from "./support/example-json";

/*
 * Projects as tenants, from the synthesized JSON of every example stack (what `jq` would read):
 * each project gets its own project variables; no image variable value is shared between
 * projects (the old group-level PLATFORM_APP_IMAGE sent every project to one repository).
 */
const jsonOf = (name: string) => exampleStackJson().get(name)!;
const environments = ["dev", "staging", "production"].map((name) => [name, jsonOf(name)] as const);

describe("projects as tenants (synthesized example stacks)", () => {
  test.each(environments)("%s: each project has its own image variables, and no image variable value is shared between projects", (_name, json) => {
    const variables = Object.values(resourcesOf(json, "gitlab_project_variable")) as Array<{ project: string; key: string; value: string; protected: boolean }>;
    const images = variables.filter((v) => /^PLATFORM_[A-Z0-9_]+_IMAGE$/.test(v.key));
    const projects = [...new Set(images.map((v) => v.project))].sort();
    expect(projects).toEqual(["acme/app", "acme/toolbox", "acme/web"]);
    // jq: [.resource.gitlab_project_variable[] | select(.key | test("_IMAGE$"))] | group_by(.value) | map(select(length > 1))
    const byValue = new Map<string, string[]>();
    for (const v of images) byValue.set(v.value, [...(byValue.get(v.value) ?? []), v.project]);
    expect([...byValue].filter(([, owners]) => owners.length > 1)).toEqual([]);
    for (const v of images) expect(v.value).toContain(`/${v.project.split("/")[1]}/`);
    expect(Object.values(resourcesOf(json, "gitlab_group_variable")).map((v) => v.key)).not.toContain("PLATFORM_APP_IMAGE");
  });

  test("the protected role ARN is a protected project variable; the unprotected role ARN and the audience are not", () => {
    const [, dev] = environments[0]!;
    const web = (Object.values(resourcesOf(dev, "gitlab_project_variable")) as Array<{ project: string; key: string; value: string; protected: boolean }>).filter((v) => v.project === "acme/web");
    const byKey = Object.fromEntries(web.map((v) => [v.key, [v.value, v.protected]]));
    expect(byKey.PLATFORM_AWS_ROLE_ARN).toEqual(["arn:aws:iam::111111111111:role/acme-ci-dev-web-protected", true]);
    expect(byKey.PLATFORM_AWS_UNPROTECTED_ROLE_ARN).toEqual(["arn:aws:iam::111111111111:role/acme-ci-dev-web-unprotected", false]);
    expect(byKey.PLATFORM_OIDC_AUDIENCE).toEqual(["acme-ci-dev", false]);
    expect(byKey.PLATFORM_APP_IMAGE).toEqual(["111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/web/app", false]);
    expect(byKey.PLATFORM_APP_UNPROTECTED_IMAGE).toEqual(["111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/web/unprotected/app", false]);
  });

  test("base images from the pull-through cache: the CI roles may pull and import through the pull-through prefixes", () => {
    const [, dev] = environments[0]!;
    const policies = Object.values(resourcesOf(dev, "aws_iam_role_policy")).map((p) => String(p.policy));
    const withImport = policies.filter((p) => p.includes("ecr:BatchImportUpstreamImage"));
    expect(withImport.length).toBeGreaterThanOrEqual(3); // runner hosts, and both CI roles
    for (const p of withImport) expect(p).toContain("arn:aws:ecr:eu-central-1:111111111111:repository/ecr-public/*");
  });
});

describe("tenant and tier configuration errors", () => {
  const dev = exampleConfig.environments[0]! as EnvironmentConfig;
  const withGitLab = (gitlab: Partial<EnvironmentConfig["gitlab"]>): EnvironmentConfig => ({ ...dev, gitlab: { ...dev.gitlab, ...gitlab } });
  const check = (env: EnvironmentConfig) => violationOf(() => validateEnvironmentConfig(exampleConfig, env, "config/environments[0]")).message;

  test("a project listed twice", () => {
    expect(check(withGitLab({ projects: ["acme/app", "acme/toolbox", "acme/App"] }))).toMatch(
      /^config\/environments\[0\]\/gitlab\/projects\[2\]: invalid project "acme\/App"\. Rule: a project is listed once \(it is also projects\[0\]; GitLab paths are case-insensitive\)/,
    );
    expect(check(withGitLab({ projects: ["acme/app", "acme/toolbox", { path: "acme/team/app" }] }))).toMatch(/projects\[2\]: invalid tenant name "app"\. Rule: tenant names are unique/);
  });

  test("a path that is not a GitLab project path", () => {
    expect(check(withGitLab({ projects: ["acme/app", "acme/toolbox", "acme/my app"] }))).toMatch(/projects\[2\]: invalid project path "acme\/my app"/);
    expect(check(withGitLab({ projects: ["acme/app", "acme/toolbox", "acme/app.git"] }))).toMatch(/projects\[2\]: invalid project path "acme\/app\.git"/);
  });

  test("group-level environment scopes with tier free (the default), and an unknown tier", () => {
    const staging = exampleConfig.environments[1]! as EnvironmentConfig;
    const free = { ...staging, gitlab: { ...staging.gitlab, tier: "free" as const } };
    expect(violationOf(() => validateEnvironmentConfig(exampleConfig, free, "config/environments[1]")).message).toMatch(
      /^config\/environments\[1\]\/gitlab\/variables: invalid environmentScope "staging"\. Rule: environment scopes on group CI\/CD variables are a GitLab Premium feature.*Fix: remove gitlab\.variables\.environmentScope.*or set gitlab\.tier: "premium"/,
    );
    expect(check(withGitLab({ tier: "gold" as never }))).toMatch(/gitlab: invalid tier "gold"\. Rule: the GitLab tier is one of free, premium, ultimate/);
  });
});
