/**
 * An aspect that refuses two resources with the same physical name where AWS
 * wants it unique: such plans synthesize fine and fail only at apply
 * ("EntityAlreadyExists", "RepositoryAlreadyExistsException",
 * "BucketAlreadyExists"), or, for the account-wide registry scanning
 * configuration, two resources silently overwrite each other.
 */
import { AnnotationMetadataEntryType, type IAspect, TerraformStack } from "cdktf";
import { type IConstruct } from "constructs";
import { check } from "../core/errors";
import { blocks, isExpression, StackModel, type StackElement } from "./stack-model";
import { checkSynthesizedJson } from "./synthesized-json";

/** Where a name must be unique: in the partition (S3 buckets), the account, or the account's region. */
type Uniqueness = "global" | "account" | "region";

/** The physical-name attributes checked, by resource type. */
export const PHYSICAL_NAMES: ReadonlyArray<{ readonly type: string; readonly attribute: string; readonly kind: string; readonly scope: Uniqueness }> = [
  { type: "aws_ecr_repository", attribute: "name", kind: "ECR repository name", scope: "region" },
  { type: "aws_iam_role", attribute: "name", kind: "IAM role name", scope: "account" },
  { type: "aws_iam_user", attribute: "name", kind: "IAM user name", scope: "account" },
  { type: "aws_iam_policy", attribute: "name", kind: "IAM policy name", scope: "account" },
  { type: "aws_iam_instance_profile", attribute: "name", kind: "IAM instance profile name", scope: "account" },
  { type: "aws_iam_openid_connect_provider", attribute: "url", kind: "OIDC provider URL", scope: "account" },
  { type: "aws_autoscaling_group", attribute: "name", kind: "Auto Scaling group name", scope: "region" },
  { type: "aws_launch_template", attribute: "name", kind: "launch template name", scope: "region" },
  { type: "aws_s3_bucket", attribute: "bucket", kind: "S3 bucket name", scope: "global" },
  { type: "aws_ssm_parameter", attribute: "name", kind: "SSM parameter name", scope: "region" },
  { type: "aws_cloudwatch_log_group", attribute: "name", kind: "CloudWatch log group name", scope: "region" },
  { type: "aws_ecr_registry_scanning_configuration", attribute: "", kind: "registry scanning configuration (one per account and region)", scope: "region" },
  { type: "aws_ecr_registry_policy", attribute: "", kind: "registry policy (one per account and region)", scope: "region" },
];

/** The region of a stack's default AWS provider, or `(default region)` when it is not literal. */
function defaultRegion(model: StackModel): string {
  const provider = model.elements.find((e) => e.kind === "provider" && e.type === "aws" && e.config.alias === undefined);
  const region = provider?.config.region;
  return typeof region === "string" && !isExpression(region) ? region : "(default region)";
}

/** Props of {@link UniquePhysicalNames}. */
export interface UniquePhysicalNamesProps {
  /**
   * The AWS account the stacks this aspect is added to deploy into; add one instance to every
   * stack of that account so that names are compared across them.
   * @default "(this account)"
   */
  readonly account?: string;
}

/**
 * Refuses duplicate physical names (see {@link PHYSICAL_NAMES}) per account and region across all
 * constructs of the stacks it is added to: add one instance to every stack that shares an account.
 * A duplicate is an error annotation on the later resource, naming the first. Names that are
 * Terraform expressions are not compared (known only at apply time).
 * @example
 * const names = new UniquePhysicalNames({ account: "111111111111" });
 * for (const stack of stacksOfTheAccount) Aspects.of(stack).add(names);
 */
export class UniquePhysicalNames implements IAspect {
  private readonly account: string;
  private readonly seen = new WeakSet<TerraformStack>();
  private readonly owners = new Map<string, { path: string; address: string }>();

  /** @throws ValidationError when `account` is given but is not a non-empty string */
  public constructor(props: UniquePhysicalNamesProps = {}) {
    check(props.account === undefined || (typeof props.account === "string" && props.account.trim() !== ""), {
      path: "UniquePhysicalNames",
      subject: "account",
      value: props.account,
      rule: "the account the stacks deploy into, as a non-empty string (its id or a name)",
      fix: 'pass the account id, e.g. "111111111111", or leave it out for a single account',
    });
    this.account = props.account ?? "(this account)";
  }

  /** Called by cdktf for every construct; acts once per stack. */
  public visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.seen.has(node)) return;
    this.seen.add(node);
    checkSynthesizedJson(node, (json) => this.checkStack(node, json));
  }

  /** Compares the stack's physical names with those of the stacks checked before it. */
  private checkStack(node: TerraformStack, json: Record<string, unknown>): void {
    const model = new StackModel(json);
    const region = defaultRegion(model);
    const byPath = new Map(node.node.findAll().map((c): [string, IConstruct] => [c.node.path, c]));
    for (const { type, attribute, kind, scope } of PHYSICAL_NAMES) {
      for (const e of model.resources(type)) {
        const name = attribute === "" ? "" : e.config[attribute];
        if (typeof name !== "string" || isExpression(name)) continue;
        const where = scope === "global" ? "all accounts" : scope === "account" ? `account ${this.account}` : `account ${this.account}, region ${regionOf(e, region)}`;
        const key = `${kind}\u0000${where}\u0000${name}`;
        const first = this.owners.get(key);
        if (!first) {
          this.owners.set(key, { path: e.path ?? e.address, address: e.address });
          continue;
        }
        const target = (e.path && byPath.get(e.path)) || node;
        target.node.addMetadata(
          AnnotationMetadataEntryType.ERROR,
          `Duplicate ${kind}${name ? ` ${JSON.stringify(name)}` : ""} in ${where}: ${e.path ?? e.address} (${e.address}) and ${first.path} (${first.address}) would both create it, and the second fails at apply (or overwrites the first). ` +
            `Fix: give one of them another name (e.g. a different fleet, repository or role name), or create it once and share it.`,
          { stackTrace: false },
        );
      }
    }
  }
}

/** A resource's own `region` argument (AWS provider 6+), or the stack's default region. */
function regionOf(e: StackElement, fallback: string): string {
  const region = e.config.region ?? blocks(e.config.provider)[0]?.region;
  return typeof region === "string" && !isExpression(region) ? region : fallback;
}
