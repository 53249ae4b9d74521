import { validateAccountId, validateRegion, partitionOf } from "../core/aws";
import { check } from "../core/errors";
import { type IGrantable } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { type RunnerTokenSource } from "./runner-token-source";

/** Props of {@link ExistingRunnerTokenParameter}. */
export interface ExistingRunnerTokenParameterProps {
  /** Name of an SSM SecureString parameter holding a `glrt-` runner authentication token, e.g. `/ci/runner/token`. */
  readonly parameterName: string;
  /** Account id of the parameter. */
  readonly accountId: string;
  /** Region of the parameter. */
  readonly region: string;
  /**
   * ARN of the customer-managed KMS key encrypting the parameter.
   * @default the AWS-managed `aws/ssm` key (no kms grant needed)
   */
  readonly kmsKeyArn?: string;
}

/** SSM parameter names: `/`-separated path of `[a-zA-Z0-9_.-]`, at most 1011 characters, not starting with aws or ssm. */
const PARAMETER_NAME = /^\/?(?!(?:aws|ssm)(?:\/|$))[a-zA-Z0-9_.-]+(?:\/[a-zA-Z0-9_.-]+)*$/i;

/** Checks an SSM parameter name (tokens pass). */
export function validateParameterName(path: string, name: string): void {
  if (isUnresolved(name)) return;
  check(name.length <= 1011 && PARAMETER_NAME.test(name), {
    path,
    subject: "parameterName",
    value: name,
    rule: "an SSM parameter name is a /-separated path of letters, digits, '_', '.', '-' (at most 1011 characters, not under aws or ssm)",
    fix: "use a name such as /acme-ci/dev/runner/token",
  });
}

/**
 * A runner token created outside Terraform (e.g. in the GitLab UI) and put in
 * an SSM SecureString parameter by hand: nothing of the token reaches
 * Terraform state. Runner hosts read it at boot.
 */
export class ExistingRunnerTokenParameter implements RunnerTokenSource {
  public readonly parameterName: string;
  public readonly parameterArn: string;
  private readonly kmsKeyArn?: string;

  /**
   * @param path where it is configured (construct or config path), for error messages
   */
  public constructor(path: string, props: ExistingRunnerTokenParameterProps) {
    validateAccountId(path, "accountId", props.accountId);
    validateRegion(path, "region", props.region);
    validateParameterName(path, props.parameterName);
    this.parameterName = props.parameterName;
    const name = props.parameterName.startsWith("/") ? props.parameterName.slice(1) : props.parameterName;
    this.parameterArn = `arn:${partitionOf(props.region)}:ssm:${props.region}:${props.accountId}:parameter/${name}`;
    this.kmsKeyArn = props.kmsKeyArn;
  }

  /** Grants `ssm:GetParameter` on this parameter (and `kms:Decrypt` on its customer key, if any). */
  public grantRead(grantee: IGrantable): void {
    grantee.addToPrincipalPolicy({ actions: ["ssm:GetParameter"], resources: [this.parameterArn] });
    if (this.kmsKeyArn) grantee.addToPrincipalPolicy({ actions: ["kms:Decrypt"], resources: [this.kmsKeyArn] });
  }
}
