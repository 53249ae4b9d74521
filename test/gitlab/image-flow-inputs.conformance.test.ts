import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { dockerfileSources, inputsHash } from "../flow/support/flow-harness";
import { describeWithTool, runTool, type ToolRun } from "../support/conformance";

/*
 * The build job's inputs hash, run as the job runs it (the generated shell functions, in bash) on
 * fixture build contexts: every source a COPY/ADD takes from the context is an input, whatever the
 * instruction's form, and a listed source that is missing fails the job instead of being dropped.
 */
const FILES: Readonly<Record<string, string>> = {
  "package.json": "{}\n",
  "my file.txt": "spaces\n",
  "src/a.js": "a\n",
  "src/b.js": "b\n",
  "lib/c.js": "c\n",
  "unused.txt": "not an input\n",
};

const DOCKERFILE = [
  "FROM alpine:3.21 AS build",
  "# COPY unused.txt /nowhere/",
  'COPY ["package.json", "my file.txt", "/app/"]',
  "COPY --chown=1000:1000 src/a.js \\",
  "  lib \\",
  "  /app/src/",
  "ADD https://example.com/tool.tgz /opt/",
  "FROM alpine:3.21",
  "COPY --from=build /app /app",
  "copy src/b.js /app/",
  "",
].join("\n");

/** Writes `files` into a fresh directory and runs `platform_inputs_hash Dockerfile . ""` there with `shell`. */
function hashIn(files: Readonly<Record<string, string>>, shell = "bash"): ToolRun & { dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "inputs-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const run = runTool(shell, ["-c", `${IMAGE_FLOW_FUNCTIONS}set -e\nplatform_inputs_hash Dockerfile . ""\n`], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
  return { ...run, dir };
}

function hashOf(files: Readonly<Record<string, string>>, shell = "bash"): string {
  const run = hashIn(files, shell);
  if (run.status !== 0) throw new Error(`platform_inputs_hash failed (${run.status}): ${run.stderr}`);
  return run.stdout.trim();
}

describeWithTool("bash", "the build job's inputs hash", () => {
  const files = { ...FILES, Dockerfile: DOCKERFILE };

  test("the sources are read from the JSON form and continued lines; comments, stage copies and URLs are not sources", () => {
    expect(dockerfileSources(DOCKERFILE)).toEqual(["package.json", "my file.txt", "src/a.js", "lib", "src/b.js"]);
    const run = runTool("bash", ["-c", `${IMAGE_FLOW_FUNCTIONS}platform_inputs_sources /dev/stdin\n`], { input: DOCKERFILE });
    expect({ status: run.status, sources: run.stdout.split("\n").filter(Boolean) }).toEqual({ status: 0, sources: dockerfileSources(DOCKERFILE) });
  });

  test("the job's hash is the model's (the flow suite's expected images rest on it)", () => {
    expect(hashOf(files)).toBe(inputsHash(files, "Dockerfile", ".", ""));
  });

  test.each([
    ["a JSON-form source", "package.json"],
    ["a JSON-form source whose name has a space", "my file.txt"],
    ["a source on the first line of a continued COPY", "src/a.js"],
    ["a file under a directory named on a continued line", "lib/c.js"],
    ["a lower-case copy's source", "src/b.js"],
  ])("changing %s (%s) changes the hash", (_what, file) => {
    expect(hashOf({ ...files, [file]: `${files[file as keyof typeof files]}changed\n` })).not.toBe(hashOf(files));
  });

  test("a file no instruction takes from the context leaves the hash alone", () => {
    expect(hashOf({ ...files, "unused.txt": "changed\n" })).toBe(hashOf(files));
  });

  test.each([
    ["a JSON-form source", "my file.txt"],
    ["a continued line's source", "lib/c.js"],
  ])("a missing source (%s) fails the job and names the source", (_what, file) => {
    const rest = Object.fromEntries(Object.entries(files).filter(([name]) => name !== file));
    const run = hashIn(rest);
    const source = file === "lib/c.js" ? "lib" : file;
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 1, stdout: "" });
    expect(run.stderr).toContain(`Dockerfile copies ${source}, which does not exist in the build context .`);
  });

  test("a missing Dockerfile fails the job", () => {
    const run = hashIn(FILES);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("the Dockerfile Dockerfile does not exist");
  });
});

describeWithTool("dash", "the build job's inputs hash under a POSIX sh", () => {
  test("dash computes the same hash as bash", () => {
    const files = { ...FILES, Dockerfile: DOCKERFILE };
    expect(hashOf(files, "dash")).toBe(hashOf(files, "bash"));
  });
}, ["-c", "true"]);
