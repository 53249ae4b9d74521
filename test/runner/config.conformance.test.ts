import { runnerConfigDocument } from "../../lib/runner/config-toml";
import { DOCKERD_CONFIG_KEYS, LOG_OPT_KEYS } from "../../lib/runner/daemon-json";
import { HOST_PATHS } from "../../lib/runner/user-data";
import { describeWithTool, runTool } from "../support/conformance";
import { hostFile, literalFleet } from "./fixtures";

const fleet = literalFleet();

describeWithTool(
  "python3",
  "config.toml read by an independent TOML parser (python3 tomllib)",
  () => {
    test("parses back to the model's values, every key and default", () => {
      const run = runTool("python3", ["-c", "import json, sys, tomllib; print(json.dumps(tomllib.load(sys.stdin.buffer)))"], {
        input: hostFile(fleet, HOST_PATHS.configTemplate),
      });
      expect(run.stderr).toBe("");
      expect(JSON.parse(run.stdout)).toEqual(runnerConfigDocument(fleet.runnerConfig));
    });

    test("the parser can fail (an unescaped quote)", () => {
      expect(runTool("python3", ["-c", "import sys, tomllib; tomllib.load(sys.stdin.buffer)"], { input: 'name = "a"b"\n' }).status).not.toBe(0);
    });
  },
  ["-c", "import tomllib"],
);

describe("daemon.json in runner host user data", () => {
  test("every key is a documented dockerd option (dockerd reference, Linux daemon.json)", () => {
    const daemon = JSON.parse(hostFile(fleet, HOST_PATHS.daemonJson)) as Record<string, unknown>;
    expect(Object.keys(daemon).filter((k) => !DOCKERD_CONFIG_KEYS.includes(k))).toEqual([]);
    expect(Object.keys(daemon["log-opts"] as object).filter((k) => !LOG_OPT_KEYS["json-file"].includes(k))).toEqual([]);
    expect(daemon["registry-mirrors"]).toEqual(["http://10.0.1.10:8082"]);
    expect(daemon["insecure-registries"]).toEqual(["10.0.1.10:8082"]);
  });
});
