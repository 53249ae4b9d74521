/*
 * The net under the named boundary checks (write-net.ts): grants the named checks do not look
 * for, planted on the dev unprotected role in a copy of the example's JSON, are each reported;
 * the example app (and its allowlisted writes) is not.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expandAction } from "../../lib/core/iam-data";
import { exampleConfig } from "../../stacks/example-config";
import { boundaryViolations } from "./boundaries";
import { type Json, grantRoleIn, plantedIn } from "./planted";
import { buildScenario } from "./scenario";
import { changesSomething, UNPROTECTED_WRITES } from "./write-net";

const base = buildScenario(exampleConfig);
const UNPROTECTED = "acme-ci-dev-app-unprotected";
const ACCOUNT = "111111111111";
const REGION = "eu-central-1";
const plant = (...statements: Json[]) => plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, ...statements));
const net = (scenario: ReturnType<typeof plant>) => boundaryViolations(scenario).filter((v) => v.startsWith(`${UNPROTECTED} (reached by an unprotected actor or runner host) may `));
/** What the named checks (everything but the net) report. */
const named = (scenario: ReturnType<typeof plant>) => boundaryViolations(scenario).filter((v) => !v.includes("(reached by an unprotected actor or runner host) may "));
const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${name}`;

describe("attack paths: the write net under the named checks", () => {
  test("the example app has no violation at all, and the planted parameters exist in staging", () => {
    expect(boundaryViolations(base)).toEqual([]);
    const names = Object.values((base.json.get("staging")!.resource!.aws_ssm_parameter ?? {}) as Record<string, Json>).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["/acme-ci/staging/runner/build/token", "/acme-ci/staging/deploy/app/last-good-digest"]));
  });

  test.each([
    ["ssm:PutParameter on staging's build runner token (hands protected hosts the attacker's runner token)", { Action: "ssm:PutParameter", Resource: parameter("acme-ci/staging/runner/build/token") }, /may ssm:PutParameter on .*runner\/build\/token: the parameter \/acme-ci\/staging\/runner\/build\/token of staging is protected/],
    ["ssm:PutParameter on staging's last-good digest (steers a rollback)", { Action: "ssm:PutParameter", Resource: parameter("acme-ci/staging/deploy/app/last-good-digest") }, /may ssm:PutParameter on .*last-good-digest: the parameter \/acme-ci\/staging\/deploy\/app\/last-good-digest of staging is protected/],
    ["ssm:Put* on the staging tree (a wildcard action, expanded)", { Action: "ssm:Put*", Resource: parameter("acme-ci/staging/*") }, /may ssm:PutParameter on .*acme-ci\/staging\/\*: the parameter/],
    ["kms:PutKeyPolicy on * (rewrite the secrets key's policy, then decrypt every token)", { Action: "kms:PutKeyPolicy", Resource: "*" }, /may kms:PutKeyPolicy on \*: every resource of its type is protected/],
    ["kms:* on the secrets key", { Action: "kms:*", Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*` }, /may kms:PutKeyPolicy on arn:aws:kms:.*: every resource of its type is protected/],
    ["ssm:CreateAssociation on * (runs a document on the hosts)", { Action: "ssm:CreateAssociation", Resource: "*" }, /may ssm:CreateAssociation on \*/],
    ["ssm:StartAutomationExecution on * (an automation runs with its own role)", { Action: "ssm:StartAutomationExecution", Resource: "*" }, /may ssm:StartAutomationExecution on \*/],
  ])("%s is caught (the named checks report nothing)", (_, statement, expected) => {
    const planted = plant({ Effect: "Allow", ...statement });
    expect(net(planted)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    expect(named(planted)).toEqual([]);
  });

  test.each([
    [
      "autoscaling:UpdateAutoScalingGroup on staging's protected runner group (its launch template, capacity and instance types)",
      { Action: "autoscaling:UpdateAutoScalingGroup", Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/acme-ci-staging-runners` },
      /may autoscaling:UpdateAutoScalingGroup on .*autoScalingGroupName\/acme-ci-staging-runners: the Auto Scaling group acme-ci-staging-runners of staging is protected/,
    ],
    [
      "ec2:CreateLaunchTemplateVersion on dev's protected runner launch template, by reference (new user data for the socket-binding hosts)",
      { Action: "ec2:CreateLaunchTemplateVersion", Resource: "${aws_launch_template.platform_runner-fleet_launch-template_88D1D1A2.arn}" },
      /may ec2:CreateLaunchTemplateVersion on arn:aws:ec2:.*launch-template\/lt-dev-platform_runner-fleet_launch-template_88D1D1A2: the launch template acme-ci-dev-runner-host of dev is protected/,
    ],
    [
      "autoscaling:* on production's deploy group (any write action, expanded)",
      { Action: "autoscaling:*", Resource: `arn:aws:autoscaling:${REGION}:222222222222:autoScalingGroup:*:autoScalingGroupName/acme-ci-production-deploy-runners` },
      /may autoscaling:UpdateAutoScalingGroup on .*acme-ci-production-deploy-runners: the Auto Scaling group acme-ci-production-deploy-runners of production is protected/,
    ],
  ])("fault: %s is caught (the protected scope left out launch templates and Auto Scaling groups)", (_, statement, expected) => {
    const planted = plant({ Effect: "Allow", ...statement });
    expect(net(planted)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    expect(named(planted)).toEqual([]);
  });

  test("the unprotected pool's own fleet (the autoscaler manager and its worker group, launch templates) is not a protected scope", () => {
    const own = plant(
      { Effect: "Allow", Action: "autoscaling:UpdateAutoScalingGroup", Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/acme-ci-dev-unprotected-mr-workers` },
      { Effect: "Allow", Action: "ec2:CreateLaunchTemplateVersion", Resource: "${aws_launch_template.platform_unprotected-autoscaler_workers-mr_launch-template_AA06E21B.arn}" },
    );
    expect(net(own)).toEqual([]);
  });

  test("an SSH key sent to another fleet's Auto Scaling group is caught; the allowance holds only for groups the role itself scales", () => {
    const ssh = (group: string) => ({ Effect: "Allow", Action: "ec2-instance-connect:SendSSHPublicKey", Resource: "*", Condition: { StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": group } } });
    // Staging's protected, socket-binding runner hosts share the account with dev: SSH into them is a takeover.
    expect(net(plant(ssh("acme-ci-staging-runners")))).toEqual([expect.stringMatching(/may ec2-instance-connect:SendSSHPublicKey on \*/)]);
    // The same group the role is also allowed to scale is its own (the docker-autoscaler manager's case): not reported.
    const scaled = plant(ssh("acme-ci-dev-unprotected-mr-workers"), { Effect: "Allow", Action: "autoscaling:SetDesiredCapacity", Resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/acme-ci-dev-unprotected-mr-workers` });
    expect(net(scaled).filter((v) => v.includes("SendSSHPublicKey"))).toEqual([]);
  });

  test("iam:PassRole of a deployment role with lambda:CreateFunction and InvokeFunction is caught (a function runs as the deployment role)", () => {
    const deployment = base.model.roles.find((r) => r.stack === "staging" && r.name.endsWith("-deployment"))!;
    const planted = plant({ Effect: "Allow", Action: "iam:PassRole", Resource: deployment.arn }, { Effect: "Allow", Action: ["lambda:CreateFunction", "lambda:InvokeFunction"], Resource: "*" });
    expect(named(planted)).toEqual([]);
    const found = net(planted);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`may iam:PassRole on ${deployment.arn}: the role ${deployment.name} is protected`)),
        expect.stringMatching(/may lambda:CreateFunction on \*/),
        expect.stringMatching(/may lambda:InvokeFunction on \*/),
      ]),
    );
  });

  test("Action * and an administrator-level managed policy are caught; reads and the role's own unprotected writes are not", () => {
    expect(net(plant({ Effect: "Allow", Action: "*", Resource: "*" })).length).toBeGreaterThan(100);
    const admin = plantedIn(base, (json) => {
      const roles = json.get("dev")!.resource!.aws_iam_role as Record<string, Json>;
      const [id] = Object.entries(roles).find(([, r]) => r.name === UNPROTECTED)!;
      roles[id]!.managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"];
    });
    expect(net(admin)).toEqual(expect.arrayContaining([expect.stringMatching(/may iam:CreateRole on \*/)]));
    expect(net(plant({ Effect: "Allow", Action: ["ssm:GetParameter", "ecr:Describe*", "s3:List*"], Resource: "*" }))).toEqual([]);
    const own = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/acme/dev/app/unprotected/app`;
    expect(net(plant({ Effect: "Allow", Action: ["ecr:PutImage", "ecr:BatchDeleteImage"], Resource: own }))).toEqual([]);
    // Another tenant's unprotected repository is not the role's own.
    expect(net(plant({ Effect: "Allow", Action: "ecr:PutImage", Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/acme/dev/web/unprotected/app` }))).toEqual([
      expect.stringMatching(/may ecr:PutImage on .*web\/unprotected\/app: the repository acme\/dev\/web\/unprotected\/app is protected/),
    ]);
  });

  test("a write outside every protected scope (the role's own log group) is not reported; the allowlist's actions exist in the reference at a write level", () => {
    expect(net(plant({ Effect: "Allow", Action: "logs:PutLogEvents", Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/acme-ci/dev/app-unprotected:*` }))).toEqual([]);
    for (const entry of UNPROTECTED_WRITES) {
      const actions = expandAction(entry.action);
      expect({ entry: entry.action, levels: actions.every(changesSomething), found: actions.length > 0 }).toEqual({ entry: entry.action, levels: true, found: true });
      expect(entry.reason.length).toBeGreaterThan(20);
    }
  });

  test("docs/security-model.md's allowlist table names every allowlisted action, and no other", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "security-model.md"), "utf8");
    const table = doc.slice(doc.indexOf("What these roles may write on a protected scope"), doc.indexOf("## Protected refs as code"));
    const rows = table.split("\n").filter((l) => l.startsWith("| `"));
    const documented = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    const services = new Map(rows.map((row) => [row, /`([a-z0-9-]+):/.exec(row)?.[1]]));
    const qualified = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => (m[1]!.includes(":") ? m[1]! : `${services.get(row)!}:${m[1]!}`)));
    expect(documented.length).toBe(qualified.length);
    expect(new Set(qualified)).toEqual(new Set(UNPROTECTED_WRITES.map((w) => w.action)));
  });
});
