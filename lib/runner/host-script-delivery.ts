/*
 * The on-host script reaches a RunnerFleet host through SSM, not through user
 * data: the fleet stores it base64-encoded in Standard-tier String parameters
 * and the user data carries only a small installer and the script's SHA-256.
 * EC2 user data is at most 16 KB, and the script alone was more than half of it.
 */
import { createHash } from "node:crypto";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { type Construct } from "constructs";
import { type InstanceRole } from "../identity/instance-role";
import { RUNNER_FLEET_SCRIPT } from "./host-files";

/**
 * Most characters of a Standard-tier SSM parameter value (AWS Systems Manager
 * user guide, "Managing parameter tiers": Standard 4 KB, Advanced 8 KB; the API
 * refuses more with "Standard tier parameters support a maximum parameter value
 * of 4096 characters"). Standard parameters cost nothing.
 */
export const SCRIPT_PARAMETER_MAX_CHARS = 4096;

/** How a host gets its script: the parameters to read, in order, and the digest the result must have. */
export interface HostScriptDelivery {
  /** SHA-256 (hex) of the script the installer writes. */
  readonly sha256: string;
  /** Names of the String parameters whose values, joined in this order, are the script in base64. */
  readonly parameterNames: readonly string[];
}

/** What {@link deliverHostScript} created: the delivery and the parameters (hosts should start after them). */
export interface DeliveredHostScript extends HostScriptDelivery {
  /** The `aws_ssm_parameter` resources, in part order. */
  readonly parameters: readonly SsmParameter[];
}

/** A script's SHA-256 and its base64 text cut into parameter-sized parts. */
export function encodeHostScript(script: string, maxChars = SCRIPT_PARAMETER_MAX_CHARS): { readonly sha256: string; readonly parts: readonly string[] } {
  const encoded = Buffer.from(script, "utf8").toString("base64");
  const parts: string[] = [];
  for (let i = 0; i < encoded.length; i += maxChars) parts.push(encoded.slice(i, i + maxChars));
  return { sha256: createHash("sha256").update(script, "utf8").digest("hex"), parts };
}

/**
 * The name of part `index` of a fleet's script: `/runner-fleet/<fleetName>/script-<first 12 hex
 * digits of its SHA-256>/<index>`. The digest in the name gives a changed script new parameters,
 * created before the old ones are removed, so a host that boots while an apply runs finds the
 * parameters its own user data names.
 */
export function scriptParameterName(fleetName: string, sha256: string, index: number): string {
  return `/runner-fleet/${fleetName}/script-${sha256.slice(0, 12)}/${index}`;
}

/** What {@link deliverHostScript} needs. */
export interface HostScriptDeliveryProps {
  /** The fleet's name (names the parameters). */
  readonly fleetName: string;
  /** The hosts' role: it gets `ssm:GetParameter` on exactly these parameters. */
  readonly hostRole: InstanceRole;
  /** ARN prefix of the parameters' account and region, `arn:<partition>:ssm:<region>:<account>:parameter`. */
  readonly parameterArnPrefix: string;
  /** Resource tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** The script. @default {@link RUNNER_FLEET_SCRIPT} */
  readonly script?: string;
}

/**
 * Stores the script in SSM String parameters (`insecure_value`: not secret, and shown in
 * plans so a reviewer sees a change; AWS provider `aws_ssm_parameter`) and lets the hosts'
 * role read them. Without a secret in the script, nothing secret leaves user data for SSM.
 */
export function deliverHostScript(scope: Construct, props: HostScriptDeliveryProps): DeliveredHostScript {
  const { sha256, parts } = encodeHostScript(props.script ?? RUNNER_FLEET_SCRIPT);
  const parameters = parts.map((part, i) => {
    const name = scriptParameterName(props.fleetName, sha256, i);
    return new SsmParameter(scope, `host-script-${i}`, {
      name,
      description: `Part ${i + 1} of ${parts.length} of the runner host script of ${props.fleetName} (base64; SHA-256 ${sha256})`,
      type: "String",
      tier: "Standard",
      insecureValue: part,
      lifecycle: { createBeforeDestroy: true },
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
  });
  const parameterNames = parts.map((_, i) => scriptParameterName(props.fleetName, sha256, i));
  props.hostRole.addToPrincipalPolicy({
    actions: ["ssm:GetParameter"],
    resources: parameterNames.map((name) => `${props.parameterArnPrefix}${name}`),
  });
  return { sha256, parameterNames, parameters };
}
