import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { describeWithTool, runTool } from "../support/conformance";

/*
 * Which content image a merge-request build reuses, run as the job runs it (the generated shell
 * functions in bash) against a stub registry: `aws ecr batch-get-image` answers from a table of
 * existing tags, `docker` records what it is asked to build and push.
 */
const HOST = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const UNPROTECTED = `${HOST}/acme/dev/unprotected/app`;
const PROTECTED = `${HOST}/acme/dev/protected/app`;
const HASH = "0123456789abcdef0123456789abcdef01234567";

/** Runs `script` after the functions with a registry holding `existing` (`<repository>:<tag>` -> digest). */
function run(existing: Readonly<Record<string, string>>, script: string): { status: number | null; stdout: string; stderr: string } {
  const table = Object.entries(existing).map(([ref, digest]) => `    '${ref}') printf '%s\\n' '${digest}' ;;`).join("\n");
  const stubs = [
    "aws() {",
    '  _repo="" _tag=""',
    '  while [ $# -gt 0 ]; do case $1 in --repository-name) _repo=$2; shift ;; --image-ids) _tag=${2#imageTag=}; shift ;; esac; shift; done',
    `  case "${HOST}/$_repo:$_tag" in`,
    table,
    "    *) printf 'None\\n' ;;",
    "  esac",
    "}",
    "docker() { printf 'docker %s\\n' \"$*\" >&2; }",
    "platform_build() { printf 'platform_build %s\\n' \"$3\" >&2; }",
    "CI_COMMIT_SHA=c0ffee",
    `PLATFORM_INPUTS_HASH=${HASH}`,
  ].join("\n");
  return runTool("bash", ["-c", `${IMAGE_FLOW_FUNCTIONS}${stubs}\nset -e\n${script}\n`]);
}

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describeWithTool("bash", "merge-request builds and content images planted in the unprotected repository", () => {
  test("a planted unprotected inputs-<hash> is not used when the protected repository has that hash", () => {
    const existing = { [`${UNPROTECTED}:inputs-${HASH}`]: digest(6), [`${PROTECTED}:inputs-${HASH}`]: digest(1) };
    const chosen = run(existing, `platform_content "${UNPROTECTED}:inputs-${HASH}" "${PROTECTED}:inputs-${HASH}"`);
    expect({ status: chosen.status, content: chosen.stdout }).toEqual({ status: 0, content: `${PROTECTED}:inputs-${HASH}` });
    const image = run(existing, `platform_image "${UNPROTECTED}:MR-7-c0ffee" "${UNPROTECTED}:inputs-${HASH}" "${PROTECTED}:inputs-${HASH}" Dockerfile . "${UNPROTECTED}:buildcache" "" 1`);
    expect(image.status).toBe(0);
    expect(image.stdout).toContain(`reused content image ${PROTECTED}:inputs-${HASH}`);
    expect(image.stderr).toContain(`docker build --pull --tag ${UNPROTECTED}:MR-7-c0ffee`);
    expect(image.stderr).not.toContain("platform_build");
    expect(`${image.stdout}${image.stderr}`).not.toContain(`${UNPROTECTED}:inputs-${HASH}`);
  });

  test("without the protected image the merge request's own content image is reused, and without either it builds its own", () => {
    const own = run({ [`${UNPROTECTED}:inputs-${HASH}`]: digest(6) }, `platform_content "${UNPROTECTED}:inputs-${HASH}" "${PROTECTED}:inputs-${HASH}"`);
    expect(own.stdout).toBe(`${UNPROTECTED}:inputs-${HASH}`);
    const none = run({}, `platform_image "${UNPROTECTED}:MR-7-c0ffee" "${UNPROTECTED}:inputs-${HASH}" "${PROTECTED}:inputs-${HASH}" Dockerfile . "${UNPROTECTED}:buildcache" "" 1 || true`);
    expect(none.stderr).toContain(`platform_build ${UNPROTECTED}:inputs-${HASH}`);
  });

  test("protected pipelines never look at the unprotected repository", () => {
    const chosen = run({ [`${UNPROTECTED}:inputs-${HASH}`]: digest(6) }, `platform_content "${PROTECTED}:inputs-${HASH}" ""`);
    expect(chosen.stdout).toBe(`${PROTECTED}:inputs-${HASH}`);
  });
});
