import { Lazy } from "cdktf";
import { mergeStatements } from "../../lib/core/iam";

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
