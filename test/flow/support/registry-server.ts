import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, type Server } from "node:net";

/*
 * The fake registry served from the test process: the `docker`, `aws` and `buildctl-daemonless.sh`
 * shims of a flow pipeline send their call over a local TCP socket (bash's /dev/tcp) instead of
 * starting a Node.js process each. A pipeline makes 10-30 such calls, and starting Node.js cost about
 * 0.1 s of CPU each on the test machines, the larger part of a pipeline's time. The calls run the
 * same functions of fake-registry.cjs under the same state-file lock, with the shim's whole
 * environment, so the registry decides exactly as the per-call process did.
 *
 * Protocol: the shim sends the number of fields (tool and arguments) on a line, the fields each
 * NUL-terminated, the output of `env -0` (entries are never empty), one NUL more (the empty entry
 * that ends the environment), then standard input (for `docker login` only; a shell variable, so
 * without NUL) and a NUL. The server answers `<exit status>\n<stderr length>\n<stderr><stdout>` and
 * closes. The request carries no byte count, so the shim builds it with shell builtins and `env`
 * only: a temporary file and `wc`, `cat` and `rm` per call cost five process starts more.
 */

interface RegistryModule {
  withState<T>(file: string, fn: (state: unknown) => T): T;
  docker(state: unknown, env: Record<string, string>, args: readonly string[], stdin: string): string;
  aws(state: unknown, env: Record<string, string>, args: readonly string[]): string;
  buildctl(state: unknown, env: Record<string, string>, args: readonly string[]): string;
  RegistryError: new (...args: never[]) => Error;
}

/**
 * With `FAKE_BARRIER_DIR` (tests of concurrent pipelines), the n-th push of a job (docker push, docker buildx
 * build, buildctl build) waits until the same job of `FAKE_BARRIER_PARTIES` runs (default 2) has reached its
 * n-th push, for at most 20 s: pipelines that both found no image then push at once, so the registry sees the
 * race every time, not only when the scheduler happens to interleave them.
 */
function barrier(tool: string): string[] {
  const push = { docker: '[ "${1:-}" = push ] || { [ "${1:-}" = buildx ] && [ "${2:-}" = build ]; }', buildctl: '[ "${1:-}" = build ]' }[tool];
  if (push === undefined) return [];
  return [
    `if [ -n "\${FAKE_BARRIER_DIR:-}" ] && { ${push}; }; then`,
    '  _b="$FAKE_BARRIER_DIR/${CI_JOB_NAME:-job}"; mkdir -p "$_b"',
    '  _n=$(( $(find "$_b" -name "*.${FAKE_RUN:-0}" | wc -l) + 1 )); : > "$_b/$_n.${FAKE_RUN:-0}"',
    '  _i=0; while [ "$(find "$_b" -name "$_n.*" | wc -l)" -lt "${FAKE_BARRIER_PARTIES:-2}" ] && [ "$_i" -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done',
    "fi",
  ];
}

/** The bash client a shim runs when `FAKE_REGISTRY_PORT` is set (else it starts the registry with node). */
export function shimScript(tool: string, script: string): string {
  return [
    "#!/bin/bash",
    `if [ -z "\${FAKE_REGISTRY_PORT:-}" ]; then exec node ${JSON.stringify(script)} ${tool} "$@"; fi`,
    '_in=""',
    ...(tool === "docker" ? ["if [ \"${1:-}\" = login ]; then IFS= read -r -d '' _in || true; fi"] : []),
    ...barrier(tool),
    "# Without a connection, the call runs in a process of its own, as without the server.",
    `if ! { exec 3<>"/dev/tcp/127.0.0.1/$FAKE_REGISTRY_PORT"; } 2>/dev/null; then printf '%s' "$_in" | node ${JSON.stringify(script)} ${tool} "$@"; exit $?; fi`,
    `{ printf '%s\\n' "$(($# + 1))"; printf '%s\\0' ${tool} "$@"; env -0; printf '\\0%s\\0' "$_in"; } >&3`,
    `read -r _status <&3 || { echo "fake registry server: no answer to ${tool} $*" >&2; exit 2; }`,
    "read -r _errors <&3",
    'if [ "$_errors" -gt 0 ]; then dd bs=1 count="$_errors" status=none <&3 >&2; fi',
    "# stdout is text (digests, manifests, messages): read to the end of the answer without starting cat.",
    "IFS= read -r -d '' _out <&3 || true",
    "printf '%s' \"$_out\"",
    'exit "$_status"',
    "",
  ].join("\n");
}

/**
 * The request in `buffer` once it is complete (see "Protocol"), else undefined: the tool, its
 * arguments, the environment and standard input.
 */
export function parseRequest(buffer: Buffer): { tool: string; args: string[]; env: Record<string, string>; stdin: string } | undefined {
  const newline = buffer.indexOf(10);
  if (newline < 0) return undefined;
  const count = Number(buffer.subarray(0, newline).toString());
  const fields: string[] = [];
  let at = newline + 1;
  const next = (): string | undefined => {
    const end = buffer.indexOf(0, at);
    if (end < 0) return undefined;
    const field = buffer.subarray(at, end).toString();
    at = end + 1;
    return field;
  };
  for (let i = 0; i < count; i++) {
    const field = next();
    if (field === undefined) return undefined;
    fields.push(field);
  }
  const env: Record<string, string> = {};
  for (;;) {
    const entry = next();
    if (entry === undefined) return undefined;
    if (entry === "") break;
    env[entry.slice(0, entry.indexOf("="))] = entry.slice(entry.indexOf("=") + 1);
  }
  const stdin = next();
  if (stdin === undefined) return undefined;
  const [tool, ...args] = fields;
  return { tool: tool!, args, env, stdin };
}

/** Starts the server (listening on a free local port, not keeping the process alive); resolves to its port. */
export function startRegistryServer(registry: RegistryModule): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on("error", () => socket.destroy());
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const request = parseRequest(buffer);
      if (!request) return;
      socket.removeAllListeners("data");
      const { tool, args, env, stdin } = request;
      const file = env.FAKE_REGISTRY_STATE!;
      let status = 0;
      let stdout = "";
      let stderr = "";
      try {
        appendFileSync(`${file}.log`, `${[tool, ...args].join(" ")}\n`);
        const run = { docker: registry.docker, aws: registry.aws, buildctl: registry.buildctl }[tool as "docker" | "aws" | "buildctl"];
        if (!run) throw new Error(`unknown tool ${tool}`);
        stdout = registry.withState(file, (state) => run(state, env, args, stdin));
      } catch (error) {
        stderr = `fake ${tool}: ${(error as Error).message}\n`;
        status = error instanceof registry.RegistryError ? (tool === "aws" ? 254 : 1) : 2;
      }
      const errors = Buffer.from(stderr);
      socket.end(Buffer.concat([Buffer.from(`${status}\n${errors.length}\n`), errors, Buffer.from(stdout)]));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.unref();
      resolve({ server, port: (server.address() as { port: number }).port });
    });
  });
}

/**
 * A scratch directory for running the generated shell functions against the fake registry: `bin/`
 * holds the `docker` and `aws` shims of `script`, `ctx/` a one-stage Dockerfile. The caller removes it.
 */
export function scriptSandbox(prefix: string, script: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(dir, "bin"));
  for (const tool of ["docker", "aws"]) {
    writeFileSync(path.join(dir, "bin", tool), shimScript(tool, script));
    chmodSync(path.join(dir, "bin", tool), 0o755);
  }
  mkdirSync(path.join(dir, "ctx"));
  writeFileSync(path.join(dir, "ctx", "Dockerfile"), "FROM alpine:3.20\nRUN echo app\n");
  return dir;
}
