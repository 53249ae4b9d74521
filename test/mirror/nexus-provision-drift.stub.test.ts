import { describeWithTool } from "../support/conformance";
import { firstBootState } from "./support/nexus-stub";
import { changingRequests, INITIAL_PASSWORD, ProvisionHarness } from "./support/provision-harness";

// The real provisioning script against the Nexus stub and the fake aws CLI:
// re-runs on a Nexus that drifted, and a Nexus without the EULA and task APIs.

let harness: ProvisionHarness;
beforeEach(() => {
  harness = new ProvisionHarness();
});
afterEach(() => harness.close());

describeWithTool("curl", "nexus-provision re-runs and editions, against a Nexus stub", () => {
  describeWithTool("jq", "the provisioning script's JSON handling", () => {
    test("drift is corrected with GET then PUT, never a duplicate POST", async () => {
      const state = await harness.converged();
      state.realms = ["NexusAuthenticatingRealm"];
      state.repositories.get("docker-mirror")!.body.group = { memberNames: ["docker-hub"] };
      (state.repositories.get("lang-common")!.body.proxy as Record<string, unknown>).remoteUrl = "https://elsewhere.example.com";
      const run = await harness.provision();
      expect(run.code).toBe(0);
      expect(changingRequests(state)).toEqual([
        "PUT /service/rest/v1/security/realms/active",
        "PUT /service/rest/v1/repositories/docker/group/docker-mirror",
        "PUT /service/rest/v1/repositories/raw/proxy/lang-common",
      ]);
      expect(state.realms).toEqual(["NexusAuthenticatingRealm", "DockerToken"]);
      expect(state.repositories.get("docker-mirror")!.body.group).toEqual({ memberNames: ["docker-hub", "gitlab-registry"] });
      expect(run.log).toContain("repository docker-mirror: updated");
      expect(run.log).toContain("done: 3 change(s)");
    });

    test("a Nexus without the EULA endpoint and without task creation: it says so and still converges", async () => {
      const state = firstBootState(harness.adminPasswordFile, INITIAL_PASSWORD);
      delete state.eula;
      state.taskCreation = false;
      await harness.start(state);
      const run = await harness.provision();
      expect(run.code).toBe(0);
      expect(run.log).toContain("EULA: no EULA endpoint (not Community Edition 3.77+), nothing to accept");
      expect(run.log).toMatch(
        /task "mirror: compact blob store default": this Nexus edition or version cannot create blobstore\.compact tasks through the REST API \(status 405\), schedule it in the UI/,
      );
      expect(state.repositories.size).toBe(5);
      expect(state.tasks).toEqual([]);
    });
  });
});
