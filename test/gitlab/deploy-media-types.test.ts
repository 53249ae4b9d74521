import { DEPLOY_FUNCTIONS } from "../../lib/gitlab/deploy-script";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DOCUMENTED_MEDIA_TYPES_OPTION, ECR_ACCEPTED_MEDIA_TYPES, ECR_DOCUMENTED_MEDIA_TYPES } from "../../lib/gitlab/ecr-media-types";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";

const fake = require("../flow/support/fake-registry.cjs") as {
  emptyState(): { repos: Record<string, { images: Record<string, { tags: string[] }> }> };
  aws(state: unknown, env: Record<string, string>, args: string[]): string;
};

/*
 * Image indexes through ECR's BatchGetImage: buildx pushes an OCI image index by default
 * (provenance attestations), which BatchGetImage returns only when the accepted media types name it.
 */
describe("batch-get-image accepts image indexes and manifests", () => {
  const calls = (script: string) => script.split("\n").filter((l) => l.includes("aws ecr batch-get-image"));

  test.each([
    ["deploy functions", DEPLOY_FUNCTIONS],
    ["image-flow functions", IMAGE_FLOW_FUNCTIONS],
  ] as const)("fault: the %s looked up and re-tagged images without --accepted-media-types, so an OCI index read as missing; and the re-tag and the image flow's lookup had no fallback of their own: now every batch-get-image is the one platform_batch_get", (_name, script) => {
    const lines = calls(script);
    // One call with the index and manifest types, one fallback with the documented types, both in platform_batch_get.
    expect(lines.map((l) => (l.includes(`--accepted-media-types ${ECR_ACCEPTED_MEDIA_TYPES.join(" ")} --`) ? "accepted" : l.includes(`${DOCUMENTED_MEDIA_TYPES_OPTION} --`) ? "documented" : l))).toEqual(["accepted", "documented"]);
    const body = script.slice(script.indexOf("platform_batch_get() {"), script.indexOf("\n}\n", script.indexOf("platform_batch_get() {")));
    for (const line of lines) expect(body).toContain(line);
    expect(script.split("InvalidParameterException").length - 1).toBe(1);
    expect([...ECR_ACCEPTED_MEDIA_TYPES].sort()).toEqual([
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
    ]);
  });

  test("the fake registry refuses an index when the index type is not accepted (FAKE_IMAGE_INDEX=1), and returns it when it is", () => {
    const state = fake.emptyState();
    state.repos["acme/dev/app/app"] = { images: { "sha256:aa": { tags: ["latest"] } } } as never;
    const env = { FAKE_NOW: "2026-01-05T09:00:00Z", FAKE_IMAGE_INDEX: "1" };
    const get = ["ecr", "batch-get-image", "--repository-name", "acme/dev/app/app", "--image-ids", "imageTag=latest", "--query", "images[0].imageId.imageDigest", "--output", "text"];
    expect(fake.aws(state, env, get)).toBe("None\n");
    expect(fake.aws(state, env, [...get.slice(0, 2), "--accepted-media-types", "application/vnd.oci.image.manifest.v1+json", ...get.slice(2)])).toBe("None\n");
    expect(fake.aws(state, env, [...get.slice(0, 2), "--accepted-media-types", ...ECR_ACCEPTED_MEDIA_TYPES, ...get.slice(2)])).toBe("sha256:aa\n");
    // Without FAKE_IMAGE_INDEX images are single manifests, returned by default.
    expect(fake.aws(state, { FAKE_NOW: env.FAKE_NOW }, get)).toBe("sha256:aa\n");
  });
});

/*
 * The index types are not in the BatchGetImage API reference (valid values there: Docker schema 1 and 2,
 * OCI manifest), though AWS's ECR containerd resolver sends them. The deploy functions must stay clear
 * whatever ECR answers: run platform_ref_digest in sh against a stub `aws` that answers as ECR would.
 */
describe("the deploy functions when ECR answers otherwise than expected", () => {
  const lookup = (stub: string) => {
    const script = `${DEPLOY_FUNCTIONS}\naws() { ${stub}; }\nplatform_ref_digest 111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/app/app:sha-1`;
    const run = spawnSync("sh", ["-c", script], { encoding: "utf8" });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const TAB = "\t";

  test("ECR refuses the index types (InvalidParameterException): the lookup says so and retries with the documented manifest types", () => {
    const stub = `case "$*" in *image.index*) echo "An error occurred (InvalidParameterException) when calling the BatchGetImage operation: Invalid parameter at 'acceptedMediaTypes'" >&2; return 254 ;; *"${ECR_DOCUMENTED_MEDIA_TYPES.join(" ")}"*) printf 'sha256:bb${TAB}None${TAB}None\\n' ;; *) return 9 ;; esac`;
    const run = lookup(stub);
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: "sha256:bb\n" });
    expect(run.stderr).toMatch(/ECR refused the image index media types for acme\/staging\/app\/app .*InvalidParameterException.*retrying with the image manifest types the BatchGetImage API reference documents/);
  });

  test("an image ECR does not return in an accepted type is a clear failure, not a silent 'does not exist'", () => {
    const run = lookup(`printf 'None${TAB}UnsupportedImageType${TAB}The image media type is not accepted\\n'`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("ECR returned no image for 111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/app/app:sha-1: UnsupportedImageType");
  });

  test("a missing image stays silent (the callers name what is missing); an error of the call is printed", () => {
    expect(lookup(`printf 'None${TAB}ImageNotFound${TAB}Requested image not found\\n'`)).toEqual({ status: 1, stdout: "", stderr: "" });
    const denied = lookup(`echo "An error occurred (AccessDeniedException) when calling the BatchGetImage operation" >&2; return 254`);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain("ECR BatchGetImage of acme/staging/app/app imageTag=sha-1 failed: An error occurred (AccessDeniedException)");
  });
});

/*
 * The re-tag (platform_ecr_retag: manifest, media type, read-back) and the image flow's lookup
 * (platform_digest) against an ECR that refuses the index types: both fall back as the deploy lookup does.
 */
describe("the re-tag and the image flow's lookup when ECR refuses the index types", () => {
  const refusing = (dir: string) => `aws() {
  case "$*" in
    *put-image*) printf '%s\\n' "$*" > "${dir}/put"; return 0 ;;
    *image.index*) echo "An error occurred (InvalidParameterException) when calling the BatchGetImage operation: Invalid parameter at 'acceptedMediaTypes'" >&2; return 254 ;;
    *imageManifestMediaType*) printf 'application/vnd.oci.image.manifest.v1+json\\n' ;;
    *imageManifest*) printf '{"schemaVersion":2}\\n' ;;
    *imageTag=deployed-staging*) if [ -f "${dir}/put" ]; then printf 'sha256:aa\\n'; else printf 'None\\n'; fi ;;
    *imageTag=sha-1*) printf 'sha256:aa\\n' ;;
    *) return 9 ;;
  esac
}`;
  const run = (functions: string, call: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), "media-types-"));
    try {
      const result = spawnSync("sh", ["-c", `${functions}\n${refusing(dir)}\n${call}`], { encoding: "utf8" });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, put: existsSync(path.join(dir, "put")) ? readFileSync(path.join(dir, "put"), "utf8") : undefined };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("fault: platform_ecr_retag failed with ECR's InvalidParameterException where the lookup fell back; now it re-tags a single-manifest image with the documented types, the manifest bytes unchanged", () => {
    const result = run(DEPLOY_FUNCTIONS, "platform_ecr_retag 111111111111 acme/staging/app/app sha256:aa deployed-staging");
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("ECR refused the image index media types for acme/staging/app/app") });
    expect(result.put).toContain(`--image-tag deployed-staging --image-manifest {"schemaVersion":2} --image-manifest-media-type application/vnd.oci.image.manifest.v1+json`);
  });

  test("fault: the image flow's platform_digest read an image as missing when ECR refused the index types; now it falls back too", () => {
    const result = run(IMAGE_FLOW_FUNCTIONS, "platform_digest 111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app/app:sha-1");
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: "sha256:aa\n" });
  });
});
