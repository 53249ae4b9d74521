import { type IGrantable } from "../core/iam";

/**
 * Where a runner host reads its GitLab runner authentication token at boot:
 * an SSM SecureString parameter. The token is never in user data or in the
 * synthesized JSON. Produced by the runner registration (or an importer for a
 * parameter created outside Terraform), consumed by the runner fleet.
 */
export interface RunnerTokenSource {
  /** Parameter name, e.g. `/acme-ci/dev/runner/build/token`. */
  readonly parameterName: string;
  /** Parameter ARN. */
  readonly parameterArn: string;
  /** Grants `ssm:GetParameter` on this parameter only (and kms:Decrypt when a customer key is used). */
  grantRead(grantee: IGrantable): void;
}
