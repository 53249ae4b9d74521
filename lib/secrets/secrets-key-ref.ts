import { check } from "../core/errors";
import { type IGrantable, type PolicyConditions } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { type SecretsKeyUse, SSM_DECRYPT_ACTIONS, SSM_ENCRYPT_ACTIONS } from "./secrets-key-use";

/**
 * A customer-managed KMS key whose key policy names each principal that may decrypt SSM
 * SecureString parameters under it (implemented by {@link SecretsKey}). Constructs holding
 * such a parameter take one (`secretsKey` props) so that their `grant*` methods can both add
 * the IAM statement and name the grantee in the key policy: with a key whose policy does not
 * let IAM policies grant decryption, an IAM `kms:Decrypt` alone decrypts nothing ("Key
 * policies in AWS KMS", https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html:
 * "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access
 * to a KMS key").
 */
export interface ISecretsKey {
  /** The key ARN (for `key_id` of SSM parameters and IAM statements). */
  readonly keyArn: string;
  /**
   * An alias of the key, `alias/<name>`, when it has one (a literal: what hosts pass as `--key-id`).
   * @default none
   */
  readonly aliasName?: string;
  /**
   * The literal ARN of a parameter of the key's account and region (parameters encrypted with
   * the key live there). Key policy statements name parameters by these ARNs, never by a
   * reference to the parameter resource (the parameter references the key: a cycle).
   */
  parameterArn(parameterName: string): string;
  /**
   * Names one principal in the key policy: it may decrypt (and with `write`, encrypt) exactly
   * the given parameters, through SSM only.
   */
  allowParameters(use: SecretsKeyUse): void;
}

/** A grantee whose principal a key policy can name: a role (`roleArn`), a user (`userArn`) or anything with `principalArn`. */
interface NamedPrincipal {
  readonly principalArn?: unknown;
  readonly roleArn?: unknown;
  readonly userArn?: unknown;
}

/**
 * The IAM role or user ARN of a grantee, for a key policy statement.
 * @throws ValidationError when the grantee has none (e.g. a bare `PolicyDocument`)
 */
export function principalArnOf(path: string, grantee: IGrantable): string {
  const named = grantee as IGrantable & NamedPrincipal;
  const arn = [named.principalArn, named.roleArn, named.userArn].find((v): v is string => typeof v === "string");
  check(arn !== undefined, {
    path,
    subject: "grantee",
    value: grantee.constructor?.name ?? typeof grantee,
    rule: "the parameter's customer-managed key decrypts only for principals its key policy names, so the grantee must be an IAM role or user (with roleArn or userArn)",
    fix: "grant a role or user, or call secretsKey.allowParameters({ principalArn, parameterArns }) yourself and grant the IAM statements to the policy",
  });
  return arn;
}

/** What a grant of one or more SecureString parameters under a customer key does. */
export interface ParameterGrant {
  /** Construct path of the granting construct (for errors). */
  readonly path: string;
  /** Who reads. */
  readonly grantee: IGrantable;
  /** SSM actions on the parameters, e.g. `ssm:GetParameter`. */
  readonly ssmActions: readonly string[];
  /** The parameter names (literal ARNs are built from the key's account and region). */
  readonly parameterNames: readonly string[];
  /** The ARNs IAM grants `ssmActions` on (tokens are fine here). */
  readonly parameterArns: readonly string[];
  /** The key, when given as an {@link ISecretsKey}: its policy then names the grantee. */
  readonly secretsKey?: ISecretsKey;
  /** The key, when given by ARN only (deprecated): only the IAM statement is added. */
  readonly kmsKeyArn?: string;
  /**
   * Also encrypt (the grantee writes the parameters).
   * @default false
   */
  readonly write?: boolean;
  /**
   * Conditions of the IAM statement on the key, e.g. `kms:ViaService`.
   * @default none
   */
  readonly kmsConditions?: PolicyConditions;
}

/**
 * Grants SSM SecureString access: `ssmActions` on the parameters, and with a customer key
 * the KMS actions SSM calls ({@link SSM_DECRYPT_ACTIONS}, plus {@link SSM_ENCRYPT_ACTIONS}
 * with `write`) on the key (an identity policy; `kmsConditions` narrows it); with an {@link ISecretsKey} also a
 * key policy statement naming the grantee for exactly these parameters. A key given only by
 * ARN gets the IAM statement only: its key policy must name the grantee (nothing can check that).
 * With a customer key, the grantee's identity policy also denies the same KMS actions on every
 * other key for these SSM parameters (`NotResource` the key, `kms:EncryptionContext:PARAMETER_ARN`
 * the parameters): a parameter created outside Terraform under another key (the AWS-managed
 * `aws/ssm`, readable through SSM by every principal of the account) does not decrypt for it, so
 * the host fails at boot instead of using a secret others can read. The provider's
 * `data aws_ssm_parameter` (provider-aws 21.22.1) exposes no key id, so no plan-time check can
 * read a parameter's key.
 * @throws ValidationError when a key policy statement is needed and the grantee is not a role or user
 */
export function grantParameters(grant: ParameterGrant): void {
  const { grantee, secretsKey } = grant;
  grantee.addToPrincipalPolicy({ actions: [...grant.ssmActions], resources: [...grant.parameterArns] });
  const keyArn = secretsKey?.keyArn ?? grant.kmsKeyArn;
  if (keyArn === undefined || keyArn === "") return;
  const kmsActions = grant.write ? [...SSM_DECRYPT_ACTIONS, ...SSM_ENCRYPT_ACTIONS] : [...SSM_DECRYPT_ACTIONS];
  grantee.addToPrincipalPolicy({ actions: kmsActions, resources: [keyArn], ...(grant.kmsConditions ? { conditions: grant.kmsConditions } : {}) });
  // These parameters decrypt for the grantee under this key only. A parameter created outside
  // Terraform (an existing runner token, a Nexus password put by hand) may sit under another key,
  // e.g. the AWS-managed aws/ssm, whose key policy lets every principal of the account decrypt
  // through SSM: reading it then fails (AccessDenied from KMS) instead of the host trusting a
  // secret others read. An explicit Deny in the identity policy wins over that key policy's Allow,
  // and SSM decrypts with the caller's permissions and the encryption context PARAMETER_ARN
  // (Systems Manager User Guide, "Restricting decryption of SecureString parameter values" and
  // "How AWS Systems Manager Parameter Store uses AWS KMS"). Parameters only: a Secrets Manager
  // secret (StaticCredentials) has another encryption context.
  if (grant.ssmActions.some((a) => a.toLowerCase().startsWith("ssm:"))) {
    grantee.addToPrincipalPolicy({
      effect: "Deny",
      actions: kmsActions,
      resources: [],
      notResources: [keyArn],
      // The literal ARNs SSM puts in the encryption context (as the key policy names them), where the key knows them.
      conditions: { StringEquals: { "kms:EncryptionContext:PARAMETER_ARN": secretsKey ? grant.parameterNames.map((name) => secretsKey.parameterArn(name)) : [...grant.parameterArns] } },
    });
  }
  if (!secretsKey) return;
  secretsKey.allowParameters({
    principalArn: principalArnOf(grant.path, grantee),
    parameterArns: grant.parameterNames.map((name) => secretsKey.parameterArn(name)),
    ...(grant.write ? { write: true } : {}),
  });
}

/**
 * Checks that a construct is not given both forms of its key.
 * @throws ValidationError when `secretsKey` and `kmsKeyArn` are both given
 */
export function checkOneKey(path: string, subject: string, secretsKey: ISecretsKey | undefined, kmsKeyArn: string | undefined): void {
  check(!secretsKey || kmsKeyArn === undefined, {
    path,
    subject,
    value: kmsKeyArn,
    rule: "the parameter has one key: secretsKey (whose key policy the grants extend) or the deprecated kmsKeyArn, not both",
    fix: "pass secretsKey only",
  });
}

/** One SecureString parameter a construct is given with its key, as {@link checkParameterKey} checks it. */
export interface ParameterKeyProps {
  /** The parameter's name. */
  readonly parameterName: string;
  /** The parameter's ARN, in the account and region the construct puts it. */
  readonly parameterArn: string;
  /** The customer-managed key of the parameter, when given. */
  readonly secretsKey?: ISecretsKey;
  /** The deprecated key ARN, when given. */
  readonly kmsKeyArn?: string;
  /** The construct's prop names of the two key forms, for messages, e.g. `{ secretsKey: "secretsKey", kmsKeyArn: "kmsKeyArn" }`. */
  readonly propNames: { readonly secretsKey: string; readonly kmsKeyArn: string };
  /** The parameter and its readers in words, e.g. `{ parameter: "the admin password parameter", readers: "the host" }`. */
  readonly describe: { readonly parameter: string; readonly readers: string };
  /** How to mend a key of another account or region. */
  readonly fix: string;
}

/**
 * Checks the key of a SecureString parameter a construct holds: one form only ({@link checkOneKey}),
 * and a `secretsKey` of the parameter's own account and region. The key policy names the
 * parameter by the key's account and region ({@link ISecretsKey.parameterArn}), so with a key of
 * another account or region no reader could ever decrypt it. An unresolved token is not checked.
 * @param path where the construct is configured, for error messages
 * @throws ValidationError for both key forms, or a `secretsKey` whose parameter ARN differs from `parameterArn`
 */
export function checkParameterKey(path: string, parameter: ParameterKeyProps): void {
  checkOneKey(path, parameter.propNames.kmsKeyArn, parameter.secretsKey, parameter.kmsKeyArn);
  const keyParameterArn = parameter.secretsKey?.parameterArn(parameter.parameterName);
  check(keyParameterArn === undefined || isUnresolved(keyParameterArn) || keyParameterArn === parameter.parameterArn, {
    path,
    subject: parameter.propNames.secretsKey,
    value: { parameterArn: parameter.parameterArn, keyAccountAndRegion: keyParameterArn },
    rule: `${parameter.describe.parameter}, encrypted with a customer-managed key, lives in the key's account and region (its key policy names the parameter by that ARN, so a key of another account or region would never let ${parameter.describe.readers} decrypt it)`,
    fix: parameter.fix,
  });
}

/** One SecureString parameter a construct holds, as {@link grantParameterRead} reads it. */
export interface ReadableParameter {
  readonly parameterName: string;
  readonly parameterArn: string;
  readonly secretsKey?: ISecretsKey;
  readonly kmsKeyArn?: string;
}

/**
 * `ssm:GetParameter` on one parameter, `kms:Decrypt` on its customer key if any, and with a
 * `secretsKey` a key policy statement naming the grantee for that parameter only: the `grantRead`
 * of every construct holding a runner token.
 * @throws ValidationError with `secretsKey`, for a grantee that is not an IAM role or user
 */
export function grantParameterRead(path: string, grantee: IGrantable, parameter: ReadableParameter): void {
  grantParameters({
    path,
    grantee,
    ssmActions: ["ssm:GetParameter"],
    parameterNames: [parameter.parameterName],
    parameterArns: [parameter.parameterArn],
    ...(parameter.secretsKey ? { secretsKey: parameter.secretsKey } : {}),
    ...(parameter.kmsKeyArn ? { kmsKeyArn: parameter.kmsKeyArn } : {}),
  });
}
