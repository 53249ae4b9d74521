/*
 * Attack paths, secrets at rest: every SSM SecureString of every synthesized
 * stack is encrypted with a customer-managed KMS key of the same stack, never
 * the AWS-managed `aws/ssm` key (which every principal of the account allowed
 * `ssm:GetParameter` decrypts).
 */
import { exampleConfig } from "../../stacks/example-config";
import { type SynthJson } from "../support/synth";
import { buildScenario } from "./scenario";

interface SecureString {
  readonly stack: string;
  readonly id: string;
  readonly name: string;
  readonly keyId: unknown;
}

/** Every `aws_ssm_parameter` of type SecureString in every stack. */
function secureStringsOf(json: ReadonlyMap<string, SynthJson>): SecureString[] {
  const out: SecureString[] = [];
  for (const [stack, j] of json) {
    for (const [id, parameter] of Object.entries(j.resource?.aws_ssm_parameter ?? {})) {
      if (parameter.type !== "SecureString") continue;
      out.push({ stack, id, name: String(parameter.name), keyId: parameter.key_id });
    }
  }
  return out;
}

/** The `aws_kms_key` resource a `key_id` reference names (`${aws_kms_key.<id>.arn}`), if any. */
function kmsKeyOf(keyId: unknown): string | undefined {
  return typeof keyId === "string" ? /^\$\{aws_kms_key\.([^.}]+)\.(?:arn|key_id|id)\}$/.exec(keyId)?.[1] : undefined;
}

describe("attack paths: secrets at rest", () => {
  const scenario = buildScenario(exampleConfig);
  const parameters = secureStringsOf(scenario.json);

  it("the example app has SecureStrings to check, the legacy-pull secret access key among them", () => {
    expect(parameters.length).toBeGreaterThan(0);
    expect(parameters.filter((p) => p.name.endsWith("/legacy-pull/secret-access-key")).length).toBeGreaterThan(0);
  });

  it("every SecureString of every stack names a customer-managed key of its own stack (never aws/ssm)", () => {
    const offenders = parameters
      .filter((p) => {
        const key = kmsKeyOf(p.keyId);
        return key === undefined || scenario.json.get(p.stack)?.resource?.aws_kms_key?.[key] === undefined;
      })
      .map((p) => `${p.stack}/${p.id} (${p.name}): key_id ${JSON.stringify(p.keyId ?? null)}`);
    expect(offenders).toEqual([]);
  });

  it("the static-credentials secret access key is under the environment's secrets key", () => {
    const legacy = parameters.filter((p) => p.name.endsWith("/legacy-pull/secret-access-key"));
    for (const p of legacy) {
      const aliases = Object.values(scenario.json.get(p.stack)?.resource?.aws_kms_alias ?? {});
      const key = kmsKeyOf(p.keyId);
      expect(aliases.some((a) => String(a.name).endsWith("-secrets") && String(a.target_key_id).includes(`aws_kms_key.${key}.`))).toBe(true);
    }
  });
});
