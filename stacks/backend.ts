import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";

/** Where the stacks keep their Terraform state. */
export type BackendConfig =
  | {
      /** State files next to the synthesized stacks (the offline example). */
      readonly kind: "local";
    }
  | {
      /** One S3 bucket for every stack, with S3-native locking (`use_lockfile`). */
      readonly kind: "s3";
      /** The state bucket (create it first; see README "State backend"). */
      readonly bucket: string;
      /** The bucket's region. */
      readonly region: string;
      /**
       * Prefix of every state key: keys are `<keyPrefix>/<stack>.tfstate`.
       * @default the platform's project name
       */
      readonly keyPrefix?: string;
      /**
       * KMS key for state encryption.
       * @default SSE-S3
       */
      readonly kmsKeyId?: string;
      /**
       * Role Terraform assumes to read and write state.
       * @default the caller's credentials
       */
      readonly roleArn?: string;
    };

/**
 * Configures `stack`'s backend. The S3 backend gets `use_lockfile = true`
 * through an override: cdktf 0.21's typed config predates it (Terraform and
 * OpenTofu >= 1.10 lock with a `.tflock` object next to the state, no
 * DynamoDB table needed).
 */
export function applyBackend(stack: TerraformStack, backend: BackendConfig, stateKey: string): void {
  if (backend.kind === "local") {
    new LocalBackend(stack, { path: `terraform.${stateKey.replace(/\//g, "-")}` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: stateKey,
    region: backend.region,
    encrypt: true,
    ...(backend.kmsKeyId ? { kmsKeyId: backend.kmsKeyId } : {}),
    ...(backend.roleArn ? { assumeRole: { roleArn: backend.roleArn } } : {}),
  });
  s3.addOverride("use_lockfile", true);
}
