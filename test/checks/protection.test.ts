import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { type TerraformStack } from "cdktf";
import { ContainerRepository } from "../../lib/registry/repository";
import { checkStack, findingsOf, onlyFinding } from "../support/annotations";

const registryAndData = (s: TerraformStack) => {
  new EcrRepository(s, "repo", { name: "acme/app", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } });
  new EbsVolume(s, "nexus-data", { availabilityZone: "eu-central-1a", size: 500, encrypted: true });
};

describe("DATA001 destroy protection in production", () => {
  test("fires on a repository and a data volume without prevent_destroy in production", () => {
    const annotations = checkStack(registryAndData, { production: true });
    expect(findingsOf(annotations, "DATA001").map((a) => a.path)).toEqual(["test/repo", "test/nexus-data"]);
    const finding = onlyFinding(annotations.filter((a) => a.path === "test/repo"), "DATA001", "test/repo");
    expect(finding.message).toContain("DATA001 Production data without destroy protection: lifecycle.prevent_destroy is not set");
    expect(finding.message).toContain("Fix: add lifecycle { prevent_destroy = true }");
  });

  test("fires on an instance whose data volume dies with it", () => {
    const annotations = checkStack(
      (s) =>
        new Instance(s, "mirror", {
          ami: "ami-1",
          instanceType: "m7i.large",
          metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
          rootBlockDevice: { encrypted: true },
          ebsBlockDevice: [{ deviceName: "/dev/sdf", encrypted: true, volumeSize: 500 }],
        }),
      { production: true },
    );
    expect(onlyFinding(annotations, "DATA001", "test/mirror").message).toContain("its data volume /dev/sdf is deleted with the instance");
  });

  test("passes protected data in production, and anything outside production", () => {
    expect(checkStack(registryAndData)).toEqual([]);
    const protectedData = checkStack(
      (s) => {
        new ContainerRepository(s, "app", { repositoryName: "acme/app", preventDestroy: true });
        new EbsVolume(s, "nexus-data", { availabilityZone: "eu-central-1a", size: 500, encrypted: true, lifecycle: { preventDestroy: true } });
      },
      { production: true },
    );
    expect(protectedData).toEqual([]);
  });
});
