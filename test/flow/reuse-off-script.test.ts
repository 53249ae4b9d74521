import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { fakeRegistry, HOST, type RegistryState } from "./support/flow-harness";
import { scriptSandbox } from "./support/registry-server";

/*
 * `reuse: false` in the generated functions, run in sh against the fake registry (ECR's tag rules):
 * an image without reuse has no content image. platform_image builds it straight into its commit tag
 * and reads or pushes no inputs-<hash>, so an immutable inputs-<hash> that an earlier commit (or another
 * merge request) pushed neither stands in for the build nor makes its push fail; platform_base names
 * such a base by this pipeline's commit image of it, and builds that commit image again when retention
 * has expired it. The builds stand in for BuildKit's (docker build + push of the context).
 */
const SCRIPT = path.join(__dirname, "support", "fake-registry.cjs");
const REPO = "acme/dev/app/app";
const NOW = "2026-01-05T09:00:00Z";
const BUILD = 'platform_build() { docker build --label "platform.inputs=$6" --tag "$3" "$2" > /dev/null && docker push "$3" > /dev/null; }';

let dir: string;
beforeEach(() => {
  dir = scriptSandbox("reuse-off-", SCRIPT);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stateFile = () => path.join(dir, "registry.json");
const state = (): RegistryState => fakeRegistry.load(stateFile());
const digestOfTag = (tag: string) => fakeRegistry.findTag(state(), REPO, tag)?.digest;
const ref = (tag: string) => `${HOST}/${REPO}:${tag}`;

/** Runs `script` after the image flow functions and the stand-in build, in sh, with the fake registry as docker and aws. */
function run(script: string) {
  return spawnSync("sh", ["-c", `set -eu\n${IMAGE_FLOW_FUNCTIONS}\n${BUILD}\nPLATFORM_INPUTS_HASH=abc\n${script}`], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, HOME: dir, FAKE_REGISTRY_STATE: stateFile(), FAKE_NOW: NOW, FAKE_MUTABLE: "latest", CI_COMMIT_SHA: "a".repeat(40) },
  });
}

describe("platform_image without reuse", () => {
  test("an earlier commit's inputs-abc exists: the job builds sha-2 itself and succeeds (before, it pushed inputs-abc again and ECR refused the immutable tag)", () => {
    expect(run(`platform_image ${ref("sha-1")} ${ref("inputs-abc")} "" Dockerfile ctx ${ref("buildcache")} "" 1`).status).toBe(0);
    const earlier = digestOfTag("inputs-abc")!;
    // The call as the template writes it for reuse: false ("" "") and as older templates did (the content tag named): both build.
    for (const [tag, content] of [["sha-2", `""`], ["sha-3", ref("inputs-abc")]] as const) {
      const result = run(`platform_image ${ref(tag)} ${content} "" Dockerfile ctx ${ref("buildcache")} "" 0`);
      expect({ tag, status: result.status, stderr: result.stderr }).toEqual({ tag, status: 0, stderr: "" });
      expect(result.stdout).toContain(`building ${ref(tag)} (reuse: false, no content image)`);
      const image = fakeRegistry.findTag(state(), REPO, tag)!;
      expect(image.image.kind).toBe("content");
      expect(image.image.inputs).toBe("abc");
      expect(image.digest).not.toBe(earlier);
    }
    expect(digestOfTag("inputs-abc")).toBe(earlier);
  });

  test("a re-run of the commit reuses its commit image and builds nothing", () => {
    expect(run(`platform_image ${ref("sha-2")} "" "" Dockerfile ctx ${ref("buildcache")} "" 0`).status).toBe(0);
    const first = digestOfTag("sha-2");
    const again = run(`platform_image ${ref("sha-2")} "" "" Dockerfile ctx ${ref("buildcache")} "" 0`);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`reused ${ref("sha-2")}`);
    expect(state().events.filter((e) => e.op === "build")).toHaveLength(1);
    expect(digestOfTag("sha-2")).toBe(first);
  });
});

describe("platform_base of a base without reuse", () => {
  test("names this pipeline's commit image of the base, never a content tag of the same inputs", () => {
    // A planted (or earlier) inputs-abc of the base, and this pipeline's commit image of it.
    expect(run(`platform_build Dockerfile ctx ${ref("inputs-abc")} "" "" abc`).status).toBe(0);
    expect(run(`platform_image ${ref("sha-5")} "" "" Dockerfile ctx ${ref("buildcache")} "" 0`).status).toBe(0);
    const result = run(`platform_base "" "" ${ref("sha-5")} Dockerfile ctx ${ref("buildcache")} "" "" abc\necho "base=$PLATFORM_BASE"`);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`base=${HOST}/${REPO}@${digestOfTag("sha-5")}`);
    expect(result.stdout).not.toContain(digestOfTag("inputs-abc"));
  });

  test("when retention has expired the base's commit image, builds it again into that commit tag and claims no content tag", () => {
    const result = run(`platform_base "" "" ${ref("sha-6")} Dockerfile ctx ${ref("buildcache")} "" "" abc\necho "base=$PLATFORM_BASE"`);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${ref("sha-6")} does not exist any more (expired by retention); building it again`);
    expect(result.stdout).toContain(`base=${HOST}/${REPO}@${digestOfTag("sha-6")}`);
    expect(digestOfTag("inputs-abc")).toBeUndefined();
  });
});
