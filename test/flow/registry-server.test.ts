import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { fakeRegistry } from "./support/flow-harness";
import { parseRequest, shimScript, startRegistryServer } from "./support/registry-server";

/*
 * The transport between the flow suite's shims and the fake registry served from the test process
 * (registry-server.ts): a request that reaches the server in pieces, many calls at once, and the exit
 * status and stderr of a refused call must read exactly as the per-call node process read them.
 */

const SCRIPT = path.join(__dirname, "support", "fake-registry.cjs");
let server: Server;
let port: number;
let dir: string;

beforeAll(async () => {
  ({ server, port } = await startRegistryServer(fakeRegistry as unknown as Parameters<typeof startRegistryServer>[0]));
  dir = mkdtempSync(path.join(tmpdir(), "registry-server-"));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The request a shim sends (registry-server.ts, "Protocol"). */
function request(tool: string, args: readonly string[], env: Readonly<Record<string, string>>, stdin = ""): Buffer {
  return Buffer.concat([
    Buffer.from(`${args.length + 1}\n`),
    Buffer.from([tool, ...args].map((a) => `${a}\0`).join("")),
    Buffer.from(Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join("")),
    Buffer.from(`\0${stdin}\0`),
  ]);
}

/** Sends `data` in the pieces `cuts` (ascending offsets) makes, each written on its own turn of the event loop; resolves to the answer. */
function send(data: Buffer, cuts: readonly number[]): Promise<{ status: number; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const answer = Buffer.concat(chunks);
      const first = answer.indexOf(10);
      const second = answer.indexOf(10, first + 1);
      const errors = Number(answer.subarray(first + 1, second).toString());
      resolve({
        status: Number(answer.subarray(0, first).toString()),
        stderr: answer.subarray(second + 1, second + 1 + errors).toString(),
        stdout: answer.subarray(second + 1 + errors).toString(),
      });
    });
    const bounds = [0, ...cuts, data.length];
    const write = (i: number) => {
      if (i >= bounds.length - 1) return;
      socket.write(data.subarray(bounds[i], bounds[i + 1]), () => setTimeout(() => write(i + 1), 2));
    };
    socket.setNoDelay(true);
    write(0);
  });
}

function runShim(shim: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(shim, args, { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

test("a request that reaches the server in pieces (cut anywhere, also inside its count line) is answered as one sent at once", async () => {
  const env = { FAKE_REGISTRY_STATE: path.join(dir, "split.json"), FAKE_NOW: "2026-01-05T09:00:00Z" };
  await send(request("docker", ["buildx", "create", "--name", "b1"], env), []);
  const whole = request("docker", ["buildx", "inspect", "b1"], env);
  const expected = await send(whole, []);
  expect(expected).toEqual({ status: 0, stderr: "", stdout: "Name: b1\nDriver: docker-container\n" });
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { minLength: 1, maxLength: 4 }), async (cuts) => {
      expect(await send(whole, [...cuts].sort((a, b) => a - b))).toEqual(expected);
    }),
    { numRuns: 25 },
  );
});

test("the request carries no byte count: it is complete exactly at its last byte, whatever the arguments (empty, with newlines), environment and standard input", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "=", "\n", " ", "\u0001", "é") });
  fc.assert(
    fc.property(
      fc.constantFrom("docker", "aws", "buildctl"),
      fc.array(text, { maxLength: 5 }),
      fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), text, { maxKeys: 4 }),
      fc.string({ unit: fc.constantFrom("x", "\n", " ") }),
      (tool, args, env, stdin) => {
        const whole = request(tool, args, env, stdin);
        expect(parseRequest(whole)).toEqual({ tool, args, env, stdin });
        for (let cut = 0; cut < whole.length; cut++) expect(parseRequest(whole.subarray(0, cut))).toBeUndefined();
      },
    ),
    { numRuns: 60 },
  );
});

test("a refused call relays the registry's exit status and message, and its stdout stays empty", async () => {
  const env = { FAKE_REGISTRY_STATE: path.join(dir, "refused.json"), FAKE_NOW: "2026-01-05T09:00:00Z" };
  const missing = await send(request("docker", ["buildx", "imagetools", "inspect", "registry.example.com/acme/app:inputs-1"], env), [3, 20]);
  expect(missing).toEqual({ status: 1, stderr: "fake docker: ImageNotFoundException: inspect: registry.example.com/acme/app:inputs-1 does not exist\n", stdout: "" });
  const aws = await send(request("aws", ["ecr", "describe-images", "--repository-name", "acme/app", "--image-ids", "imageTag=x"], env), []);
  expect(aws.status).toBe(254);
});

test("calls of many shims at once all reach the registry: none is lost or answered from a stale state", async () => {
  const shim = path.join(dir, "docker");
  writeFileSync(shim, shimScript("docker", SCRIPT));
  chmodSync(shim, 0o755);
  const env = { FAKE_REGISTRY_PORT: String(port), FAKE_REGISTRY_STATE: path.join(dir, "concurrent.json"), FAKE_NOW: "2026-01-05T09:00:00Z" };
  const names = Array.from({ length: 16 }, (_, i) => `builder-${i}`);
  const created = await Promise.all(names.map((n) => runShim(shim, ["buildx", "create", "--name", n], env)));
  expect(created.map((r) => r.status)).toEqual(names.map(() => 0));
  const inspected = await Promise.all(names.map((n) => runShim(shim, ["buildx", "inspect", n], env)));
  expect(inspected.map((r) => r.stdout)).toEqual(names.map((n) => `Name: ${n}\nDriver: docker-container\n`));
  expect(fakeRegistry.load(env.FAKE_REGISTRY_STATE) as unknown as { builders: string[] }).toEqual(expect.objectContaining({ builders: expect.arrayContaining(names) }));
  const missing = await runShim(shim, ["buildx", "inspect", "nope"], env);
  expect(missing).toEqual({ status: 1, stdout: "", stderr: 'fake docker: NoSuchBuilder: no builder "nope" found\n' });
}, 60_000);
