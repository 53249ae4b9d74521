import { BUILD_CACHE_FUNCTIONS } from "../../lib/gitlab/build-cache";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";

/*
 * Builds do not trust a shared daemon's local images: with the docker socket bound, one
 * project's job can `docker tag` anything as `<repository>:inputs-<hash>` or as a base image, and
 * a later build that resolves the name locally builds on it. Every docker build of the build
 * jobs pulls its FROM images (--pull), and the base image and the commit image's FROM are named
 * by digest.
 */
const lines = `${IMAGE_FLOW_FUNCTIONS}${BUILD_CACHE_FUNCTIONS}`.split("\n");
const body = (fn: string) => {
  const start = lines.findIndex((l) => l.startsWith(`${fn}() {`));
  return lines.slice(start, lines.indexOf("}", start) + 1);
};

describe("image builds pull and pin what they build on", () => {
  test("every docker build of the build functions passes --pull (the commit image's docker build, the content image's docker buildx build)", () => {
    const builds = lines.filter((l) => /\bdocker (buildx )?build\b/.test(l));
    expect(builds.length).toBe(2);
    expect(builds.filter((l) => !l.includes("--pull"))).toEqual([]);
  });

  test("the commit image's FROM and the base image are named by digest (platform_pinned)", () => {
    expect(body("platform_commit_image").join("\n")).toMatch(/_src=\$\(platform_pinned "\$1"\)[\s\S]*printf 'FROM %s\\n[^']*' "\$_src"/);
    expect(body("platform_image").join("\n")).toMatch(/_base=\$\(platform_pinned "\$7"\)[\s\S]*platform_build "\$4" "\$5" "\$2" "\$6" "\$_base"/);
    expect(body("platform_pinned").join("\n")).toContain("printf '%s@%s' \"${1%:*}\" \"$_pin\"");
  });
});
