import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { inputsHash } from "../flow/support/flow-harness";
import { describeWithTool, runTool } from "../support/conformance";

/*
 * What the inputs hash takes from each path the build copies, run as the job runs it (the generated
 * shell functions in bash and dash) on build contexts with modes, symlinks and empty directories.
 * BuildKit's COPY follows a symlink named as a source and copies symlinks inside a copied directory as
 * links (moby/buildkit frontend/dockerfile/dockerfile2llb/convert_copy.go: FollowSymlinks: true;
 * solver/pb/ops.proto: "followSymlink resolves symlinks in src"), and keeps file modes; a change to any
 * of them must give a new hash, or the default branch reuses a stale image.
 */

/** A build context: files (path -> content), then `setup` adds modes, links and directories. */
interface Context {
  readonly files: Readonly<Record<string, string>>;
  readonly setup?: (dir: string) => void;
}

function hashIn(context: Context, shell = "bash", commit = ""): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "inputs-paths-"));
  try {
    for (const [name, content] of Object.entries(context.files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content, { mode: 0o644 });
      chmodSync(path.join(dir, name), 0o644);
    }
    context.setup?.(dir);
    const run = runTool(shell, ["-c", `${IMAGE_FLOW_FUNCTIONS}set -e\nplatform_inputs_hash Dockerfile . ""\n`], { cwd: dir, env: { ...process.env, CI_COMMIT_SHA: commit } });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hashOf(context: Context, shell = "bash"): string {
  const run = hashIn(context, shell);
  if (run.status !== 0) throw new Error(`platform_inputs_hash failed (${run.status}): ${run.stderr}`);
  return run.stdout.trim();
}

const BASE = {
  "entry.sh": "#!/bin/sh\nexec app\n",
  "shared/conf/app.ini": "level=1\n",
  "real/app.conf": "port=80\n",
  "unused.txt": "not an input\n",
};
const DOCKERFILE = "FROM alpine:3.21\nCOPY entry.sh /entry.sh\nCOPY conf /conf\nCOPY app.conf /etc/app.conf\nCOPY dir /dir\n";
const links = (dir: string) => {
  symlinkSync("shared/conf", path.join(dir, "conf"));
  symlinkSync("real/app.conf", path.join(dir, "app.conf"));
};
const files = (extra: Readonly<Record<string, string>> = {}) => ({ ...BASE, "dir/a.txt": "a\n", "dir/b.txt": "b\n", Dockerfile: DOCKERFILE, ...extra });
const context = (extra: Readonly<Record<string, string>> = {}, more?: (dir: string) => void): Context => ({
  files: files(extra),
  setup: (dir) => {
    links(dir);
    more?.(dir);
  },
});

describeWithTool("bash", "the inputs hash of modes, symlinks and directories", () => {
  test("chmod +x on a copied file yields a new hash (the hash read contents only)", () => {
    expect(hashOf(context({}, (dir) => chmodSync(path.join(dir, "entry.sh"), 0o755)))).not.toBe(hashOf(context()));
  });

  test("permission bits Git does not record leave the hash alone (the same commit checked out with another umask)", () => {
    const groupWritable = (dir: string) => {
      chmodSync(path.join(dir, "entry.sh"), 0o664);
      chmodSync(path.join(dir, "dir/a.txt"), 0o600);
    };
    expect(hashOf(context({}, groupWritable))).toBe(hashOf(context()));
  });

  test("editing a file under a symlinked directory copied by COPY conf /conf yields a new hash (the link was not followed)", () => {
    expect(hashOf(context({ "shared/conf/app.ini": "level=2\n" }))).not.toBe(hashOf(context()));
  });

  test("editing the target of a symlinked file yields a new hash", () => {
    expect(hashOf(context({ "real/app.conf": "port=8080\n" }))).not.toBe(hashOf(context()));
  });

  test("re-pointing a symlink inside a copied directory yields a new hash (COPY copies it as a link)", () => {
    const to = (target: string) => (dir: string) => symlinkSync(target, path.join(dir, "dir/current"));
    expect(hashOf(context({}, to("a.txt")))).not.toBe(hashOf(context({}, to("b.txt"))));
  });

  test("a dangling symlink inside a copied directory is hashed by its target, not refused", () => {
    const dangling = (target: string) => (dir: string) => symlinkSync(target, path.join(dir, "dir/later"));
    const run = hashIn(context({}, dangling("missing-1")));
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(hashOf(context({}, dangling("missing-2")))).not.toBe(run.stdout.trim());
  });

  test("a symlinked directory and a copy of its files hash differently (the image differs: one holds a link)", () => {
    const copied = { files: { ...files(), "conf/app.ini": "level=1\n" }, setup: (dir: string) => symlinkSync("real/app.conf", path.join(dir, "app.conf")) };
    expect(hashOf(copied)).not.toBe(hashOf(context()));
  });

  test("an empty directory added under a copied directory yields a new hash (COPY copies it)", () => {
    expect(hashOf(context({}, (dir) => mkdirSync(path.join(dir, "dir/empty"))))).not.toBe(hashOf(context()));
  });

  test("a file no instruction copies leaves the hash alone, whatever its mode", () => {
    expect(hashOf(context({ "unused.txt": "changed\n" }, (dir) => chmodSync(path.join(dir, "unused.txt"), 0o755)))).toBe(hashOf(context()));
  });

  test("a symlink loop inside a copied directory is listed as a link, not walked: the job hashes (COPY copies it as a link)", () => {
    const loop = (dir: string) => symlinkSync(".", path.join(dir, "dir/self"));
    const run = hashIn(context({}, loop));
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(hashOf(context({ "dir/a.txt": "changed\n" }, loop))).not.toBe(run.stdout.trim());
  });

  test("a symlink inside a copied directory to a directory elsewhere is hashed by its target string, the directory is not walked", () => {
    const link = (dir: string) => symlinkSync("../shared", path.join(dir, "dir/shared"));
    // COPY dir /dir copies dir/shared as a link: shared/conf/app.ini is in the image only through COPY conf /conf.
    const only = (extra: Readonly<Record<string, string>>) => ({ files: { ...files(extra), Dockerfile: "FROM alpine:3.21\nCOPY dir /dir\n" }, setup: link });
    expect(hashOf(only({ "shared/conf/app.ini": "level=2\n" }))).toBe(hashOf(only({})));
    expect(hashOf({ ...only({}), setup: (dir: string) => symlinkSync("../real", path.join(dir, "dir/shared")) })).not.toBe(hashOf(only({})));
  });

  test.each([
    ["a symlink to an absolute path", "/etc/hostname"],
    ["a symlink past the context's root", "../outside"],
  ])("a source that leads out of the build context (%s) makes the hash per commit: BuildKit resolves it inside the context", (_what, target) => {
    const escaping: Context = { files: { ...files(), Dockerfile: "FROM alpine:3.21\nCOPY escape /escape\nCOPY entry.sh /\n" }, setup: (dir) => symlinkSync(target, path.join(dir, "escape")) };
    const a = hashIn(escaping, "bash", "a".repeat(40));
    expect(a.stderr).toContain("platform-image: Dockerfile: escape leads out of the build context through a symlink, which the inputs hash cannot read; the image is rebuilt for every commit");
    expect(hashIn(escaping, "bash", "b".repeat(40)).stdout.trim()).not.toBe(a.stdout.trim());
  });

  test("a symlinked source that stays inside the build context keeps the hash per inputs", () => {
    const a = hashIn(context(), "bash", "a".repeat(40));
    expect({ status: a.status, stderr: a.stderr }).toEqual({ status: 0, stderr: "" });
    expect(hashIn(context(), "bash", "b".repeat(40)).stdout).toBe(a.stdout);
  });

  test("regular files only: the job's hash is the model's (the flow suite's expected images rest on it)", () => {
    const plain = { ...files(), Dockerfile: "FROM alpine:3.21\nCOPY entry.sh dir/ /app/\nCOPY shared /shared\n" };
    expect(hashOf({ files: plain })).toBe(inputsHash(plain, "Dockerfile", ".", ""));
  });
});

describeWithTool(
  "dash",
  "the inputs hash of modes and symlinks under a POSIX sh",
  () => {
    test("dash computes the same hash as bash", () => {
      const ctx = context({}, (dir) => {
        chmodSync(path.join(dir, "entry.sh"), 0o755);
        symlinkSync("a.txt", path.join(dir, "dir/current"));
        symlinkSync("nowhere", path.join(dir, "dir/dangling"));
      });
      expect(hashOf(ctx, "dash")).toBe(hashOf(ctx, "bash"));
    });
  },
  ["-c", "true"],
);
