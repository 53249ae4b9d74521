import { DEPLOY_FUNCTIONS } from "../../lib/gitlab/deploy-script";
import { ECR_ACCEPTED_MEDIA_TYPES } from "../../lib/gitlab/ecr-media-types";
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
    ["deploy functions", DEPLOY_FUNCTIONS, 2],
    ["image-flow functions", IMAGE_FLOW_FUNCTIONS, 2],
  ] as const)("fault: the %s looked up and re-tagged images without --accepted-media-types, so an OCI index read as missing", (_name, script, count) => {
    const lines = calls(script);
    expect(lines).toHaveLength(count);
    for (const line of lines) expect(line).toContain(`--accepted-media-types ${ECR_ACCEPTED_MEDIA_TYPES.join(" ")} --`);
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
