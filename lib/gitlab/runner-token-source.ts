import { type IGrantable } from "../core/iam";
import { type TrustLevel } from "../core/trust";

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
  /**
   * A value that changes whenever the token changes, e.g. the parameter's
   * version and the registration's scope (may hold Terraform references). A
   * runner fleet digests it into its launch template, so a new token rolls the
   * fleet. Leave it unset for tokens managed outside Terraform: hosts re-read
   * their token when GitLab refuses it.
   * @default none
   */
  readonly revision?: string;
  /**
   * Grants `ssm:GetParameter` on this parameter only, and `kms:Decrypt` when a customer key is
   * used. With a key whose policy names its readers (a `SecretsKey`, given as `secretsKey`), the
   * grant also names the grantee in the key policy, for this parameter only; an IAM `kms:Decrypt`
   * alone does not decrypt with such a key.
   */
  grantRead(grantee: IGrantable): void;
  /**
   * Which jobs the runner takes: `protected` for a registration with GitLab's
   * `ref_protected` access level (jobs of protected branches and tags only),
   * `unprotected` for `not_protected`. A runner fleet derives its trust level
   * (and so its part of a shared cache) from it.
   * @default unknown (a token created outside this library)
   */
  readonly trustLevel?: TrustLevel;
}
