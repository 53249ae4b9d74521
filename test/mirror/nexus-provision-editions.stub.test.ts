import { describeWithTool } from "../support/conformance";
import { firstBootState } from "./support/nexus-stub";
import { INITIAL_PASSWORD, ProvisionHarness } from "./support/provision-harness";

// The real provisioning script against the Nexus stub and the fake aws CLI:
// a Nexus without the Community Edition EULA endpoint and without task creation.

let harness: ProvisionHarness;
beforeEach(() => {
  harness = new ProvisionHarness();
});
afterEach(() => harness.close());

describeWithTool("curl", "nexus-provision on other editions and versions, against a Nexus stub", () => {
  describeWithTool("jq", "the provisioning script's JSON handling", () => {
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
