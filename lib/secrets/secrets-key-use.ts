/** One principal's use of the key through SSM Parameter Store, for a secrets key (`ISecretsKey.allowParameters`). */
export interface SecretsKeyUse {
  /** IAM role (or user) ARN (a token of the role resource is fine). */
  readonly principalArn: string;
  /** The SSM parameter ARNs it may decrypt (and, with `write`, encrypt), literal ARNs. */
  readonly parameterArns: readonly string[];
  /**
   * Also encrypt (the principal writes the parameters itself, e.g. the Nexus host its admin password).
   * @default false
   */
  readonly write?: boolean;
}

/** KMS actions SSM Parameter Store calls for a reader (standard tier: Decrypt; advanced tier: Decrypt of the data key). */
export const SSM_DECRYPT_ACTIONS = ["kms:Decrypt"] as const;
/** KMS actions SSM Parameter Store calls for a writer (standard tier: Encrypt; advanced tier: GenerateDataKey). */
export const SSM_ENCRYPT_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"] as const;
