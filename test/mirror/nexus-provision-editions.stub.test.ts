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
    test("the Community Edition (no POST /v1/tasks): the maintenance tasks are created through the UI's task API", async () => {
      const state = firstBootState(harness.adminPasswordFile, INITIAL_PASSWORD);
      state.taskCreation = false;
      await harness.start(state);
      const run = await harness.provision();
      expect(run.code).toBe(0);
      expect(state.tasks.map((t) => [t.type, t.body.schedule, t.body.cronExpression])).toEqual([
        ["repository.docker.gc", "advanced", "0 0 2 * * ?"],
        ["blobstore.compact", "advanced", "0 0 4 * * ?"],
      ]);
      expect(run.log).toMatch(/task "mirror: compact blob store default": scheduled \(through the UI's task API: the REST API cannot create tasks here, status 405\)/);
      // Stale proxied content ages out: every proxy names its format's cleanup policy, which exists.
      expect([...state.cleanupPolicies!.values()].map((p) => [p.name, p.format, p.criteriaLastDownloaded])).toEqual([
        ["mirror-docker-unused", "docker", 30],
        ["mirror-raw-unused", "raw", 30],
      ]);
      const proxies = [...state.repositories.values()].filter((r) => r.type === "proxy");
      expect(proxies.map((r) => (r.body.cleanup as { policyNames: string[] }).policyNames[0])).toEqual(proxies.map((r) => `mirror-${r.format}-unused`));
      // A second run finds them by listing (GET /v1/tasks exists in every edition) and creates nothing.
      const again = await harness.provision();
      expect(again.log).toMatch(/task "mirror: compact blob store default": already scheduled/);
      expect(state.tasks).toHaveLength(2);
    });

    test("a Nexus without the EULA endpoint and without any task creation: it says so and still converges", async () => {
      const state = firstBootState(harness.adminPasswordFile, INITIAL_PASSWORD);
      delete state.eula;
      state.taskCreation = false;
      state.extDirectTaskCreation = false;
      delete state.cleanupPolicies;
      await harness.start(state);
      const run = await harness.provision();
      expect(run.code).toBe(0);
      expect(run.log).toContain("EULA: no EULA endpoint (not Community Edition 3.77+), nothing to accept");
      expect(run.log).toMatch(
        /task "mirror: compact blob store default": this Nexus edition or version cannot create blobstore\.compact tasks through the REST API \(status 405\) or the UI's task API \(status 200\), schedule it in the UI/,
      );
      expect(state.repositories.size).toBe(5);
      expect(state.tasks).toEqual([]);
      // Without a cleanup policy API the proxies are created without policies (Nexus would refuse unknown names).
      expect(run.log).toMatch(/cleanup policy mirror-docker-unused: this Nexus cannot manage cleanup policies through its API \(status 404\)/);
      expect([...state.repositories.values()].some((r) => "cleanup" in r.body)).toBe(false);
    });
  });
});
