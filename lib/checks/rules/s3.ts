import { includesEveryone, policiesOf, readPolicy, type NormalizedStatement, type PolicyRead } from "../policy-statements";
import { type SecurityRule } from "../rule";
import { blocks, isTrue, type StackElement, type StackModel } from "../stack-model";
import { isWildcardAction } from "./iam";
import { violationsOf } from "./violations";

const BUCKET = "aws_s3_bucket";
/** Attributes that hold a bucket's literal name, for linking resources that name it without a reference. */
const BUCKET_NAME = ["bucket"];
const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

/** One violation per bucket whose check returns a problem. */
function eachBucket(model: StackModel, problemOf: (bucket: StackElement) => string | undefined) {
  return violationsOf(model.resources(BUCKET), (bucket) => {
    const problem = problemOf(bucket);
    return problem ? [problem] : [];
  });
}

/** The resources of `type` whose `bucket` names the bucket (by reference or literal name). */
function attached(model: StackModel, bucket: StackElement, type: string): StackElement[] {
  return model.attachedTo(bucket, [type], "bucket", BUCKET_NAME);
}

/** S3001: every bucket needs a public access block with all four settings on (or an account-wide one). */
export const bucketPublicAccessBlock: SecurityRule = {
  id: "S3001",
  title: "S3 bucket without a complete public access block",
  rationale: "Without all four public-access-block settings one ACL or policy change can publish the bucket (cache objects hold build outputs and dependencies).",
  severity: "error",
  resourceTypes: [BUCKET, "aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"],
  fix: `add an aws_s3_bucket_public_access_block for the bucket with ${PUBLIC_ACCESS_FLAGS.map((f) => `${f} = true`).join(", ")}`,
  check: (model) => {
    const complete = (e: StackElement): boolean => PUBLIC_ACCESS_FLAGS.every((f) => isTrue(e.config[f]));
    if (model.resources("aws_s3_account_public_access_block").some(complete)) return [];
    return eachBucket(model, (bucket) => {
      const pabs = attached(model, bucket, "aws_s3_bucket_public_access_block");
      if (pabs.length === 0) return "the bucket has no aws_s3_bucket_public_access_block";
      const off = PUBLIC_ACCESS_FLAGS.filter((f) => !pabs.some((p) => isTrue(p.config[f])));
      return off.length > 0 ? `its public access block leaves ${off.join(", ")} off` : undefined;
    });
  },
};

/** True when an encryption configuration sets a default `sse_algorithm`. */
function hasDefaultEncryption(config: Readonly<Record<string, unknown>>): boolean {
  return blocks(config.rule).some((rule) =>
    blocks(rule.apply_server_side_encryption_by_default).some((d) => typeof d.sse_algorithm === "string" && d.sse_algorithm !== ""),
  );
}

/** S3002: every bucket needs a server-side encryption configuration. */
export const bucketEncryption: SecurityRule = {
  id: "S3002",
  title: "S3 bucket without a server-side encryption configuration",
  rationale: "An explicit default encryption (SSE-S3 or SSE-KMS) pins encryption at rest in code, where review sees it, instead of relying on account defaults.",
  severity: "error",
  resourceTypes: [BUCKET, "aws_s3_bucket_server_side_encryption_configuration"],
  fix: 'add an aws_s3_bucket_server_side_encryption_configuration for the bucket with rule { apply_server_side_encryption_by_default { sse_algorithm = "AES256" (or "aws:kms" with a key) } }',
  check: (model) =>
    eachBucket(model, (bucket) => {
      const configs = attached(model, bucket, "aws_s3_bucket_server_side_encryption_configuration").map((e) => e.config);
      const inline = blocks(bucket.config.server_side_encryption_configuration);
      if ([...configs, ...inline].some(hasDefaultEncryption)) return undefined;
      return configs.length + inline.length === 0
        ? "the bucket has no aws_s3_bucket_server_side_encryption_configuration"
        : "its encryption configuration sets no apply_server_side_encryption_by_default.sse_algorithm";
    }),
};

/** A `Deny` of all S3 actions to everyone when `aws:SecureTransport` is false. */
function deniesInsecureTransport(s: NormalizedStatement): boolean {
  return (
    s.effect === "Deny" &&
    includesEveryone(s.principals) &&
    s.actions.some((a) => isWildcardAction(a) && (a === "*" || a.toLowerCase() === "s3:*")) &&
    s.conditions.some((c) => /^Bool(IfExists)?$/.test(c.test) && c.variable.toLowerCase() === "aws:securetransport" && c.values.includes("false"))
  );
}

/** S3003: every bucket needs a policy that denies requests without TLS. */
export const bucketTlsOnly: SecurityRule = {
  id: "S3003",
  title: "S3 bucket policy does not deny non-TLS requests",
  rationale: "S3 also answers plain HTTP; only a bucket policy denying aws:SecureTransport = false keeps credentials and objects off unencrypted connections.",
  severity: "error",
  resourceTypes: [BUCKET, "aws_s3_bucket_policy"],
  fix: 'add to the bucket policy { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [<bucket ARN>, "<bucket ARN>/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }',
  check: (model) => {
    const bucketPolicies = policiesOf(model).filter((p) => p.element.type === "aws_s3_bucket_policy");
    return eachBucket(model, (bucket) => {
      const reads: PolicyRead[] = bucketPolicies.filter((p) => model.identifies(p.element.config.bucket, bucket, BUCKET_NAME)).map((p) => p.policy);
      if (bucket.config.policy) reads.push(readPolicy(model, bucket.config.policy));
      if (reads.some((r) => r.statements.some(deniesInsecureTransport))) return undefined;
      if (reads.length === 0) return "the bucket has no aws_s3_bucket_policy";
      const problems = reads.flatMap((r) => r.problems);
      return problems.length > 0
        ? `its bucket policy cannot be read offline (${problems.join("; ")}), so TLS-only access cannot be verified`
        : 'its bucket policy has no Deny statement for Principal "*", Action "s3:*" with Condition Bool aws:SecureTransport = "false"';
    });
  },
};
