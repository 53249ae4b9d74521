import { DOCKERD_CONFIG_KEYS, LOG_OPT_KEYS, daemonConfigDocument, renderDaemonJson, validateDaemonSettings, validateMirrorUrl } from "../../lib/runner/daemon-json";
import { TerraformStack, Testing } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { violationOf } from "../support/synth";

describe("daemon.json", () => {
  test("defaults: json-file logs rotated at 10m x 3, overlay2, 6 parallel downloads, no mirror", () => {
    expect(JSON.parse(renderDaemonJson("p", {}))).toEqual({
      "log-driver": "json-file",
      "log-opts": { "max-size": "10m", "max-file": "3" },
      "storage-driver": "overlay2",
      "max-concurrent-downloads": 6,
    });
  });

  test("an HTTP mirror with its insecure-registries entry", () => {
    const doc = JSON.parse(renderDaemonJson("p", { registryMirrors: ["http://10.0.1.10:8082"], insecureRegistries: ["10.0.1.10:8082"] }));
    expect(doc["registry-mirrors"]).toEqual(["http://10.0.1.10:8082"]);
    expect(doc["insecure-registries"]).toEqual(["10.0.1.10:8082"]);
  });

  test("every key we can write is a documented dockerd option, and log-opts fit the driver", () => {
    for (const logDriver of ["json-file", "local"] as const) {
      const doc = daemonConfigDocument({ registryMirrors: ["https://m.example.com"], insecureRegistries: ["m:1"], logDriver, logMaxSize: "1g", logMaxFiles: 2 });
      expect(Object.keys(doc).filter((k) => !DOCKERD_CONFIG_KEYS.includes(k))).toEqual([]);
      expect(Object.keys(doc["log-opts"] as object).filter((k) => !LOG_OPT_KEYS[logDriver].includes(k))).toEqual([]);
    }
  });
});

describe("mirror URL validation", () => {
  test.each(["https://mirror.example.com", "http://10.0.1.10:8082", "https://mirror.example.com/"])("accepts %p", (url) => {
    expect(() => validateMirrorUrl("p", "registryMirrors[0]", url)).not.toThrow();
  });

  test.each(["https://mirror.example.com/v2", "https://mirror.example.com/repository/docker-group", "mirror.example.com", "ftp://m.example.com", "https://u:p@m.example.com", "https://m.example.com?x=1"])(
    "rejects %p",
    (url) => {
      const error = violationOf(() => validateMirrorUrl("dev/fleet/mirror", "registryMirrors[0]", url));
      expect(error.message).toBe(
        `dev/fleet/mirror: invalid registryMirrors[0] ${JSON.stringify(url)}. Rule: a registry mirror is scheme + host[:port] (http or https) with no path, query or credentials; dockerd ignores paths and the mirror serves Docker Hub at its root. Fix: use e.g. https://mirror.example.com or http://10.0.1.10:8082; put a Nexus docker group on its own connector port instead of a path`,
      );
    },
  );

  test("checks the literal parts around a token host", () => {
    const ip = new SsmParameter(new TerraformStack(Testing.app(), "t"), "p", { name: "p", type: "String", value: "x" }).value;
    expect(() => validateMirrorUrl("p", "m", `http://${ip}:8082`)).not.toThrow();
    expect(() => validateMirrorUrl("p", "m", ip)).not.toThrow();
    expect(violationOf(() => validateMirrorUrl("p", "m", `http://${ip}:8082/repository/docker`)).subject).toBe("m");
  });

  test("an HTTP mirror without its insecure-registries entry", () => {
    const error = violationOf(() => validateDaemonSettings("p", { registryMirrors: ["http://10.0.1.10:8082"] }));
    expect(error.message).toMatch(/invalid registryMirrors "http:\/\/10\.0\.1\.10:8082"\. Rule: dockerd talks plain HTTP to a mirror only if its host:port is in insecure-registries\. Fix: add "10\.0\.1\.10:8082" to insecureRegistries/);
  });

  test.each([["http://10.0.1.10:8082"], ["10.0.1.10:8082/v2"]])("an insecure registry with scheme or path %p", (entry) => {
    expect(violationOf(() => validateDaemonSettings("p", { insecureRegistries: [entry] })).rule).toMatch(/host\[:port\] or a CIDR/);
  });

  test.each([[{ logMaxSize: "10MB" }], [{ logMaxFiles: 0 }], [{ maxConcurrentDownloads: 1.5 }]])("log rotation and download settings %p", (patch) => {
    expect(() => validateDaemonSettings("p", patch)).toThrow(/Rule:/);
  });
});
