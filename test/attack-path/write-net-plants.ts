/*
 * Planting grants on the dev unprotected role in a copy of the example's JSON, for the write-net
 * tests (write-net-*.test.ts): what the net reports for the role, and what the named checks
 * (everything but the net) report. The split files share this set-up; each plant's violations are
 * computed once and read by both filters.
 */
import { boundaryViolations } from "./boundaries";
import { type Json, grantRoleIn, plantedIn } from "./planted";
import { exampleScenario, type Scenario } from "./scenario";

export const base = exampleScenario();
export const UNPROTECTED = "acme-ci-dev-app-unprotected";
export const ACCOUNT = "111111111111";
export const REGION = "eu-central-1";

/** The example with `statements` granted to the dev unprotected role. */
export const plant = (...statements: Json[]): Scenario => plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, ...statements));

const computed = new WeakMap<Scenario, string[]>();
/** Every boundary violation of `scenario`, computed once per scenario. */
const violationsOf = (scenario: Scenario): string[] => {
  let all = computed.get(scenario);
  if (!all) computed.set(scenario, (all = boundaryViolations(scenario)));
  return all;
};

/** What the net reports for the dev unprotected role. */
export const net = (scenario: Scenario): string[] => violationsOf(scenario).filter((v) => v.startsWith(`${UNPROTECTED} (reached by an unprotected actor or runner host) may `));
/** What the named checks (everything but the net) report. */
export const named = (scenario: Scenario): string[] => violationsOf(scenario).filter((v) => !v.includes("(reached by an unprotected actor or runner host) may "));
/** The ARN of an SSM parameter of the dev account. */
export const parameter = (name: string): string => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${name}`;
