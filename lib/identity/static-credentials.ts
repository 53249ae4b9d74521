import { IamAccessKey } from "@cdktf/provider-aws/lib/iam-access-key";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { DataResource } from "cdktf";
import { Construct } from "constructs";
import { checkedBoundary, validateSsmParameterName } from "../core/aws";
import { check, checkOneOf } from "../core/errors";
import { type IGrantable, type PolicyStatement, validateIamName } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { checkOneKey, grantParameters, type ISecretsKey } from "../secrets/secrets-key-ref";
import { UserGrants } from "./role-policy";

/** Where the secret access key is stored. */
export type StaticCredentialsStore =
  | {
      /** An SSM Parameter Store SecureString. */
      readonly type: "ssm-parameter";
      /** Parameter name, e.g. `/acme-ci/dev/legacy-pull/secret-access-key`. */
      readonly parameterName: string;
      /**
       * ARN of a customer-managed KMS key. `grantReadSecret` adds an IAM `kms:Decrypt` on it, which
       * decrypts only when the key policy lets IAM policies grant it; a key that does not (such as
       * a `SecretsKey`) must name each reader in its key policy, which cannot be done from an ARN,
       * and nothing checks it (neither for an unresolved token nor for a `SecretsKey`'s ARN).
       * @deprecated pass `secretsKey`: `grantReadSecret` then also names the reader in the key policy.
       * @default the AWS-managed `aws/ssm` key
       */
      readonly kmsKeyArn?: string;
      /**
       * The customer-managed key of the parameter (e.g. a `SecretsKey`): `grantReadSecret` adds
       * the IAM statements and names the reader in the key policy for exactly this parameter.
       * @default the AWS-managed `aws/ssm` key (or `kmsKeyArn`)
       */
      readonly secretsKey?: ISecretsKey;
    }
  | {
      /** A Secrets Manager secret. */
      readonly type: "secrets-manager";
      /** Secret name, e.g. `acme-ci/dev/legacy-pull`. */
      readonly secretName: string;
      /**
       * ARN of a customer-managed KMS key.
       * @default the AWS-managed `aws/secretsmanager` key
       */
      readonly kmsKeyArn?: string;
      /**
       * Days a deleted secret can be restored (0 deletes at once, else 7-30).
       * @default 30 (Secrets Manager's default)
       */
      readonly recoveryWindowInDays?: number;
    };

/** Every {@link StaticCredentialsStore} type (for run-time checks of plain-JavaScript input). */
export const STATIC_CREDENTIALS_STORES = ["ssm-parameter", "secrets-manager"] as const;

/** Props of {@link StaticCredentials}. */
export interface StaticCredentialsProps {
  /** IAM user name, at most 64 characters. */
  readonly userName: string;
  /**
   * Where the secret access key is stored.
   * @default { type: "ssm-parameter", parameterName: "/<userName>/secret-access-key" }
   */
  readonly store?: StaticCredentialsStore;
  /**
   * Rotation counter: raising it replaces the access key (the new key is
   * created and stored before the old one is deleted, in one apply).
   * @default 1
   */
  readonly rotation?: number;
  /**
   * ARN of a permissions boundary for the user.
   * @default none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Resource tags (user, parameter or secret).
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Secrets Manager secret names: 1-512 characters of letters, digits and `/_+=.@-`. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/**
 * Opt-in static credentials for registries and tools that cannot use OIDC
 * (tools that cannot use OIDC): an IAM user with an access key, the secret access key
 * stored as an SSM SecureString (default) or a Secrets Manager secret. The
 * user starts with no permissions; scope them with `repository.grantPull(creds)`
 * / `grantPush(creds)` (one inline user policy, IAM's 2,048-character quota).
 *
 * The secret access key is in Terraform state (the `aws_iam_access_key`
 * resource and the parameter or secret version): protect the state. Rotate by
 * raising `rotation`.
 */
export class StaticCredentials extends Construct implements IGrantable {
  /** The `aws_iam_user`. */
  public readonly user: IamUser;
  /** The `aws_iam_access_key`. */
  public readonly accessKey: IamAccessKey;
  /** The grants collected for the user (one inline policy). */
  public readonly grants: UserGrants;
  /** The SSM parameter, when the store is SSM. */
  public readonly parameter?: SsmParameter;
  /** The Secrets Manager secret, when the store is Secrets Manager. */
  public readonly secret?: SecretsmanagerSecret;
  private readonly kmsKeyArn?: string;
  private readonly secretsKey?: ISecretsKey;
  private readonly parameterName?: string;

  public constructor(scope: Construct, id: string, props: StaticCredentialsProps) {
    super(scope, id);
    const path = this.node.path;
    validateIamName(path, "user", props.userName);
    const rotation = props.rotation ?? 1;
    check(Number.isInteger(rotation) && rotation >= 1, {
      path,
      subject: "rotation",
      value: rotation,
      rule: "the rotation counter is a whole number from 1; raising it replaces the access key",
      fix: "start at 1 and add 1 for each rotation",
    });
    const store = props.store ?? { type: "ssm-parameter", parameterName: `/${props.userName}/secret-access-key` };
    checkOneOf(`${path}/store`, "type", store.type, STATIC_CREDENTIALS_STORES);
    const tags = props.tags ? { tags: { ...props.tags } } : {};

    this.user = new IamUser(this, "user", {
      name: props.userName,
      ...(props.permissionsBoundaryArn !== undefined ? { permissionsBoundary: checkedBoundary(path, props.permissionsBoundaryArn) } : {}),
      ...tags,
    });
    this.grants = new UserGrants(this, "grants", this.user.name);
    // terraform_data whose replacement (on a new rotation value) replaces the key.
    const rotationTrigger = new DataResource(this, "rotation", { triggersReplace: { rotation } });
    this.accessKey = new IamAccessKey(this, "access-key", {
      user: this.user.name,
      lifecycle: { createBeforeDestroy: true, replaceTriggeredBy: [rotationTrigger] },
    });
    this.kmsKeyArn = store.kmsKeyArn;

    if (store.type === "ssm-parameter") {
      checkOneKey(`${path}/store`, "kmsKeyArn", store.secretsKey, store.kmsKeyArn);
      this.secretsKey = store.secretsKey;
      const keyArn = store.secretsKey?.keyArn ?? store.kmsKeyArn;
      validateSsmParameterName(`${path}/store`, "parameterName", store.parameterName, `/${props.userName}/secret-access-key`);
      this.parameterName = store.parameterName;
      this.parameter = new SsmParameter(this, "parameter", {
        name: store.parameterName,
        type: "SecureString",
        value: this.accessKey.secret,
        description: `Secret access key of IAM user ${props.userName} (rotate with the rotation counter)`,
        ...(keyArn ? { keyId: keyArn } : {}),
        ...tags,
      });
    } else {
      check((store as { secretsKey?: unknown }).secretsKey === undefined, {
        path: `${path}/store`,
        subject: "secretsKey",
        value: "a secrets key",
        rule: "secretsKey encrypts SSM parameters (its key policy decrypts through SSM only); a Secrets Manager secret takes kmsKeyArn",
        fix: 'use type: "ssm-parameter", or give the secret\'s key as kmsKeyArn',
      });
      if (!isUnresolved(store.secretName)) {
        check(SECRET_NAME.test(store.secretName), {
          path: `${path}/store`,
          subject: "secretName",
          value: store.secretName,
          rule: "a Secrets Manager secret name is 1-512 characters of letters, digits and / _ + = . @ -",
          fix: `use a name such as ${props.userName}/secret-access-key`,
        });
      }
      const window = store.recoveryWindowInDays;
      check(window === undefined || window === 0 || (Number.isInteger(window) && window >= 7 && window <= 30), {
        path: `${path}/store`,
        subject: "recoveryWindowInDays",
        value: window,
        rule: "Secrets Manager keeps a deleted secret 0 (delete at once) or 7-30 days",
        fix: "use 0, or a whole number from 7 to 30",
      });
      this.secret = new SecretsmanagerSecret(this, "secret", {
        name: store.secretName,
        description: `Secret access key of IAM user ${props.userName}`,
        ...(store.kmsKeyArn ? { kmsKeyId: store.kmsKeyArn } : {}),
        ...(window !== undefined ? { recoveryWindowInDays: window } : {}),
        ...tags,
      });
      new SecretsmanagerSecretVersion(this, "secret-version", { secretId: this.secret.id, secretString: this.accessKey.secret });
    }
  }

  /** Adds a statement to the user's inline policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.grants.addToPrincipalPolicy(statement);
  }

  /** The user name. */
  public get userName(): string {
    return this.user.name;
  }

  /** The user ARN. */
  public get userArn(): string {
    return this.user.arn;
  }

  /** The access key id (not secret; a reference resolved at apply). */
  public get accessKeyId(): string {
    return this.accessKey.id;
  }

  /** ARN of the parameter or secret holding the secret access key. */
  public get secretStoreArn(): string {
    return (this.parameter ?? this.secret)!.arn;
  }

  /**
   * Grants reading the stored secret access key: `ssm:GetParameter` on the
   * parameter or `secretsmanager:GetSecretValue` on the secret, and
   * `kms:Decrypt` on the customer key if one is used; with the store's `secretsKey`,
   * also a key policy statement naming the grantee for this parameter only.
   * @throws ValidationError with `secretsKey`, for a grantee that is not an IAM role or user
   */
  public grantReadSecret(grantee: IGrantable): void {
    grantParameters({
      path: this.node.path,
      grantee,
      ssmActions: [this.parameter ? "ssm:GetParameter" : "secretsmanager:GetSecretValue"],
      parameterNames: this.parameter ? [this.parameterName!] : [],
      parameterArns: [this.secretStoreArn],
      ...(this.secretsKey ? { secretsKey: this.secretsKey } : {}),
      ...(this.kmsKeyArn ? { kmsKeyArn: this.kmsKeyArn } : {}),
    });
  }
}
