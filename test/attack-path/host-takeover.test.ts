/*
 * Host takeover paths from a role an unprotected actor reaches: Systems Manager commands or
 * sessions on the runner hosts, rewriting the host scripts the fleets fetch at boot, and launching
 * an instance with a role the actor does not reach (iam:PassRole with ec2:RunInstances). Each
 * planted grant, in a copy of the example's JSON, is caught by boundaryViolations.
 */
import { exampleConfig } from "../../stacks/example-config";
import { boundaryViolations } from "./boundaries";
import { type Json, grantRoleIn, plantedIn } from "./planted";
import { buildScenario } from "./scenario";

const base = buildScenario(exampleConfig);
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

  test("iam:PassRole of the protected runner host role with ec2:RunInstances is caught; either half alone, or passing a role it reaches anyway, is not", () => {
    const pass = { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/${HOST}` };
    const run = { Effect: "Allow", Action: "ec2:RunInstances", Resource: "*" };
    expect(takeovers(plant(pass, run))).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`which may launch an instance with ${HOST} \\(iam:PassRole and ec2:RunInstances\\)$`))]));
    expect(takeovers(plant(pass))).toEqual([]);
    expect(takeovers(plant(run))).toEqual([]);
    expect(takeovers(plant(run, { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/${UNPROTECTED}` }))).toEqual([]);
  });
});
