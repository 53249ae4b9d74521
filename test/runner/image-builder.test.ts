import fc from "fast-check";
import { parse } from "smol-toml";
import { BUILDKIT_ROOTLESS_SECURITY_OPT, hostSensitiveVolume, type RunnerEntry, renderRunnerConfig, validateRunnerConfig } from "../../lib/runner/config-toml";
import { BUILDKITD_ROOTLESS_FLAGS, defaultImageBuilder, IMAGE_BUILDER_VARIABLE, imageBuilderSettings, validateImageBuilder } from "../../lib/runner/image-builder";
import { violationOf } from "../support/synth";

const entry = (docker: Partial<RunnerEntry["docker"]>): RunnerEntry => ({
  name: "mr",
  url: "https://gitlab.example.com",
  token: "@@RUNNER_TOKEN_0@@",
  limit: 2,
  docker: { image: "alpine:3.20", dockerAccess: "none", ...docker },
});

describe("rootless BuildKit on the docker executor", () => {
  test("the builder adds GitLab's security options and BUILDKITD_FLAGS, and names itself to jobs", () => {
    const settings = imageBuilderSettings("buildkit-rootless");
    expect(settings.securityOpt).toEqual(["seccomp:unconfined", "apparmor:unconfined"]);
    expect(settings.environment).toEqual({ [IMAGE_BUILDER_VARIABLE]: "buildkit-rootless", BUILDKITD_FLAGS: "--oci-worker-no-process-sandbox" });
    expect(BUILDKITD_ROOTLESS_FLAGS).toBe("--oci-worker-no-process-sandbox");
    expect(imageBuilderSettings("docker")).toEqual({ securityOpt: [], environment: { PLATFORM_IMAGE_BUILDER: "docker" } });
  });

  test("security_opt and disable_cache land in [runners.docker] with the runner's key names", () => {
    const toml = renderRunnerConfig("host", { runners: [entry({ securityOpt: BUILDKIT_ROOTLESS_SECURITY_OPT, disableCache: true })] });
    const docker = (parse(toml) as { runners: { docker: Record<string, unknown> }[] }).runners[0]!.docker;
    expect(docker.security_opt).toEqual(["seccomp:unconfined", "apparmor:unconfined"]);
    expect(docker.disable_cache).toBe(true);
    const plain = (parse(renderRunnerConfig("host", { runners: [entry({})] })) as { runners: { docker: Record<string, unknown> }[] }).runners[0]!.docker;
    expect(plain).not.toHaveProperty("security_opt");
    expect(plain).not.toHaveProperty("disable_cache");
  });

  test("a security option the runner does not take (systempaths, '=' syntax, unknown key) is refused", () => {
    for (const bad of ["systempaths:unconfined", "seccomp=unconfined", "privileged:true"]) {
      const error = violationOf(() => validateRunnerConfig("host", { runners: [entry({ securityOpt: [bad] })] }));
      expect(error.message).toMatch(new RegExp(`^host/runners\\[0\\]/docker: invalid securityOpt\\[0\\] "${bad}"\\. Rule: a security option is <key>:<value>`));
    }
  });

  test("builders must fit the docker access (checked at run time for plain JavaScript)", () => {
    expect(defaultImageBuilder("socket-binding")).toBe("docker");
    expect(defaultImageBuilder("none")).toBe("none");
    expect(violationOf(() => validateImageBuilder("r", "docker", "none", false)).message).toMatch(/^r: invalid builder .*needs a docker daemon/);
    expect(violationOf(() => validateImageBuilder("r", "buildkit-rootless", "socket-binding", false)).message).toMatch(/without a docker socket and without privileged mode/);
    expect(violationOf(() => validateImageBuilder("r", "buildkit-rootless", "none", true)).message).toMatch(/without privileged mode/);
    expect(violationOf(() => validateImageBuilder("r", "kaniko" as never, "none", false)).message).toMatch(/^r: invalid builder "kaniko"\. Rule: one of docker, buildkit-rootless, none/);
  });
});

describe("host paths a job must not get where untrusted jobs run", () => {
  test.each([
    ["/:/host", "root"],
    ["/var/run:/run-host", "/var/run"],
    ["/run/containerd:/c:ro", "/run"],
    ["/var/lib/docker:/d", "/var/lib/docker"],
    ["/proc:/p", "/proc"],
    ["/srv/docker.sock:/s", "socket"],
  ])("%s is refused", (volume, reason) => {
    expect(hostSensitiveVolume(volume)).toMatch(new RegExp(reason.replace("/", "\\/")));
  });

  // System directories a denylist missed: writable, each is root on the host (a binary in /usr, a login file in /home, an agent in /opt).
  test.each(["/usr:/hostusr", "/home:/h", "/opt:/o:rw", "/usr/local/bin:/b", "/srv/data:/data:ro", "/var/cache/apt:/apt", "/running:/x", "//usr/./:/u"])("host directory %s is refused", (volume) => {
    expect(hostSensitiveVolume(volume)).toMatch(/mounts \/\S* of the host/);
  });

  test.each(["./data:/data", "~/x:/x", "-v:/x", "cache"])("%s, neither a named volume nor a container path, is refused", (volume) => {
    expect(hostSensitiveVolume(volume)).toBeDefined();
  });

  test.each(["/cache", "/certs/client", "gomod:/go/pkg/mod", "npm-cache:/root/.npm:rw", "usr:/usr"])("%s is on the allowlist", (volume) => {
    expect(hostSensitiveVolume(volume)).toBeUndefined();
  });

  const hostPath = fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), { maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
  test("property: every host path, whatever its spelling and options, is refused for untrusted jobs", () => {
    fc.assert(
      fc.property(hostPath, fc.constantFrom("", "/", "//", "/."), fc.constantFrom("", ":ro", ":rw", ":ro,Z"), (host, tail, options) => {
        expect(hostSensitiveVolume(`${host}${tail}:/mnt/x${options}`)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  test("property: named volumes and container paths are allowed", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,20}$/), fc.stringMatching(/^(\/[a-z0-9_-]{1,8}){1,3}$/), fc.constantFrom("", ":ro", ":rw"), (name, target, options) => {
        expect(hostSensitiveVolume(`${name}:${target}${options}`)).toBeUndefined();
        expect(hostSensitiveVolume(target)).toBeUndefined();
      }),
    );
  });
});
