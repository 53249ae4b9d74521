import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { ExistingNetwork } from "../../../lib/network/existing-network";
import { DockerAutoscalerFleet } from "../../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { type AutoscalerRunnerDefinition } from "../../../lib/runner/autoscaler/fleet-props";
import { renderAutoscalerConfig } from "../../../lib/runner/autoscaler/autoscaler-toml";
import { annotationsOf } from "../../support/annotations";
import { testStack } from "../../support/synth";
import { expectViolation } from "../../support/violations";
import { autoscalerFleet, autoscalerProps, cacheAt, forkRunner, mrRunner, protectedRunner } from "./fixtures";

const PATH = "test/autoscaler";
const withRunner = (patch: Partial<AutoscalerRunnerDefinition>) => ({ runners: [{ ...mrRunner, ...patch }] });
const withProtected = (patch: Partial<AutoscalerRunnerDefinition>) => ({ runners: [{ ...protectedRunner, ...patch }] });

describe("the plugin version is pinned exactly", () => {
  test.each(["latest", "1", "1.1", "^1.1.0", "~1.1.0", ">=1.0.0", "v1.1.0", "1.1.x", ""])("%j is refused", (version) => {
    expectViolation(() => autoscalerFleet({ pluginVersion: version }), {
      path: PATH,
      subject: "fleeting plugin version",
      value: version,
      rule: /exact MAJOR\.MINOR\.PATCH/,
      fix: /exact release such as 1\.1\.0/,
    });
  });

  test.each(["1.1.0", "1.0.0", "2.0.0-rc.1"])("%j is accepted", (version) => {
    expect(autoscalerFleet({ pluginVersion: version }).runnerConfig.runners[0]!.autoscaler.pluginVersion).toBe(version);
  });

  test("the config model refuses an unpinned version too (plain-JavaScript callers of the renderer)", () => {
    const fleet = autoscalerFleet();
    const config = { ...fleet.runnerConfig, runners: fleet.runnerConfig.runners.map((r) => ({ ...r, autoscaler: { ...r.autoscaler, pluginVersion: "latest" } })) };
    expectViolation(() => renderAutoscalerConfig("model", config), { path: "model/runners[0]", subject: "fleeting plugin version", value: "latest", rule: /exact/, fix: /1\.1\.0/ });
  });
});

describe("untrusted pools get single-use workers", () => {
  test("max_use_count > 1 on an unprotected pool without a reason is refused", () => {
    expectViolation(() => autoscalerFleet(withRunner({ maxUseCount: 20, docker: { image: "alpine:3.20", dockerAccess: "none" } })), {
      path: `${PATH}/runners[0]`,
      subject: "maxUseCount",
      value: 20,
      rule: /fresh VM per job/,
      fix: /maxUseCountReason/,
    });
  });

  test("with an explicit reason (and no socket binding or privileged mode) it is accepted", () => {
    const fleet = autoscalerFleet(
      withRunner({ maxUseCount: 20, maxUseCountReason: "only lint jobs of one internal project", docker: { image: "alpine:3.20", dockerAccess: "none" } }),
    );
    expect(fleet.runnerConfig.runners[0]!.autoscaler.maxUseCount).toBe(20);
  });

  test("reused untrusted workers never get socket binding, even with a reason", () => {
    expectViolation(() => autoscalerFleet(withRunner({ maxUseCount: 5, maxUseCountReason: "only lint jobs of one internal project" })), {
      path: `${PATH}/runners[0]`,
      subject: "docker access on reused untrusted workers",
      value: { maxUseCount: 5, dockerAccess: "socket-binding", privileged: false },
      rule: /root on its worker/,
      fix: /maxUseCount 1/,
    });
  });

  test("an architecture or purchase option outside the model is refused at run time (plain JavaScript)", () => {
    expectViolation(() => autoscalerFleet({ architecture: "aarch64" as never }), { path: PATH, subject: "architecture", value: "aarch64", rule: /x86_64, arm64/, fix: /arm64/ });
    expectViolation(() => autoscalerFleet(withRunner({ workerPurchase: "reserved" as never })), {
      path: `${PATH}/runners[0]`,
      subject: "workerPurchase",
      value: "reserved",
      rule: /on-demand, spot/,
      fix: /on-demand/,
    });
  });

  test("a trust level outside the model is refused at run time (plain JavaScript)", () => {
    expectViolation(() => autoscalerFleet(withRunner({ trustLevel: "trusted" as never })), {
      path: `${PATH}/runners[0]`,
      subject: "trustLevel",
      value: "trusted",
      rule: /protected, unprotected/,
      fix: /unprotected/,
    });
  });
});

describe("capacity per instance fits the worker's memory", () => {
  test("4 jobs of 2 GiB do not fit an 8 GiB worker next to the system", () => {
    expectViolation(() => autoscalerFleet(withProtected({ capacityPerInstance: 4 })), {
      path: `${PATH}/runners[0]`,
      subject: "capacityPerInstance",
      value: 4,
      rule: /4 jobs of 2048 MiB need 9216 MiB .* fits 3/,
      fix: /at most 3/,
    });
  });

  test("the smallest type decides, and an unknown type needs its memory stated", () => {
    expectViolation(() => autoscalerFleet(withProtected({ capacityPerInstance: 3, workerInstanceTypes: ["m7i.xlarge", "c7i.large"] })), {
      path: `${PATH}/runners[0]`,
      subject: "capacityPerInstance",
      value: 3,
      rule: /fits 1/,
      fix: /at most 1/,
    });
    expectViolation(() => autoscalerFleet(withRunner({ workerInstanceTypes: ["x9z.huge"] })), {
      path: `${PATH}/runners[0]`,
      subject: "workerInstanceTypes",
      value: "x9z.huge",
      rule: /not in the instance memory tables/,
      fix: /workerMemoryMiB/,
    });
    expect(autoscalerFleet(withProtected({ workerInstanceTypes: ["x9z.huge"], workerMemoryMiB: 65536, capacityPerInstance: 8 })).runnerConfig.runners[0]!.limit).toBe(32);
  });
});

describe("a worker group belongs to one runner of one manager", () => {
  test("two runners of one fleet naming the same group are refused", () => {
    expectViolation(() => autoscalerFleet({ runners: [mrRunner, { ...forkRunner, workerGroupName: "acme-ci-dev-mr-workers" }] }), {
      path: `${PATH}/runners[1]`,
      subject: "workerGroupName",
      value: "acme-ci-dev-mr-workers",
      rule: /runner mr already uses it/,
      fix: /different one/,
    });
  });

  test("a second fleet in the stack using another fleet's group is refused", () => {
    const stack = testStack();
    new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps());
    expectViolation(() => new DockerAutoscalerFleet(stack, "other", autoscalerProps({ fleetName: "acme-ci-other", runners: [{ ...mrRunner, workerGroupName: "acme-ci-dev-mr-workers" }] })), {
      path: "test/other/runners[0]",
      subject: "workerGroupName",
      value: "acme-ci-dev-mr-workers",
      rule: /test\/autoscaler runner mr already uses the name/,
      fix: /its own workerGroupName/,
    });
  });
});

describe("EC2 Instance Connect needs a route to its API", () => {
  const network = (reaches?: boolean) =>
    new ExistingNetwork("fixture/network", { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d"], reachesEc2InstanceConnectApi: reaches });

  test.each([false, undefined])("a network with reachesEc2InstanceConnectApi %s is refused", (reaches) => {
    expectViolation(() => autoscalerFleet({ network: network(reaches) }), {
      path: PATH,
      subject: "network.reachesEc2InstanceConnectApi",
      value: reaches,
      rule: /hang in preparation/,
      fix: /VPC endpoint.*static-key/,
    });
  });

  test("the static key works without it, and refuses a private key pasted as the public one", () => {
    const privateKey = { parameterName: "/k", parameterArn: "arn:aws:ssm:eu-central-1:111111111111:parameter/k", grantRead: () => undefined };
    expect(() => autoscalerFleet({ network: network(false), connector: { kind: "static-key", privateKey, publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ci" } })).not.toThrow();
    expectViolation(() => autoscalerFleet({ network: network(false), connector: { kind: "static-key", privateKey, publicKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn==\n-----END OPENSSH PRIVATE KEY-----" } }), {
      path: PATH,
      subject: "connector.publicKey",
      value: "(a private key, not shown)",
      rule: /public key line/,
      fix: /\.pub file/,
    });
  });
});

describe("caches do not cross trust levels", () => {
  test("one shared cache prefix for an unprotected and a protected pool is refused", () => {
    expectViolation(() => autoscalerFleet({ runners: [{ ...mrRunner, cache: undefined }, { ...protectedRunner, cache: undefined }] }), {
      path: `${PATH}/runners[1]`,
      subject: "cache",
      value: { bucket: "acme-ci-dev-runner-cache", path: "gitlab-runner", shared: true },
      rule: /runner mr \(unprotected\) uses this cache prefix or one nested with it.*mr's untrusted jobs could plant cache entries/,
      fix: /cachePathOf/,
    });
  });

  test("nested prefixes across trust levels are refused too", () => {
    expectViolation(() => autoscalerFleet({ runners: [mrRunner, { ...protectedRunner, cache: cacheAt("gitlab-runner") }] }), {
      path: `${PATH}/runners[1]`,
      subject: "cache",
      value: { bucket: "acme-ci-dev-runner-cache", path: "gitlab-runner", shared: true },
      rule: /nested/,
      fix: /cachePathOf/,
    });
  });

  test("a prefix per trust level is accepted (one fleet per level, side by side)", () => {
    const stack = testStack();
    const fleet = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps());
    const prot = new DockerAutoscalerFleet(stack, "protected", autoscalerProps({ fleetName: "acme-ci-dev-prot", runners: [protectedRunner] }));
    expect([...fleet.runnerConfig.runners, ...prot.runnerConfig.runners].map((r) => r.cache?.path)).toEqual(["gitlab-runner/unprotected", "gitlab-runner/unprotected", "gitlab-runner/protected"]);
  });
});

describe("policies and limits", () => {
  test("a policy period must be a cron range and its time zone an IANA name", () => {
    expectViolation(() => autoscalerFleet(withRunner({ policies: [{ timeZone: "UTC", idleCount: 0, idleTimeSeconds: 600, periods: ["* 25 * * *"] }] })), {
      path: `${PATH}/runners[0]/policies[0]`,
      subject: "periods[0]",
      value: "* 25 * * *",
      rule: /outside 0-23/,
      fix: /MON-FRI/,
    });
    expectViolation(() => autoscalerFleet(withRunner({ policies: [{ timeZone: "europe/berlin", idleCount: 0, idleTimeSeconds: 600 }] })), {
      path: `${PATH}/runners[0]/policies[0]`,
      subject: "timeZone",
      value: "europe/berlin",
      rule: /spelled Europe\/Berlin/,
      fix: /IANA|Europe\/Berlin/,
    });
  });

  test("concurrent below the sum of the limits is refused", () => {
    expectViolation(() => autoscalerFleet({ concurrent: 12 }), { path: PATH, subject: "concurrent", value: 12, rule: /mr: 10 \+ fork: 4 = 14/, fix: /raise concurrent to 14/ });
  });

  test("a model whose limit is not max_instances x capacity_per_instance is refused", () => {
    const fleet = autoscalerFleet();
    const config = { ...fleet.runnerConfig, runners: fleet.runnerConfig.runners.map((r, i) => (i === 1 ? { ...r, limit: 8 } : r)) };
    expectViolation(() => renderAutoscalerConfig("model", config), { path: "model/runners[1]", subject: "limit", value: 8, rule: /4 × 1 = 4/, fix: /set limit to 4/ });
  });

  test("several jobs per worker with idle_count 0 is warned about (reported never to reach zero)", () => {
    const stack = testStack();
    new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps(withProtected({ capacityPerInstance: 2, policies: [{ timeZone: "UTC", idleCount: 0, idleTimeSeconds: 600 }] })));
    expect(annotationsOf(stack).filter((a) => a.level === "warning").map((a) => a.message)).toEqual([expect.stringMatching(/capacity_per_instance 2 with idle_count 0.*never to reach zero/)]);
    const quiet = testStack();
    new DockerAutoscalerFleet(quiet, "autoscaler", autoscalerProps(withRunner({})));
    expect(annotationsOf(quiet).filter((a) => a.level === "warning")).toEqual([]);
  });
});

describe("maxJobTimeoutSeconds: the rule RunnerFleet and the configuration apply", () => {
  test("a timeout under a minute is refused as by RunnerFleet", () => {
    expectViolation(() => autoscalerFleet({ maxJobTimeoutSeconds: 30 }), { path: PATH, subject: "maxJobTimeoutSeconds", value: 30, rule: /^a whole number of seconds ≥ 60$/, fix: /longest job timeout/ });
  });

  test("a timeout whose drain outlasts the lifecycle hook's 48 h names the largest timeout that fits", () => {
    expectViolation(() => autoscalerFleet({ maxJobTimeoutSeconds: 172_600 }), {
      path: PATH,
      subject: "maxJobTimeoutSeconds",
      value: 172_600,
      rule: /holds an instance at most 172800 s .* longest job plus 300 s/,
      fix: /at most 172500 s/,
    });
  });
});

describe("one fleet serves one trust level", () => {
  test("a fleet mixing an unprotected and a protected runner is refused (pulls and credHelpers are fleet-wide)", () => {
    expectViolation(() => autoscalerFleet({ runners: [mrRunner, protectedRunner] }), {
      path: `${PATH}/runners[1]`,
      subject: "trustLevel",
      value: "protected",
      rule: /one fleet serves one trust level.*mr is unprotected and protected is protected.*credHelpers are fleet-wide/,
      fix: /one DockerAutoscalerFleet per trust level/,
    });
    expectViolation(() => autoscalerFleet({ runners: [protectedRunner, forkRunner] }), { path: `${PATH}/runners[1]`, subject: "trustLevel", value: "unprotected", rule: /one trust level/, fix: /per trust level/ });
  });

  test("fleets of one trust level are accepted", () => {
    expect(autoscalerFleet({ runners: [protectedRunner, { ...protectedRunner, name: "deploy", tokenSource: forkRunner.tokenSource }] }).runnerConfig.runners).toHaveLength(2);
    expect(autoscalerFleet().runnerConfig.runners.map((r) => r.name)).toEqual(["mr", "fork"]);
  });
});

describe("one job per worker where jobs are untrusted", () => {
  test.each([2, 3])("capacity_per_instance %i on a runner that takes unprotected jobs is refused, even where memory allows it", (capacity) => {
    expectViolation(() => autoscalerFleet(withRunner({ capacityPerInstance: capacity, docker: { image: "alpine:3.20", dockerAccess: "none" }, workerInstanceTypes: ["m7i.4xlarge"] })), {
      path: `${PATH}/runners[0]`,
      subject: "capacityPerInstance",
      value: capacity,
      rule: /unprotected jobs runs one job per worker.*several jobs on one instance at once before max_use_count/,
      fix: /remove capacityPerInstance.*raise maxInstances/,
    });
  });

  test("also with a maxUseCountReason (the reason is about reuse, not about sharing a VM at once)", () => {
    expectViolation(
      () => autoscalerFleet(withRunner({ capacityPerInstance: 2, maxUseCount: 5, maxUseCountReason: "only lint jobs of one internal project", docker: { image: "alpine:3.20", dockerAccess: "none" } })),
      { path: `${PATH}/runners[0]`, subject: "capacityPerInstance", value: 2, rule: /one job per worker/, fix: /maxInstances/ },
    );
  });
});

describe("a worker group never takes another Auto Scaling group's name", () => {
  test("the fleet's own manager group name is refused", () => {
    expectViolation(() => autoscalerFleet(withRunner({ workerGroupName: "acme-ci-dev-manager" })), {
      path: `${PATH}/runners[0]`,
      subject: "workerGroupName",
      value: "acme-ci-dev-manager",
      rule: /name of the fleet's manager group \(acme-ci-dev-manager\).*scale and terminate the manager/,
      fix: /remove workerGroupName/,
    });
  });

  test("another fleet's manager group name in the same stack is refused", () => {
    const stack = testStack();
    new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps());
    expectViolation(() => new DockerAutoscalerFleet(stack, "other", autoscalerProps({ fleetName: "acme-ci-other", runners: [{ ...mrRunner, workerGroupName: "acme-ci-dev-manager" }] })), {
      path: "test/other/runners[0]",
      subject: "workerGroupName",
      value: "acme-ci-dev-manager",
      rule: /test\/autoscaler \(manager group\) already uses the name/,
      fix: /its own workerGroupName/,
    });
  });

  test("any Auto Scaling group already defined in the stack (a runner fleet's, the mirror's) is refused", () => {
    const stack = testStack();
    new AutoscalingGroup(stack, "build-hosts", { name: "acme-ci-dev-build", minSize: 0, maxSize: 1 });
    expectViolation(() => new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps(withRunner({ workerGroupName: "acme-ci-dev-build" }))), {
      path: `${PATH}/runners[0]`,
      subject: "workerGroupName",
      value: "acme-ci-dev-build",
      rule: /test\/build-hosts already uses the name/,
      fix: /its own workerGroupName/,
    });
  });
});

// docker-autoscaler is the docker executor talking to the worker's daemon: [runners.docker] volumes
// bind the worker's directories, so a runner taking unprotected jobs gets the docker executor's allowlist.
describe("volumes of unprotected docker-autoscaler runners: container paths and named volumes only", () => {
  const none = { image: "alpine:3.20", dockerAccess: "none" as const };

  test.each(["/usr:/usr", "/home:/home:ro", "/opt/tools:/tools", "/srv/gradle:/root/.gradle", "/etc:/host-etc:ro", "/:/host:ro"])(
    "host directory %s on an unprotected runner is refused (the denylist of forbidden host paths alone accepted it)",
    (volume) => {
      expectViolation(() => autoscalerFleet(withRunner({ docker: { ...none, volumes: ["/cache", volume] } })), {
        path: `${PATH}/runners[0]/docker`,
        subject: "volumes[1]",
        value: volume,
        rule: /a runner taking unprotected jobs must not give them host paths.*(of the host|root file system)/,
        fix: /named docker volume/,
      });
    },
  );

  test("the same refusal holds with worker reuse given a reason (host writes would outlive the job)", () => {
    expectViolation(
      () => autoscalerFleet(withRunner({ maxUseCount: 5, maxUseCountReason: "only lint jobs of one internal project", docker: { ...none, volumes: ["/opt:/opt"] } })),
      { path: `${PATH}/runners[0]/docker`, subject: "volumes[0]", value: "/opt:/opt", rule: /mounts \/opt of the host/, fix: /named docker volume/ },
    );
  });

  test("container paths and named volumes pass and reach the manager's config.toml", () => {
    const volumes = ["/cache", "gomod:/go/pkg/mod", "npm-cache:/root/.npm:rw"];
    const fleet = autoscalerFleet(withRunner({ docker: { ...none, volumes } }));
    expect(fleet.runnerConfig.runners[0]!.docker.volumes).toEqual(volumes);
  });

  test("a protected runner may still mount a host directory (its jobs are trusted)", () => {
    const fleet = autoscalerFleet({ fleetName: "acme-ci-prot", runners: [{ ...protectedRunner, docker: { ...protectedRunner.docker, volumes: ["/cache", "/srv/gradle:/root/.gradle"] } }] });
    expect(fleet.runnerConfig.runners[0]!.docker.volumes).toContain("/srv/gradle:/root/.gradle");
  });
});
