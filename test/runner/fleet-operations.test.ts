import fc from "fast-check";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { RunnerRegistration, type RunnerScope } from "../../lib/gitlab/runner-registration";
import { EcrPullThroughMirror } from "../../lib/mirror/ecr-pull-through-mirror";
import { GRAVITON_FAMILIES, architectureOfImageId, architectureOfInstanceType } from "../../lib/runner/architecture";
import { RunnerFleet, type RunnerFleetProps, TOKEN_REVISION_TAG } from "../../lib/runner/fleet";
import { DIND_DAEMON_JSON_PATH, DIND_DAEMON_JSON_VOLUME, imageLocation, imageThroughMirror } from "../../lib/runner/image-mirror";
import { officeHours } from "../../lib/runner/schedule";
import { DataGitlabGroup } from "@cdktf/provider-gitlab/lib/data-gitlab-group";
import { replaceTokens } from "../../lib/core/tokens";
import { onlyResource, resourcesOf, synth, testStack, violationOf, type SynthJson } from "../support/synth";
import { fakeMirror, fleetProps, hostFile, token } from "./fixtures";

type Statement = { Action: string[]; Resource: string[] };
const statementsOf = (json: SynthJson): Statement[] =>
  Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap((p) => (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement);

function build(patch: Partial<RunnerFleetProps> = {}) {
  const stack = testStack();
  const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack, patch));
  return { stack, fleet };
}

/** The config.toml a host writes (tokens stay placeholders), parsed by an independent TOML parser. */
function hostConfig(fleet: RunnerFleet): { runners: Array<{ docker: Record<string, unknown> }> } {
  return parseToml(replaceTokens(hostFile(fleet, "/etc/runner-fleet/config.toml.template"), "TOKEN")) as never;
}

describe("CPU architecture", () => {
  test("Graviton families are arm64, the others x86_64; every family of the table follows the naming rule or is a1", () => {
    expect(["c7g.large", "m6gd.xlarge", "t4g.micro", "c7gn.2xlarge", "x2gd.large", "im4gn.large", "g5g.xlarge", "a1.medium", "r8g.large"].map(architectureOfInstanceType)).toEqual(
      Array(9).fill("arm64"),
    );
    expect(["m7i.xlarge", "m6a.large", "c5.large", "g4dn.xlarge", "m7i-flex.large", "x2idn.large", "inf2.xlarge", "t3.micro"].map(architectureOfInstanceType)).toEqual(Array(8).fill("x86_64"));
    expect(GRAVITON_FAMILIES.filter((f) => f !== "a1" && !/^[a-z]+\d+g/.test(f))).toEqual([]);
  });

  test("an arm64 fleet from instance types alone: the arm64 AMI parameter, the arm64 runner package, no x86_64 helper tag", () => {
    const { stack, fleet } = build({ instanceTypes: ["c7g.xlarge", "m7g.xlarge"], mirror: fakeMirror });
    expect(fleet.architecture).toBe("arm64");
    expect(onlyResource(synth(stack).json, "aws_launch_template").image_id).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    expect(fleet.userData).toContain("gitlab-runner_arm64.rpm");
    expect(fleet.userData).not.toContain("x86_64");
  });

  test("an arm64 fleet with a helper image through a mirror gets the arm64-v… tag; an x86_64 tag is refused", () => {
    const arm = `${fakeMirror.helperImageRepository ?? "10.0.1.10:8082/gitlab-org/gitlab-runner/gitlab-runner-helper"}:arm64-v\${CI_RUNNER_VERSION}`;
    const runners = (helperImage: string) => [{ name: "build", tokenSource: token("build"), limit: 2, docker: { image: "docker:27", dockerAccess: "none" as const, helperImage } }];
    const { fleet } = build({ instanceTypes: ["c7g.xlarge"], runners: runners(arm) });
    expect(hostConfig(fleet).runners[0]!.docker.helper_image).toMatch(/:arm64-v\$\{CI_RUNNER_VERSION\}$/);
    const e = violationOf(() => build({ instanceTypes: ["c7g.xlarge"], runners: runners(arm.replace("arm64-v", "x86_64-v")) }));
    expect([e.path, e.subject]).toEqual(["test/fleet/runners[0]", "docker.helperImage"]);
    expect(e.rule).toMatch(/names the x86_64 architecture, but the fleet's hosts are arm64/);
  });

  test("bad input: an AMI SSM parameter of the other architecture than the instance types (c7g.large with the x86_64 AL2023 parameter)", () => {
    const x86 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    const e = violationOf(() => build({ instanceTypes: ["c7g.large"], imageId: x86 }));
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet", "imageId", x86]);
    expect(e.rule).toMatch(/names an x86_64 AMI, but the instance types \(c7g\.large\) are arm64/);
    expect(e.fix).toMatch(/al2023-ami-kernel-default-arm64/);
    // The other way round, and a plain AMI id (its architecture is unknown here) passes.
    expect(() => build({ imageId: x86.replace("x86_64", "arm64") })).toThrow(/are x86_64/);
    expect(() => build({ instanceTypes: ["c7g.large"], imageId: "ami-0123456789abcdef0" })).not.toThrow();
  });

  test("the architecture an AMI parameter names: x86_64/amd64, arm64/aarch64 as words of the path; none or both is unknown", () => {
    const word = fc.constantFrom(...["al2023", "ami", "kernel", "default", "ubuntu", "jammy", "stable", "current", "22.04", "latest"]);
    const sep = fc.constantFrom("/", "-", "_", ".");
    const arch = fc.constantFrom(["x86_64", "x86_64"], ["amd64", "x86_64"], ["arm64", "arm64"], ["aarch64", "arm64"]);
    fc.assert(
      fc.property(fc.array(word, { maxLength: 4 }), arch, fc.array(word, { maxLength: 3 }), sep, (before, [name, expected], after, s) => {
        const parameter = ["", "aws", "service", ...before, name, ...after].join("/");
        expect(architectureOfImageId(`resolve:ssm:${parameter}`)).toBe(expected);
        expect(architectureOfImageId(`resolve:ssm:/x/${[...before, name, ...after].join(s)}`)).toBe(expected);
      }),
    );
    expect(architectureOfImageId("resolve:ssm:/aws/service/x/arm64-and-x86_64")).toBeUndefined();
    expect(architectureOfImageId("resolve:ssm:/acme/golden-ami")).toBeUndefined();
    expect(architectureOfImageId("ami-0123456789abcdef0")).toBeUndefined();
    // Words, not substrings: "warm64" is no architecture.
    expect(architectureOfImageId("resolve:ssm:/acme/warm64/image")).toBeUndefined();
  });

  test("bad input: instance types of two architectures in one fleet", () => {
    const e = violationOf(() => build({ instanceTypes: ["m7i.xlarge", "c7g.xlarge", "m6g.xlarge"] }));
    expect([e.path, e.subject]).toEqual(["test/fleet", "instanceTypes"]);
    expect(e.rule).toMatch(/mix x86_64 \(m7i\.xlarge\) and arm64 \(c7g\.xlarge, m6g\.xlarge\)/);
    expect(e.fix).toMatch(/use two fleets/);
  });

  test("bad input: an explicit architecture that disagrees with the instance types", () => {
    const e = violationOf(() => build({ instanceTypes: ["c7g.xlarge"], architecture: "x86_64" }));
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet", "architecture", "x86_64"]);
    expect(e.rule).toMatch(/the instance types \(c7g\.xlarge\) are arm64/);
    expect(violationOf(() => build({ architecture: "arm" as never })).rule).toBe("one of x86_64, arm64");
    // An agreeing explicit architecture, and the default types of an architecture, are fine.
    expect(build({ instanceTypes: ["c7g.xlarge"], architecture: "arm64" }).fleet.architecture).toBe("arm64");
    expect(build({ architecture: "arm64" }).fleet.architecture).toBe("arm64");
  });
});

describe("token lifecycle", () => {
  /** Synthesizes a fleet whose runner is registered in GitLab with `scope`; returns the launch template. */
  function templateWith(scope: RunnerScope) {
    const stack = testStack();
    const registration = new RunnerRegistration(stack, "build-runner", { scope, description: "acme build", untagged: true, parameterName: "/acme-ci/dev/runner/build/token" });
    new RunnerFleet(stack, "fleet", fleetProps(stack, { runners: [{ name: "build", tokenSource: registration, limit: 2, docker: { image: "docker:27", dockerAccess: "none" } }] }));
    return onlyResource(synth(stack).json, "aws_launch_template") as { tag_specifications: Array<{ tags: Record<string, string> }> };
  }

  test("changing a runner's registration (group to instance) changes the launch template, so the fleet rolls", () => {
    const group = templateWith({ type: "group", groupId: 42 });
    const instance = templateWith({ type: "instance" });
    expect(group).not.toEqual(instance);
    const revision = (t: typeof group) => t.tag_specifications[0]!.tags[TOKEN_REVISION_TAG]!;
    expect(revision(group)).not.toBe(revision(instance));
    // The revision also follows every new token value: the parameter's version is part of it.
    expect(revision(group)).toMatch(/sha256\(join\("", \["build=\/acme-ci\/dev\/runner\/build\/token@", join\("\/", \["group", "42", aws_ssm_parameter\.build-runner_token_[0-9A-F]+\.version\]\)/);
    expect(templateWith({ type: "group", groupId: 42 })).toEqual(group);
  });

  test("the revision of a registration with a group id reference is a clean Terraform expression (no escape warning from cdktf)", () => {
    const warnings: string[] = [];
    const spy = jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(String(args[0])));
    try {
      const stack = testStack();
      const group = new DataGitlabGroup(stack, "acme", { fullPath: "acme" });
      const registration = new RunnerRegistration(stack, "build-runner", { scope: { type: "group", groupId: group.groupId }, description: "acme build", untagged: true, parameterName: "/acme-ci/dev/runner/build/token" });
      new RunnerFleet(stack, "fleet", fleetProps(stack, { runners: [{ name: "build", tokenSource: registration, limit: 2, docker: { image: "docker:27", dockerAccess: "none" } }] }));
      const template = onlyResource(synth(stack).json, "aws_launch_template") as { tag_specifications: Array<{ tags: Record<string, string> }> };
      expect(template.tag_specifications[0]!.tags[TOKEN_REVISION_TAG]).toMatch(/join\("\/", \["group", data\.gitlab_group\.acme\.group_id, aws_ssm_parameter\./);
    } finally {
      spy.mockRestore();
    }
    expect(warnings).toEqual([]);
  });

  test("a token parameter managed outside Terraform gives a stable revision (hosts re-read it on 403)", () => {
    const tags = (name: string) => onlyResource(synth(build({ runners: [{ name: "build", tokenSource: token(name), limit: 1, docker: { image: "docker:27", dockerAccess: "none" } }] }).stack).json, "aws_launch_template") as never as { tag_specifications: Array<{ tags: Record<string, string> }> };
    expect(tags("build").tag_specifications[0]!.tags[TOKEN_REVISION_TAG]).toBe(tags("build").tag_specifications[0]!.tags[TOKEN_REVISION_TAG]);
    expect(tags("build").tag_specifications[0]!.tags[TOKEN_REVISION_TAG]).not.toBe(tags("other").tag_specifications[0]!.tags[TOKEN_REVISION_TAG]);
  });

  test("bad input: a token expiry shorter than the drain window", () => {
    const runners = (tokenLifetimeSeconds: number) => [{ name: "build", tokenSource: token("build"), limit: 1, tokenLifetimeSeconds, docker: { image: "docker:27", dockerAccess: "none" as const } }];
    const e = violationOf(() => build({ maxJobTimeoutSeconds: 3600, runners: runners(3000) }));
    expect([e.path, e.subject, e.value]).toEqual(["test/fleet/runners[0]", "tokenLifetimeSeconds", 3000]);
    expect(e.rule).toMatch(/outlive the drain window \(3900 s/);
    expect(build({ runners: runners(30 * 86_400) }).fleet.drainTimeoutSeconds).toBe(3900);
  });
});

describe("mirror resilience", () => {
  test("with the mirror's host gone, jobs still start: no image, helper or service names the mirror host; Docker Hub falls back in the daemon", () => {
    const dind = { name: "dind", tokenSource: token("dind"), limit: 1, docker: { image: "docker:27", dockerAccess: "dind" as const, privileged: true, services: [{ name: "docker:27-dind" }] } };
    const { fleet } = build({ mirror: fakeMirror, runners: [...fleetProps(testStack()).runners, dind] });
    const mirrorHost = "10.0.1.10";
    const config = hostConfig(fleet);
    for (const runner of config.runners) {
      const docker = runner.docker as { image: string; helper_image?: string; services?: Array<{ name: string }>; pull_policy: string[] };
      // The helper: the image bundled with the runner package (no pull at all).
      expect(docker.helper_image).toBeUndefined();
      // Job images by their Docker Hub names: dockerd tries the registry mirror, then Docker Hub.
      expect([docker.image, ...(docker.services ?? []).map((s) => s.name)].filter((i) => i.includes(mirrorHost))).toEqual([]);
    }
    const daemon = JSON.parse(hostFile(fleet, "/etc/docker/daemon.json")) as Record<string, string[]>;
    expect(daemon["registry-mirrors"]).toEqual(["http://10.0.1.10:8082"]);
  });

  test("docker:dind services get the mirror through a read-only daemon.json (the runner mounts its volumes into services)", () => {
    const dind = { name: "dind", tokenSource: token("dind"), limit: 1, docker: { image: "docker:27", dockerAccess: "dind" as const, privileged: true } };
    const { fleet } = build({ mirror: fakeMirror, runners: [dind] });
    expect((hostConfig(fleet).runners[0]!.docker.volumes as string[])).toContain(DIND_DAEMON_JSON_VOLUME);
    expect(JSON.parse(hostFile(fleet, DIND_DAEMON_JSON_PATH))).toEqual({ "registry-mirrors": ["http://10.0.1.10:8082"], "insecure-registries": ["10.0.1.10:8082"] });
    // Without dind, nothing of it.
    expect(fleet.userData).toContain(DIND_DAEMON_JSON_PATH);
    expect(build({ mirror: fakeMirror }).fleet.userData).not.toContain(DIND_DAEMON_JSON_PATH);
  });

  test("bad input: a dind service started with --registry-mirror or --insecure-registry while the daemon.json is mounted (dockerd refuses a directive given as flag and in the file)", () => {
    const dind = (command: string[]) => ({ name: "dind", tokenSource: token("dind"), limit: 1, docker: { image: "docker:27", dockerAccess: "dind" as const, privileged: true, services: [{ name: "docker:27-dind" }, { name: "docker:27-dind", alias: "docker2", command }] } });
    for (const command of [["--registry-mirror", "https://mirror.gcr.io"], ["--tls=false", "--registry-mirror=https://mirror.gcr.io"], ["--insecure-registry=10.0.0.5:5000"]]) {
      const e = violationOf(() => build({ mirror: fakeMirror, runners: [dind(command)] }));
      expect([e.path, e.subject, e.value]).toEqual(["test/fleet/runners[0]", "docker.services[1].command", command]);
      expect(e.rule).toMatch(/both as a flag \(--(registry-mirror|insecure-registry)[^)]*\) and in the configuration file/);
      expect(e.fix).toMatch(/remove the flag/);
    }
    // Other flags pass; without a daemon mirror (no file mounted) the flag is the user's own.
    expect(() => build({ mirror: fakeMirror, runners: [dind(["--tls=false", "--mtu=1400"])] })).not.toThrow();
    expect(() => build({ runners: [dind(["--registry-mirror", "https://mirror.gcr.io"])] })).not.toThrow();
    expect(() => build({ mirror: { ...fakeMirror, registryMirrors: ["https://mirror.example.com"], insecureRegistries: [] }, runners: [dind(["--insecure-registry=10.0.0.5:5000"])] })).not.toThrow();
  });
});

describe("ECR pull-through mirror", () => {
  function pullThrough(scope: ReturnType<typeof testStack>) {
    const rules = [
      { prefix: "docker-hub", upstream: "docker-hub" as const, upstreamRegistryUrl: "registry-1.docker.io" },
      { prefix: "gitlab", upstream: "gitlab-container-registry" as const, upstreamRegistryUrl: "registry.gitlab.com" },
    ];
    return new EcrPullThroughMirror(scope, "mirror", { registry: { pullThroughCacheRules: rules }, accountId: "111111111111", region: "eu-central-1" });
  }

  test("default images and services are rewritten to the pull-through prefixes; ECR credentials for the mirror; the host role can import through it", () => {
    const stack = testStack();
    const mirror = pullThrough(stack);
    const runners = [{ name: "build", tokenSource: token("build"), limit: 2, docker: { image: "docker:27", dockerAccess: "dind" as const, privileged: true, services: [{ name: "docker:27-dind", alias: "docker" }, { name: "registry.gitlab.com/acme/tools/db:1" }] } }];
    const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack, { mirror: mirror.endpoint, runners }));
    const ecr = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
    const docker = hostConfig(fleet).runners[0]!.docker as { image: string; services: Array<{ name: string; alias?: string }>; helper_image?: string };
    expect(docker.image).toBe(`${ecr}/docker-hub/library/docker:27`);
    expect(docker.services).toEqual([{ name: `${ecr}/docker-hub/library/docker:27-dind`, alias: "docker" }, { name: `${ecr}/gitlab/acme/tools/db:1` }]);
    expect(docker.helper_image).toBeUndefined();
    const auth = JSON.parse(fleet.runnerConfig.runners[0]!.environment!.DOCKER_AUTH_CONFIG!) as { credHelpers: Record<string, string> };
    expect(auth.credHelpers[ecr]).toBe("ecr-login");
    // The fleet granted itself what pulling through the cache needs (nobody called grantPullThrough).
    const importing = statementsOf(synth(stack).json).find((s) => s.Action.includes("ecr:BatchImportUpstreamImage"));
    expect(importing?.Resource).toEqual(["arn:aws:ecr:eu-central-1:111111111111:repository/docker-hub/*", "arn:aws:ecr:eu-central-1:111111111111:repository/gitlab/*"]);
  });

  test("image locations follow docker's normalisation", () => {
    expect(imageLocation("alpine:3.20")).toEqual({ host: "registry-1.docker.io", path: "library/alpine:3.20" });
    expect(imageLocation("bitnami/kubectl:1.30")).toEqual({ host: "registry-1.docker.io", path: "bitnami/kubectl:1.30" });
    expect(imageLocation("docker.io/alpine")).toEqual({ host: "registry-1.docker.io", path: "library/alpine" });
    expect(imageLocation("registry.gitlab.com/a/b:1")).toEqual({ host: "registry.gitlab.com", path: "a/b:1" });
    expect(imageLocation("localhost:5000/x")).toEqual({ host: "localhost:5000", path: "x" });
  });

  test("property: rewriting keeps the tag and is idempotent; a host mirror (daemon mirrors) rewrites nothing", () => {
    const endpoint = pullThrough(testStack()).endpoint;
    const name = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 3 }), name, (parts, tag) => {
        const image = `${parts.join("/")}:${tag}`;
        const once = imageThroughMirror(image, endpoint);
        expect(once.endsWith(`:${tag}`)).toBe(true);
        expect(imageThroughMirror(once, endpoint)).toBe(once);
        expect(imageThroughMirror(image, fakeMirror)).toBe(image);
      }),
    );
  });
});

describe("bad input", () => {
  test("a root volume above gp3's maximum size, IOPS or throughput", () => {
    const big = violationOf(() => build({ rootVolume: { sizeGiB: 20_000 } }));
    expect([big.subject, big.value]).toEqual(["rootVolume.sizeGiB", 20_000]);
    expect(big.rule).toMatch(/gp3, whose maximum size is 16384 GiB/);
    expect(violationOf(() => build({ imageStorageGiB: 16_380 })).subject).toBe("imageStorageGiB");
    expect(violationOf(() => build({ rootVolume: { iops: 20_000 } })).rule).toMatch(/3000 to 16000 IOPS, at most 500 per GiB \(16000 for 70 GiB\)/);
    expect(violationOf(() => build({ rootVolume: { iops: 3000, throughputMiBps: 1000 } })).rule).toMatch(/at most 0\.25 MiB\/s per IOPS \(750 for 3000 IOPS\)/);
  });

  test("a fleet that can never start a host: min = max = 0 with job-slot scaling and no schedule", () => {
    const e = violationOf(() => build({ capacity: { minSize: 0, maxSize: 0 } }));
    expect(e.subject).toBe("capacity and schedules");
    expect(e.rule).toMatch(/can never start a host/);
    // The same sizes with a schedule that starts the fleet are fine.
    expect(build({ capacity: { minSize: 0, maxSize: 0 }, schedules: officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 3 }) }).fleet).toBeDefined();
  });

  test("a rebalance wait or disk clean-up threshold out of range", () => {
    expect(violationOf(() => build({ rebalanceWaitSeconds: -1 })).subject).toBe("rebalanceWaitSeconds");
    expect(violationOf(() => build({ diskCleanupThresholdPercent: 100 })).subject).toBe("diskCleanupThresholdPercent");
    expect(hostFile(build({ diskCleanupThresholdPercent: 60 }).fleet, "/etc/runner-fleet/fleet.env")).toContain("DISK_HIGH_PERCENT=60\n");
  });

  test("office hours that start at or after they end", () => {
    const e = violationOf(() => officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 2, startHour: 20, endHour: 7 }));
    expect([e.path, e.subject]).toEqual(["officeHours", "startHour and endHour"]);
    expect(e.fix).toMatch(/swap them \(startHour 7, endHour 20\)/);
    expect(violationOf(() => officeHours({ timeZone: "UTC", minSize: 1, maxSize: 2, startHour: 24 })).subject).toBe("startHour");
  });
});

test("the user data names the fleet's own metric namespace and rebalance wait", () => {
  const { fleet } = build({ instanceWarmupSeconds: 120 });
  const env = hostFile(fleet, "/etc/runner-fleet/fleet.env");
  expect(env).toContain("METRIC_NAMESPACE=GitLab/RunnerFleet/acme-ci-dev\n");
  expect(env).toContain("REBALANCE_WAIT=420\n");
  expect((parseYaml(fleet.userData) as { write_files: unknown[] }).write_files.length).toBeGreaterThan(5);
});
