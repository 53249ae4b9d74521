import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describeWithTool } from "../support/conformance";
import { PARAMETER, ProvisionHarness } from "./support/provision-harness";

// The Nexus host creates its admin password parameter itself (the password never passes
// through Terraform): under the environment's customer-managed key when provision.json names one.

let harness: ProvisionHarness;
beforeEach(() => {
  harness = new ProvisionHarness();
});
afterEach(() => harness.close());

describeWithTool("curl", "nexus-provision: the admin password parameter's KMS key", () => {
  describeWithTool("jq", "the provisioning script's JSON handling", () => {
    const putCall = () => harness.awsCalls().find((c) => c.includes("ssm put-parameter"))!;

    test("with adminPasswordKmsKeyId the parameter is created with --key-id", async () => {
      const file = path.join(harness.dir, "provision.json");
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), adminPasswordKmsKeyId: "alias/acme-ci-production-secrets" }));
      await harness.firstBoot();
      expect((await harness.provision()).code).toBe(0);
      expect(putCall()).toContain("--key-id alias/acme-ci-production-secrets");
      expect(harness.parameter(PARAMETER)).toMatch(/^[A-Za-z0-9]{40,}$/);
    });

    test("without it (a mirror used on its own) the parameter uses the default key", async () => {
      await harness.firstBoot();
      expect((await harness.provision()).code).toBe(0);
      expect(putCall()).not.toContain("--key-id");
    });
  });
});
