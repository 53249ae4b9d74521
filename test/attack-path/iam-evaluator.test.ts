import fc from "fast-check";
import { conditionHolds, evaluatePolicy, evaluateResourcePolicy, wildcardMatch } from "../support/iam-evaluator";
import { roleAllows, type RoleNode } from "./iam-model";

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

  // "Single-valued vs. multivalued context keys" (IAM User Guide, reference_policies_condition-single-vs-multi-valued-context-keys):
  // ForAllValues returns true when the key is absent or its value an empty set, ForAnyValue returns false, and this
  // holds for the negated operators too; IfExists makes an absent key true.
  test("set operators with the key absent or empty, negated or not (the documented table)", () => {
    const cases: [string, Record<string, string[]>, boolean][] = [
      ["ForAnyValue:StringNotLike", {}, false],
      ["ForAnyValue:StringNotEquals", {}, false],
      ["ForAnyValue:StringLike", {}, false],
      ["ForAnyValue:StringEquals", { "aws:TagKeys": [] }, false],
      ["ForAnyValue:StringNotLike", { "aws:TagKeys": [] }, false],
      ["ForAllValues:StringNotLike", {}, true],
      ["ForAllValues:StringNotEquals", {}, true],
      ["ForAllValues:StringEquals", { "aws:TagKeys": [] }, true],
      ["ForAnyValue:StringNotLikeIfExists", {}, true],
    ];
    for (const [operator, context, expected] of cases) {
      expect({ operator, context, holds: conditionHolds({ [operator]: { "aws:TagKeys": ["environment", "cost-*"] } }, context) }).toEqual({ operator, context, holds: expected });
    }
  });

  // "Multivalued context key examples", Example: Deny policy with condition set operator ForAllValues
  // (reference_policies_condition_examples-multi-valued-context-keys): its table, row by row.
  test("the documented ForAllValues:StringNotLike table (aws:TagKeys, key1*)", () => {
    const condition = { "ForAllValues:StringNotLike": { "aws:TagKeys": "key1*" } };
    expect(conditionHolds(condition, { "aws:TagKeys": ["key1:legal"] })).toBe(false);
    expect(conditionHolds(condition, { "aws:TagKeys": ["key1:hr", "key1:personnel"] })).toBe(false);
    expect(conditionHolds(condition, { "aws:TagKeys": ["key2:audit"] })).toBe(true);
    expect(conditionHolds(condition, {})).toBe(true);
  });

  test("negated set operators with values: ForAnyValue:StringNotLike needs one value outside the set, ForAllValues:StringNotEquals every value", () => {
    const notLike = { "ForAnyValue:StringNotLike": { "aws:TagKeys": ["environment", "cost-*"] } };
    expect(conditionHolds(notLike, { "aws:TagKeys": ["environment", "owner"] })).toBe(true);
    expect(conditionHolds(notLike, { "aws:TagKeys": ["environment", "cost-center"] })).toBe(false);
    const allNot = { "ForAllValues:StringNotEquals": { "aws:TagKeys": ["environment"] } };
    expect(conditionHolds(allNot, { "aws:TagKeys": ["owner", "project"] })).toBe(true);
    expect(conditionHolds(allNot, { "aws:TagKeys": ["owner", "environment"] })).toBe(false);
  });

  test("De Morgan over present, non-empty keys: ForAnyValue:StringNotLike = not ForAllValues:StringLike, ForAllValues:StringNotLike = not ForAnyValue:StringLike (property)", () => {
    const values = fc.array(fc.constantFrom("a", "ab", "b", "ba", "A"), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 3 }), values, (policy, request) => {
        const holds = (operator: string) => conditionHolds({ [operator]: { k: policy } }, { k: request });
        expect(holds("ForAnyValue:StringNotLike")).toBe(!holds("ForAllValues:StringLike"));
        expect(holds("ForAllValues:StringNotLike")).toBe(!holds("ForAnyValue:StringLike"));
      }),
    );
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

  test("NotResource: a Deny on every key but one denies the others and leaves that one to the Allow (IAM User Guide, NotResource with Deny)", () => {
    const key = "arn:aws:kms:eu-central-1:1:key/cmk";
    const context = { "kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:eu-central-1:1:parameter/p" };
    const policy = {
      Statement: [
        { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key] },
        { Effect: "Deny", Action: ["kms:Decrypt"], NotResource: [key], Condition: { StringEquals: context } },
      ],
    };
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: key, context })).toBe("allow");
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: "arn:aws:kms:eu-central-1:1:key/aws-ssm", context })).toBe("explicit-deny");
    // Another parameter's context: the Deny does not apply (and nothing allows).
    expect(evaluatePolicy(policy, { action: "kms:Decrypt", resource: "arn:aws:kms:eu-central-1:1:key/aws-ssm", context: { "kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:eu-central-1:1:parameter/q" } })).toBe("implicit-deny");
    expect(() => evaluatePolicy({ Statement: [{ Effect: "Allow", NotAction: "s3:*", Resource: "*" }] }, { action: "ec2:RunInstances", resource: "*" })).toThrow(/NotAction is not supported/);
  });
});

describe("resource-based policies and account principals", () => {
  const request = (id: string) => ({ principal: { type: "AWS" as const, id }, action: "ecr:PutImage" });
  const doc = (principal: unknown, effect = "Allow") => ({ Statement: [{ Effect: effect, Principal: principal, Action: "ecr:*" }] });

  test("naming the principal allows; naming its account (root ARN or bare id) delegates to its IAM policies; another account matches nothing", () => {
    expect(evaluateResourcePolicy(doc({ AWS: "arn:aws:iam::111111111111:role/r" }), request("arn:aws:iam::111111111111:role/r"))).toBe("allow");
    expect(evaluateResourcePolicy(doc({ AWS: "arn:aws:iam::111111111111:root" }), request("arn:aws:iam::111111111111:role/r"))).toBe("allow-if-identity-allows");
    expect(evaluateResourcePolicy(doc({ AWS: ["111111111111"] }), request("arn:aws:iam::111111111111:role/path/r"))).toBe("allow-if-identity-allows");
    expect(evaluateResourcePolicy(doc({ AWS: "arn:aws:iam::222222222222:root" }), request("arn:aws:iam::111111111111:role/r"))).toBe("implicit-deny");
    expect(evaluateResourcePolicy(doc({ AWS: "arn:aws:iam::111111111111:root" }, "Deny"), request("arn:aws:iam::111111111111:role/r"))).toBe("explicit-deny");
  });
});

describe("managed policies in the model", () => {
  const role = (managedPolicyArns: string[]): RoleNode => ({ stack: "s", account: "1", name: "r", arn: "arn:aws:iam::1:role/r", trust: { Statement: [] }, policies: [], managedPolicyArns });

  test("every administrator-level policy of lib/identity/admin-policies.ts allows everything, not only AdministratorAccess and PowerUserAccess", () => {
    for (const name of ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AWSOrganizationsFullAccess", "AdministratorAccess-Amplify", "AdministratorAccess-AWSElasticBeanstalk"]) {
      expect({ name, allows: roleAllows(role([`arn:aws:iam::aws:policy/${name}`]), "sts:AssumeRole", "arn:aws:iam::1:role/x") }).toEqual({ name, allows: true });
    }
  });

  test("a known service policy allows what its document says; an unknown AWS-managed or customer policy fails closed", () => {
    const dlm = role(["arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"]);
    expect(roleAllows(dlm, "ec2:CreateSnapshot", "arn:aws:ec2:eu-central-1::snapshot/s")).toBe(true);
    expect(roleAllows(dlm, "ecr:PutImage", "arn:aws:ecr:eu-central-1:1:repository/x")).toBe(false);
    expect(() => roleAllows(role(["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"]), "ecr:PutImage", "x")).toThrow(/unknown managed policy arn:aws:iam::aws:policy\/AmazonEC2ContainerRegistryPowerUser, add it to the model/);
    expect(() => roleAllows(role(["arn:aws:iam::1:policy/team-deploy"]), "ecr:PutImage", "x")).toThrow(/unknown managed policy arn:aws:iam::1:policy\/team-deploy/);
  });
});
