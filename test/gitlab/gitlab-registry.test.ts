import { CLEANUP_OLDER_THAN_DAYS, cleanupPolicyFromTagScheme, ProtectedContainerRepositories, protectedRegistryRepositoriesOf, RegistryDeployToken } from "../../lib/gitlab/gitlab-registry";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { DockerAuthConfig } from "../../lib/gitlab/docker-auth-config";
import { matchesSelector } from "../../lib/registry/glob";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { onlyResource, resourcesOf, synth, synthWith, testStack, violationOf } from "../support/synth";

describe("RegistryDeployToken", () => {
  test("a read_registry deploy token feeds DOCKER_AUTH_CONFIG without a literal secret", () => {
    const stack = testStack();
    const token = new RegistryDeployToken(stack, "pull-token", { target: { group: "acme" }, name: "ci-pull", registryHost: "registry.gitlab.example.com" });
    const auth = new DockerAuthConfig("auth", { deployTokens: [token] });
    expect(auth.containsSecret).toBe(true);
    const { json } = synth(stack);
    expect(onlyResource(json, "gitlab_deploy_token")).toEqual({ group: "acme", name: "ci-pull", scopes: ["read_registry"] });
    expect(token.scopes).toEqual(["read_registry"]);
  });

  test("a project token with write_registry, expiry and user name", () => {
    const stack = testStack();
    new RegistryDeployToken(stack, "push-token", {
      target: { project: "acme/app" },
      name: "push",
      registryHost: "registry.gitlab.example.com",
      scopes: ["read_registry", "write_registry"],
      expiresAt: "2027-01-01T00:00:00Z",
      username: "acme-push",
    });
    expect(onlyResource(synth(stack).json, "gitlab_deploy_token")).toEqual({
      project: "acme/app",
      name: "push",
      scopes: ["read_registry", "write_registry"],
      expires_at: "2027-01-01T00:00:00Z",
      username: "acme-push",
    });
  });

  test("a deploy token without registry scopes", () => {
    const error = violationOf(() => new RegistryDeployToken(testStack(), "t", { target: { group: "acme" }, name: "x", registryHost: "r.example.com", scopes: ["read_repository"] }));
    expect(error.message).toMatch(/^test\/t: invalid scopes \["read_repository"\]\. Rule: a registry deploy token needs read_registry \(pull\) or write_registry \(push\)\. Fix: use scopes \["read_registry"\]/);
  });

  test("a write-only token cannot be used for DOCKER_AUTH_CONFIG (pulling needs read_registry)", () => {
    const token = new RegistryDeployToken(testStack(), "t", { target: { group: "acme" }, name: "x", registryHost: "r.example.com", scopes: ["write_registry"] });
    expect(violationOf(() => new DockerAuthConfig("cfg/auth", { deployTokens: [token] })).message).toMatch(/^cfg\/auth\/deployTokens\[0\]: invalid deploy token scopes \["write_registry"\]/);
  });
});

describe("cleanupPolicyFromTagScheme", () => {
  const scheme = new TagScheme("cfg/tagScheme");
  const policy = cleanupPolicyFromTagScheme("cfg/cleanup", scheme);
  /** GitLab anchors the patterns with \A and \Z itself. */
  const matches = (regex: string, tag: string) => new RegExp(`^(?:${regex})$`).test(tag);

  test("keep-regex from the protected kinds, delete-regex from the kinds retained by age, older_than covering the longest age", () => {
    expect(policy).toEqual({
      enabled: true,
      cadence: "1d",
      keepN: 10,
      olderThan: "30d",
      nameRegexDelete: "(?:pipeline-.*)|(?:MR-.*)|(?:branch-.*)",
      nameRegexKeep: "(?:latest)|(?:v.*\\..*\\..*)|(?:buildcache)|(?:deployed-.*)",
    });
  });

  test.each(["latest", "v1.2.3", "v10.0.0-rc1", "pipeline-1", "MR-12", "branch-main", "sha-abc", "v1", "latest2", "1.2.3", "vx.y"])(
    "the regexes agree with the tag scheme's selectors for %p",
    (tag) => {
      const kind = scheme.classify(tag);
      expect({ tag, keep: matches(policy.nameRegexKeep!, tag) }).toEqual({ tag, keep: kind?.protected === true });
      const deletable = kind !== undefined && !kind.protected && kind.retention !== undefined && "maxAgeDays" in kind.retention;
      expect({ tag, delete: matches(policy.nameRegexDelete!, tag) }).toEqual({ tag, delete: deletable });
      if (kind) expect(matchesSelector(tag, kind.selector)).toBe(true);
    },
  );

  test("regex metacharacters in selectors are escaped", () => {
    const dotted = new TagScheme("cfg/s", { kinds: { branch: { prefix: "br.", ciTag: "br.${CI_COMMIT_REF_SLUG}" } } });
    const p = cleanupPolicyFromTagScheme("cfg/cleanup", dotted);
    expect(matches(p.nameRegexDelete!, "brX1")).toBe(false);
    expect(matches(p.nameRegexDelete!, "br.main")).toBe(true);
  });

  test("older_than rounds up to a value GitLab offers", () => {
    const s = new TagScheme("cfg/s", { kinds: { mergeRequest: { retention: { maxAgeDays: 45 } } } });
    expect(cleanupPolicyFromTagScheme("cfg/cleanup", s).olderThan).toBe("60d");
    expect(CLEANUP_OLDER_THAN_DAYS).toEqual([7, 14, 30, 60, 90]);
  });

  test("a retention longer than GitLab's longest older_than", () => {
    const s = new TagScheme("cfg/s", { kinds: { mergeRequest: { retention: { maxAgeDays: 120 } } } });
    const error = violationOf(() => cleanupPolicyFromTagScheme("cfg/cleanup", s));
    expect(error.message).toMatch(/^cfg\/cleanup: invalid tag retention .*"mergeRequest: 120 days".*Rule: GitLab's cleanup policy offers older_than up to 90 days.*Fix: lower the maxAgeDays/);
  });

  test("a scheme with no kind retained by age", () => {
    const s = new TagScheme("cfg/s", { use: ["commit", "latest"] });
    expect(violationOf(() => cleanupPolicyFromTagScheme("cfg/cleanup", s)).message).toMatch(/no tag kind of the scheme is retained by age/);
  });
});

describe("ProtectedContainerRepositories", () => {
  test("one rule per protected repository under the project's (lower-cased) path: push by Maintainers", () => {
    const json = synthWith((scope) => {
      new ProtectedContainerRepositories(scope, "registry", { projectPath: "Acme/App", repositories: ["app", "ci"] });
    });
    expect(Object.values(resourcesOf(json, "gitlab_project_container_repository_protection"))).toEqual([
      { project: "Acme/App", repository_path_pattern: "acme/app/app", minimum_access_level_for_push: "maintainer" },
      { project: "Acme/App", repository_path_pattern: "acme/app/ci", minimum_access_level_for_push: "maintainer" },
    ]);
  });

  test("owner as the minimum, a project id from elsewhere", () => {
    const json = synthWith((scope) => {
      new ProtectedContainerRepositories(scope, "registry", { projectPath: "acme/app", project: "42", repositories: ["images/*"], minimumAccessLevelForPush: "owner" });
    });
    expect(onlyResource(json, "gitlab_project_container_repository_protection")).toEqual({ project: "42", repository_path_pattern: "acme/app/images/*", minimum_access_level_for_push: "owner" });
  });

  test("bad input: a level GitLab refuses (plain JavaScript), no repository, the unprotected namespace, an upper-case name", () => {
    const build = (props: Partial<ConstructorParameters<typeof ProtectedContainerRepositories>[2]>) => () =>
      synthWith((scope) => {
        new ProtectedContainerRepositories(scope, "registry", { projectPath: "acme/app", repositories: ["app"], ...props });
      });
    expect(violationOf(build({ minimumAccessLevelForPush: "developer" as never })).message).toMatch(
      /^test\/registry\/minimumAccessLevelForPush: invalid minimum access level for push "developer".*maintainer \| owner \| admin/,
    );
    expect(violationOf(build({ repositories: [] })).message).toMatch(/^test\/registry\/repositories: invalid repositories/);
    expect(violationOf(build({ repositories: ["unprotected/app"] })).message).toMatch(/^test\/registry\/repositories\[0\]: invalid repository name "unprotected\/app".*never the unprotected pipelines' unprotected\/ namespace/);
    expect(violationOf(build({ repositories: ["App"] })).message).toMatch(/^test\/registry\/repositories\[0\]: invalid repository name "App"/);
  });
});

describe("protectedRegistryRepositoriesOf", () => {
  const tagScheme = new TagScheme("cfg/tagScheme");
  test("the GitLab-registry template's protected pipelines push $CI_REGISTRY_IMAGE/<image>, never unprotected/", () => {
    expect(protectedRegistryRepositoriesOf(imageReuseTemplate("t", { tagScheme, registry: "gitlab" }))).toEqual(["app", "ci"]);
    const custom = imageReuseTemplate("t", { tagScheme, registry: "gitlab", images: [{ name: "web" }, { name: "worker", unprotectedRepository: "$CI_REGISTRY_IMAGE/sandbox/worker" }] });
    expect(protectedRegistryRepositoriesOf(custom)).toEqual(["web", "worker"]);
  });

  test("an ECR template pushes nothing to the GitLab registry", () => {
    expect(protectedRegistryRepositoriesOf(imageReuseTemplate("t", { tagScheme }))).toEqual([]);
  });
});
