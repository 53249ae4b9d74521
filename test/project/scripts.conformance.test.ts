import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describeWithTool, runTool } from "../support/conformance";

const root = path.resolve(__dirname, "../..");
const tracked = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && !f.startsWith("node_modules/"));
const shellScripts = tracked.filter((f) => f.endsWith(".sh") || /^#!.*\b(ba)?sh\b/.test(firstLine(path.join(root, f))));

function firstLine(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  } catch {
    return "";
  }
}

describeWithTool("shellcheck", "the repository's own shell scripts", () => {
  test("there are scripts to check (.ci/run at least)", () => {
    expect(shellScripts).toContain(".ci/run");
  });

  test.each(shellScripts)("%s passes shellcheck", (file) => {
    const run = runTool("shellcheck", ["--severity=style", path.join(root, file)]);
    expect({ file, status: run.status, output: run.stdout + run.stderr }).toEqual({ file, status: 0, output: "" });
  });
});
