import { InstanceRole } from "../../lib/identity/instance-role";
import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { onlyResource, synthWith, violationOf } from "../support/synth";

describe("InstanceRole", () => {
  test("the shared base: EC2 trust, Session Manager only, description from props", () => {
    const json = synthWith((scope) => new InstanceRole(scope, "host", { roleName: "mirror-host", description: "Nexus mirror host" }));
    const role = onlyResource(json, "aws_iam_role");
    expect(role.description).toBe("Nexus mirror host");
    expect(JSON.parse(role.assume_role_policy as string).Statement[0].Principal).toEqual({ Service: "ec2.amazonaws.com" });
    expect(JSON.parse(onlyResource(json, "aws_iam_role_policy").policy as string).Statement).toHaveLength(2); // ssm:UpdateInstanceInformation on the instances, the ssmmessages actions on "*"
  });

  test("RunnerHostRole keeps its construct ids and description", () => {
    const json = synthWith((scope) => new RunnerHostRole(scope, "host", { roleName: "runner" }));
    expect(onlyResource(json, "aws_iam_role").description).toBe("GitLab runner hosts: SSM access plus what other constructs grant");
    expect(Object.keys(json.resource!.aws_iam_role!)[0]).toMatch(/^host_role_/);
    expect(Object.keys(json.resource!.aws_iam_instance_profile!)[0]).toMatch(/^host_profile_/);
  });

  test("an invalid role name names the construct path", () => {
    expect(violationOf(() => synthWith((scope) => new InstanceRole(scope, "host", { roleName: "bad name" }))).message).toMatch(
      /^test\/host: invalid role name "bad name"\. Rule: an IAM role name is 1-64 characters.*Fix: remove the other characters/,
    );
  });
});
