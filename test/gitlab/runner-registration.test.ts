import { TerraformOutput } from "cdktf";
import { PolicyDocument } from "../../lib/core/iam";
import { RunnerRegistration, type RunnerRegistrationProps } from "../../lib/gitlab/runner-registration";
import { type RunnerTokenSource } from "../../lib/gitlab/runner-token-source";
import { onlyResource, synth, testStack, violationOf } from "../support/synth";

const base: RunnerRegistrationProps = {
  scope: { type: "group", groupId: 42 },
  description: "acme-ci dev build",
  tags: ["acme-ci-build"],
  parameterName: "/acme-ci/dev/runner/build/token",
};

function registration(props: Partial<RunnerRegistrationProps> = {}) {
  const stack = testStack();
  const runner = new RunnerRegistration(stack, "build-runner", { ...base, ...props });
  return { stack, runner, json: synth(stack).json };
}

describe("RunnerRegistration", () => {
  test("registers a group runner and stores its token in a SecureString parameter", () => {
    const { json } = registration({ untagged: true, maximumTimeoutSeconds: 3600 });
    expect(onlyResource(json, "gitlab_user_runner")).toEqual({
      runner_type: "group_type",
      group_id: 42,
      description: "acme-ci dev build",
      tag_list: ["acme-ci-build"],
      untagged: true,
      access_level: "not_protected",
      paused: false,
      locked: false,
      maximum_timeout: 3600,
    });
    expect(onlyResource(json, "aws_ssm_parameter")).toEqual({
      name: "/acme-ci/dev/runner/build/token",
      description: "GitLab runner authentication token: acme-ci dev build",
      type: "SecureString",
      value: expect.stringMatching(/^\$\{gitlab_user_runner\.build-runner_[0-9A-F]{8}\.token\}$/),
    });
  });

  test("a protected deploy runner on a project, paused and locked", () => {
    const { json } = registration({ scope: { type: "project", projectId: 7 }, protectedRefsOnly: true, paused: true, locked: true });
    expect(onlyResource(json, "gitlab_user_runner")).toEqual(
      expect.objectContaining({ runner_type: "project_type", project_id: 7, access_level: "ref_protected", paused: true, locked: true }),
    );
  });

  test("an instance runner names no group or project", () => {
    const runner = onlyResource(registration({ scope: { type: "instance" } }).json, "gitlab_user_runner");
    expect(runner.runner_type).toBe("instance_type");
    expect(runner).not.toHaveProperty("group_id");
    expect(runner).not.toHaveProperty("project_id");
  });

  test("implements RunnerTokenSource: GetParameter on exactly its parameter, kms:Decrypt on its key", () => {
    const key = "arn:aws:kms:eu-central-1:111111111111:key/1234";
    const { runner, json } = registration({ kmsKeyArn: key });
    const source: RunnerTokenSource = runner;
    const doc = new PolicyDocument();
    source.grantRead(doc);
    expect(doc.toJson().Statement).toEqual([
      { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [expect.stringMatching(/^\$\{TfToken\[TOKEN\.\d+\]\}$/)] },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key] },
      // ... and under no other key (a token parameter replaced by hand under aws/ssm does not decrypt).
      { Effect: "Deny", Action: ["kms:Decrypt"], NotResource: [key], Condition: { StringEquals: { "kms:EncryptionContext:PARAMETER_ARN": [expect.stringMatching(/^\$\{TfToken\[TOKEN\.\d+\]\}$/)] } } },
    ]);
    expect(onlyResource(json, "aws_ssm_parameter").key_id).toBe(key);
    // The granted ARN is the parameter's own arn attribute.
    const stack = testStack();
    const other = new RunnerRegistration(stack, "r", base);
    const policy = new PolicyDocument();
    other.grantRead(policy);
    new TerraformOutput(stack, "granted", { value: policy.toJson().Statement[0]!.Resource });
    expect(synth(stack).json.output?.granted?.value).toEqual([expect.stringMatching(/^\$\{aws_ssm_parameter\.r_token_[0-9A-F]{8}\.arn\}$/)]);
    expect(source.parameterName).toBe("/acme-ci/dev/runner/build/token");
  });

  test("the token never appears as a literal: only a reference to the runner's attribute", () => {
    const { stack } = registration();
    expect(synth(stack).text).not.toMatch(/glrt-/);
  });
});

describe("RunnerRegistration validation", () => {
  test("a runner with neither tags nor untagged", () => {
    const error = violationOf(() => registration({ tags: [], untagged: false }));
    expect(error.message).toMatch(
      /^test\/build-runner: invalid tags \{"tags":\[\],"untagged":false\}\. Rule: a runner with neither tags nor `untagged: true` never receives a job\. Fix: give the tags its jobs use/,
    );
  });

  test("a maximum timeout under 600 s", () => {
    const error = violationOf(() => registration({ maximumTimeoutSeconds: 599 }));
    expect(error.message).toMatch(
      /^test\/build-runner: invalid maximumTimeoutSeconds 599\. Rule: GitLab requires a runner's maximum timeout to be a whole number of at least 600 seconds \(10 minutes\)\. Fix: use 600 or more/,
    );
  });

  test("a maximum timeout of exactly 600 s is fine", () => {
    expect(() => registration({ maximumTimeoutSeconds: 600 })).not.toThrow();
  });

  test("a tag with a comma", () => {
    expect(violationOf(() => registration({ tags: ["a,b"] })).message).toMatch(/^test\/build-runner\/tags\[0\]: invalid runner tag "a,b"\. Rule: a runner tag is 1-255 characters without commas/);
  });

  test("duplicate tags", () => {
    expect(violationOf(() => registration({ tags: ["a", "a"] })).message).toMatch(/invalid tags \["a","a"\]\. Rule: runner tags are unique/);
  });

  test("locked on a group runner", () => {
    expect(violationOf(() => registration({ locked: true })).message).toMatch(/invalid locked .*Rule: only a project runner can be locked/);
  });

  test("an invalid parameter name", () => {
    expect(violationOf(() => registration({ parameterName: "/aws/runner" })).message).toMatch(/^test\/build-runner: invalid parameterName "\/aws\/runner"/);
  });
});

describe("project runners of several tenants", () => {
  test("a project runner is enabled for the further projects with gitlab_project_runner_enablement", () => {
    const { json } = registration({ scope: { type: "project", projectId: 7 }, enableForProjects: ["acme/toolbox", "acme/web"] });
    expect(onlyResource(json, "gitlab_user_runner")).toEqual(expect.objectContaining({ runner_type: "project_type", project_id: 7, locked: false }));
    const enablements = Object.values(json.resource!.gitlab_project_runner_enablement!);
    expect(enablements.map((e) => e.project)).toEqual(["acme/toolbox", "acme/web"]);
    expect(enablements.every((e) => /^\$\{gitlab_user_runner\.build-runner_[0-9A-F]{8}\.id\}$/.test(String(e.runner_id)))).toBe(true);
  });

  test("enabling a group runner or a locked project runner elsewhere is refused", () => {
    expect(violationOf(() => registration({ enableForProjects: ["acme/web"] })).message).toMatch(/invalid enableForProjects .*only an unlocked project runner/);
    expect(violationOf(() => registration({ scope: { type: "project", projectId: 7 }, locked: true, enableForProjects: ["acme/web"] })).message).toMatch(/only an unlocked project runner/);
  });
});
