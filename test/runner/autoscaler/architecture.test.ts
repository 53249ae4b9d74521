import fc from "fast-check";
import { parse as parseToml } from "smol-toml";
import { type MirrorEndpoint } from "../../../lib/mirror/mirror-endpoint";
import { buildUnprotectedAutoscaler } from "../../../lib/platform/unprotected-autoscaler";
import { GRAVITON_FAMILIES, architectureOfInstanceType } from "../../../lib/runner/architecture";
import { ARM64_INSTANCE_MEMORY_MIB } from "../../../lib/runner/autoscaler/capacity";
import { DockerAutoscalerFleet } from "../../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { type DockerAutoscalerFleetProps } from "../../../lib/runner/autoscaler/fleet-props";
import { WorkerGroup } from "../../../lib/runner/autoscaler/worker-group";
import { HOST_PATHS } from "../../../lib/runner/user-data";
import { resourcesOf, synth, testStack } from "../../support/synth";
import { expectViolation } from "../../support/violations";
import { fakeMirror, token } from "../fixtures";
import { autoscalerProps, forkRunner, mrRunner, natNetwork, writtenFile } from "./fixtures";

const PATH = "test/autoscaler";
const HELPER = "10.0.1.10:8082/gitlab-org/gitlab-runner/gitlab-runner-helper";
const AMI = (arch: string) => `resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`;

interface ManagerToml {
  runners: Array<{ name: string; docker: { helper_image?: string }; autoscaler: { connector_config: { arch: string } } }>;
}

function build(patch: Partial<DockerAutoscalerFleetProps>) {
  const stack = testStack();
  const fleet = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps(patch));
  const json = synth(stack).json;
  const toml = parseToml(writtenFile(fleet.managerUserData, HOST_PATHS.configTemplate)) as unknown as ManagerToml;
  const templates = Object.values(resourcesOf(json, "aws_launch_template"));
  const imageOf = (name: string) => templates.find((t) => t.name === name)?.image_id;
  return { fleet, toml, imageOf, templates };
}

describe("each worker group's architecture comes from its instance types", () => {
  test("an arm64 worker group (Graviton types alone, no `architecture`) gets arm64-v… helper tags, connector arch arm64 and the arm64 AMI; an x86_64 group of the same manager keeps its own", () => {
    const { fleet, toml, imageOf } = build({ runners: [{ ...mrRunner, workerInstanceTypes: ["m7g.large", "c7g.xlarge"] }, forkRunner] });
    const [mr, prot] = toml.runners;
    expect(mr!.docker.helper_image).toBe(`${HELPER}:arm64-v\${CI_RUNNER_VERSION}`);
    expect(mr!.autoscaler.connector_config.arch).toBe("arm64");
    expect(imageOf("acme-ci-dev-mr-workers")).toBe(AMI("arm64"));
    expect(prot!.docker.helper_image).toBe(`${HELPER}:x86_64-v\${CI_RUNNER_VERSION}`);
    expect(prot!.autoscaler.connector_config.arch).toBe("amd64");
    expect(imageOf("acme-ci-dev-fork-workers")).toBe(AMI("x86_64"));
    expect(fleet.workerArchitectures).toEqual({ mr: "arm64", fork: "x86_64" });
  });

  test("`architecture: arm64` alone: default Graviton workers, an arm64 manager type with its AMI and runner package", () => {
    const { fleet, toml, imageOf, templates } = build({ architecture: "arm64", runners: [mrRunner] });
    expect(toml.runners[0]!.docker.helper_image).toBe(`${HELPER}:arm64-v\${CI_RUNNER_VERSION}`);
    expect(fleet.managerArchitecture).toBe("arm64");
    const manager = templates.find((t) => t.name === "acme-ci-dev-runner-manager")!;
    // Before: t3.small (x86_64) with the arm64 AMI, which cannot launch.
    expect(manager.instance_type).toBe("t4g.small");
    expect(manager.image_id).toBe(AMI("arm64"));
    expect(fleet.managerUserData).toContain("gitlab-runner_arm64.rpm");
    expect(imageOf("acme-ci-dev-mr-workers")).toBe(AMI("arm64"));
  });

  test("the manager's AMI and runner package follow its own type, whatever the workers' architecture", () => {
    const { fleet, templates } = build({ managerInstanceType: "t3.small", runners: [{ ...mrRunner, workerInstanceTypes: ["m7g.large"] }] });
    expect(fleet.managerArchitecture).toBe("x86_64");
    expect(templates.find((t) => t.name === "acme-ci-dev-runner-manager")!.image_id).toBe(AMI("x86_64"));
    expect(fleet.managerUserData).toContain("gitlab-runner_amd64.rpm");
  });

  test("property: for worker types of one architecture, the helper tag, the connector arch and the AMI are that architecture's", () => {
    const arm = Object.keys(ARM64_INSTANCE_MEMORY_MIB);
    const x86 = ["m7i.large", "m6i.large", "m5.large", "c7i.xlarge", "m7a.large", "r7i.large"];
    fc.assert(
      fc.property(fc.oneof(fc.subarray(arm, { minLength: 1, maxLength: 3 }), fc.subarray(x86, { minLength: 1, maxLength: 3 })), (types) => {
        const expected = architectureOfInstanceType(types[0]!);
        const { toml, imageOf } = build({ runners: [{ ...mrRunner, workerInstanceTypes: types, jobMemoryMiB: 1024 }] });
        expect(toml.runners[0]!.docker.helper_image).toBe(`${HELPER}:${expected}-v\${CI_RUNNER_VERSION}`);
        expect(toml.runners[0]!.autoscaler.connector_config.arch).toBe(expected === "x86_64" ? "amd64" : "arm64");
        expect(imageOf("acme-ci-dev-mr-workers")).toBe(AMI(expected));
      }),
      { numRuns: 12, seed: 20261130 },
    );
    // The generator covers both architectures (the arm64 table holds Graviton families only).
    expect(arm.every((t) => GRAVITON_FAMILIES.includes(t.split(".")[0]!))).toBe(true);
  });
});

describe("bad input: architectures that cannot work", () => {
  test("worker types of two architectures in one group are refused, with both lists", () => {
    expectViolation(() => build({ runners: [{ ...mrRunner, workerInstanceTypes: ["m7i.large", "m7g.large"] }] }), {
      path: `${PATH}/runners[0]`,
      subject: "workerInstanceTypes",
      value: ["m7i.large", "m7g.large"],
      rule: /mix x86_64 \(m7i\.large\) and arm64 \(m7g\.large\)/,
      fix: /two docker-autoscaler runners, each with its own worker group/,
    });
  });

  test("an explicit architecture that disagrees with a runner's worker types is refused", () => {
    expectViolation(() => build({ architecture: "x86_64", runners: [{ ...mrRunner, workerInstanceTypes: ["m7g.large"] }] }), {
      path: `${PATH}/runners[0]`,
      subject: "architecture",
      value: "x86_64",
      rule: /the instance types \(m7g\.large\) are arm64/,
      fix: /set it to "arm64"/,
    });
  });

  test("a runner's own helper image tagged for another architecture is refused", () => {
    const helperImage = `${HELPER}:x86_64-v18.11.2`;
    expectViolation(() => build({ runners: [{ ...mrRunner, workerInstanceTypes: ["m7g.large"], docker: { ...mrRunner.docker, helperImage } }] }), {
      path: `${PATH}/runners[0]`,
      subject: "docker.helperImage",
      value: helperImage,
      rule: /names the x86_64 architecture, but the fleet's hosts are arm64/,
      fix: /arm64-v<version>/,
    });
  });

  test("a mirror that gives only an x86_64 helper image (no repository) is refused for arm64 workers, and used as is for x86_64 ones", () => {
    const { helperImageRepository: _omitted, ...x86Only } = fakeMirror;
    const mirror: MirrorEndpoint = x86Only;
    expectViolation(() => build({ mirror, runners: [{ ...mrRunner, workerInstanceTypes: ["m7g.large"] }] }), {
      path: `${PATH}/runners[0]/mirror`,
      subject: "helperImage",
      value: fakeMirror.helperImage,
      rule: /tagged for x86_64, but this runner's workers are arm64/,
      fix: /helperImageRepository/,
    });
    expect(build({ mirror, runners: [mrRunner] }).toml.runners[0]!.docker.helper_image).toBe(fakeMirror.helperImage);
  });

  test("WorkerGroup used on its own refuses an AMI architecture its instance types cannot boot", () => {
    const base = { groupName: "g-workers", network: natNetwork, managerSecurityGroupId: "sg-1", maxInstances: 2, purchase: "on-demand" as const, userData: "#cloud-config\n", volumeSizeGiB: 40 };
    expectViolation(() => new WorkerGroup(testStack(), "workers", { ...base, instanceTypes: ["m7g.large"], architecture: "x86_64" }), {
      path: "test/workers",
      subject: "architecture",
      value: "x86_64",
      rule: /are arm64/,
      fix: /arm64/,
    });
    expectViolation(() => new WorkerGroup(testStack(), "workers", { ...base, instanceTypes: ["m7g.large", "m7i.large"], architecture: "arm64" }), {
      path: "test/workers",
      subject: "instanceTypes",
      value: ["m7g.large", "m7i.large"],
      rule: /mix/,
      fix: /Graviton/,
    });
  });
});

test("the platform's unprotected pool with Graviton instance types gets arm64 workers and helper tags (no architecture setting exists there)", () => {
  const stack = testStack();
  const fleet = buildUnprotectedAutoscaler(stack, {
    fleetName: "acme-ci-dev-unprotected",
    pool: { mode: "docker-autoscaler", runners: [], instanceTypes: ["m7g.large", "m6g.large"] },
    definitions: [{ name: "mr", tokenSource: token("mr"), limit: 2, docker: { image: "alpine:3.20", dockerAccess: "none" } }],
    network: natNetwork,
    gitlabUrl: "https://gitlab.example.com",
    repositories: [],
    cache: { settings: { ...autoscalerProps().cache!.settings }, grantReadWrite: () => undefined },
    mirror: fakeMirror,
  });
  expect(fleet.workerArchitectures).toEqual({ mr: "arm64" });
  const toml = parseToml(writtenFile(fleet.managerUserData, HOST_PATHS.configTemplate)) as unknown as ManagerToml;
  expect(toml.runners[0]!.docker.helper_image).toBe(`${HELPER}:arm64-v\${CI_RUNNER_VERSION}`);
});
