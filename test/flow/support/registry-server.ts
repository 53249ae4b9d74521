import { appendFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/*
 * The fake registry served from the test process: the `docker`, `aws` and `buildctl-daemonless.sh`
 * shims of a flow pipeline send their call over a local TCP socket (bash's /dev/tcp) instead of
 * starting a Node.js process each. A pipeline makes 10-30 such calls, and starting Node.js cost about
 * 0.1 s of CPU each on the test machines, the larger part of a pipeline's time. The calls run the
 * same functions of fake-registry.cjs under the same state-file lock, with the shim's whole
 * environment, so the registry decides exactly as the per-call process did.
 *
 * Protocol: the shim sends `<length>\n` and a payload of NUL-terminated fields (tool, arguments),
 * \x01, the output of `env -0`, \x01, then standard input (for `docker login` only). The server answers
 * `<exit status>\n<stderr length>\n<stderr><stdout>` and closes.
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
    ...(tool === "docker" ? ['if [ "${1:-}" = login ]; then _in=$(cat); fi'] : []),
    ...barrier(tool),
    "_req=$(mktemp)",
    `{ printf '%s\\0' ${tool} "$@"; printf '\\001'; env -0; printf '\\001%s' "$_in"; } > "$_req"`,
    "# Without a connection, the call runs in a process of its own, as without the server.",
    `if ! { exec 3<>"/dev/tcp/127.0.0.1/$FAKE_REGISTRY_PORT"; } 2>/dev/null; then rm -f "$_req"; printf '%s' "$_in" | node ${JSON.stringify(script)} ${tool} "$@"; exit $?; fi`,
    `{ printf '%s\\n' "$(wc -c < "$_req")"; cat "$_req"; } >&3`,
    'rm -f "$_req"',
    `read -r _status <&3 || { echo "fake registry server: no answer to ${tool} $*" >&2; exit 2; }`,
    "read -r _errors <&3",
    'if [ "$_errors" -gt 0 ]; then dd bs=1 count="$_errors" status=none <&3 >&2; fi',
    "cat <&3",
    'exit "$_status"',
    "",
  ].join("\n");
}

/** Starts the server (listening on a free local port, not keeping the process alive); resolves to its port. */
export function startRegistryServer(registry: RegistryModule): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on("error", () => socket.destroy());
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const newline = buffer.indexOf(10);
      if (newline < 0) return;
      const length = Number(buffer.subarray(0, newline).toString());
      if (buffer.length - newline - 1 < length) return;
      const payload = buffer.subarray(newline + 1, newline + 1 + length);
      const first = payload.indexOf(1);
      const second = payload.indexOf(1, first + 1);
      const [tool, ...args] = payload.subarray(0, first).toString().split("\0").slice(0, -1);
      const env = Object.fromEntries(
        payload
          .subarray(first + 1, second)
          .toString()
          .split("\0")
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      const stdin = payload.subarray(second + 1).toString();
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
