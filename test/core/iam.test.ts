import { Lazy } from "cdktf";
import { mergeStatements, PolicyDocument, statementToJson } from "../../lib/core/iam";
import { ValidationError } from "../../lib/core/errors";

/** What cdktf writes for the n-th string token of an app. */
const token = (n: number) => `\${TfToken[TOKEN.${n}]}`;

describe("mergeStatements resource order", () => {
  test("references keep their creation order across a power of ten of the token counter", () => {
    const merged = mergeStatements([
      { actions: ["ecr:BatchGetImage"], resources: [token(999)] },
      { actions: ["ecr:BatchGetImage"], resources: [token(1000)] },
      { actions: ["ecr:BatchGetImage"], resources: [token(1001)] },
    ]);
    expect(merged).toEqual([{ actions: ["ecr:BatchGetImage"], resources: [token(999), token(1000), token(1001)] }]);
  });

  test("the order does not depend on the order of the grants", () => {
    const a = { actions: ["s3:GetObject"], resources: [token(99), "arn:aws:s3:::b/*"] };
    const b = { actions: ["s3:GetObject"], resources: [token(100), "arn:aws:s3:::a/*"] };
    expect(mergeStatements([a, b])).toEqual(mergeStatements([b, a]));
    expect(mergeStatements([a, b])[0]!.resources).toEqual([token(99), token(100), "arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]);
  });

  test("real tokens: earlier first", () => {
    const first = Lazy.stringValue({ produce: () => "a" });
    const second = Lazy.stringValue({ produce: () => "b" });
    expect(mergeStatements([{ actions: ["x:Y"], resources: [second, first] }])[0]!.resources).toEqual([first, second]);
  });
});

describe("statements with resources and notResources", () => {
  const both = { actions: ["kms:Decrypt"], resources: ["arn:aws:kms:eu-central-1:111111111111:key/a"], notResources: ["arn:aws:kms:eu-central-1:111111111111:key/b"] };

  test("fault: statementToJson rendered NotResource and silently dropped the resources; now both are refused when the statement is added and when it is rendered", () => {
    expect(() => new PolicyDocument([both])).toThrow(ValidationError);
    expect(() => new PolicyDocument([both])).toThrow(/names resources or notResources, not both/);
    expect(() => statementToJson(both)).toThrow(/leave resources empty/);
  });

  test("either alone renders its own element", () => {
    expect(statementToJson({ ...both, notResources: undefined })).toEqual({ Effect: "Allow", Action: ["kms:Decrypt"], Resource: both.resources });
    expect(statementToJson({ ...both, effect: "Deny", resources: [] })).toEqual({ Effect: "Deny", Action: ["kms:Decrypt"], NotResource: both.notResources });
  });
});
