import { check } from "./errors";
import { isUnresolved } from "./tokens";

/** A 12-digit AWS account id. */
export const ACCOUNT_ID = /^\d{12}$/;
/** An AWS region name such as `eu-central-1`, `us-gov-west-1` or `cn-north-1`. */
export const REGION = /^(?:[a-z]{2}|[a-z]{2}-gov|[a-z]{2}-iso[a-z]?)-[a-z]+-\d{1,2}$/;

/**
 * An IAM role ARN: partition `aws`, `aws-cn` or `aws-us-gov`, a 12-digit account, `role/` and an
 * optional path with the name, of the characters IAM allows (IAM User Guide, "IAM identifiers" and
 * "IAM and AWS STS quotas": names of `[\w+=,.@-]`, paths of the same and `/`, up to 512 characters).
 */
export const IAM_ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Checks a 12-digit account id (tokens pass). */
export function validateAccountId(path: string, subject: string, value: string): void {
  if (isUnresolved(value)) return;
  const text = typeof value === "string" ? value : String(value);
  const digits = /^\d+$/.test(text) ? `${text.length} digits` : "characters other than digits";
  check(typeof value === "string" && ACCOUNT_ID.test(value), {
    path,
    subject,
    value,
    rule: `an AWS account id is exactly 12 digits, given as a string, and this one has ${typeof value === "string" ? digits : `the type ${typeof value}`}`,
    fix: "copy the id from `aws sts get-caller-identity --query Account --output text` (keep leading zeros, quote it as a string)",
  });
}

/** The region code a near-miss such as `eu-central1`, `EU-CENTRAL-1` or `eu_central_1` was meant to be, if it is evident. */
export function suggestRegion(value: string): string | undefined {
  const normalised = value.trim().toLowerCase().replace(/_/g, "-");
  if (REGION.test(normalised)) return normalised;
  const missingDash = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+)(\d{1,2})$/.exec(normalised);
  if (missingDash) return `${missingDash[1]}-${missingDash[2]}`;
  const missingNumber = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+)-?$/.exec(normalised);
  if (missingNumber) return `${missingNumber[1]}-1`;
  return undefined;
}

/** Checks a region name (tokens pass); the fix names the evident correction of a near-miss. */
export function validateRegion(path: string, subject: string, value: string): void {
  if (isUnresolved(value)) return;
  const suggestion = typeof value === "string" ? suggestRegion(value) : undefined;
  check(typeof value === "string" && REGION.test(value), {
    path,
    subject,
    value,
    rule: "an AWS region looks like eu-central-1 (lower case, area-name-number; also us-gov-west-1, cn-north-1)",
    fix: suggestion ? `did you mean ${JSON.stringify(suggestion)}? (list codes with \`aws ec2 describe-regions --query Regions[].RegionName\`)` : "use a region code such as eu-central-1, not a display name such as 'Frankfurt' (list codes with `aws ec2 describe-regions --query Regions[].RegionName`)",
  });
}

/** An AWS partition. */
export type AwsPartition = "aws" | "aws-cn" | "aws-us-gov";

/** The partition of a region (aws, aws-cn, aws-us-gov). */
export function partitionOf(region: string): AwsPartition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Checks a general-purpose S3 bucket name against AWS's naming rules (tokens pass). */
export function validateBucketName(path: string, subject: string, name: string): void {
  if (isUnresolved(name)) return;
  const violation = (rule: string) => ({ path, subject, value: name, rule, fix: "use 3-63 lower-case letters, digits and hyphens, e.g. acme-ci-terraform-state-111111111111" });
  check(BUCKET_CHARS.test(name), violation("an S3 bucket name is 3-63 characters of lower-case letters, digits, '.' and '-', starting and ending with a letter or digit"));
  check(!name.includes(".."), violation("an S3 bucket name has no two adjacent periods"));
  check(!/^\d{1,3}(\.\d{1,3}){3}$/.test(name), violation("an S3 bucket name is not formatted as an IP address"));
  const prefix = RESERVED_BUCKET_PREFIXES.find((p) => name.startsWith(p));
  check(prefix === undefined, violation(`S3 reserves the bucket name prefix "${prefix}"`));
  const suffix = RESERVED_BUCKET_SUFFIXES.find((s) => name.endsWith(s));
  check(suffix === undefined, violation(`S3 reserves the bucket name suffix "${suffix}"`));
}

/** SSM parameter names: `/`-separated path of `[a-zA-Z0-9_.-]`, not starting with aws or ssm. */
const SSM_PARAMETER_NAME = /^\/?(?!(?:aws|ssm)(?:\/|$))[a-zA-Z0-9_.-]+(?:\/[a-zA-Z0-9_.-]+)*$/i;

/**
 * Checks an SSM parameter name (tokens pass): a `/`-separated path of letters,
 * digits, `_`, `.`, `-`, at most 1011 characters, not under `aws` or `ssm`.
 * @param example a well-formed name for the fix, e.g. `/acme-ci/dev/runner/token`
 */
export function validateSsmParameterName(path: string, subject: string, name: string, example: string): void {
  if (isUnresolved(name)) return;
  check(name.length <= 1011 && SSM_PARAMETER_NAME.test(name), {
    path,
    subject,
    value: name,
    rule: "an SSM parameter name is a /-separated path of letters, digits, '_', '.', '-' (at most 1011 characters, not under aws or ssm)",
    fix: `use a name such as ${example}`,
  });
}

/** The ARN of an SSM parameter: `arn:<partition>:ssm:<region>:<account>:parameter/<name without leading />`. */
export function ssmParameterArn(region: string, accountId: string, name: string): string {
  return `arn:${partitionOf(region)}:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, "")}`;
}

/** The DNS suffix of a region's service endpoints (`amazonaws.com`, `amazonaws.com.cn` in China). */
export function dnsSuffixOf(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** A Secrets Manager secret ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`. */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/;

/** The parts of a Secrets Manager secret ARN. */
export interface SecretArnParts {
  /** Region of the secret. */
  readonly region: string;
  /** Account id of the secret. */
  readonly accountId: string;
  /** Secret name, including the 6-character suffix Secrets Manager appends to full ARNs. */
  readonly name: string;
}

/** Splits a Secrets Manager secret ARN, or returns undefined when `arn` is not one. */
export function parseSecretArn(arn: string): SecretArnParts | undefined {
  const match = SECRET_ARN.exec(arn);
  return match ? { region: match[1]!, accountId: match[2]!, name: match[3]! } : undefined;
}

/**
 * IAM managed policy ARNs: AWS-managed (`arn:<partition>:iam::aws:policy/...`)
 * or customer-managed (`arn:<partition>:iam::<account>:policy/<path>/<name>`).
 * Source: IAM identifiers, "IAM ARNs" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
 */
export const MANAGED_POLICY_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,128})$/;

/**
 * Checks a permissions boundary (tokens pass): IAM accepts only a managed
 * policy ARN there (`PutRolePermissionsBoundary` / `PutUserPermissionsBoundary`
 * take `PermissionsBoundary`, "The ARN of the managed policy"); anything else
 * fails only at apply. When `region` is given, the ARN's partition must be the region's.
 */
export function validatePermissionsBoundaryArn(path: string, arn: string, region?: string): void {
  if (isUnresolved(arn)) return;
  const match = typeof arn === "string" ? MANAGED_POLICY_ARN.exec(arn) : null;
  check(match !== null, {
    path,
    subject: "permissionsBoundaryArn",
    value: arn,
    rule: "a permissions boundary is the ARN of a managed policy, arn:<partition>:iam::<account id|aws>:policy/[<path>/]<name> (not a policy name, role ARN or policy document)",
    fix: "copy the policy's ARN, e.g. `aws iam list-policies --scope Local --query \"Policies[?PolicyName=='<name>'].Arn\"`",
  });
  if (region !== undefined && !isUnresolved(region)) {
    const expected = partitionOf(region);
    check(match[1] === expected, {
      path,
      subject: "permissionsBoundaryArn partition",
      value: arn,
      rule: `the boundary must be in the partition of ${region} (${expected}), where the principal lives`,
      fix: `use the policy's ARN in ${expected}: arn:${expected}:iam::...`,
    });
  }
}

/** An ECR registry host: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`. */
export const ECR_REGISTRY_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Checks an ECR registry host (tokens, or hosts with embedded tokens, pass):
 * the account id and region are named separately, so a typo in either says so.
 */
export function validateEcrRegistryHost(path: string, subject: string, host: string): void {
  if (isUnresolved(host)) return;
  const loose = /^([^.]*)\.dkr\.ecr(?:-fips)?\.([^.]*)\.amazonaws\.com(?:\.cn)?$/.exec(host);
  check(loose !== null, {
    path,
    subject,
    value: host,
    rule: "an ECR registry host is <12-digit account>.dkr.ecr.<region>.amazonaws.com (the ecr-login credential helper serves only ECR)",
    fix: "use the repository's registryHost, e.g. 111111111111.dkr.ecr.eu-central-1.amazonaws.com; put other registries under staticCredentials",
  });
  validateAccountId(path, `${subject} account id`, loose[1]!);
  validateRegion(path, `${subject} region`, loose[2]!);
}

/** IAM's limit on a role description (CreateRole `Description`, at most 1000 characters). */
export const ROLE_DESCRIPTION_MAX_LENGTH = 1000;
/** SSM Parameter Store's limit on a parameter description (PutParameter `Description`, at most 1024 characters). */
export const SSM_DESCRIPTION_MAX_LENGTH = 1024;

/** `arn` after {@link validatePermissionsBoundaryArn} (for use inline in resource props). */
export function checkedBoundary(path: string, arn: string, region?: string): string {
  validatePermissionsBoundaryArn(path, arn, region);
  return arn;
}

/** Whether an account id is one a rule comparing it can trust: 12 digits as a string, or an unresolved token (compared as given). */
export function isWellFormedAccountId(value: unknown): value is string {
  return typeof value === "string" && (ACCOUNT_ID.test(value) || isUnresolved(value));
}

/** Whether a region is one a rule comparing it can trust: a region code, or an unresolved token (compared as given). */
export function isWellFormedRegion(value: unknown): value is string {
  return typeof value === "string" && (REGION.test(value) || isUnresolved(value));
}

/**
 * Whether an (account id, region) entry may be the one a reference names: both parts equal, or
 * unknown where either side's part is malformed (that field's own check reports it). Rules that
 * look an account entry up use it so that a malformed or mistyped id is one problem, not also
 * "no entry for this account".
 */
export function mayBeAccount(entry: { readonly accountId: unknown; readonly region: unknown }, ref: { readonly accountId: unknown; readonly region: unknown }): boolean {
  const id = entry.accountId === ref.accountId || !isWellFormedAccountId(entry.accountId) || !isWellFormedAccountId(ref.accountId);
  const region = entry.region === ref.region || !isWellFormedRegion(entry.region) || !isWellFormedRegion(ref.region);
  return id && region;
}
