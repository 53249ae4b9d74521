import { evaluateSecurityRules, type Finding, type SecurityRulePackProps } from "../../lib/checks/pack";
import { exampleStackTexts } from "../support/example-stacks";

/**
 * Pins every finding of the rule pack on the example app's synthesized stacks, as written, under
 * stricter options and with weakened copies of the JSON, so a change that makes the rules cheaper
 * cannot change what they find without this test failing.
 */

const synthesizedStacks = (): Map<string, string> => exampleStackTexts("checks-findings-");

/** Weakens a stack: every runner registration takes unprotected jobs, grants use action wildcards. */
function weakened(json: string): unknown {
  const doc = JSON.parse(json) as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  for (const runner of Object.values(doc.resource?.gitlab_user_runner ?? {})) runner.access_level = "not_protected";
  const text = JSON.stringify(doc)
    // Privileged docker in every runner configuration (the user data is HCL text inside the JSON).
    .replace(/privileged = false/g, "privileged = true")
    .replace(/ecr:PutImage/g, "ecr:Put*")
    .replace(/s3:GetObject\\"/g, 's3:Get*\\"')
    .replace(/ssm:GetParameter\\"/g, 'ssm:GetParameter*\\"');
  return JSON.parse(text);
}

const line = (stack: string, f: Finding): string => `${stack} ${f.ruleId} ${f.severity} ${f.element.address}: ${f.detail}`;

describe("the rule pack's findings on the example app", () => {
  const stacks = synthesizedStacks();
  const findings = (props: SecurityRulePackProps, transform: (json: string) => unknown = (j) => JSON.parse(j)): string[] =>
    [...stacks].flatMap(([name, json]) => evaluateSecurityRules(transform(json), props).map((f) => line(name, f)));

  test("as synthesized: none", () => {
    expect(stacks.size).toBe(6);
    expect(findings({})).toEqual([]);
  });

  test("as production with broad protected tags: the same list as before", () => {
    const list = findings({ production: true, protectedTags: ["*", "v*", "main-*"] });
    expect(new Set(list.map((l) => l.split(" ")[1]))).toEqual(new Set(["ECR003", "DATA001"]));
    expect(list).toMatchSnapshot();
  });

  test("weakened (unprotected runners, privileged docker, action wildcards): the same list as before", () => {
    const list = findings({}, weakened).filter((l) => !/ (ECR003|DATA001) /.test(l));
    expect(new Set(list.map((l) => l.split(" ")[1]))).toEqual(new Set(["RUN001", "IAM001"]));
    expect(list).toMatchSnapshot();
  });
});
