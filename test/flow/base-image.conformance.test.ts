import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { describeWithTool, runTool } from "../support/conformance";

/*
 * How a build job names the base image it builds FROM (platform_base), run as the job runs it (the
 * generated functions in bash with set -e) against a stub registry: `aws ecr batch-get-image` answers
 * from a table of existing tags, platform_build records its arguments and the protected cache it
 * imports, and pushes its image into the table. Retention keeps content tags (newest 50) fewer than
 * commit tags (newest 100) and merge-request tags (30 days), so the base's content tag may be gone
 * while the commit that leads the job to it is not.
 */
const HOST = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const APP = `${HOST}/acme/dev/app/app`;
const CONTENT = `${APP}:inputs-0123456789abcdef0123456789abcdef01234567`;
const COMMIT = `${APP}:sha-c0ffee`;
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/** Runs platform_base for the app image with the registry holding `existing` (`<repository>:<tag>` -> digest). */
function base(existing: Readonly<Record<string, string>>): { status: number | null; stdout: string; stderr: string } {
  const table = Object.entries(existing)
    .map(([ref, d]) => `${ref}=${d}`)
    .join(" ");
  const stubs = [
    `EXISTING=' ${table} '`,
    "aws() {",
    '  _repo="" _tag=""',
    '  while [ $# -gt 0 ]; do case $1 in --repository-name) _repo=$2; shift ;; --image-ids) _tag=${2#imageTag=}; shift ;; esac; shift; done',
    `  case $EXISTING in *" ${HOST}/$_repo:$_tag="*) _d=\${EXISTING#*" ${HOST}/$_repo:$_tag="}; printf '%s\\n' "\${_d%% *}" ;; *) printf 'None\\n' ;; esac`,
    "}",
    `platform_build() { printf 'platform_build trusted=%s %s\\n' "$CACHE_TRUSTED_REPOSITORY" "$*" >&2; EXISTING="$EXISTING $3=${digest(9)} "; }`,
    "CACHE_TRUSTED_REPOSITORY=ci-image-trusted",
  ].join("\n");
  const call = `platform_base "${CONTENT}" "" "${COMMIT}" Dockerfile . "${APP}:buildcache" "app-trusted" "" 0123456789abcdef0123456789abcdef01234567`;
  return runTool("bash", ["-c", `${IMAGE_FLOW_FUNCTIONS}${stubs}\nset -e\n${call}\nprintf 'base=%s trusted-after=%s\\n' "$PLATFORM_BASE" "$CACHE_TRUSTED_REPOSITORY"\n`]);
}

describeWithTool("bash", "the base image of a build: content image, else the commit image, else built again", () => {
  test("the base's content image exists: the build names it by digest", () => {
    const run = base({ [CONTENT]: digest(1), [COMMIT]: digest(2) });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stdout).toContain(`base=${APP}@${digest(1)} trusted-after=ci-image-trusted`);
  });

  test("retention expired the base's content image but kept its commit image: the build names this pipeline's commit image of it (the same layers), builds nothing", () => {
    const run = base({ [COMMIT]: digest(2) });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stdout).toContain(`base=${APP}@${digest(2)} trusted-after=ci-image-trusted`);
    expect(run.stdout).toContain("expired by retention");
  });

  test("both expired (a build job retried long after its pipeline): the base's content image is built again from its inputs, with the base's own caches, and the build names it by digest", () => {
    const run = base({});
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(`platform_build trusted=app-trusted Dockerfile . ${CONTENT} ${APP}:buildcache  0123456789abcdef0123456789abcdef01234567\n`);
    // The job's own protected cache repository is back for its own build afterwards.
    expect(run.stdout).toContain(`base=${APP}@${digest(9)} trusted-after=ci-image-trusted`);
  });

  test("a failed rebuild fails the job (set -e), naming no base", () => {
    const run = runTool("bash", ["-c", `${IMAGE_FLOW_FUNCTIONS}aws() { printf 'None\\n'; }\nplatform_build() { echo 'build failed' >&2; return 1; }\nset -e\nplatform_base "${CONTENT}" "" "${COMMIT}" Dockerfile . "${APP}:buildcache" "" "" h\necho reached\n`]);
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain("reached");
    expect(run.stderr).toContain("build failed");
  });
});
