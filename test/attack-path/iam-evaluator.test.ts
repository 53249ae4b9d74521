import fc from "fast-check";
import { conditionHolds, evaluatePolicy, wildcardMatch } from "../support/iam-evaluator";

/** An independent reference for StringLike: the pattern as an anchored regular expression. */
const likeRegex = (pattern: string) =>
  new RegExp(`^${[...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&"))).join("")}$`, "s");
const chars = fc.constantFrom("a", "A", "b", ":", "/", ".", "*", "?");
const pattern = fc.array(chars, { maxLength: 8 }).map((cs) => cs.join(""));
const value = fc.array(fc.constantFrom("a", "A", "b", ":", "/", "."), { maxLength: 10 }).map((cs) => cs.join(""));

describe("wildcardMatch (StringLike)", () => {
  test("agrees with the regular-expression reading of '*' and '?' (property)", () => {
    fc.assert(fc.property(pattern, value, (p, v) => expect(wildcardMatch(p, v)).toBe(likeRegex(p).test(v))), { numRuns: 2000 });
  });

  test("case-sensitive unless asked otherwise (condition values), as the Condition operators page states", () => {
    expect(wildcardMatch("project_path:acme/*", "project_path:ACME/app")).toBe(false);
    expect(wildcardMatch("sts:assumerole*", "sts:AssumeRoleWithWebIdentity", true)).toBe(true);
  });

  test("a pattern without wildcards matches only itself (property)", () => {
    fc.assert(fc.property(value, value, (a, b) => expect(wildcardMatch(a, b)).toBe(a === b)));
  });
});

describe("conditions, with the IAM User Guide's documented semantics", () => {
  // "IAM JSON policy elements: Condition operators", String condition operators and the note on absent keys.
  test("StringEquals: several policy values for one key are ORed; several keys ANDed; several operators ANDed", () => {
    const condition = { StringEquals: { "aws:PrincipalTag/job-category": ["iamuser-admin", "hr"], "aws:RequestedRegion": "eu-central-1" } };
    expect(conditionHolds(condition, { "aws:PrincipalTag/job-category": "hr", "aws:RequestedRegion": "eu-central-1" })).toBe(true);
    expect(conditionHolds(condition, { "aws:PrincipalTag/job-category": "hr", "aws:RequestedRegion": "us-east-1" })).toBe(false);
    expect(conditionHolds({ ...condition, StringLike: { "s3:prefix": "home/*" } }, { "aws:PrincipalTag/job-category": "hr", "aws:RequestedRegion": "eu-central-1", "s3:prefix": "x" })).toBe(false);
  });

  test("a key absent from the request: false for StringEquals/StringLike, true for the negated operators and for ...IfExists", () => {
    expect(conditionHolds({ StringEquals: { "aws:PrincipalTag/job-category": "iamuser-admin" } }, {})).toBe(false);
    expect(conditionHolds({ StringLike: { "s3:prefix": "home/*" } }, {})).toBe(false);
    expect(conditionHolds({ StringNotLike: { "s3:prefix": "home/*" } }, {})).toBe(true);
    expect(conditionHolds({ StringEqualsIfExists: { "ec2:InstanceType": ["t2.micro"] } }, {})).toBe(true);
    expect(conditionHolds({ StringEqualsIfExists: { "ec2:InstanceType": ["t2.micro"] } }, { "ec2:InstanceType": "m5.large" })).toBe(false);
  });

  test("condition keys are case-insensitive, values case-sensitive", () => {
    expect(conditionHolds({ StringEquals: { "gitlab.example.com:aud": "acme-ci-dev" } }, { "GITLAB.example.com:AUD": "acme-ci-dev" })).toBe(true);
    expect(conditionHolds({ StringEquals: { "gitlab.example.com:aud": "acme-ci-dev" } }, { "gitlab.example.com:aud": "ACME-ci-dev" })).toBe(false);
  });

  // "Multivalued context key examples": ForAllValues:StringLike on aws:TagKeys with ["key1*"]; every request value
  // must match one policy value, and an absent key makes ForAllValues true.
  test("ForAllValues and ForAnyValue on a multivalued key", () => {
    const all = { "ForAllValues:StringLike": { "aws:TagKeys": ["key1*"] } };
    expect(conditionHolds(all, { "aws:TagKeys": ["key1a", "key1b"] })).toBe(true);
    expect(conditionHolds(all, { "aws:TagKeys": ["key1a", "key2"] })).toBe(false);
    expect(conditionHolds(all, {})).toBe(true);
    const any = { "ForAnyValue:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] } };
    expect(conditionHolds(any, { "aws:TagKeys": ["owner", "environment"] })).toBe(true);
    expect(conditionHolds(any, { "aws:TagKeys": ["owner"] })).toBe(false);
    expect(conditionHolds(any, {})).toBe(false);
  });

  test("an operator the evaluator does not implement fails loudly instead of guessing", () => {
    expect(() => conditionHolds({ ArnLike: { "aws:SourceArn": "*" } }, {})).toThrow(/not supported/);
    expect(() => conditionHolds({ StringEquals: { k: "a" } }, { k: ["a", "b"] })).toThrow(/several values/);
  });
});

describe("policy evaluation", () => {
  const trust = {
    Statement: [
      { Effect: "Allow", Principal: { Federated: "arn:aws:iam::1:oidc-provider/h" }, Action: ["sts:AssumeRoleWithWebIdentity"], Condition: { StringEquals: { "h:aud": "a" } } },
    ],
  };
  const request = (aud: string) => ({ principal: { type: "Federated" as const, id: "arn:aws:iam::1:oidc-provider/h" }, action: "sts:AssumeRoleWithWebIdentity", context: { "h:aud": aud } });

  test("allow only with the principal, the action and the conditions; otherwise implicitly denied", () => {
    expect(evaluatePolicy(trust, request("a"))).toBe("allow");
    expect(evaluatePolicy(trust, request("b"))).toBe("implicit-deny");
    expect(evaluatePolicy(trust, { ...request("a"), principal: { type: "Federated", id: "arn:aws:iam::2:oidc-provider/h" } })).toBe("implicit-deny");
    expect(evaluatePolicy(trust, { ...request("a"), action: "sts:AssumeRole" })).toBe("implicit-deny");
  });

  test("an explicit Deny wins over any Allow (policy evaluation logic)", () => {
    const withDeny = { Statement: [...trust.Statement, { Effect: "Deny", Principal: "*", Action: "sts:*", Condition: { StringLike: { "h:aud": "a*" } } }] };
    expect(evaluatePolicy(withDeny, request("a"))).toBe("explicit-deny");
  });

  test("identity policies: Action wildcards and Resource ARNs", () => {
    const policy = { Statement: [{ Effect: "Allow", Action: ["ecr:Put*"], Resource: ["arn:aws:ecr:eu-central-1:1:repository/acme/dev/app/*"] }] };
    expect(evaluatePolicy(policy, { action: "ecr:PutImage", resource: "arn:aws:ecr:eu-central-1:1:repository/acme/dev/app/app" })).toBe("allow");
    expect(evaluatePolicy(policy, { action: "ecr:PutImage", resource: "arn:aws:ecr:eu-central-1:1:repository/acme/dev/lib/app" })).toBe("implicit-deny");
  });
});
