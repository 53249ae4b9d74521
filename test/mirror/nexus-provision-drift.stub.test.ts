import { describeWithTool } from "../support/conformance";
import { changingRequests, ProvisionHarness } from "./support/provision-harness";

// The real provisioning script against the Nexus stub and the fake aws CLI:
// a re-run on a Nexus whose settings drifted.

let harness: ProvisionHarness;
beforeEach(() => {
  harness = new ProvisionHarness();
});
afterEach(() => harness.close());

describeWithTool("curl", "nexus-provision re-runs, against a Nexus stub", () => {
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
  });
});
