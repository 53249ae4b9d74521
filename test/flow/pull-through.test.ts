import { readFileSync } from "node:fs";
import { mirrorPrefixVariable } from "../../lib/gitlab/platform-variables";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { resourcesOf } from "../support/synth";
import { appProject, failureOf, files } from "./support/app-project";
import { fakeRegistry, type FlowPipeline, HOST, type RegistryState } from "./support/flow-harness";
import { type PermissionTable } from "./support/flow-iam";
import { devAccountStack, type PullThroughRule, pullThroughPermissionTable, pullThroughRulesOf, withoutPullThroughGrant } from "./support/pull-through";
import { exampleStackJson } from "./support/example-json";

/*
 * Base images from the ECR pull-through cache in builds. With the docker socket bound (and with
 * rootless BuildKit), a build pulls its FROM image with the job's own role, not the runner host's, so
 * `FROM <mirror prefix>/...` works only when the CI role may pull through the prefix: import the
 * upstream image (ecr:BatchImportUpstreamImage) and, on the first pull of an image, create its cache
 * repository (ecr:CreateRepository; Amazon ECR User Guide, pull-through-cache-iam.html). Protected
 * roles may create it; unprotected roles only import into cache repositories that exist (a repository
 * a merge request created would not get the repository creation template's settings; see
 * test/attack-path/pull-through-create.test.ts). The account stack creates the cache repositories of
 * a rule's `cachedRepositories` up front (the example: docker/library/alpine through ECR Public), so
 * a merge request may pull those before any protected pipeline did. The fake registry holds the dev
 * account's pull-through rules and the cache repositories created up front, read from the
 * synthesized account stack, and decides every call with the permissions the IAM evaluator gives
 * the synthesized CI roles' policies.
 */
const ROLE = (trust: string) => `arn:aws:iam::111111111111:role/acme-ci-dev-app-${trust}`;
const stacks = exampleStackJson();
const account = devAccountStack(stacks)[1];
const rules = pullThroughRulesOf(account);
const ecrPublic = rules.find((r) => r.upstreamRegistryUrl === "public.ecr.aws")!;
// What the dev environment hands every project for ECR Public: `<host>/<prefix>/` (a group variable).
const mirrorPrefix = String(
  Object.values(resourcesOf(stacks.get("dev")!, "gitlab_group_variable")).find((v) => v.key === mirrorPrefixVariable(ecrPublic.upstreamRegistryUrl))?.value,
);
// ECR Public serves Docker's official images under docker/library (public.ecr.aws/docker/library/alpine).
const cacheRepository = (image: string) => `${ecrPublic.prefix}/docker/library/${image}`;
// alpine is listed in the example's cachedRepositories (the account stack creates its cache repository); busybox is not.
const LISTED = cacheRepository("alpine");
const CACHE_REPOSITORY = cacheRepository("busybox");
const fromLine = (tag: string, image = "busybox") => `FROM ${mirrorPrefix}docker/library/${image}:${tag}`;
const dockerfile = (tag: string, image = "busybox") => files.Dockerfile.replace("FROM alpine:3.20", fromLine(tag, image));
const UPSTREAM = ["alpine:3.20", "alpine:3.21", "busybox:1.36", "busybox:1.37"].map((ref) => `${ecrPublic.upstreamRegistryUrl}/docker/library/${ref}`).join(",");
const registryEnv = (iam: string, pullThroughRules: readonly PullThroughRule[] = rules) => ({ FAKE_IAM: iam, FAKE_PULL_THROUGH: JSON.stringify(pullThroughRules), FAKE_UPSTREAM: UPSTREAM });
const synthesized = () => pullThroughPermissionTable([CACHE_REPOSITORY, LISTED]);
const outputOf = (pipeline: FlowPipeline) => `${pipeline.run.run.stdout}\n${pipeline.run.run.stderr}`;
const pullThroughEvents = (state: RegistryState, pipeline: FlowPipeline) =>
  state.events.filter((e) => e.run === String(pipeline.seq) && e.op.startsWith("pull-through-")).map((e) => `${e.op} ${e.repo}${e.tag ? `:${e.tag}` : ""} by ${e.role!.split("/")[1]}`);

describe("the fake registry's pull-through cache (rules and permissions from the synthesized stacks)", () => {
  const table = JSON.parse(readFileSync(synthesized(), "utf8")) as PermissionTable;
  /** A pull of `<repository>:<tag>` (busybox unless given) through the cache, as a build's FROM pulls it, by `trust`'s role with the table at `iam`. */
  const pull = (state: ReturnType<typeof fakeRegistry.emptyState>, trust: string, tag: string, iam = synthesized(), env: Record<string, string> = {}, repository = CACHE_REPOSITORY) =>
    fakeRegistry.docker(state, { ...registryEnv(iam), AWS_ROLE_ARN: ROLE(trust), FAKE_NOW: "2026-01-05T09:00:00Z", ...env }, ["buildx", "imagetools", "inspect", `${HOST}/${repository}:${tag}`], "");

  test("the prefixes are the dev account's synthesized pull-through rules, and the project's mirror prefix is one of them", () => {
    expect(rules.map((r) => r.prefix).sort()).toEqual(["ecr-public", "k8s", "quay"]);
    expect(mirrorPrefix).toBe(`${HOST}/${ecrPublic.prefix}/`);
    // The example's repository creation template adds no resource tags: a first pull needs no ecr:TagResource.
    expect(rules.every((r) => !r.resourceTags)).toBe(true);
    // The cache repositories that exist before any pull are the account stack's aws_ecr_repository resources under a prefix.
    expect(rules.map((r) => `${r.prefix}: ${r.repositories.join(" ")}`).sort()).toEqual(["ecr-public: ecr-public/docker/library/alpine", "k8s: ", "quay: "]);
  });

  test("a cache repository created up front: the unprotected role's first pull imports into it, creating nothing, even with a tagged template", () => {
    const state = fakeRegistry.emptyState();
    pull(state, "unprotected", "3.20", synthesized(), {}, LISTED);
    expect(state.events.map((e) => `${e.op} ${e.repo}:${e.tag ?? ""} ${e.role!.split("/")[1]}`)).toEqual([`pull-through-import ${LISTED}:3.20 acme-ci-dev-app-unprotected`]);
    expect(state.repos[LISTED]?.pullThrough).toEqual({ upstreamRegistryUrl: "public.ecr.aws", createdUpFront: true });
    const tagged = JSON.stringify(rules.map((r) => ({ ...r, resourceTags: true })));
    expect(() => pull(fakeRegistry.emptyState(), "unprotected", "3.21", synthesized(), { FAKE_PULL_THROUGH: tagged }, LISTED)).not.toThrow();
  });

  test("fault: the account stack without its aws_ecr_repository for alpine (no cachedRepositories) leaves the unprotected role's first pull to CreateRepository", () => {
    const copy = JSON.parse(JSON.stringify(account)) as typeof account;
    const repositories = (copy.resource as Record<string, Record<string, { name: string }>>).aws_ecr_repository!;
    for (const [id, repo] of Object.entries(repositories)) if (repo.name === LISTED) delete repositories[id];
    const without = pullThroughRulesOf(copy);
    expect(without.every((r) => r.repositories.length === 0)).toBe(true);
    expect(() => pull(fakeRegistry.emptyState(), "unprotected", "3.20", synthesized(), { FAKE_PULL_THROUGH: JSON.stringify(without) }, LISTED)).toThrow(
      /AccessDeniedException: User: .*acme-ci-dev-app-unprotected is not authorized to perform: ecr:CreateRepository on resource: repository ecr-public\/docker\/library\/alpine/,
    );
  });

  test("the synthesized policies: the protected role may create the cache repository and import, the unprotected role only import", () => {
    expect(table[ROLE("protected")]![CACHE_REPOSITORY]).toEqual(expect.arrayContaining(["ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]));
    expect(table[ROLE("unprotected")]![CACHE_REPOSITORY]).toEqual(expect.arrayContaining(["ecr:BatchGetImage", "ecr:BatchImportUpstreamImage"]));
    expect(table[ROLE("unprotected")]![CACHE_REPOSITORY]).not.toContain("ecr:CreateRepository");
    expect(table[ROLE("protected")]![CACHE_REPOSITORY]).not.toContain("ecr:PutImage");
  });

  test("the first pull creates the cache repository and imports; a pull of a cached image imports nothing", () => {
    const state = fakeRegistry.emptyState();
    pull(state, "protected", "1.36");
    expect(state.repos[CACHE_REPOSITORY]?.pullThrough?.createdBy).toBe(ROLE("protected"));
    pull(state, "unprotected", "1.36");
    expect(state.events.map((e) => `${e.op} ${e.tag ?? ""}`.trim())).toEqual(["pull-through-create", "pull-through-import 1.36"]);
  });

  test("the unprotected role may not create the cache repository, but imports a new tag into one that exists", () => {
    const state = fakeRegistry.emptyState();
    expect(() => pull(state, "unprotected", "1.36")).toThrow(/AccessDeniedException: User: .*acme-ci-dev-app-unprotected is not authorized to perform: ecr:CreateRepository on resource: repository ecr-public\/docker\/library\/busybox/);
    expect(state.repos[CACHE_REPOSITORY]).toBeUndefined();
    pull(state, "protected", "1.36");
    pull(state, "unprotected", "1.37");
    expect(state.events.filter((e) => e.op === "pull-through-import").map((e) => `${e.tag} ${e.role}`)).toEqual([`1.36 ${ROLE("protected")}`, `1.37 ${ROLE("unprotected")}`]);
  });

  test("a role that may pull but not import: cached images only (the policy's import actions removed)", () => {
    const planted = withoutPullThroughGrant(stacks.get("dev")!, "acme-ci-dev-app-protected", ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]);
    expect(planted.changed).toBe(1);
    const pullOnly = pullThroughPermissionTable([CACHE_REPOSITORY, LISTED], { name: "pull-only", dev: planted.json });
    const state = fakeRegistry.emptyState();
    expect(() => pull(state, "protected", "1.36", pullOnly)).toThrow(/not authorized to perform: ecr:BatchImportUpstreamImage on resource: repository ecr-public\/docker\/library\/busybox/);
    pull(state, "protected", "1.36");
    expect(() => pull(state, "protected", "1.36", pullOnly)).not.toThrow();
    expect(() => pull(state, "protected", "1.37", pullOnly)).toThrow(/ecr:BatchImportUpstreamImage/);
  });

  test("a creation template with resource tags: the first pull also needs ecr:TagResource; an upstream image that does not exist is not found", () => {
    const tagged = JSON.stringify(rules.map((r) => ({ ...r, resourceTags: true })));
    expect(() => pull(fakeRegistry.emptyState(), "protected", "1.36", synthesized(), { FAKE_PULL_THROUGH: tagged })).toThrow(/not authorized to perform: ecr:TagResource/);
    expect(() => pull(fakeRegistry.emptyState(), "protected", "9.99")).toThrow(/ImageNotFoundException: the upstream image public\.ecr\.aws\/docker\/library\/busybox:9\.99/);
  });
});

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: base images from the ECR pull-through cache (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "builds whose FROM is a new upstream image under the pull-through prefix", () => {
    const { project, commit } = appProject();
    const planted = appProject();
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      // Every branch is committed before the first pipeline: a job leaves untracked files that a commit would add.
      commit("main", { Dockerfile: dockerfile("1.36") }, "base image from the pull-through cache");
      project.repo.git("checkout", "-q", "-b", "feature-1");
      commit("feature-1", { "src/index.js": "console.log(2);\n" }, "source change");
      project.repo.git("checkout", "-q", "main");
      project.repo.git("checkout", "-q", "-b", "feature-2");
      commit("feature-2", { Dockerfile: dockerfile("1.37") }, "base image bump");
      project.repo.git("checkout", "-q", "main");
      project.repo.git("checkout", "-q", "-b", "feature-3");
      commit("feature-3", { Dockerfile: dockerfile("3.20", "alpine") }, "base image created up front by the account stack");
      planted.commit("main", { Dockerfile: dockerfile("1.36") }, "base image from the pull-through cache");
      const env = registryEnv(synthesized());
      const build = { jobs: ["build-app-image"], env };
      p.mrListed = await project.pipeline("MR !3: first pull of alpine:3.20, whose cache repository the account stack created", { kind: "merge_request", iid: 3, branch: "feature-3" }, 0, build);
      p.mrFirst = await project.pipeline("MR !1: first pull of busybox:1.36, no cache repository yet", { kind: "merge_request", iid: 1, branch: "feature-1" }, 0, build);
      p.main = await project.pipeline("main: first pull of busybox:1.36, no cache repository yet", { kind: "push", branch: "main" }, 0, build);
      p.mrNewTag = await project.pipeline("MR !2: first pull of busybox:1.37 into the existing cache repository", { kind: "merge_request", iid: 2, branch: "feature-2" }, 1, build);
      const removed = withoutPullThroughGrant(stacks.get("dev")!, "acme-ci-dev-app-protected");
      if (removed.changed !== 1) throw new Error(`expected to remove one pull-through statement, removed ${removed.changed}`);
      const noGrant = pullThroughPermissionTable([CACHE_REPOSITORY, LISTED], { name: "no-grant", dev: removed.json });
      p.noGrant = await planted.project.pipeline("main: the protected role without its pull-through statement", { kind: "push", branch: "main" }, 0, { jobs: ["build-app-image"], env: registryEnv(noGrant) });
    }, 120_000);
    afterAll(() => {
      project.repo.remove();
      planted.project.repo.remove();
    });

    test("merge request before any protected pull, listed image: the unprotected role imports alpine:3.20 into the cache repository the account stack created, and its build passes", () => {
      expect({ failed: failureOf(project, p.mrListed!), passed: p.mrListed!.run.passed }).toEqual({ failed: "", passed: ["build-app-image"] });
      const state = project.registry();
      expect(pullThroughEvents(state, p.mrListed!)).toEqual([`pull-through-import ${LISTED}:3.20 by acme-ci-dev-app-unprotected`]);
      expect(state.events.some((e) => e.op === "pull-through-create" && e.repo === LISTED)).toBe(false);
      const build = state.events.find((e) => e.op === "build" && e.run === String(p.mrListed!.seq))!;
      expect(build.from).toBe(`${mirrorPrefix}docker/library/alpine:3.20`);
    });

    test("default branch: the protected role's build creates the cache repository, imports busybox:1.36 and passes", () => {
      expect({ failed: failureOf(project, p.main!), passed: p.main!.run.passed }).toEqual({ failed: "", passed: ["build-app-image"] });
      const state = project.registry();
      expect(pullThroughEvents(state, p.main!)).toEqual([`pull-through-create ${CACHE_REPOSITORY} by acme-ci-dev-app-protected`, `pull-through-import ${CACHE_REPOSITORY}:1.36 by acme-ci-dev-app-protected`]);
      const build = state.events.find((e) => e.op === "build" && e.run === String(p.main!.seq))!;
      expect(build.from).toBe(`${mirrorPrefix}docker/library/busybox:1.36`);
    });

    test("merge request: the unprotected role imports a new tag (busybox:1.37) into the existing cache repository and its build passes", () => {
      expect({ failed: failureOf(project, p.mrNewTag!), passed: p.mrNewTag!.run.passed }).toEqual({ failed: "", passed: ["build-app-image"] });
      const state = project.registry();
      expect(pullThroughEvents(state, p.mrNewTag!)).toEqual([`pull-through-import ${CACHE_REPOSITORY}:1.37 by acme-ci-dev-app-unprotected`]);
      const build = state.events.find((e) => e.op === "build" && e.run === String(p.mrNewTag!.seq))!;
      expect({ from: build.from, repository: build.ref!.slice(0, build.ref!.lastIndexOf(":")) }).toEqual({ from: `${mirrorPrefix}docker/library/busybox:1.37`, repository: `${HOST}/acme/dev/app/unprotected/app` });
    });

    test("merge request before any protected pull, unlisted image: the unprotected role may not create the cache repository, so its build fails with AccessDenied (by design)", () => {
      expect(p.mrFirst!.run.passed).toEqual([]);
      expect(outputOf(p.mrFirst!)).toMatch(/AccessDeniedException: User: arn:aws:iam::111111111111:role\/acme-ci-dev-app-unprotected is not authorized to perform: ecr:CreateRepository on resource: repository ecr-public\/docker\/library\/busybox/);
      expect(pullThroughEvents(project.registry(), p.mrFirst!)).toEqual([]);
    });

    test("fault: a protected role without the pull-through statement gets 403 on the FROM image, and nothing is cached", () => {
      expect(p.noGrant!.run.passed).toEqual([]);
      expect(outputOf(p.noGrant!)).toMatch(/AccessDeniedException: User: arn:aws:iam::111111111111:role\/acme-ci-dev-app-protected is not authorized to perform: ecr:BatchGetImage on resource: repository ecr-public\/docker\/library\/busybox/);
      expect(planted.project.registry().repos[CACHE_REPOSITORY]).toBeUndefined();
    });
  });
});
