import { Testing, TerraformStack } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { dnsSuffixOf, parseSecretArn } from "../../lib/core/aws";
import { isIpv4Network } from "../../lib/core/net";
import { escapeTerraformTemplate } from "../../lib/core/terraform-text";

describe("escapeTerraformTemplate", () => {
  test("escapes interpolations and directives in literal text", () => {
    expect(escapeTerraformTemplate('echo "${HOME:-/}" %{http_code} $PATH')).toBe('echo "$${HOME:-/}" %%{http_code} $PATH');
  });

  test("keeps cdktf tokens resolvable while escaping the text around them", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    const source = new SsmParameter(stack, "source", { name: "a", type: "String", value: "x" });
    const text = escapeTerraformTemplate(`arn=${source.arn} home=\${HOME}`);
    new SsmParameter(stack, "copy", { name: "b", type: "String", value: text });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.resource.aws_ssm_parameter.copy.value).toBe("arn=${aws_ssm_parameter.source.arn} home=$${HOME}");
  });
});

describe("AWS name helpers", () => {
  test("parseSecretArn splits full ARNs and rejects names", () => {
    expect(parseSecretArn("arn:aws:secretsmanager:eu-central-1:111111111111:secret:ci/docker-hub-AbCdEf")).toEqual({
      region: "eu-central-1",
      accountId: "111111111111",
      name: "ci/docker-hub-AbCdEf",
    });
    expect(parseSecretArn("ci/docker-hub")).toBeUndefined();
    expect(parseSecretArn("arn:aws:ssm:eu-central-1:111111111111:parameter/x")).toBeUndefined();
  });

  test("dnsSuffixOf knows the China partition", () => {
    expect(dnsSuffixOf("eu-central-1")).toBe("amazonaws.com");
    expect(dnsSuffixOf("cn-north-1")).toBe("amazonaws.com.cn");
  });

  test.each([
    ["10.0.0.0/16", true],
    ["192.168.1.10/32", true],
    ["0.0.0.0/0", true],
    ["10.0.0.1/16", false],
    ["10.0.0.0/33", false],
    ["256.0.0.0/8", false],
    ["10.0.0.0", false],
  ])("isIpv4Network(%p) is %p", (cidr, expected) => {
    expect(isIpv4Network(cidr)).toBe(expected);
  });
});
