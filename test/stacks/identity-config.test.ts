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

describe("trust boundaries in the configuration", () => {
  const withProjects = (projects: PlatformConfig["environments"][number]["gitlab"]["projects"], project = exampleConfig.project): PlatformConfig => ({
    ...exampleConfig,
    project,
    environments: exampleConfig.environments.map((e, i) => (i === 0 ? { ...e, gitlab: { ...e.gitlab, projects } } : e)),
  });
  const PROJECTS = "config/environments\\[0\\]/gitlab/projects";

  test("trustRunnerHost: refused, with the reason (jobs run behind hop limit 1, only escaped jobs could use it)", () => {
    const error = violationOf(() => validateConfig(withIdentity({ deployment: { statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] }], trustRunnerHost: true } })));
    expect(error.message).toMatch(
      new RegExp(`^${PATH}/deployment/trustRunnerHost: invalid trustRunnerHost true\\. Rule: the runner host role no longer assumes the deployment role: jobs run in containers behind the instance metadata hop limit of 1.*Fix: remove trustRunnerHost`),
    );
  });

  test.each([
    ["*", /a pattern of wildcards only trusts every tag/],
    ["?*", /a pattern of wildcards only trusts every tag/],
    ["v*", /may trust only tags the CI templates release \("v\*\.\*\.\*"\)/],
    ["v?.*.*", /'\?' is one character for IAM/],
  ])("release tag pattern %s is refused", (releaseTags, rule) => {
    const error = violationOf(() => validateConfig(withIdentity({ releaseTags })));
    expect(error.message).toMatch(new RegExp(`^${PATH}/releaseTags: invalid release tag pattern `));
    expect(error.message).toMatch(rule);
  });

  test("a release pattern inside a custom release selector of the tag scheme is accepted, one outside it refused", () => {
    // Every environment: the environments of one GitLab instance share its templates' release pattern.
    const custom = (releaseTags: string): PlatformConfig => ({
      ...exampleConfig,
      environments: exampleConfig.environments.map((e) => ({ ...e, registry: { ...e.registry, tagScheme: { kinds: { release: { pattern: "release-*" } } } }, identity: { ...e.identity, releaseTags } })),
    });
    expect(() => validateConfig(custom("release-2*"))).not.toThrow();
    expect(violationOf(() => validateConfig(custom("v*.*.*"))).message).toMatch(/may trust only tags the CI templates release \("release-\*"\)/);
  });

  test.each([
    [["project_path", "ref_type"], /the sub claim must carry ref: every pipeline of a project then carries the same sub/],
    [["project_path", "ref"], /the sub claim must carry ref_type: a tag named like the default branch/],
    [["ref", "project_path"], /GitLab's ci_id_token_sub_claim_components accepts project_path,ref_type,ref \| project_path,ref,ref_type/],
  ] as const)("sub claim components %j are refused", (subClaimComponents, rule) => {
    const error = violationOf(() => validateConfig(withIdentity({ subClaimComponents })));
    expect(error.message).toMatch(new RegExp(`^${PATH}/subClaimComponents: invalid sub claim components `));
    expect(error.message).toMatch(rule);
  });

  test("the reordered components GitLab supports are accepted", () => {
    expect(() => validateConfig(withIdentity({ subClaimComponents: ["project_path", "ref", "ref_type"] }))).not.toThrow();
  });

  test("a project listed twice (same path, in any case) is refused at the second entry", () => {
    const error = violationOf(() => validateConfig(withProjects(["acme/app", "acme/toolbox", { path: "acme/App", name: "app2" }])));
    expect(error.message).toMatch(new RegExp(`^${PROJECTS}\\[2\\]: invalid project "acme/App"\\. Rule: a project is listed once \\(it is also projects\\[0\\]`));
  });

  test("two projects with the same tenant name are refused", () => {
    const error = violationOf(() => validateConfig(withProjects(["acme/app", "acme/team/app"])));
    expect(error.message).toMatch(new RegExp(`^${PROJECTS}\\[1\\]: invalid tenant name "app"\\. Rule: tenant names are unique .*Fix: give one of the entries its own name`));
  });

  test.each(["acme", "acme/-app", "acme//app", "acme/app.git"])("a project path that is not a GitLab project path (%s) is refused", (path) => {
    const error = violationOf(() => validateConfig(withProjects([path])));
    expect(error.message).toMatch(new RegExp(`^${PROJECTS}\\[0\\]: invalid (project path|project)`));
  });

  test("a CI role name over IAM's 64 characters is refused, naming the role and how much to cut", () => {
    const config = withProjects(["acme/toolbox", { path: "acme/app", name: "a-very-long-tenant-n" }], "platform-abcdefghijk");
    const long = { ...config, environments: config.environments.map((e, i) => (i === 0 ? { ...e, name: "development-eu-west1" } : e)) };
    const error = violationOf(() => validateConfig(long));
    // One line among the others these long names break (the fleet names, the access-log bucket name).
    expect(error.message).toMatch(
      new RegExp(`^${PROJECTS}\\[1\\]: invalid protected CI role name "platform-abcdefghijk-development-eu-west1-a-very-long-tenant-n-protected"\\. Rule: IAM role names hold at most 64 characters.*Fix: shorten .* by 8 characters`, "m"),
    );
  });

  test("a project's default branch must be one exact name, and protectedRefs a known mode (plain JavaScript callers too)", () => {
    expect(violationOf(() => validateConfig(withProjects(["acme/toolbox", { path: "acme/app", defaultBranch: "release/*" }]))).message).toMatch(
      new RegExp(`^${PROJECTS}\\[1\\]/defaultBranch: invalid default branch "release/\\*"\\. Rule: the default branch is one exact branch name`),
    );
    expect(violationOf(() => validateConfig(withProjects(["acme/toolbox", { path: "acme/app", protectedRefs: "skip" as never }]))).message).toMatch(
      new RegExp(`^${PROJECTS}\\[1\\]/protectedRefs: invalid protectedRefs "skip"\\. Rule: protectedRefs is "manage"`),
    );
  });
});
