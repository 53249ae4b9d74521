import { rmSync } from "node:fs";
import { describeWithTool } from "../support/conformance";
import { firstBootState } from "./support/nexus-stub";
import { changingRequests, INITIAL_PASSWORD, PARAMETER, ProvisionHarness } from "./support/provision-harness";

// The real provisioning script against the Nexus stub and the fake aws CLI:
// it fails loudly, and without changing anything, where it cannot go on.

let harness: ProvisionHarness;
beforeEach(() => {
  harness = new ProvisionHarness();
});
afterEach(() => harness.close());

describeWithTool("curl", "nexus-provision failures, against a Nexus stub", () => {
  describeWithTool("jq", "the provisioning script's JSON handling", () => {
    test("gives up with a clear error when Nexus is not writable in time (bounded wait)", async () => {
      const state = firstBootState(harness.adminPasswordFile, INITIAL_PASSWORD);
      state.notReadyCount = Number.MAX_SAFE_INTEGER;
      await harness.start(state);
      const run = await harness.provision({ NEXUS_WAIT_SECONDS: "0" });
      expect(run.code).toBe(1);
      expect(run.log).toMatch(/ERROR: Nexus at http:\/\/127\.0\.0\.1:\d+\/service\/rest is not writable after 0s \(last status 503\)/);
      expect(changingRequests(state)).toEqual([]);
      expect(harness.awsCalls()).toEqual([]);
    });

    test("stops when the password in SSM does not log in (a data volume from another mirror)", async () => {
      const state = firstBootState(harness.adminPasswordFile, "the-other-mirrors-password");
      state.notReadyCount = 0;
      rmSync(harness.adminPasswordFile);
      harness.setParameter(PARAMETER, "stale");
      await harness.start(state);
      const run = await harness.provision();
      expect(run.code).toBe(1);
      expect(run.log).toContain(`ERROR: the admin password in ${PARAMETER} does not log in (status 401)`);
      expect(changingRequests(state)).toEqual([]);
    });

    test("stops when the Docker Hub secret lacks the documented keys", async () => {
      const state = await harness.converged();
      harness.setSecret({ user: "ci-bot", token: "x" });
      const run = await harness.provision();
      expect(run.code).toBe(1);
      expect(run.log).toContain("must hold a JSON object with the keys username and accessToken");
      expect(changingRequests(state)).toEqual([]);
    });
  });
});
