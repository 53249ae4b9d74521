import fc from "fast-check";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { dockerfileReads, dockerfileSources, inputsHash } from "../flow/support/flow-harness";
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
  "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tgz /opt/",
  "FROM alpine:3.21",
  "COPY --from=build /app /app",
  "copy src/b.js /app/",
  "",
].join("\n");

/**
 * Writes `files` into a fresh directory and runs `platform_inputs_hash Dockerfile . ""` there with `shell`;
 * `env` is added to the environment, and `machine` (a `uname -m` answer) puts a fake `uname` first on PATH.
 */
function hashIn(files: Readonly<Record<string, string>>, shell = "bash", env: Readonly<Record<string, string>> = {}, machine?: string): ToolRun & { dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "inputs-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  // The fake uname lives outside the build context: a bind mount of the whole context reads every path in it.
  const bin = mkdtempSync(path.join(tmpdir(), "inputs-bin-"));
  if (machine !== undefined) {
    writeFileSync(path.join(bin, "uname"), `#!/bin/sh\necho ${machine}\n`);
    chmodSync(path.join(bin, "uname"), 0o755);
  }
  const run = runTool(shell, ["-c", `${IMAGE_FLOW_FUNCTIONS}set -e\nplatform_inputs_hash Dockerfile . ""\n`], { cwd: dir, env: { ...process.env, CI_COMMIT_SHA: "", ...env, PATH: `${bin}:${process.env.PATH}` } });
  rmSync(dir, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
  return { ...run, dir };
}

function hashOf(files: Readonly<Record<string, string>>, shell = "bash", env: Readonly<Record<string, string>> = {}, machine?: string): string {
  const run = hashIn(files, shell, env, machine);
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

  describe("what BuildKit reads besides COPY and ADD (Dockerfile reference: RUN --mount, .dockerignore files)", () => {
    const withRun = (run: string, extra: Readonly<Record<string, string>> = {}) => ({ ...FILES, ...extra, Dockerfile: `FROM alpine:3.21 AS build\n${run}\nCOPY package.json /app/\n` });
    const mounted = withRun("RUN --mount=type=bind,source=tools,target=/tools sh /tools/install.sh", { "tools/install.sh": "echo 1\n" });

    test("a change to a bind-mounted file yields a new hash (the hash left RUN --mount=type=bind sources out)", () => {
      expect(dockerfileSources(mounted.Dockerfile)).toEqual(["tools", "package.json"]);
      expect(hashOf({ ...mounted, "tools/install.sh": "echo 2\n" })).not.toBe(hashOf(mounted));
      expect(hashOf(mounted)).toBe(inputsHash(mounted, "Dockerfile", ".", ""));
    });

    test.each([
      ["bind is the default mount type", "RUN --mount=source=tools,target=/tools sh /tools/install.sh"],
      ["src is source's short form, several mounts on one RUN", "RUN --mount=type=cache,target=/root/.cache --mount=type=bind,src=tools,dst=/tools sh /tools/install.sh"],
      ["a quoted mount spec", 'RUN --mount="type=bind,source=/tools,target=/tools" sh /tools/install.sh'],
    ])("%s: the bind-mounted file is an input", (_what, run) => {
      const files = withRun(run, { "tools/install.sh": "echo 1\n" });
      expect(hashOf({ ...files, "tools/install.sh": "echo 2\n" })).not.toBe(hashOf(files));
      expect(hashOf(files)).toBe(inputsHash(files, "Dockerfile", ".", ""));
    });

    test("a bind mount without a source binds the whole context: every file is an input", () => {
      const files = withRun("RUN --mount=type=bind,target=/src make -C /src");
      expect(hashOf({ ...files, "unused.txt": "changed\n" })).not.toBe(hashOf(files));
      expect(hashOf(files)).toBe(inputsHash(files, "Dockerfile", ".", ""));
    });

    test("cache, secret and tmpfs mounts and bind mounts from a stage read no context file", () => {
      const run = "RUN --mount=type=cache,target=/c --mount=type=secret,id=npm --mount=type=tmpfs,target=/t --mount=type=bind,from=build,source=/app,target=/a true";
      expect(dockerfileReads(withRun(run).Dockerfile)).toEqual({ sources: ["package.json"], unpinned: [] });
      const files = withRun(run);
      expect(hashOf({ ...files, "unused.txt": "changed\n" })).toBe(hashOf(files));
    });

    test.each([
      [".dockerignore", ".dockerignore"],
      ["the Dockerfile's own ignore file", "Dockerfile.dockerignore"],
    ])("a change to %s changes the hash (it decides what COPY . takes)", (_what, file) => {
      const files = { ...FILES, [file]: "unused.txt\n", Dockerfile: "FROM alpine:3.21\nCOPY . /app/\n" };
      expect(hashOf({ ...files, [file]: "unused.txt\nlib\n" })).not.toBe(hashOf(files));
      expect(hashOf(files)).toBe(inputsHash(files, "Dockerfile", ".", ""));
    });

    test("the build platform is an input: the same files built on another architecture get another hash", () => {
      const files = { ...FILES, Dockerfile: DOCKERFILE };
      expect(hashOf(files, "bash", {}, "aarch64")).not.toBe(hashOf(files, "bash", {}, "x86_64"));
    });
  });

  describe("what the hash cannot read makes it per commit (fail closed: rebuilt for every commit)", () => {
    test.each([
      ["an ADD of a URL without --checksum", "ADD https://example.com/tool.tgz /opt/", ["ADD https://example.com/tool.tgz has no --checksum"]],
      ["an ADD of a Git repository", "ADD git@github.com:moby/buildkit.git /src/", ["ADD git@github.com:moby/buildkit.git has no --checksum"]],
      ["a COPY --from of an image by tag", "COPY --from=nginx:1.27 /etc/nginx /etc/nginx", ["COPY --from=nginx:1.27 names an image by tag, not by digest"]],
      ["a COPY source named by a build argument", "ARG SRC=src\nCOPY ${SRC} /app/", ["COPY ${SRC} names a build argument"]],
      ["a bind mount source named by a build argument", "RUN --mount=type=bind,source=$TOOLS,target=/t true", ["RUN --mount=type=bind,source=$TOOLS,target=/t $TOOLS names a build argument"]],
      ["a bind mount from an image by tag", "RUN --mount=type=bind,from=golang:1.23,source=/usr/local/go,target=/go true", ["RUN --mount=type=bind,from=golang:1.23,source=/usr/local/go,target=/go names an image by tag, not by digest"]],
    ])("%s: the commit goes into the hash, and the job says why", (_what, line, unpinned) => {
      const files = { ...FILES, Dockerfile: `FROM alpine:3.21 AS build\n${line}\n` };
      expect(dockerfileReads(files.Dockerfile).unpinned).toEqual(unpinned);
      const a = hashIn(files, "bash", { CI_COMMIT_SHA: "a".repeat(40) });
      expect(a.stderr).toContain(`platform-image: Dockerfile: ${unpinned[0]}, which the inputs hash cannot read; the image is rebuilt for every commit`);
      expect(hashOf(files, "bash", { CI_COMMIT_SHA: "b".repeat(40) })).not.toBe(a.stdout.trim());
      expect(hashOf(files, "bash", { CI_COMMIT_SHA: "a".repeat(40) })).toBe(a.stdout.trim());
      expect(a.stdout.trim()).toBe(inputsHash(files, "Dockerfile", ".", "", [], "a".repeat(40)));
    });

    test.each([
      ["an ADD with --checksum", "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tgz /opt/"],
      ["a COPY --from of an image by digest", `COPY --from=nginx@sha256:${"0".repeat(64)} /etc/nginx /etc/nginx`],
      ["a COPY --from of a stage by name or index", "COPY --from=BUILD /a /a\nCOPY --from=0 /a /b"],
      ["a bind mount from a stage", "RUN --mount=type=bind,from=build,target=/b true"],
    ])("%s: pinned, so the hash stays per inputs", (_what, line) => {
      const files = { ...FILES, Dockerfile: `FROM alpine:3.21 AS build\n${line}\n` };
      expect(dockerfileReads(files.Dockerfile).unpinned).toEqual([]);
      expect(hashOf(files, "bash", { CI_COMMIT_SHA: "b".repeat(40) })).toBe(hashOf(files, "bash", { CI_COMMIT_SHA: "a".repeat(40) }));
    });
  });

  describe("here-documents are not instructions (BuildKit's parser reads a RUN/COPY/ADD heredoc's body up to its terminator)", () => {
    const sourcesOf = (dockerfile: string) => {
      const run = runTool("bash", ["-c", `${IMAGE_FLOW_FUNCTIONS}platform_inputs_sources /dev/stdin\n`], { input: dockerfile });
      return { status: run.status, sources: run.stdout.split("\n").filter(Boolean) };
    };

    test("RUN <<EOF with an ADD of a missing file in its body hashes instead of failing the job", () => {
      const files = { ...FILES, Dockerfile: "FROM alpine:3.21\nRUN <<EOF\nadd missing-file /x\nEOF\nCOPY package.json /app/\n" };
      const run = hashIn(files);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
      expect(run.stdout.trim()).toBe(inputsHash(files, "Dockerfile", ".", ""));
    });

    test.each([
      ["<<-EOF with a tab-indented terminator", "RUN <<-EOF\n\tCOPY missing /x\n\tEOF"],
      ['a quoted name, <<"EOF"', 'RUN <<"EOF"\nCOPY missing /x\nEOF'],
      ["a single-quoted name", "RUN <<'EOF'\nCOPY missing /x\nEOF"],
      ["two here-documents on one line, read in order", "RUN <<A cat - /dev/fd/3 3<<B\nCOPY missing /x\nA\nADD missing2 /y\nB"],
      ["a COPY of a here-document", "COPY <<EOF /etc/app.conf\nCOPY missing /x\nEOF"],
      ["a heredoc after RUN flags", "RUN --mount=type=cache,target=/c <<EOF\nCOPY missing /x\nEOF"],
      ["an ONBUILD RUN here-document", "ONBUILD RUN <<EOF\nCOPY missing /x\nEOF"],
      ["a body line starting with # and one ending with a backslash", "RUN <<EOF\n# COPY missing /x\necho \\\nEOF"],
    ])("%s: the body is skipped and the next instruction is read", (_what, heredoc) => {
      const dockerfile = `FROM alpine:3.21\n${heredoc}\nCOPY package.json /app/\n`;
      expect(dockerfileSources(dockerfile)).toEqual(["package.json"]);
      expect(sourcesOf(dockerfile)).toEqual({ status: 0, sources: ["package.json"] });
    });

    test("<< EOF (a space before the name) and the JSON form start no here-document, as in BuildKit", () => {
      const dockerfile = 'FROM alpine:3.21\nRUN cat << EOF\nCOPY package.json /app/\nRUN ["sh", "-c", "cat <<EOF"]\nCOPY src/a.js /app/\n';
      expect(sourcesOf(dockerfile)).toEqual({ status: 0, sources: ["package.json", "src/a.js"] });
      expect(dockerfileSources(dockerfile)).toEqual(["package.json", "src/a.js"]);
    });

    test("property: any body between RUN <<EOF and EOF adds no source", () => {
      const line = fc.constantFrom("COPY missing /x", "ADD https://example.com/a /a", "copy --from=nginx:1 /a /b", "FROM x AS y", "  EOT", "# c", "RUN --mount=type=bind,target=/s true", "echo \\");
      fc.assert(
        fc.property(fc.array(line, { maxLength: 6 }), (body) => {
          const dockerfile = `FROM alpine:3.21\nRUN <<EOF\n${body.join("\n")}${body.length ? "\n" : ""}EOF\nCOPY package.json /app/\n`;
          expect(sourcesOf(dockerfile)).toEqual({ status: 0, sources: ["package.json"] });
          expect(dockerfileReads(dockerfile)).toEqual({ sources: ["package.json"], unpinned: [] });
        }),
        { numRuns: 25 },
      );
    });
  });

  describe("lines as BuildKit's parser reads them (frontend/dockerfile/parser/parser.go: trimNewline, lineContinuationRegex, isEmptyContinuationLine; directives)", () => {
    const sources = (dockerfile: string) => {
      const run = runTool("bash", ["-c", `${IMAGE_FLOW_FUNCTIONS}platform_inputs_sources /dev/stdin /dev/stderr\n`], { input: dockerfile });
      return { status: run.status, sources: run.stdout.split("\n").filter(Boolean), unpinned: run.stderr.split("\n").filter(Boolean) };
    };
    const cases: readonly [string, string, readonly string[]][] = [
      ["an empty line inside a continued COPY (skipped with a warning)", "COPY a \\\n\n    b /dst/\n", ["a", "b"]],
      ["a blank line (spaces) inside a continued COPY", "COPY a \\\n   \t\n    b /dst/\n", ["a", "b"]],
      ["a comment line inside a continued COPY", "COPY a \\\n  # the second source\n  b /dst/\n", ["a", "b"]],
      ["CRLF line endings", "COPY a \\\r\n    b /dst/\r\nCOPY c /dst/\r\n", ["a", "b", "c"]],
      ["the escape directive: a backtick continues the line", "# escape=`\nFROM alpine:3.21\nCOPY a `\n    b /dst/\n", ["a", "b"]],
      ["a continued line joined without a blank (COPY a\\ + b is the source ab)", "COPY a\\\nb /dst/\n", ["ab"]],
      ["an escaped escape character at the end does not continue", "COPY a /x\\\\\nCOPY b /dst/\n", ["a", "b"]],
      ["a JSON-form name with two inner blanks", 'COPY ["a  b", "c", "/dst/"]\n', ["a  b", "c"]],
      ["a UTF-8 byte-order mark before the first line", "\uFEFFFROM alpine:3.21\nCOPY a /dst/\n", ["a"]],
      ["a UTF-8 byte-order mark before an escape directive", "\uFEFF# escape=`\nFROM alpine:3.21\nCOPY a `\n b /dst/\n", ["a", "b"]],
      ["ADD with --chown and --chmod flags", "ADD --chown=1000:1000 --chmod=644 a b /dst/\n", ["a", "b"]],
      ["a directive after the first instruction is a comment", "COPY a /dst/\n# escape=`\nCOPY b `\n c /dst/\n", ["a", "b"]],
    ];
    test.each(cases)("%s: the job's reader and the model read the same sources", (_what, body, expected) => {
      // Cases about the first lines (directives, byte-order mark) give their own FROM.
      const dockerfile = body.includes("FROM ") ? body : `FROM alpine:3.21\n${body}`;
      expect(sources(dockerfile)).toEqual({ status: 0, sources: expected, unpinned: [] });
      expect(dockerfileSources(dockerfile)).toEqual(expected);
    });

    test("a change to a source named after an empty continuation line, or in a CRLF Dockerfile, changes the hash (both were missed)", () => {
      for (const dockerfile of ["FROM alpine:3.21\nCOPY a \\\n\n    b /dst/\n", "FROM alpine:3.21\r\nCOPY a \\\r\n    b /dst/\r\n", "# escape=`\nFROM alpine:3.21\nCOPY a `\n    b /dst/\n"]) {
        const files = { a: "a\n", b: "b\n", Dockerfile: dockerfile };
        expect(hashOf({ ...files, b: "changed\n" })).not.toBe(hashOf(files));
        expect(hashOf(files)).toBe(inputsHash(files, "Dockerfile", ".", ""));
      }
    });

    test.each([
      ["a syntax directive naming another frontend", "# syntax=example.com/frontend:1\nCOPY a /dst/\n", "the syntax directive names another frontend (example.com/frontend:1), whose parser this reader does not follow"],
      ["an escape directive BuildKit refuses", "# escape=!\nCOPY a /dst/\n", "the escape directive ! is not one BuildKit accepts"],
      ["a JSON form with an escape", 'COPY ["a\\\\b", "/dst/"]\n', 'COPY ["a\\\\b", "/dst/"] has an escape in its JSON form'],
    ])("%s: what the reader cannot follow makes the hash per commit", (_what, body, why) => {
      const dockerfile = body.startsWith("#") ? `${body.split("\n")[0]}\nFROM alpine:3.21\n${body.split("\n").slice(1).join("\n")}` : `FROM alpine:3.21\n${body}`;
      expect(sources(dockerfile).unpinned).toEqual([why]);
      expect(dockerfileReads(dockerfile).unpinned).toEqual([why]);
    });

    test.each(["docker/dockerfile:1", "docker/dockerfile:1.7-labs", "docker.io/docker/dockerfile:1", `docker/dockerfile:1@sha256:${"a".repeat(64)}`])("the syntax directive %s is the Dockerfile frontend: nothing unpinned", (syntax) => {
      expect(sources(`# syntax=${syntax}\nFROM alpine:3.21\nCOPY a /dst/\n`)).toEqual({ status: 0, sources: ["a"], unpinned: [] });
    });

    test("property: how an instruction is laid out (continuations, blank and comment lines inside them, CRLF, keyword case) never changes the sources read", () => {
      const name = fc.stringMatching(/^[a-z][a-z0-9._-]{0,8}$/);
      const layout = fc.record({
        crlf: fc.boolean(),
        upper: fc.boolean(),
        breaks: fc.array(fc.constantFrom("", "\n", "\n   ", "\n# note\n", "\n\t# note\n  "), { minLength: 0, maxLength: 4 }),
      });
      fc.assert(
        fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 4 }), layout, (names, { crlf, upper, breaks }) => {
          const words = [upper ? "COPY" : "copy", ...names, "/dst/"];
          // Between words: a blank, or a continuation followed by one of the breaks (empty/comment lines inside it).
          const text = words.map((w, i) => (i === 0 ? w : (breaks[i - 1] !== undefined ? ` \\${breaks[i - 1]}\n ` : " ") + w)).join("");
          let dockerfile = `FROM alpine:3.21\n${text}\n`;
          // A continuation line that is only a comment or blank may not end the instruction early: drop breaks that would.
          dockerfile = dockerfile.replace(/\n\n+/g, "\n\n");
          if (crlf) dockerfile = dockerfile.replace(/\n/g, "\r\n");
          expect(dockerfileSources(dockerfile)).toEqual(names);
          expect(sources(dockerfile).sources).toEqual(names);
        }),
        { numRuns: 40 },
      );
    });
  });

  test("a missing Dockerfile fails the job", () => {
    const run = hashIn(FILES);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("the Dockerfile Dockerfile does not exist");
  });
});

describeWithTool("dash", "the build job's inputs hash under a POSIX sh", () => {
  test("dash computes the same hash as bash", () => {
    const files = { ...FILES, "tools/install.sh": "echo 1\n", Dockerfile: `${DOCKERFILE}RUN --mount=type=bind,source=tools,target=/t --mount=type=bind,from=nginx:1.27,target=/n true\n` };
    expect(hashOf(files, "dash", { CI_COMMIT_SHA: "a".repeat(40) })).toBe(hashOf(files, "bash", { CI_COMMIT_SHA: "a".repeat(40) }));
  });
}, ["-c", "true"]);
