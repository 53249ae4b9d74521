import { Fn, TerraformStack, Testing } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import fc from "fast-check";
import { escapeForFunctionArgument, replaceTokens, splitTokens } from "../../lib/core/tokens";
import { decodeFunctionCall } from "../support/hcl";

function tokenOf(stack: TerraformStack, id: string): string {
  return new SsmParameter(stack, id, { name: id, type: "String", value: "x" }).name;
}

/** What Terraform would compute for `${base64gzip("<escaped text>")}`'s argument, tokens as <TOKEN>. */
function roundTrip(text: string | ((stack: TerraformStack) => string)): string {
  const stack = new TerraformStack(Testing.app(), "t");
  if (typeof text !== "string") text = text(stack);
  new SsmParameter(stack, "out", { name: "out", type: "String", value: Fn.base64gzip(escapeForFunctionArgument(text)) });
  const json = JSON.parse(Testing.synth(stack)) as { resource: { aws_ssm_parameter: { out: { value: string } } } };
  return decodeFunctionCall(json.resource.aws_ssm_parameter.out.value, "base64gzip");
}

describe("splitTokens", () => {
  test("returns literals and token markers in order", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    const a = tokenOf(stack, "a");
    const b = tokenOf(stack, "b");
    expect(splitTokens(`x${a}${b}y${a}`)).toEqual([{ literal: "x" }, { token: a }, { token: b }, { literal: "y" }, { token: a }]);
    expect(splitTokens("plain")).toEqual([{ literal: "plain" }]);
    expect(splitTokens("")).toEqual([]);
  });

  test("replaceTokens keeps the literal structure", () => {
    const a = tokenOf(new TerraformStack(Testing.app(), "t"), "a");
    expect(replaceTokens(`http://${a}:8082`, "host.invalid")).toBe("http://host.invalid:8082");
  });
});

describe("escapeForFunctionArgument", () => {
  test("shell, TOML and JSON text survives a Terraform function argument unchanged", () => {
    const text = 'echo "${HOME}" \\ %{x} $$ 100%\n\tline\r\n{"a":"b\\n"}';
    expect(roundTrip(text)).toBe(text);
  });

  test("tokens become interpolations; a $ right before a token stays a literal $", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    const a = tokenOf(stack, "a");
    const escaped = escapeForFunctionArgument(`price $${a} and \${x}`);
    expect(escaped).toBe(`price \\u0024${a} and \\u0024{x}`);
    expect(roundTrip((s) => `price $${tokenOf(s, "b")} and \${x}`)).toBe("price $<TOKEN> and ${x}");
  });

  test("any printable text round-trips (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("$", "{", "}", "%", "\\", '"', "\n", "\t", "a", " ", "é") }), (text) => {
        expect(roundTrip(text)).toBe(text);
      }),
      { numRuns: 40 },
    );
  });
});
