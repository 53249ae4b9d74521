import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { renderRawGatewayConfig } from "../../lib/mirror/raw-gateway";
import { describeWithTool, runTool } from "../support/conformance";

/*
 * The raw-proxy gateway's nginx configuration, run by a real nginx in front
 * of a stub "Nexus" that records what reaches it: only GET/HEAD under the
 * configured raw proxies pass; the UI, the REST API, other repositories,
 * other methods and ambiguous spellings (.., ;, encoded dots and slashes)
 * never reach Nexus.
 */

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createNetServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

/** A raw HTTP/1.1 request, so the path is sent exactly as written (no client-side normalisation). */
function rawRequest(port: number, method: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`${method} ${target} HTTP/1.1\r\nHost: mirror.ci.internal\r\nConnection: close\r\n\r\n`));
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on("error", reject);
  });
}

describeWithTool(
  "nginx",
  "raw-proxy gateway in front of Nexus",
  () => {
    let dir: string;
    let nexus: Server;
    let nginx: ChildProcess;
    let gatewayPort: number;
    const reached: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "raw-gateway-"));
      nexus = createServer((req, res) => {
        reached.push(`${req.method} ${req.url}`);
        res.end("nexus");
      });
      await new Promise<void>((resolve) => nexus.listen(0, "127.0.0.1", resolve));
      const nexusPort = (nexus.address() as AddressInfo).port;
      gatewayPort = await freePort();
      const server = renderRawGatewayConfig({ listenPort: gatewayPort, nexusPort, repositories: ["lang-common", "buildpack-registry"] }).replace(
        `listen ${gatewayPort};`,
        `listen 127.0.0.1:${gatewayPort};`,
      );
      // The image's nginx.conf wraps conf.d/*.conf in an http block; the test does the same.
      const conf = [
        "daemon off;",
        "pid " + path.join(dir, "nginx.pid") + ";",
        "error_log " + path.join(dir, "error.log") + ";",
        "events {}",
        "http {",
        "  access_log off;",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${path.join(dir, t)};`),
        server,
        "}",
      ].join("\n");
      writeFileSync(path.join(dir, "nginx.conf"), conf);
      const syntax = runTool("nginx", ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")]);
      expect(syntax.stderr).toMatch(/syntax is ok/);
      nginx = spawn("nginx", ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: "ignore" });
      for (let i = 0; i < 50; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const r = request({ host: "127.0.0.1", port: gatewayPort, path: "/" }, () => resolve(true));
          r.on("error", () => resolve(false));
          r.end();
        });
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    afterAll(async () => {
      nginx?.kill("SIGTERM");
      await new Promise<void>((resolve) => nexus.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(() => reached.splice(0));

    test.each([
      ["GET", "/repository/lang-common/buildpack-stdlib/v8/stdlib.sh"],
      ["HEAD", "/repository/lang-common/buildpack-stdlib/v8/stdlib.sh"],
      ["GET", "/repository/buildpack-registry/index.json"],
    ])("%s %s reaches Nexus unchanged", async (method, target) => {
      expect(await rawRequest(gatewayPort, method, target)).toBe(200);
      expect(reached).toEqual([`${method} ${target}`]);
    });

    test.each([
      ["GET", "/"],
      ["GET", "/service/rest/v1/status"],
      ["GET", "/service/rest/v1/security/users"],
      ["POST", "/service/rest/v1/script"],
      ["GET", "/#admin/security/users"],
      ["GET", "/repository/docker-hub/v2/"],
      ["GET", "/repository/lang-commonx/file"],
      ["PUT", "/repository/lang-common/file"],
      ["DELETE", "/repository/lang-common/file"],
      ["POST", "/repository/lang-common/file"],
      ["GET", "/repository/lang-common/../../service/rest/v1/status"],
      ["GET", "/repository/lang-common/%2e%2e/%2e%2e/service/rest/v1/status"],
      ["GET", "/repository/lang-common/..;/..;/service/rest/v1/status"],
      ["GET", "/repository/lang-common/%2F..%2F..%2Fservice/rest"],
      ["GET", "/repository/lang-common/..%5c..%5cservice"],
      ["GET", "/repository/lang-common/;jsessionid=x"],
    ])("%s %s is refused and never reaches Nexus", async (method, target) => {
      const status = await rawRequest(gatewayPort, method, target);
      expect([400, 403, 405]).toContain(status);
      expect(reached).toEqual([]);
    });
  },
  ["-v"],
);

describe("raw-proxy gateway configuration (no tool needed)", () => {
  test("one GET-only location per raw proxy, everything else 403, ambiguous raw URIs refused first", () => {
    const text = renderRawGatewayConfig({ listenPort: 8090, nexusPort: 8081, repositories: ["lang-common"] });
    expect(text).toContain("listen 8090;");
    expect(text.match(/location /g)).toHaveLength(2);
    expect(text).toMatch(/location \/ \{\n\s+return 403;/);
    expect(text).toMatch(/location \^~ \/repository\/lang-common\/ \{\n\s+limit_except GET \{\n\s+deny all;/);
    expect(text.indexOf("$request_uri")).toBeLessThan(text.indexOf("location"));
  });

  test("a repository name that could break out of its location is a programming error", () => {
    expect(() => renderRawGatewayConfig({ listenPort: 8090, nexusPort: 8081, repositories: ["a/ { return 200; } #"] })).toThrow(/unsafe repository name/);
  });
});
