import { mkdtempSync, readFileSync, existsSync, rmSync, symlinkSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT } from "../../lib/runner/config-toml";
import { describeWithTool, runTool, toolAvailable } from "../support/conformance";

/*
 * Job-side registry credentials: what the job writes to its docker config holds `auths` only.
 * With the runner's DOCKER_AUTH_CONFIG (external registry `auths` plus `credHelpers: ecr-login`
 * for ECR) written whole, `docker login` to ECR in the job fails: the CLI looks for
 * docker-credential-ecr-login, which only the runner host has.
 */
const ECR = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
// As Terraform's jsonencode writes it: compact, object keys sorted.
const value = JSON.stringify({ auths: { "registry.cn-hangzhou.aliyuncs.com": { auth: "dXNlcjpwYXNz" } }, credHelpers: { [ECR]: "ecr-login" } });

function run(dockerAuthConfig: string, withJq: boolean): { config?: unknown; stderr: string } {
  const home = mkdtempSync(path.join(tmpdir(), "job-home-"));
  const bin = path.join(home, "bin");
  mkdirSync(bin);
  for (const tool of ["mkdir", ...(withJq ? ["jq"] : [])]) {
    const found = runTool("sh", ["-c", `command -v ${tool}`]).stdout.trim();
    symlinkSync(found, path.join(bin, tool));
  }
  try {
    const result = runTool("/bin/sh", ["-c", STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT], { env: { HOME: home, PATH: bin, DOCKER_AUTH_CONFIG: dockerAuthConfig } });
    const file = path.join(home, ".docker", "config.json");
    return { ...(existsSync(file) ? { config: JSON.parse(readFileSync(file, "utf8")) } : {}), stderr: result.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe("the job's docker config (pre_build_script)", () => {
  test.each([false, ...(toolAvailable("jq") ? [true] : [])])("holds auths only, never credHelpers: docker login to ECR works in a job image without the helper (jq: %p)", (withJq) => {
    expect(run(value, withJq)).toEqual({ config: { auths: { "registry.cn-hangzhou.aliyuncs.com": { auth: "dXNlcjpwYXNz" } } }, stderr: "" });
  });

  test("a credHelpers-only value writes nothing; a form with helpers it cannot cut is not written, with a message", () => {
    expect(run(JSON.stringify({ credHelpers: { [ECR]: "ecr-login" } }), false)).toEqual({ stderr: "" });
    const reordered = run(JSON.stringify({ credHelpers: { [ECR]: "ecr-login" }, auths: { x: { auth: "eDp5" } } }), false);
    expect(reordered.config).toBeUndefined();
    expect(reordered.stderr).toMatch(/cannot remove; ~\/\.docker\/config\.json not written/);
  });
});

describeWithTool("shellcheck", "the pre_build_script", () => {
  test("passes shellcheck (sh)", () => {
    const check = runTool("shellcheck", ["--shell=sh", "-"], { input: STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT });
    expect({ status: check.status, output: check.stdout }).toEqual({ status: 0, output: "" });
  });
});
