import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { autoscalerConfigDocument } from "../../../lib/runner/autoscaler/autoscaler-toml";
import { HOST_PATHS } from "../../../lib/runner/user-data";
import { describeWithTool, runTool } from "../../support/conformance";
import { autoscalerFleet, writtenFile } from "./fixtures";
import struct from "./runner-config-struct.v18.11.2.json";

/**
 * Which Go struct of GitLab Runner 18.11.2 each table of config.toml is decoded into
 * (common/config.go, cache/cacheconfig/cacheconfig.go), as a path of table names.
 */
const TABLES: Readonly<Record<string, string>> = {
  "": "Config",
  runners: "RunnerConfig",
  "runners.docker": "DockerConfig",
  "runners.cache": "CacheConfig",
  "runners.cache.s3": "CacheS3Config",
  "runners.autoscaler": "AutoscalerConfig",
  "runners.autoscaler.connector_config": "ConnectorConfig",
  "runners.autoscaler.policy": "AutoscalerPolicyConfig",
  "runners.autoscaler.scale_throttle": "AutoscalerScaleThrottle",
};
/** `plugin_config` is a free map passed to the plugin as JSON: its keys are the AWS plugin's (README, "Plugin Configuration"). */
const PLUGIN_CONFIG_KEYS = ["name", "profile", "config_file", "credentials_file"];
const GO_DURATION = /^(\d+h)?(\d+m)?\d+s$/;

/** Does a TOML value (as tomllib's JSON) fit a Go field type the way BurntSushi/toml decodes it? */
function fits(goType: string, value: unknown): boolean {
  const type = goType.replace(/^\*/, "");
  // Named string types of the structs (cacheconfig.S3AuthType is `type S3AuthType string`).
  if (type === "string" || type === "S3AuthType") return typeof value === "string";
  if (type === "bool") return typeof value === "boolean";
  if (/^u?int(8|16|32|64)?$/.test(type)) return Number.isInteger(value);
  if (type === "float64") return typeof value === "number";
  // time.Duration from a string such as "20m0s" (GitLab's own examples write them so).
  if (type === "time.Duration") return typeof value === "string" && GO_DURATION.test(value);
  if (type === "[]string" || type === "StringOrArray") return Array.isArray(value) && value.every((v) => typeof v === "string");
  return false;
}

/** Every key of the document with its Go struct, field type, and whether the value fits. */
function problems(document: Record<string, unknown>): string[] {
  const found: string[] = [];
  const structs = struct.structs as Record<string, Record<string, string>>;
  const walk = (table: Record<string, unknown>, at: string) => {
    const structName = TABLES[at]!;
    for (const [key, value] of Object.entries(table)) {
      const child = at === "" ? key : `${at}.${key}`;
      const goType = structs[structName]![key];
      if (goType === undefined) {
        found.push(`${child}: no such key in ${structName}`);
        continue;
      }
      if (child === "runners.autoscaler.plugin_config") {
        Object.keys(value as object).filter((k) => !PLUGIN_CONFIG_KEYS.includes(k)).forEach((k) => found.push(`${child}.${k}: not a plugin setting`));
      } else if (TABLES[child] !== undefined) {
        const tables = Array.isArray(value) ? value : [value];
        if (Array.isArray(value) !== goType.startsWith("[]")) found.push(`${child}: table kind does not match ${goType}`);
        tables.forEach((t) => walk(t as Record<string, unknown>, child));
      } else if (!fits(goType, value)) {
        found.push(`${child}: ${JSON.stringify(value)} does not fit ${goType}`);
      }
    }
  };
  walk(document, "");
  return found;
}

const fleet = autoscalerFleet();
const toml = writtenFile(fleet.managerUserData, HOST_PATHS.configTemplate);
const work = mkdtempSync(path.join(tmpdir(), "autoscaler-conformance-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const file = path.join(work, name);
  writeFileSync(file, content);
  return file;
};

describe("config.toml keys against GitLab Runner 18.11.2's config structs (test data)", () => {
  test("the test data is the pinned version's", () => {
    expect(struct.version).toBe("18.11.2");
    expect(Object.keys(struct.structs.AutoscalerConfig)).toEqual(expect.arrayContaining(["capacity_per_instance", "max_use_count", "max_instances", "plugin", "delete_instances_on_shutdown"]));
  });

  test("every key of the manager's document exists in its table's struct, with a value of the field's type", () => {
    expect(problems(autoscalerConfigDocument(fleet.runnerConfig))).toEqual([]);
  });

  test("the check can fail: a misspelt key, a wrong type and a key in the wrong table are found", () => {
    const document = autoscalerConfigDocument(fleet.runnerConfig) as { runners: Array<Record<string, Record<string, unknown>>> };
    const broken = {
      ...document,
      runners: [{ ...document.runners[0], autoscaler: { ...document.runners[0]!.autoscaler, max_instance: 3, max_use_count: "1", idle_count: 2 } }],
    };
    expect(problems(broken)).toEqual([
      "runners.autoscaler.max_use_count: \"1\" does not fit int",
      "runners.autoscaler.max_instance: no such key in AutoscalerConfig",
      "runners.autoscaler.idle_count: no such key in AutoscalerConfig",
    ]);
  });
});

describeWithTool(
  "python3",
  "the manager's config.toml read by an independent TOML parser (python3 tomllib)",
  () => {
    test("parses back to the model's document, and passes the struct check as parsed", () => {
      const run = runTool("python3", ["-c", "import json, sys, tomllib; print(json.dumps(tomllib.load(sys.stdin.buffer)))"], { input: toml });
      expect(run.stderr).toBe("");
      const parsed = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(parsed).toEqual(autoscalerConfigDocument(fleet.runnerConfig));
      expect(problems(parsed)).toEqual([]);
      expect((parsed.runners as Array<{ autoscaler: { policy: unknown[] } }>)[0]!.autoscaler.policy).toHaveLength(2);
    });
  },
  ["-c", "import tomllib"],
);

describeWithTool(
  "cloud-init",
  "manager and worker user data",
  () => {
    test.each([
      ["manager", fleet.managerUserData],
      ["worker", fleet.workerUserData],
    ])("the %s's passes `cloud-init schema`", (name, userData) => {
      const run = runTool("cloud-init", ["schema", "--config-file", write(`${name}.yaml`, userData)]);
      expect({ status: run.status, output: (run.stdout + run.stderr).trim() }).toEqual({ status: 0, output: expect.stringMatching(/^Valid cloud-config: /) });
    });

    test("the schema check can fail (a misspelt write_files key)", () => {
      const broken = fleet.workerUserData.replace("permissions:", "permission:");
      expect(broken).not.toBe(fleet.workerUserData);
      expect(runTool("cloud-init", ["schema", "--config-file", write("broken.yaml", broken)]).status).not.toBe(0);
    });
  },
  ["--version"],
);

describeWithTool("shellcheck", "shell scripts in manager user data", () => {
  const keyFleet = autoscalerFleet({
    connector: {
      kind: "static-key",
      privateKey: { parameterName: "/acme-ci/dev/worker-key", parameterArn: "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/worker-key", grantRead: () => undefined },
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ci",
    },
  });
  const scripts = (parse(keyFleet.managerUserData) as { write_files: Array<{ path: string; content: string }> }).write_files.filter((f) => f.content.startsWith("#!"));

  test("the manager gets the token/drain script and, with a static key, the key script", () => {
    expect(scripts.map((s) => s.path)).toEqual([HOST_PATHS.script, "/usr/local/bin/autoscaler-manager"]);
  });

  test.each(scripts.map((s) => [s.path, s.content]))("%s passes shellcheck", (name, content) => {
    const run = runTool("shellcheck", ["--severity=style", write(path.basename(name), content)]);
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: "" });
  });
});
