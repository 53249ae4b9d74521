import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { DefaultTokenResolver, Lazy, StringConcat, Tokenization } from "cdktf";
import { Construct } from "constructs";
import { dnsSuffixOf, partitionOf, ssmParameterArn, validateAccountId, validateRegion } from "../core/aws";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { checkAgainstAwsProvider } from "../core/provider-context";
import { type ISecretsKey } from "./secrets-key-ref";
import { SSM_DECRYPT_ACTIONS, SSM_ENCRYPT_ACTIONS, type SecretsKeyUse } from "./secrets-key-use";
import { resolveDeployPrincipal, validateDeployPrincipal, type DeployPrincipal } from "./deploy-principal";

/** Props of a {@link SecretsKey}. */
export interface SecretsKeyProps {
  /** Alias name without the `alias/` prefix, e.g. `acme-ci-dev-secrets`: 1-250 of `A-Za-z0-9/_-`, not starting with `aws`. */
  readonly aliasName: string;
  /** The key's account. */
  readonly accountId: string;
  /** The key's region (SSM parameters under it must live there too). */
  readonly region: string;
  /**
   * Days a scheduled deletion waits (7-30): a deleted key makes every parameter under it unreadable.
   * @default 30
   */
  readonly deletionWindowInDays?: number;
  /**
   * `prevent_destroy` on the key (use it in production).
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * Resource tags.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * ARN of the IAM role (or user) that applies Terraform for the key's stack: it encrypts the
   * SecureStrings Terraform writes and decrypts them on every refresh (the AWS provider's
   * `aws_ssm_parameter` reads with `WithDecryption: true`), so the key policy names it in a
   * statement of its own (`TerraformManagesParameters`). A role or user of the key's account;
   * never the account root, which would let every IAM policy of the account grant decryption.
   * @default the role the stack's default AWS provider assumes (`assume_role` or
   *   `assume_role_with_web_identity`); without one, the applying identity resolved at plan time
   *   (`data.aws_iam_session_context` of `data.aws_caller_identity.arn`: `issuer_arn`)
   */
  readonly deployPrincipalArn?: string;
}

/**
 * What the account root (and through it, IAM policies of the account) may do with the key:
 * key administration only, from AWS's default key policy statement (`kms:*` for the root,
 * "Default key policy") with the actions listed. Kept: `kms:PutKeyPolicy`, so the key never
 * becomes unmanageable (an administrator can still rewrite the key policy; CloudTrail records
 * every `PutKeyPolicy` as a management event). Not listed: every data-plane action
 * (`kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey*`, `kms:ReEncrypt*`), so an IAM policy
 * granting `kms:Decrypt` on `*` (an administrator, a broad operations role) does not decrypt
 * the parameters; and grants (`kms:CreateGrant`), which would hand out decryption too.
 */
export const ACCOUNT_ROOT_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

const ALIAS_NAME = /^[A-Za-z0-9/_-]{1,250}$/;

/**
 * A customer-managed KMS key for an environment's SSM SecureString parameters
 * (runner tokens, the mirror's admin password), so that `ssm:GetParameter` alone
 * no longer reads them: with the AWS-managed `aws/ssm` key every principal of the
 * account that may call `ssm:GetParameter` (e.g. any instance with
 * AmazonSSMManagedInstanceCore) decrypts them.
 *
 * The key policy:
 * - `AccountRootAdministers`: AWS's default key policy statement for the account
 *   root (AWS KMS developer guide, "Default key policy",
 *   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html),
 *   narrowed to key administration ({@link ACCOUNT_ROOT_ACTIONS}): IAM policies can
 *   manage the key but never decrypt with it. An administrator can still rewrite the
 *   key policy (`kms:PutKeyPolicy` stays, or the key could become unmanageable), and
 *   CloudTrail records that.
 * - `DenyDecryptOutsideSsm`: nobody decrypts except through SSM
 *   (`kms:ViaService` = `ssm.<region>.amazonaws.com`), so a stolen ciphertext is useless.
 * - `TerraformManagesParameters`: the principal that applies Terraform
 *   ({@link SecretsKeyProps.deployPrincipalArn}) decrypts and encrypts through SSM: it writes
 *   the runner tokens and static credentials and reads them back on every refresh.
 * - one `Read…`/`ReadWrite…` statement per use ({@link allowParameters}): the
 *   named role, through SSM only, and only for its own parameters (encryption
 *   context `PARAMETER_ARN`, which Parameter Store sets on every SecureString:
 *   "How AWS Systems Manager Parameter Store uses AWS KMS",
 *   https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html).
 *   A principal named in the key policy needs no IAM grant of `kms:Decrypt`
 *   ("Key policies in AWS KMS": a key policy statement alone gives access).
 *
 * Without a deploy role the policy names whoever applied last (resolved at plan time):
 * when another identity applies, its refresh of the parameters fails until the key
 * policy names it, so configure a deploy role (or `deployPrincipalArn`) for shared use.
 *
 * Rotation is on; deletion waits `deletionWindowInDays`.
 *
 * Construct ids: `key`, `alias`; `caller-identity` and `deployer-session` (data sources)
 * when the applying identity is resolved at plan time.
 *
 * @example
 * const key = new SecretsKey(this, "secrets-key", { aliasName: "acme-ci-dev-secrets", accountId, region });
 * key.allowParameters({ principalArn: hostRole.roleArn, parameterArns: [tokenParameterArn] });
 */
export { SSM_DECRYPT_ACTIONS, SSM_ENCRYPT_ACTIONS, type SecretsKeyUse } from "./secrets-key-use";

export class SecretsKey extends Construct implements ISecretsKey {
  /** The `aws_kms_key`. */
  public readonly key: KmsKey;
  /** The `aws_kms_alias`. */
  public readonly alias: KmsAlias;
  /** The alias, `alias/<aliasName>`. */
  public readonly aliasName: string;
  /** The principal that applies Terraform, named in `TerraformManagesParameters`, and where it comes from. */
  public readonly deployPrincipal: DeployPrincipal;
  private readonly uses: SecretsKeyUse[] = [];
  private readonly arn: string;
  private readonly accountId: string;
  private readonly region: string;

  /**
   * @throws ValidationError for a malformed account id, region or alias name, a deletion window
   *   outside 7-30 days, an account or region other than the stack's AWS provider's, or a
   *   `deployPrincipalArn` that is the account root, an account id, or a role or user of another
   *   account or partition; the same for the role taken from the stack's AWS provider (its last
   *   `assume_role` block) when no `deployPrincipalArn` is given
   */
  public constructor(scope: Construct, id: string, props: SecretsKeyProps) {
    super(scope, id);
    const path = this.node.path;
    validateAccountId(path, "accountId", props.accountId);
    validateRegion(path, "region", props.region);
    checkAgainstAwsProvider(this, path, { accountId: props.accountId, region: props.region });
    check(isUnresolved(props.aliasName) || (ALIAS_NAME.test(props.aliasName) && !props.aliasName.startsWith("aws")), {
      path,
      subject: "aliasName",
      value: props.aliasName,
      rule: "a KMS alias name is 1-250 of letters, digits, '/', '_' and '-' and does not start with aws (reserved for AWS-managed keys)",
      fix: "use e.g. acme-ci-dev-secrets",
    });
    const window = props.deletionWindowInDays ?? 30;
    check(Number.isInteger(window) && window >= 7 && window <= 30, {
      path,
      subject: "deletionWindowInDays",
      value: window,
      rule: "KMS waits 7 to 30 days before deleting a key",
      fix: "use 30 (the longest time to notice a mistaken deletion)",
    });
    if (props.deployPrincipalArn !== undefined) validateDeployPrincipal(path, props.deployPrincipalArn, props.accountId, props.region);
    this.accountId = props.accountId;
    this.region = props.region;
    this.aliasName = `alias/${props.aliasName}`;
    this.deployPrincipal = resolveDeployPrincipal(this, props.deployPrincipalArn, { accountId: props.accountId, region: props.region });
    this.key = new KmsKey(this, "key", {
      description: `SSM SecureString parameters of ${props.aliasName} (runner tokens, mirror admin password)`,
      enableKeyRotation: true,
      deletionWindowInDays: window,
      policy: Lazy.stringValue({ produce: () => JSON.stringify(this.policyDocument()) }),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.arn = this.key.arn;
    this.alias = new KmsAlias(this, "alias", { name: this.aliasName, targetKeyId: this.key.keyId });
  }

  /**
   * The key ARN (for `key_id` of SSM parameters and IAM grants): one token string, so that
   * statements granted one by one name it once when merged.
   */
  public get keyArn(): string {
    return this.arn;
  }

  /** The key id. */
  public get keyId(): string {
    return this.key.keyId;
  }

  /** The literal ARN of parameter `parameterName` in the key's account and region. */
  public parameterArn(parameterName: string): string {
    return ssmParameterArn(this.region, this.accountId, parameterName);
  }

  /**
   * Lets one principal decrypt (and with `write`, encrypt) its own parameters through SSM.
   * Uses of the same principal with the same `write` share one statement (their parameters
   * joined, each once), so granting a role several parameters one by one gives the statement
   * that granting them together does.
   * @throws ValidationError for a use without parameters
   */
  public allowParameters(use: SecretsKeyUse): void {
    check(use.parameterArns.length > 0, {
      path: this.node.path,
      subject: "parameterArns",
      value: [],
      rule: "a key policy statement names the parameters the principal may decrypt",
      fix: "pass the ARNs of the principal's parameters",
    });
    this.uses.push(use);
  }

  /**
   * The uses grouped by principal and `write`, in the order each group was first added. Principals
   * are compared resolved (two references to one role's ARN are different token strings).
   */
  private mergedUses(): SecretsKeyUse[] {
    const resolver = new DefaultTokenResolver(new StringConcat());
    const groups = new Map<string, { principalArn: string; write: boolean; parameterArns: string[] }>();
    const text = (value: string) => JSON.stringify(Tokenization.resolve(value, { scope: this, resolver }));
    for (const use of this.uses) {
      const write = use.write ?? false;
      const key = `${write}|${text(use.principalArn)}`;
      const group = groups.get(key) ?? { principalArn: use.principalArn, write, parameterArns: [] };
      groups.set(key, group);
      const seen = new Set(group.parameterArns.map(text));
      for (const arn of use.parameterArns) if (!seen.has(text(arn))) { group.parameterArns.push(arn); seen.add(text(arn)); }
    }
    return [...groups.values()];
  }

  /** The key policy as JSON (statements in the order the uses were added). */
  public policyDocument(): Record<string, unknown> {
    const partition = partitionOf(this.region);
    const viaSsm = `ssm.${this.region}.${dnsSuffixOf(this.region)}`;
    const statements: Record<string, unknown>[] = [
      {
        Sid: "AccountRootAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${this.accountId}:root` },
        Action: [...ACCOUNT_ROOT_ACTIONS],
        Resource: "*",
      },
      {
        Sid: "DenyDecryptOutsideSsm",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringNotEquals: { "kms:ViaService": viaSsm } },
      },
      {
        Sid: "TerraformManagesParameters",
        Effect: "Allow",
        Principal: { AWS: this.deployPrincipal.arn },
        Action: [...SSM_DECRYPT_ACTIONS, ...SSM_ENCRYPT_ACTIONS],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": viaSsm } },
      },
    ];
    this.mergedUses().forEach((use, i) => {
      statements.push({
        Sid: `${use.write ? "ReadWrite" : "Read"}Parameters${i}`,
        Effect: "Allow",
        Principal: { AWS: use.principalArn },
        Action: use.write ? [...SSM_DECRYPT_ACTIONS, ...SSM_ENCRYPT_ACTIONS] : [...SSM_DECRYPT_ACTIONS],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": viaSsm, "kms:EncryptionContext:PARAMETER_ARN": [...use.parameterArns] } },
      });
    });
    return { Version: "2012-10-17", Statement: statements };
  }
}
