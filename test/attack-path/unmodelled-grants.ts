/*
 * Resource types of @cdktf/provider-aws 21.22.1 (lib/<name>) that grant access outside the
 * identity and resource policies the attack-path model reads. A stack using one makes the model
 * throw instead of under-counting what a role reaches: teach the model the type, then remove it
 * here. (provider-aws 21.22.1 has no aws_ssm_resource_policy; SSM parameters are shared through
 * AWS RAM.)
 */
import { type SynthJson } from "../support/synth";

/** Each unmodelled type and what it grants. */
export const UNMODELLED_GRANT_FORMS: ReadonlyMap<string, string> = new Map([
  ["aws_kms_grant", "a KMS grant lets its grantee principal use the key (e.g. kms:Decrypt) whatever the key policy says"],
  ["aws_kms_key_policy", "a key policy set apart from aws_kms_key replaces the policy the model reads on the key"],
  ["aws_ram_resource_share", "an AWS RAM share hands resources (SSM parameters among them) to other principals"],
  ["aws_ram_resource_association", "an AWS RAM association adds a resource to a share"],
  ["aws_ram_principal_association", "an AWS RAM association adds a principal to a share"],
  ["aws_ssm_activation", "a hybrid activation lets whoever holds its code run as its IAM role"],
  ["aws_secretsmanager_secret_policy", "a secret's resource policy grants reads of a secret the model does not track"],
  ["aws_s3_access_point", "an access point has a policy of its own over the bucket's objects"],
  ["aws_s3control_access_point_policy", "an access point policy grants object access outside the bucket policy"],
  ["aws_s3control_bucket_policy", "an S3 on Outposts bucket policy"],
  ["aws_s3control_access_grant", "an S3 Access Grant grants object access outside IAM and bucket policies"],
  ["aws_s3control_access_grants_instance_resource_policy", "an S3 Access Grants instance policy"],
  ["aws_s3control_multi_region_access_point_policy", "a multi-Region access point policy grants object access"],
  ["aws_s3control_object_lambda_access_point_policy", "an Object Lambda access point policy grants object access"],
]);

/**
 * Throws when a stack uses a resource type that grants access the model does not read.
 *
 * @throws Error naming the stack, the type and what it grants
 */
export function failOnUnmodelledGrants(stack: string, json: SynthJson): void {
  for (const type of Object.keys(json.resource ?? {})) {
    const grants = UNMODELLED_GRANT_FORMS.get(type);
    if (grants !== undefined) throw new Error(`attack-path model: ${stack} uses ${type}, an unknown grant form (${grants}); add it to the model (test/attack-path/iam-model.ts) before relying on the suite`);
  }
}
