import { existsSync } from "node:fs";
import { EULA_DISCLAIMER } from "./support/nexus-stub";
import { describeWithTool } from "../support/conformance";
import { changingRequests, DOCKER_HUB_TOKEN, INITIAL_PASSWORD, PARAMETER, ProvisionHarness } from "./support/provision-harness";

// The real first-boot provisioning script (as rendered into the cloud-config)
// against a local stub of the Nexus REST API and a fake aws CLI. Not a real
// Nexus: the stub follows the documented responses the script relies on.

let harness: ProvisionHarness;
beforeEach(() => {
  harness = new ProvisionHarness();
});
afterEach(() => harness.close());

describeWithTool("curl", "nexus-provision on first boot, against a Nexus stub", () => {
  describeWithTool("jq", "the provisioning script's JSON handling", () => {
    test("converges on the first run; a second run changes nothing", async () => {
      const state = await harness.firstBoot();
      const run = await harness.provision();
      expect({ code: run.code, log: run.log }).toEqual({ code: 0, log: expect.stringContaining("done: ") });

      // It waited for /v1/status/writable (503 twice, then 200) before anything else.
      expect(state.requests.slice(0, 3).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        "GET /service/rest/v1/status/writable 503",
        "GET /service/rest/v1/status/writable 503",
        "GET /service/rest/v1/status/writable 200",
      ]);
      // The admin password was generated on the host, stored in SSM, and replaced the initial one.
      const stored = harness.parameter(PARAMETER)!;
      expect(stored).toMatch(/^[A-Za-z0-9]{40,}$/);
      expect(state.adminPassword).toBe(stored);
      expect(existsSync(harness.adminPasswordFile)).toBe(false);
      // Every changing request, in order.
      expect(changingRequests(state)).toEqual([
        "PUT /service/rest/v1/security/users/admin/change-password",
        "POST /service/rest/v1/system/eula",
        "PUT /service/rest/v1/security/realms/active",
        "PUT /service/rest/v1/security/anonymous",
        // The cleanup policies first: the proxies name them.
        "POST /service/rest/internal/cleanup-policies",
        "POST /service/rest/internal/cleanup-policies",
        "POST /service/rest/v1/repositories/docker/proxy",
        "POST /service/rest/v1/repositories/docker/proxy",
        "POST /service/rest/v1/repositories/docker/group",
        "POST /service/rest/v1/repositories/raw/proxy",
        "POST /service/rest/v1/repositories/raw/proxy",
        "POST /service/rest/v1/tasks",
        "POST /service/rest/v1/tasks",
      ]);
      expect(state.eula).toEqual({ disclaimer: EULA_DISCLAIMER, accepted: true });
      expect(state.realms).toEqual(["NexusAuthenticatingRealm", "DockerToken"]);
      expect(state.anonymous).toEqual({ enabled: true, userId: "anonymous", realmName: "NexusAuthorizingRealm" });
      expect([...state.repositories.keys()]).toEqual(["docker-hub", "gitlab-registry", "docker-mirror", "lang-common", "buildpack-registry"]);
      const hub = state.repositories.get("docker-hub")!.body as Record<string, Record<string, unknown>>;
      expect(hub.dockerProxy).toEqual({ indexType: "HUB" });
      expect(hub.proxy!.remoteUrl).toBe("https://registry-1.docker.io");
      expect(hub.httpClient!.authentication).toEqual({ type: "username", username: "ci-bot", password: DOCKER_HUB_TOKEN });
      const gitlab = state.repositories.get("gitlab-registry")!.body as Record<string, Record<string, unknown>>;
      expect(gitlab.dockerProxy).toEqual({ indexType: "REGISTRY" });
      expect(gitlab.httpClient!.authentication).toBeUndefined();
      expect(state.repositories.get("docker-mirror")!.body).toEqual(
        expect.objectContaining({
          group: { memberNames: ["docker-hub", "gitlab-registry"] },
          docker: { v1Enabled: false, forceBasicAuth: false, httpPort: 8082 },
        }),
      );
      expect(state.repositories.get("lang-common")!.body.proxy).toEqual(expect.objectContaining({ remoteUrl: "https://lang-common.s3.amazonaws.com" }));
      expect(state.tasks.map((t) => t.type)).toEqual(["repository.docker.gc", "blobstore.compact"]);
      // No secret on a command line or in the log.
      for (const secret of [stored, DOCKER_HUB_TOKEN, INITIAL_PASSWORD]) {
        expect(run.log).not.toContain(secret);
        expect(harness.awsCalls().join("\n")).not.toContain(secret);
      }

      // Second run: reads everything, writes nothing (no POST/PUT/DELETE, no new parameter).
      state.requests = [];
      const callsBefore = harness.awsCalls().length;
      const second = await harness.provision();
      expect({ code: second.code, log: second.log }).toEqual({ code: 0, log: expect.stringContaining("done: 0 change(s)") });
      expect(changingRequests(state)).toEqual([]);
      expect(state.requests.length).toBeGreaterThan(10);
      expect(harness.awsCalls().slice(callsBefore).map((c) => c.split(" ").slice(2, 4).join(" "))).toEqual([
        "ssm get-parameter",
        "secretsmanager get-secret-value",
      ]);
      expect(harness.parameter(PARAMETER)).toBe(stored);
    });
  });
});
