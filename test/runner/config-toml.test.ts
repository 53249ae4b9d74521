import { parse } from "smol-toml";
import { type RunnerCacheSettings } from "../../lib/cache/runner-cache-settings";
import {
  DOCKER_SOCKET_VOLUME,
  type RunnerEntry,
  type RunnerManagerConfig,
  renderRunnerConfig,
  runnerConfigDocument,
  validateRunnerConfig,
} from "../../lib/runner/config-toml";
import { violationOf } from "../support/synth";

const build: RunnerEntry = {
  name: "build",
  url: "https://gitlab.example.com",
  token: "@@RUNNER_TOKEN_0@@",
  limit: 4,
  docker: { image: "docker:27", dockerAccess: "socket-binding" },
};
const test_: RunnerEntry = { ...build, name: "test", token: "@@RUNNER_TOKEN_1@@", limit: 2, docker: { image: "alpine:3.20", dockerAccess: "none" } };
const config: RunnerManagerConfig = { runners: [build, test_] };
const cache: RunnerCacheSettings = {
  bucketName: "acme-ci-dev-cache",
  bucketRegion: "eu-central-1",
  serverAddress: "s3.eu-central-1.amazonaws.com",
  path: "gitlab-runner",
  shared: true,
  serverSideEncryption: "KMS",
  kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/abcd",
};
const withRunner = (patch: Partial<RunnerEntry>, docker: Partial<RunnerEntry["docker"]> = {}): RunnerManagerConfig => ({
  runners: [{ ...build, ...patch, docker: { ...build.docker, ...docker } }],
});

describe("config.toml defaults", () => {
  const doc = runnerConfigDocument(config) as { runners: Array<Record<string, unknown>> } & Record<string, unknown>;

  test("global section: concurrent = sum of limits, JSON logs, loopback metrics", () => {
    expect({ ...doc, runners: undefined }).toEqual({
      concurrent: 6,
      check_interval: 3,
      log_level: "info",
      log_format: "json",
      listen_address: "127.0.0.1:9252",
      shutdown_timeout: 30,
      runners: undefined,
    });
  });

  test("docker executor: not privileged, /cache volume, pull always; socket binding adds the socket", () => {
    expect(doc.runners[0]).toEqual({
      name: "build",
      url: "https://gitlab.example.com",
      token: "@@RUNNER_TOKEN_0@@",
      executor: "docker",
      limit: 4,
      request_concurrency: 1,
      docker: { image: "docker:27", privileged: false, volumes: ["/cache", DOCKER_SOCKET_VOLUME], pull_policy: ["always"] },
    });
    expect((doc.runners[1]!.docker as { volumes: string[] }).volumes).toEqual(["/cache"]);
  });

  test("dind adds the TLS certificate volume", () => {
    const d = runnerConfigDocument(withRunner({}, { dockerAccess: "dind", privileged: true })) as { runners: Array<{ docker: { volumes: string[] } }> };
    expect(d.runners[0]!.docker.volumes).toEqual(["/cache", "/certs/client"]);
  });

  test("[runners.cache] is written exactly from the shared cache settings", () => {
    const toml = renderRunnerConfig("p", withRunner({ cache }));
    const parsed = parse(toml) as { runners: Array<{ cache: unknown }> };
    expect(parsed.runners[0]!.cache).toEqual({
      Type: "s3",
      Path: "gitlab-runner",
      Shared: true,
      s3: {
        ServerAddress: "s3.eu-central-1.amazonaws.com",
        BucketName: "acme-ci-dev-cache",
        BucketLocation: "eu-central-1",
        AuthenticationType: "iam",
        ServerSideEncryption: "KMS",
        ServerSideEncryptionKeyID: "arn:aws:kms:eu-central-1:111111111111:key/abcd",
      },
    });
    const s3 = parse(renderRunnerConfig("p", withRunner({ cache: { ...cache, serverSideEncryption: "S3", kmsKeyArn: undefined } }))) as {
      runners: Array<{ cache: { s3: Record<string, unknown> } }>;
    };
    expect(s3.runners[0]!.cache.s3).not.toHaveProperty("ServerSideEncryptionKeyID");
  });

  test("environment, pre_build_script, helper and allowed images are rendered when given", () => {
    const toml = renderRunnerConfig(
      "p",
      withRunner(
        { environment: { DOCKER_AUTH_CONFIG: '{"credHelpers":{"1.dkr.ecr.eu-central-1.amazonaws.com":"ecr-login"}}' }, preBuildScript: "echo hi\n", outputLimitKb: 8192 },
        { helperImage: "mirror:8082/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v17.0.0", allowedImages: ["mirror:8082/**"], shmSizeBytes: 268435456 },
      ),
    );
    const r = (parse(toml) as { runners: Array<Record<string, unknown> & { docker: Record<string, unknown> }> }).runners[0]!;
    expect(r.environment).toEqual(['DOCKER_AUTH_CONFIG={"credHelpers":{"1.dkr.ecr.eu-central-1.amazonaws.com":"ecr-login"}}']);
    expect(r.pre_build_script).toBe("echo hi\n");
    expect(r.output_limit).toBe(8192);
    expect(r.docker.helper_image).toMatch(/gitlab-runner-helper/);
    expect(r.docker.allowed_images).toEqual(["mirror:8082/**"]);
    expect(r.docker.shm_size).toBe(268435456);
  });
});

describe("config.toml validation", () => {
  test("concurrent < 1", () => {
    const error = violationOf(() => validateRunnerConfig("dev/fleet", { ...config, concurrent: 0 }));
    expect(error.message).toBe(
      "dev/fleet: invalid concurrent 0. Rule: concurrent is a whole number ≥ 1 (jobs at once on one host). Fix: set concurrent to 1 or more, or leave it unset to use the sum of the runners' limits",
    );
  });

  test("concurrent below the sum of limits", () => {
    const error = violationOf(() => validateRunnerConfig("dev/fleet", { ...config, concurrent: 5 }));
    expect(error.message).toBe(
      "dev/fleet: invalid concurrent 5. Rule: concurrent is at least the sum of the runners' limits (build: 4 + test: 2 = 6), or some runners can never reach their limit. Fix: raise concurrent to 6 (and size the instance for it) or lower the limits",
    );
  });

  test("request_concurrency above limit", () => {
    const error = violationOf(() => validateRunnerConfig("dev/fleet", withRunner({ requestConcurrency: 5 })));
    expect(error.message).toMatch(/^dev\/fleet\/runners\[0\]: invalid requestConcurrency 5\. Rule: request_concurrency is a whole number from 1 to limit \(4\).*Fix: set requestConcurrency between 1 and 4/);
  });

  test("limit 0", () => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({ limit: 0 }))).message).toMatch(/runners\[0\]: invalid limit 0\. Rule: limit is a whole number ≥ 1/);
  });

  test("socket binding with privileged, without the opt-in", () => {
    const error = violationOf(() => validateRunnerConfig("dev/fleet", withRunner({}, { privileged: true })));
    expect(error.message).toBe(
      'dev/fleet/runners[0]/docker: invalid privileged with socket binding {"dockerAccess":"socket-binding","privileged":true}. Rule: socket binding together with privileged = true makes every job root on the host; it is refused unless explicitly allowed. Fix: set privileged: false (socket binding does not need it), or set allowPrivilegedWithSocketBinding: true if every project on this runner is trusted',
    );
    expect(() => validateRunnerConfig("p", withRunner({}, { privileged: true, allowPrivilegedWithSocketBinding: true }))).not.toThrow();
  });

  test("dind without privileged", () => {
    const error = violationOf(() => validateRunnerConfig("p", withRunner({}, { dockerAccess: "dind" })));
    expect(error.message).toMatch(/runners\[0\]\/docker: invalid privileged false\. Rule: docker-in-docker .* only runs in privileged containers\. Fix: set privileged: true/);
  });

  test("the docker socket smuggled in as a plain volume", () => {
    const error = violationOf(() => validateRunnerConfig("p", withRunner({}, { dockerAccess: "none", volumes: ["/cache", DOCKER_SOCKET_VOLUME] })));
    expect(error.message).toMatch(/invalid volumes\[1\] "\/var\/run\/docker\.sock:\/var\/run\/docker\.sock"\. Rule: the docker socket is mounted only through dockerAccess/);
  });

  test.each([["cache"], ["/data:relative"], ["bad name:/data"], ["-x:/data"], ["/a:/b:sometimes"], ["/a:/b:ro:extra"]])("a malformed volume %p", (volume) => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({}, { volumes: [volume] }))).rule).toMatch(/a volume is \/container\/path/);
  });

  // The allowlist for unprotected jobs advises named volumes; the form check refused them (only absolute sources).
  test.each([["gomod:/go/pkg/mod"], ["npm-cache:/root/.npm:rw"], ["build.cache_1:/build-cache:ro"]])("a named docker volume %p is well-formed and rendered as given", (volume) => {
    const config = withRunner({}, { volumes: ["/cache", volume] });
    expect(() => validateRunnerConfig("p", config)).not.toThrow();
    expect((runnerConfigDocument(config) as { runners: Array<{ docker: { volumes: string[] } }> }).runners[0]!.docker.volumes).toContain(volume);
  });

  test("a container path mounted twice", () => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({}, { volumes: ["/cache", "/srv/cache:/cache"] }))).rule).toBe("each container path is mounted once");
  });

  test.each([[[]], [["sometimes"]], [["always", "always"]]])("pull policy %p", (pullPolicy) => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({}, { pullPolicy: pullPolicy as never }))).subject).toBe("pullPolicy");
  });

  test("duplicate and malformed runner names", () => {
    expect(violationOf(() => validateRunnerConfig("p", { runners: [build, { ...build }] })).message).toMatch(/runners\[1\]: invalid runner name "build"\. Rule: runner names are unique/);
    expect(violationOf(() => validateRunnerConfig("p", withRunner({ name: "Build_1" }))).message).toMatch(/invalid runner name "Build_1"/);
  });

  test.each(["http://gitlab.example.com", "gitlab.example.com", "https://user:pw@gitlab.example.com"])("GitLab URL %p", (url) => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({ url }))).message).toMatch(/invalid GitLab URL .*Rule: an https URL of the GitLab instance/);
  });

  test("metrics must stay on loopback", () => {
    expect(violationOf(() => validateRunnerConfig("p", { ...config, listenAddress: "0.0.0.0:9252" })).message).toMatch(
      /invalid listenAddress "0\.0\.0\.0:9252"\. Rule: the metrics endpoint listens on loopback only/,
    );
  });

  test("KMS cache encryption without a key", () => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({ cache: { ...cache, kmsKeyArn: undefined } }))).message).toMatch(
      /runners\[0\]\/cache: invalid kmsKeyArn undefined\. Rule: ServerSideEncryption KMS needs ServerSideEncryptionKeyID/,
    );
  });

  test.each([
    [{ checkInterval: 0 }, "checkInterval"],
    [{ shutdownTimeout: -1 }, "shutdownTimeout"],
    [{ logFormat: "xml" as never }, "logFormat"],
  ])("global %p", (patch, subject) => {
    expect(violationOf(() => validateRunnerConfig("p", { ...config, ...patch })).subject).toBe(subject);
  });

  test("an environment variable name with a dash", () => {
    expect(violationOf(() => validateRunnerConfig("p", withRunner({ environment: { "MY-VAR": "1" } }))).message).toMatch(/invalid environment variable name "MY-VAR"/);
  });
});

describe("[[runners.docker.services]]", () => {
  test("written with the runner's keys (name, alias, command; common/config.go Service), only when given", () => {
    const services = [{ name: "docker:27-dind", alias: "docker", command: ["--registry-mirror", "https://mirror.example.com"] }, { name: "postgres:16" }];
    const parsed = parse(renderRunnerConfig("test", withRunner({}, { services }))) as { runners: Array<{ docker: Record<string, unknown> }> };
    expect(parsed.runners[0]!.docker.services).toEqual([{ name: "docker:27-dind", alias: "docker", command: ["--registry-mirror", "https://mirror.example.com"] }, { name: "postgres:16" }]);
    expect((parse(renderRunnerConfig("test", config)) as { runners: Array<{ docker: Record<string, unknown> }> }).runners[0]!.docker).not.toHaveProperty("services");
  });

  test("a service image with spaces is refused", () => {
    const e = violationOf(() => validateRunnerConfig("test", withRunner({}, { services: [{ name: "docker 27" }] })));
    expect([e.path, e.subject, e.value]).toEqual(["test/runners[0]/docker", "services[0].name", "docker 27"]);
  });
});
