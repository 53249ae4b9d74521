import { RunnerRegistration, type RunnerRegistrationProps } from "../../lib/gitlab/runner-registration";
import { onlyResource, resourcesOf, synth, testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

const base = { description: "acme-ci dev build", tags: ["acme-ci-build"], parameterName: "/acme-ci/dev/runner/build/token" };

function build(scope: unknown) {
  const stack = testStack();
  new RunnerRegistration(stack, "build-runner", { ...base, scope } as RunnerRegistrationProps);
  return synth(stack).json;
}

describe("RunnerRegistration by group path", () => {
  test("looks the group id up with a gitlab_group data source, as CI/CD variables name the group by path", () => {
    const json = build({ type: "group", groupPath: "acme/platform" });
    const groups = Object.entries(json.data?.gitlab_group ?? {});
    expect(groups).toHaveLength(1);
    const [id, group] = groups[0]!;
    expect(group).toEqual({ full_path: "acme/platform" });
    expect(onlyResource(json, "gitlab_user_runner")).toEqual(expect.objectContaining({ runner_type: "group_type", group_id: `\${data.gitlab_group.${id}.group_id}` }));
  });

  test("a group id still needs no lookup", () => {
    const json = build({ type: "group", groupId: 42 });
    expect(json.data?.gitlab_group).toBeUndefined();
    expect(Object.values(resourcesOf(json, "gitlab_user_runner"))[0]).toEqual(expect.objectContaining({ group_id: 42 }));
  });

  test.each([
    ["both", { type: "group", groupId: 42, groupPath: "acme" }],
    ["neither", { type: "group" }],
  ])("a group scope with %s of groupId and groupPath is refused", (_, scope) => {
    expectViolation(() => build(scope), {
      path: "test/build-runner/scope",
      subject: "group",
      value: { groupId: (scope as { groupId?: number }).groupId, groupPath: (scope as { groupPath?: string }).groupPath },
      rule: /exactly one of them/,
      fix: /groupPath: "acme\/platform"/,
    });
  });

  test.each(["acme/", "/acme", "acme//ci", "acme ci"])("a malformed group path %p is refused with a corrected suggestion", (groupPath) => {
    const error = expectViolation(() => build({ type: "group", groupPath }), {
      path: "test/build-runner/scope",
      subject: "groupPath",
      value: groupPath,
      rule: /without a leading or trailing '\/'/,
      fix: /use the path as shown in the group's URL/,
    });
    if (groupPath === "acme/" || groupPath === "/acme") expect(error.fix).toContain('"acme"');
  });

  test("an unknown scope type from plain JavaScript is refused", () => {
    expectViolation(() => build({ type: "namespace", groupPath: "acme" }), {
      path: "test/build-runner/scope",
      subject: "type",
      value: "namespace",
      rule: /"instance", "group" or "project"/,
      fix: /groupPath/,
    });
  });
});
