import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Conformance tests feed generated artifacts to real tools (shellcheck,
 * cloud-init, gitlab-ci-local, python3's tomllib). Locally a missing tool
 * skips its tests with a loud message; with CONFORMANCE_REQUIRED=1 (set by
 * .ci/run) a missing tool fails them.
 */
export const conformanceRequired = process.env.CONFORMANCE_REQUIRED === "1";

const availability = new Map<string, boolean>();

/**
 * Probes that passed for tools given by absolute path (gitlab-ci-local in node_modules: each probe
 * starts Node.js and loads its bundle, ~0.2 s of CPU and up to a second of wall time per test file),
 * one a line with the file's modification time and the Node.js version: the same file under the same
 * Node.js passes again. Failed probes are not recorded.
 */
const PASSED_PROBES = path.join(tmpdir(), "conformance-passed-probes.txt");

/** True when `command` is on PATH (and, when given, `probeArgs` run successfully). */
export function toolAvailable(command: string, probeArgs: readonly string[] = ["--version"]): boolean {
  const key = [command, ...probeArgs].join(" ");
  if (!availability.has(key)) {
    const stamp = path.isAbsolute(command) && existsSync(command) ? `${key} ${statSync(command).mtimeMs} ${process.version}` : undefined;
    if (stamp !== undefined && existsSync(PASSED_PROBES) && readFileSync(PASSED_PROBES, "utf8").split("\n").includes(stamp)) {
      availability.set(key, true);
    } else {
      const result = spawnSync(command, [...probeArgs], { stdio: "ignore", timeout: 30_000 });
      availability.set(key, result.error === undefined && result.status === 0);
      if (stamp !== undefined && availability.get(key)) appendFileSync(PASSED_PROBES, `${stamp}\n`);
    }
  }
  return availability.get(key)!;
}

/** The result of running a tool. */
export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool, returning its exit status and output (never throws on a non-zero exit). */
export function runTool(
  command: string,
  args: readonly string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): ToolRun {
  const result: SpawnSyncReturns<string> = spawnSync(command, [...args], {
    input: options.input,
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `describe` for tests that need `tool`. When the tool is missing the block's
 * tests are skipped with a loud warning, or fail when conformance is required.
 */
export function describeWithTool(
  tool: string,
  name: string,
  body: () => void,
  probeArgs: readonly string[] = ["--version"],
): void {
  if (toolAvailable(tool, probeArgs)) {
    describe(`${name} [${tool}]`, body);
    return;
  }
  const message = `CONFORMANCE: '${tool}' is not installed, so "${name}" cannot check generated artifacts with it.`;
  if (conformanceRequired) {
    describe(`${name} [${tool}]`, () => {
      test(`requires ${tool}`, () => {
        throw new Error(`${message} CONFORMANCE_REQUIRED=1: install it (see .ci/run).`);
      });
    });
    return;
  }
  console.warn(`\n${"!".repeat(78)}\n${message}\nSKIPPING. Install it (see .ci/run) or set CONFORMANCE_REQUIRED=1 to make this fail.\n${"!".repeat(78)}\n`);
  describe.skip(`${name} [${tool} MISSING: skipped]`, body);
}
