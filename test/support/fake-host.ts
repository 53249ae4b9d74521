import { symlinkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTool, type ToolRun } from "./conformance";

/**
 * A fake runner host for testing lib/runner/assets/runner-fleet.sh: `curl`,
 * `aws` and `systemctl` on PATH are one fake that logs every call and answers
 * from scripted responses. Nothing leaves the process: IMDS and the metrics
 * endpoint are served from files.
 *
 * A response is a list of bodies returned one per call (the last one sticks);
 * `FAIL` makes the call fail (curl: HTTP error, exit 22). Keys:
 * - curl: the URL path, e.g. `latest/meta-data/instance-id`, `metrics`;
 * - systemctl: `state` (for `systemctl show --property=ActiveState`);
 * - aws: `aws <service> <operation>`, e.g. `aws ssm get-parameter`.
 * Unscripted curl paths fail; unscripted systemctl and aws calls succeed silently.
 */
export const FAIL = "\u0000FAIL";

const FAKE_TOOL = path.join(__dirname, "fake-tool.sh");

/** A scripted host: write responses, run the script, read the calls. */
export class FakeHost {
  public readonly dir = mkdtempSync(path.join(tmpdir(), "runner-host-"));
  private readonly bin = path.join(this.dir, "bin");

  public constructor() {
    mkdirSync(this.bin);
    for (const tool of ["curl", "aws", "systemctl"]) {
      symlinkSync(FAKE_TOOL, path.join(this.bin, tool));
    }
    writeFileSync(path.join(this.dir, "calls.log"), "");
  }

  /** Scripts the answers to `key`, one per call; the last one repeats. */
  public respond(key: string, ...bodies: string[]): this {
    const dir = path.join(this.dir, "responses", key.replace(/[/ ]/g, "_"));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    bodies.forEach((body, i) => {
      writeFileSync(path.join(dir, String(i + 1)), body === FAIL ? "" : body);
      if (body === FAIL) writeFileSync(path.join(dir, `${i + 1}.fail`), "");
    });
    return this;
  }

  /** Writes a file into the fake host's directory and returns its path. */
  public file(name: string, content: string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, content);
    return file;
  }

  /** Runs `bash script args` with the fakes first on PATH. */
  public run(script: string, args: readonly string[], env: Readonly<Record<string, string>>): ToolRun {
    return runTool("bash", [script, ...args], {
      env: { PATH: `${this.bin}:${process.env.PATH ?? ""}`, FAKE_DIR: this.dir, IMDS_URL: "http://imds.invalid", ...env },
      timeoutMs: 10_000,
    });
  }

  /** The calls made, one line each (`tool arg...`), IMDS token requests left out. */
  public calls(): string[] {
    return readFileSync(path.join(this.dir, "calls.log"), "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.includes("latest/api/token"));
  }

  /** Deletes the fake host. */
  public dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
