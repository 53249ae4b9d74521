import { Construct } from "constructs";
import { ssmParameterArn, validateAccountId, validateRegion, validateSsmParameterName } from "../core/aws";
import { constructArgs } from "../core/construct-args";
import { check } from "../core/errors";
import { type IGrantable } from "../core/iam";
import { awsProviderContextOf, checkAgainstAwsProvider } from "../core/provider-context";
import { checkParameterKey, grantParameterRead, type ISecretsKey } from "../secrets/secrets-key-ref";
import { type RunnerTokenSource } from "./runner-token-source";

/** Props of {@link ExistingRunnerTokenParameter}. */
export interface ExistingRunnerTokenParameterProps {
  /** Name of an SSM SecureString parameter holding a `glrt-` runner authentication token, e.g. `/ci/runner/token`. */
  readonly parameterName: string;
  /**
   * Account id of the parameter (12 digits). Checked against the stack's AWS provider
   * (`allowed_account_ids`): runner hosts read the parameter of their own account.
   * @default the account of the stack's default AWS provider when its `allowed_account_ids`
   *   names exactly one (required in the deprecated path form)
   */
  readonly accountId?: string;
  /**
   * Region of the parameter. Checked against the stack's AWS provider: runner hosts read the
   * parameter in their own region.
   * @default the region of the stack's default AWS provider (required in the deprecated path form)
   */
  readonly region?: string;
  /**
   * ARN of a customer-managed KMS key encrypting the parameter; readers also get an IAM `kms:Decrypt` on it.
   * That alone decrypts only when the key policy lets IAM policies grant it; a key that does not
   * (such as a `SecretsKey`) must name each reader in its key policy, which this construct cannot
   * do from an ARN, and nothing checks it (neither for an unresolved token nor for a `SecretsKey`'s ARN).
   * @deprecated pass `secretsKey`: `grantRead` then also names the reader in the key policy.
   * @default the AWS-managed `aws/ssm` key (no kms grant needed)
   */
  readonly kmsKeyArn?: string;
  /**
   * The customer-managed key of the parameter (e.g. a `SecretsKey`): `grantRead` adds the IAM
   * statements and names the reader in the key policy for exactly this parameter.
   * @default the AWS-managed `aws/ssm` key (or `kmsKeyArn`)
   */
  readonly secretsKey?: ISecretsKey;
}

/**
 * A runner token created outside Terraform (e.g. in the GitLab UI) and put in
 * an SSM SecureString parameter by hand: nothing of the token reaches
 * Terraform state. Runner hosts read it at boot. Creates no resource.
 *
 * @example
 * const token = new ExistingRunnerTokenParameter(stack, "build-token", { parameterName: "/ci/runner/build/token" });
 */
export class ExistingRunnerTokenParameter extends Construct implements RunnerTokenSource {
  /** The parameter's name. */
  public readonly parameterName: string;
  /** The parameter's ARN (`arn:<partition>:ssm:<region>:<account>:parameter/<name>`). */
  public readonly parameterArn: string;
  private readonly kmsKeyArn?: string;
  private readonly secretsKey?: ISecretsKey;

  /**
   * @deprecated Use `new ExistingRunnerTokenParameter(scope, id, props)`: errors then name the
   *   construct path, and account and region default to (and are checked against) the stack's
   *   AWS provider. This form takes a hand-built path for error messages and needs both.
   * @param path where it is configured (construct or config path), for error messages
   */
  public constructor(path: string, props: ExistingRunnerTokenParameterProps);
  /**
   * @param scope the construct it belongs to (in the stack whose hosts read the token)
   * @param id construct id
   * @param props the parameter
   * @throws ValidationError for an invalid parameter name, account id or region; an account or
   *   region that differs from the stack's AWS provider; or neither given nor known from the provider
   */
  public constructor(scope: Construct, id: string, props: ExistingRunnerTokenParameterProps);
  public constructor(first: Construct | string, second: string | ExistingRunnerTokenParameterProps, third?: ExistingRunnerTokenParameterProps) {
    const args = constructArgs<ExistingRunnerTokenParameterProps>("ExistingRunnerTokenParameter", first, second, third, { parameterName: "" });
    super(args.scope as Construct, args.id);
    const { props } = args;
    const path = args.legacyPath ?? this.node.path;
    const provider = args.scope ? awsProviderContextOf(this) : undefined;
    const accountId = props.accountId ?? (provider?.allowedAccountIds?.length === 1 ? provider.allowedAccountIds[0] : undefined);
    const region = props.region ?? provider?.region;
    check(accountId !== undefined, {
      path,
      subject: "accountId",
      value: props.accountId,
      rule: "the parameter's account is given, or the stack's AWS provider names exactly one allowed account",
      fix: 'pass accountId (e.g. "111111111111"), or set allowedAccountIds on the stack\'s AWS provider',
    });
    check(region !== undefined, {
      path,
      subject: "region",
      value: props.region,
      rule: "the parameter's region is given, or the stack's AWS provider sets a region",
      fix: 'pass region (e.g. "eu-central-1"), or set region on the stack\'s AWS provider',
    });
    if (accountId !== undefined) validateAccountId(path, "accountId", accountId);
    if (region !== undefined) validateRegion(path, "region", region);
    validateSsmParameterName(path, "parameterName", props.parameterName, "/acme-ci/dev/runner/token");
    if (args.scope) checkAgainstAwsProvider(this, path, { accountId, region });
    this.parameterName = props.parameterName;
    this.parameterArn = ssmParameterArn(region ?? "", accountId ?? "", props.parameterName);
    checkParameterKey(path, {
      parameterName: props.parameterName,
      parameterArn: this.parameterArn,
      ...(props.secretsKey ? { secretsKey: props.secretsKey } : {}),
      ...(props.kmsKeyArn !== undefined ? { kmsKeyArn: props.kmsKeyArn } : {}),
      propNames: { secretsKey: "secretsKey", kmsKeyArn: "kmsKeyArn" },
      describe: { parameter: "the runner token parameter", readers: "the runner hosts" },
      fix: "give the parameter's accountId and region of the key, or the key of the parameter's account and region",
    });
    this.kmsKeyArn = props.kmsKeyArn;
    this.secretsKey = props.secretsKey;
  }

  /**
   * Grants `ssm:GetParameter` on this parameter, `kms:Decrypt` on its customer key if any, and
   * with `secretsKey` a key policy statement naming the grantee for this parameter only.
   * @throws ValidationError with `secretsKey`, for a grantee that is not an IAM role or user
   */
  public grantRead(grantee: IGrantable): void {
    grantParameterRead(this.node.path, grantee, { parameterName: this.parameterName, parameterArn: this.parameterArn, secretsKey: this.secretsKey, kmsKeyArn: this.kmsKeyArn });
  }
}
