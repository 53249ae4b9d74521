/*
 * Host takeover paths from a role an unprotected actor reaches: Systems Manager commands or
 * sessions on the runner hosts, rewriting the host scripts the fleets fetch at boot, and launching
 * an instance with a role the actor does not reach (iam:PassRole with ec2:RunInstances). Each
 * planted grant, in a copy of the example's JSON, is caught by boundaryViolations. Grants narrowed
 * by a resource-tag condition are judged against the tags the synthesized instances carry.
 */
import { boundaryViolations } from "./boundaries";
import { type Json, grantRoleIn, plantedIn } from "./planted";
import { instancesOf, tagContextsOf } from "./host-takeover";
import { exampleScenario } from "./scenario";

const base = exampleScenario();
const UNPROTECTED = "acme-ci-dev-app-unprotected";
const HOST = "acme-ci-dev-runner-host";
const ACCOUNT = "111111111111";
const REGION = "eu-central-1";
const plant = (...statements: Json[]) => plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, ...statements));
const takeovers = (scenario: ReturnType<typeof plant>) => boundaryViolations(scenario).filter((v) => v.includes(`reaches ${UNPROTECTED}, which may `));

describe("attack paths: host takeover from a role an unprotected actor reaches", () => {
  test("the example app has none, and the host role the probe names exists", () => {
    expect(takeovers(base)).toEqual([]);
    expect(base.model.roles.map((r) => r.name)).toEqual(expect.arrayContaining([UNPROTECTED, HOST]));
  });

  test("ssm:SendCommand on * and ssm:StartSession on the account's instances are caught (the old boundaries never looked)", () => {
    expect(takeovers(plant({ Effect: "Allow", Action: "ssm:SendCommand", Resource: "*" }))).toEqual(
      expect.arrayContaining([expect.stringMatching(/which may call ssm:SendCommand on the runner hosts' instances/)]),
    );
    expect(takeovers(plant({ Effect: "Allow", Action: "ssm:StartSession", Resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*` }))).toEqual(
      expect.arrayContaining([expect.stringMatching(/which may call ssm:StartSession on the runner hosts' instances/)]),
    );
  });

  test("ssm:PutParameter on the host-script parameters (parameter/runner-fleet/<fleet>/*) is caught", () => {
    const found = takeovers(plant({ Effect: "Allow", Action: "ssm:PutParameter", Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/runner-fleet/acme-ci-dev/*` }));
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/which may call ssm:PutParameter on the host script \/runner-fleet\/acme-ci-dev\/script-[0-9a-f]+\/0$/)]));
    // Other parameters are not host scripts.
    expect(takeovers(plant({ Effect: "Allow", Action: "ssm:PutParameter", Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/elsewhere/*` }))).toEqual([]);
  });

  test("ssm:PutParameter on another stack's host scripts in the same account (staging's, from dev's unprotected role) is caught (the old check read the role's own stack only)", () => {
    const accountOf = (stack: string) => (base.json.get(stack)!.provider as { aws: { allowed_account_ids: string[] }[] }).aws[0]!.allowed_account_ids[0];
    expect([accountOf("dev"), accountOf("staging")]).toEqual([ACCOUNT, ACCOUNT]);
    const found = takeovers(plant({ Effect: "Allow", Action: "ssm:PutParameter", Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/runner-fleet/acme-ci-staging/*` }));
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/which may call ssm:PutParameter on the host script \/runner-fleet\/acme-ci-staging\/script-[0-9a-f]+\/0 of staging$/)]));
    // Production is in another account: a grant naming this account's ARNs cannot touch it.
    expect(found.filter((f) => f.includes("acme-ci-production"))).toEqual([]);
  });

  test("iam:PassRole of the protected runner host role with ec2:RunInstances is caught; either half alone, or passing a role it reaches anyway, is not", () => {
    const pass = { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/${HOST}` };
    const run = { Effect: "Allow", Action: "ec2:RunInstances", Resource: "*" };
    expect(takeovers(plant(pass, run))).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`which may launch an instance with ${HOST} \\(iam:PassRole and ec2:RunInstances\\)$`))]));
    expect(takeovers(plant(pass))).toEqual([]);
    expect(takeovers(plant(run))).toEqual([]);
    expect(takeovers(plant(run, { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/${UNPROTECTED}` }))).toEqual([]);
  });

  describe("grants narrowed by a resource-tag condition: judged against the synthesized instances' tags", () => {
    const sendCommand = (operator: string, key: string, value: string, action = "ssm:SendCommand") => plant({ Effect: "Allow", Action: action, Resource: "*", Condition: { [operator]: { [key]: value } } });
    /** What the unprotected role may do, once for all the actors reaching it. */
    const caught = (scenario: ReturnType<typeof plant>, action = "ssm:SendCommand") => [
      ...new Set(takeovers(scenario).filter((v) => v.includes(`may call ${action} on the runner hosts' instances`)).map((v) => v.slice(v.indexOf(", which ") + 2))),
    ];

    test("the dev stack's instances carry the tags the probes use (launch template tag_specifications, aws_instance tags)", () => {
      const instances = instancesOf(base.json.get("dev")!);
      expect(instances.length).toBeGreaterThan(0);
      expect(instances.flatMap((i) => i.tagSets.map((t) => t["gitlab-runner-fleet"]))).toContain("acme-ci-dev");
      expect(instances.flatMap((i) => i.tagSets.map((t) => t.environment))).toContain("dev");
    });

    test.each<[string, string, string, string]>([
      ["ssm:resourceTag on the fleet tag", "StringEquals", "ssm:resourceTag/gitlab-runner-fleet", "acme-ci-dev"],
      ["aws:ResourceTag with a wildcard", "StringLike", "aws:ResourceTag/gitlab-runner-fleet", "acme-ci-*"],
      ["ec2:ResourceTag on the Name tag", "StringEquals", "ec2:ResourceTag/Name", "acme-ci-dev-runner"],
      ["a provider default tag", "StringEquals", "aws:ResourceTag/environment", "dev"],
      ["a tag whose value is a Terraform expression (fails closed: any value the condition names)", "StringEquals", "aws:ResourceTag/gitlab-runner-token-revision", "0123456789ab"],
    ])("a matching tag condition is caught: %s (the old probe sent no tags, so it never matched)", (_name, operator, key, value) => {
      expect(caught(sendCommand(operator, key, value))).toEqual([expect.stringMatching(/may call ssm:SendCommand on the runner hosts' instances \(arn:aws:ec2:eu-central-1:111111111111:instance\/i-\w+; matching .*aws_launch_template\./)]);
    });

    test("StartSession narrowed to the fleet's tag is caught too, naming only the instances that carry the tag", () => {
      expect(caught(sendCommand("StringEquals", "ssm:resourceTag/gitlab-runner-fleet", "acme-ci-dev", "ssm:StartSession"), "ssm:StartSession")).toEqual([
        expect.stringMatching(/ssm:StartSession .*; matching dev:aws_launch_template\.[^ ,]+\)$/),
      ]);
    });

    test("unresolved tag values: each value the conditions name is tried; beyond 64 combinations the instance is asked about unconditioned (fails closed)", () => {
      const role = base.model.roles.find((r) => r.name === UNPROTECTED)!;
      const keys = ["a", "b", "c", "d", "e", "f", "g"];
      const naming = { ...role, policies: [{ Statement: [{ Effect: "Allow", Action: "ssm:SendCommand", Resource: "*", Condition: { StringEquals: Object.fromEntries(keys.map((k) => [`aws:ResourceTag/${k}`, "v"])) } }] }] };
      const unresolved = Object.fromEntries(keys.map((k) => [k, "${var.x}"]));
      expect(tagContextsOf({ a: "${var.x}", plain: "p" }, naming)).toEqual([
        { "aws:ResourceTag/a": "${var.x}", "ec2:ResourceTag/a": "${var.x}", "ssm:resourceTag/a": "${var.x}", "aws:ResourceTag/plain": "p", "ec2:ResourceTag/plain": "p", "ssm:resourceTag/plain": "p" },
        { "aws:ResourceTag/a": "v", "ec2:ResourceTag/a": "v", "ssm:resourceTag/a": "v", "aws:ResourceTag/plain": "p", "ec2:ResourceTag/plain": "p", "ssm:resourceTag/plain": "p" },
      ]);
      expect(tagContextsOf(unresolved, naming)).toBeUndefined();
    });

    test("a tag no instance carries, or a value none has, is not a takeover", () => {
      for (const [key, value] of [
        ["aws:ResourceTag/gitlab-runner-fleet", "someone-elses-fleet"],
        ["ssm:resourceTag/owner", "another-team"],
        ["ec2:ResourceTag/Name", "acme-ci-dev-runner-old"],
      ] as const) {
        expect({ key, value, found: caught(sendCommand("StringEquals", key, value)) }).toEqual({ key, value, found: [] });
      }
    });
  });
});
