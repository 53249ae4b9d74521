import { ssmParameterArn, validateAccountId, validateParameterName, validateRegion } from "../core/aws";
import { type IGrantable } from "../core/iam";
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
    validateParameterName(path, "parameterName", props.parameterName);
    this.parameterName = props.parameterName;
    this.parameterArn = ssmParameterArn(props.region, props.accountId, props.parameterName);
    this.kmsKeyArn = props.kmsKeyArn;
  }

  /** Grants `ssm:GetParameter` on this parameter (and `kms:Decrypt` on its customer key, if any). */
  public grantRead(grantee: IGrantable): void {
    grantee.addToPrincipalPolicy({ actions: ["ssm:GetParameter"], resources: [this.parameterArn] });
    if (this.kmsKeyArn) grantee.addToPrincipalPolicy({ actions: ["kms:Decrypt"], resources: [this.kmsKeyArn] });
  }
}
