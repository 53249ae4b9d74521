import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEPLOY_FUNCTIONS } from "../../lib/gitlab/deploy-script";
import { ACCEPTED_MEDIA_TYPES_OPTION } from "../../lib/gitlab/ecr-media-types";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { fakeRegistry, HOST, type RegistryState } from "./support/flow-harness";
import { scriptSandbox } from "./support/registry-server";

/*
 * Re-tagging keeps the digest. A registry names a manifest by the sha256 of its bytes, so a re-tag
 * that sends other bytes (the AWS CLI's trailing newline, a new index around a single manifest)
 * makes another image: latest, a release tag or deployed-<env> would name another digest than
 * sha-<commit>. The fake registry computes every digest from the bytes it receives; the generated
 * functions run here in sh against it (its node process per call).
 */
const SCRIPT = path.join(__dirname, "support", "fake-registry.cjs");
const fake = fakeRegistry as unknown as typeof fakeRegistry & {
  aws(state: RegistryState, env: Record<string, string>, args: readonly string[]): string;
  digestOf(bytes: string): string;
};
const REPO = "acme/dev/app/app";
const NOW = "2026-01-05T09:00:00Z";

let dir: string;
beforeEach(() => {
  dir = scriptSandbox("retag-", SCRIPT);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stateFile = () => path.join(dir, "registry.json");
const env = (extra: Record<string, string> = {}): Record<string, string> => ({ FAKE_NOW: NOW, PWD: dir, ...extra });

/** Builds and pushes an image tagged `tag` into the fake registry's state file; returns its digest. */
function seed(tag: string, extra: Record<string, string> = {}): string {
  const state = fs();
  fake.docker(state, env(extra), ["build", "--tag", `${HOST}/${REPO}:${tag}`, path.join(dir, "ctx")], "");
  fake.docker(state, env(extra), ["push", `${HOST}/${REPO}:${tag}`], "");
  fakeRegistry.save(stateFile(), state);
  return fakeRegistry.findTag(state, REPO, tag)!.digest;
}
function fs(): RegistryState & { local: Record<string, unknown> } {
  return Object.assign(fakeRegistry.emptyState(), fakeRegistry.load(stateFile()));
}
const digestOfTag = (tag: string) => fakeRegistry.findTag(fakeRegistry.load(stateFile()), REPO, tag)?.digest;
const imageCount = () => Object.keys(fakeRegistry.load(stateFile()).repos[REPO]?.images ?? {}).length;

/** Runs `script` after `functions` in sh, with the fake registry as docker and aws. */
function run(functions: string, script: string, extra: Record<string, string> = {}) {
  return spawnSync("sh", ["-c", `set -eu\n${functions}\n${script}`], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, HOME: dir, FAKE_REGISTRY_STATE: stateFile(), FAKE_NOW: NOW, FAKE_MUTABLE: "latest,deployed-*", ...extra },
  });
}

describe("the fake registry names manifests by their bytes", () => {
  test("a re-tag through a file with the CLI's trailing newline (the old platform_tag) makes a new image; the exact bytes keep the digest", () => {
    const digest = seed("sha-1");
    const old = run(
      "",
      `aws ecr batch-get-image ${ACCEPTED_MEDIA_TYPES_OPTION} --repository-name ${REPO} --image-ids imageTag=sha-1 --query 'images[0].imageManifest' --output text > m.json\n` +
        `aws ecr put-image --repository-name ${REPO} --image-tag latest --image-manifest file://m.json > /dev/null`,
    );
    expect(old.stderr).toBe("");
    expect(digestOfTag("latest")).not.toBe(digest);
    expect(imageCount()).toBe(2);
    for (const [d, image] of Object.entries(fakeRegistry.load(stateFile()).repos[REPO]!.images)) expect(fake.digestOf(image.manifest!)).toBe(d);
  });

  test("imagetools create wraps a single manifest in a new index unless --prefer-index=false; an index is copied unchanged", () => {
    const digest = seed("sha-1");
    expect(run("", `docker buildx imagetools create --tag ${HOST}/${REPO}:wrapped ${HOST}/${REPO}@${digest}`).status).toBe(0);
    expect(run("", `docker buildx imagetools create --prefer-index=false --tag ${HOST}/${REPO}:copied ${HOST}/${REPO}@${digest}`).status).toBe(0);
    expect(digestOfTag("wrapped")).not.toBe(digest);
    expect(digestOfTag("copied")).toBe(digest);
    const index = digestOfTag("wrapped")!;
    expect(run("", `docker buildx imagetools create --tag ${HOST}/${REPO}:index-copy ${HOST}/${REPO}@${index}`).status).toBe(0);
    expect(digestOfTag("index-copy")).toBe(index);
  });
});

describe("platform_tag keeps the digest", () => {
  test.each([
    ["image manifests", {}],
    ["OCI image indexes (buildx with attestations)", { FAKE_IMAGE_INDEX: "1" }],
  ])("fault: on ECR, latest named a new digest after the re-tag (the manifest went through a file with the CLI's newline): %s", (_name, extra) => {
    const digest = seed("sha-1", extra);
    const result = run(IMAGE_FLOW_FUNCTIONS, `platform_tag ${HOST}/${REPO}:sha-1 latest 1\nplatform_tag ${HOST}/${REPO}:sha-1 v1.2.3 0`, extra);
    expect(result.stderr).toBe("");
    expect([digestOfTag("latest"), digestOfTag("v1.2.3")]).toEqual([digest, digest]);
    expect(imageCount()).toBe(1);
    // A re-run finds both tags on the digest and puts nothing (no ImageAlreadyExistsException).
    const again = run(IMAGE_FLOW_FUNCTIONS, `platform_tag ${HOST}/${REPO}:sha-1 latest 1\nplatform_tag ${HOST}/${REPO}:sha-1 v1.2.3 0`, extra);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/latest already names/);
  });

  test("a manifest whose own bytes end with a newline keeps them (command substitution alone would strip them)", () => {
    seed("sha-1");
    const state = fs();
    const image = Object.values(state.repos[REPO]!.images)[0]!;
    const bytes = `${image.manifest!}\n\n`;
    fakeRegistry.putTag(state, env(), REPO, "odd", fake.digestOf(bytes), { ...image, tags: [], manifest: bytes } as never);
    fakeRegistry.save(stateFile(), state);
    const result = run(IMAGE_FLOW_FUNCTIONS, `platform_tag ${HOST}/${REPO}:odd latest 1`);
    expect(result.stderr).toBe("");
    expect(digestOfTag("latest")).toBe(fake.digestOf(bytes));
  });

  test("fault: on the GitLab registry, imagetools create without --prefer-index=false wrapped the image in a new index", () => {
    const digest = seed("sha-1");
    const result = run(IMAGE_FLOW_FUNCTIONS, `platform_tag ${HOST}/${REPO}:sha-1 latest 1`, { PLATFORM_REGISTRY_KIND: "gitlab" });
    expect(result.stderr).toBe("");
    expect(digestOfTag("latest")).toBe(digest);
  });

  test("a registry that stores other bytes than it was sent fails the job loudly, naming both digests", () => {
    const digest = seed("sha-1");
    const result = run(IMAGE_FLOW_FUNCTIONS, `platform_tag ${HOST}/${REPO}:sha-1 latest 1`, { FAKE_MANGLE_PUT: "1" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${REPO}:latest names sha256:`);
    expect(result.stderr).toContain(`not ${digest}: a re-tag must keep the digest`);
  });
});

describe("platform_mark_deployed keeps the digest", () => {
  test("fault: deployed-<environment> named a new digest after the re-tag, so the promote gate of the next environment refused the image", () => {
    const digest = seed("sha-1");
    const result = run(DEPLOY_FUNCTIONS, `platform_mark_deployed ${HOST}/${REPO}@${digest}`, { PLATFORM_DEPLOYED_TAG: "deployed-staging", PLATFORM_DEPLOY_REPOSITORY: `${HOST}/${REPO}` });
    expect(result.stderr).toBe("");
    expect(digestOfTag("deployed-staging")).toBe(digest);
    expect(imageCount()).toBe(1);
  });
});

describe("a moving tag moves only forward", () => {
  test("fault: a retried build job of an older commit moved latest back; only the branch's head moves it", () => {
    const older = seed("sha-1");
    const newer = seed("sha-2");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
    git("init", "-q", "-b", "main");
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "--allow-empty", "-m", "one");
    const one = git("rev-parse", "HEAD");
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "--allow-empty", "-m", "two");
    const two = git("rev-parse", "HEAD");
    git("update-ref", "refs/remotes/origin/main", two);
    const tag = (sha: string, image: string) => run(IMAGE_FLOW_FUNCTIONS, `platform_tag ${HOST}/${REPO}:${image} latest 1`, { CI_COMMIT_BRANCH: "main", CI_COMMIT_SHA: sha, CI_PROJECT_DIR: dir });
    expect(tag(two, "sha-2").stderr).toBe("");
    expect(digestOfTag("latest")).toBe(newer);
    const retried = tag(one, "sha-1");
    expect(retried.status).toBe(0);
    expect(retried.stdout).toContain(`has moved on to ${two}`);
    expect(digestOfTag("latest")).toBe(newer);
    // Where git does not run in the job image, the ref is read from the ref files (here packed-refs); the head's pipeline moves the tag.
    writeFileSync(path.join(dir, "bin", "git"), "#!/bin/sh\nexit 127\n");
    chmodSync(path.join(dir, "bin", "git"), 0o755);
    rmSync(path.join(dir, ".git", "refs", "remotes"), { recursive: true });
    writeFileSync(path.join(dir, ".git", "packed-refs"), `# pack-refs with: peeled fully-peeled sorted\n${one} refs/remotes/origin/main\n`);
    expect(tag(one, "sha-1").stderr).toBe("");
    expect(digestOfTag("latest")).toBe(older);
  });
});

describe("a content tag a concurrent pipeline pushed first", () => {
  // The build stands in for BuildKit's: another pipeline pushes the same inputs-<hash> first, then this push is refused.
  const racedBuild = 'platform_build() { docker build --tag "$3" ctx > /dev/null; docker push "$3" > /dev/null; echo "fake: ImageTagAlreadyExistsException" >&2; return 1; }';
  const image = (reuse: 0 | 1) => `${racedBuild}\nPLATFORM_INPUTS_HASH=abc\nplatform_image ${HOST}/${REPO}:sha-9 ${HOST}/${REPO}:inputs-abc "" Dockerfile ctx ${HOST}/${REPO}:buildcache "" ${reuse}`;

  test("with reuse, the job goes on with the image that won and writes its commit image FROM it", () => {
    const result = run(IMAGE_FLOW_FUNCTIONS, image(1), { CI_COMMIT_SHA: "9".repeat(40) });
    expect(result.stderr).toContain("ImageTagAlreadyExistsException");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${REPO}:inputs-abc was pushed by a concurrent pipeline meanwhile`);
    const state = fakeRegistry.load(stateFile());
    expect(fakeRegistry.findTag(state, REPO, "sha-9")!.image.from).toBe(`${HOST}/${REPO}@${digestOfTag("inputs-abc")}`);
  });

  test("without reuse (reuse: false), no content tag is claimed: the build goes into the commit tag, and a concurrent push of that tag by a pipeline of the same commit wins", () => {
    const result = run(IMAGE_FLOW_FUNCTIONS, image(0), { CI_COMMIT_SHA: "9".repeat(40) });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${REPO}:sha-9 was pushed by a concurrent pipeline meanwhile`);
    expect(digestOfTag("inputs-abc")).toBeUndefined();
    expect(digestOfTag("sha-9")).toBeDefined();
  });
});
