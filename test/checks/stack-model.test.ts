import fc from "fast-check";
import { expressionSpans, isExpression, referencesIn, soleReference, StackModel } from "../../lib/checks/stack-model";

describe("references in synthesized values", () => {
  test("expressionSpans keeps nested interpolations inside their outer span and skips $${ escapes", () => {
    expect(expressionSpans('a ${base64encode("u:${var.user}")} b $${literal} ${aws_s3_bucket.x.id}')).toEqual([
      'base64encode("u:${var.user}")',
      "aws_s3_bucket.x.id",
    ]);
  });

  test("referencesIn finds resources, data sources and variables inside expressions only", () => {
    const refs = referencesIn({
      a: '${jsonencode({"auth" = base64encode("${gitlab_deploy_token.registry-token_1A2B.username}:${var.password}")})}',
      b: ["${data.aws_ssm_parameter.token.value}", "${aws_instance.host[0].id}"],
      c: "aws_s3_bucket.not_a_reference.id outside an expression",
    });
    expect(refs.map((r) => `${r.kind} ${r.address}${r.attribute ? ` .${r.attribute}` : ""}`)).toEqual([
      "resource gitlab_deploy_token.registry-token_1A2B .username",
      "variable var.password",
      "data data.aws_ssm_parameter.token .value",
      "resource aws_instance.host .id",
    ]);
  });

  test("soleReference accepts exactly one plain reference", () => {
    expect(soleReference("${data.aws_iam_policy_document.doc.json}")?.address).toBe("data.aws_iam_policy_document.doc");
    expect(soleReference("${var.token}")?.address).toBe("var.token");
    expect(soleReference("${jsonencode(data.aws_iam_policy_document.doc.json)}")).toBeUndefined();
    expect(soleReference("prefix-${var.token}")).toBeUndefined();
  });
});

describe("StackModel", () => {
  const model = new StackModel({
    resource: {
      aws_s3_bucket: { cache: { bucket: "acme-cache", "//": { metadata: { path: "dev/cache/bucket" } } } },
      aws_s3_bucket_policy: {
        byRef: { bucket: "${aws_s3_bucket.cache.id}" },
        byName: { bucket: "acme-cache" },
        other: { bucket: "other-bucket" },
      },
    },
    variable: { token: { type: "string", sensitive: true }, region: { type: "string" } },
    locals: { x: "y" },
    provider: { aws: [{ region: "eu-central-1" }] },
  });

  test("indexes elements with their addresses and construct paths", () => {
    expect(model.elements.map((e) => [e.address, e.path ?? null])).toEqual([
      ["aws_s3_bucket.cache", "dev/cache/bucket"],
      ["aws_s3_bucket_policy.byRef", null],
      ["aws_s3_bucket_policy.byName", null],
      ["aws_s3_bucket_policy.other", null],
      ["var.token", null],
      ["var.region", null],
      ["local.x", null],
      ["provider.aws[0]", null],
    ]);
    expect(model.get("aws_s3_bucket.cache")!.config).toEqual({ bucket: "acme-cache" });
    expect([model.isSensitiveVariable("token"), model.isSensitiveVariable("region"), model.isSensitiveVariable("missing")]).toEqual([true, false, false]);
  });

  test("links resources to a bucket by reference or by its literal name", () => {
    const bucket = model.get("aws_s3_bucket.cache")!;
    expect(model.attachedTo(bucket, ["aws_s3_bucket_policy"], "bucket", ["bucket"]).map((e) => e.name)).toEqual(["byRef", "byName"]);
  });
});

describe("isExpression", () => {
  test("is true exactly when expressionSpans finds a span (escapes, nesting, unclosed braces)", () => {
    const fragments = fc.constantFrom("$", "$$", "${", "$${", "{", "}", "%{", "x", '"', "var.a", " ");
    let expressions = 0;
    fc.assert(
      fc.property(fc.array(fragments, { maxLength: 12 }), (parts) => {
        const text = parts.join("");
        const expected = expressionSpans(text).length > 0;
        if (expected) expressions++;
        if (isExpression(text) !== expected) expect({ text, isExpression: isExpression(text) }).toEqual({ text, isExpression: expected });
      }),
      { numRuns: 1000 },
    );
    expect(expressions).toBeGreaterThan(100);
    expect([isExpression("$${x}"), isExpression("$$${x}"), isExpression("a$${b}${c}"), isExpression(7)]).toEqual([false, false, true, false]);
  });
});
