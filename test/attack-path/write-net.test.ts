/*
 * The net under the named boundary checks (write-net.ts): grants the named checks do not look
 * for, planted on the dev unprotected role in a copy of the example's JSON, are each reported;
 * the example app is not. This file: the protected parameters and the secrets key. The fleets'
 * scope is in write-net-fleets.test.ts, escalation and the allowlist in write-net-escalation.test.ts.
 */
import { type Json } from "./planted";
import { base, named, net, parameter, plant, REGION, ACCOUNT } from "./write-net-plants";
import { boundaryViolations } from "./boundaries";

describe("attack paths: the write net under the named checks (parameters and the secrets key)", () => {
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
});
