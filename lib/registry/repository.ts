import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository, type EcrRepositoryConfig } from "@cdktf/provider-aws/lib/ecr-repository";
import { Fn } from "cdktf";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { Construct } from "constructs";
import { validateAccountId } from "../core/aws";
import { check, checkOneOf, ValidationError } from "../core/errors";
import { type IGrantable, type PolicyStatement } from "../core/iam";
import { isUnresolved } from "../core/tokens";
import { selectorPattern } from "./glob";
import { DEFAULT_UNPROTECTED_MAX_AGE_DAYS, lifecyclePolicyFromTagScheme } from "./lifecycle/scheme-policy";
import {
  renderLifecyclePolicy,
  validateLifecyclePolicy,
  type LifecyclePolicyDocument,
} from "./lifecycle/policy";
import { type Retention, type TagKindName, TagScheme } from "./tag-scheme";

/** Actions needed to pull from a repository (besides `ecr:GetAuthorizationToken`). */
export const ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] as const;
/** Actions needed, on top of pull, to push to a repository. */
export const ECR_PUSH_ACTIONS = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"] as const;
/** The one ECR action without a resource-level form: it must be granted on `*`. */
export const ECR_AUTH_ACTION = "ecr:GetAuthorizationToken";

/**
 * Tag kinds whose tags moved to a new image on every push with the older templates.
 * @deprecated the default now follows the tag scheme's `mutable` kinds (`TagScheme.mutableKinds`):
 * merge-request and branch images are tagged per commit and stay immutable.
 */
export const MOVING_TAG_KINDS: readonly TagKindName[] = ["latest", "mergeRequest", "branch"];

/** Encryption at rest of a repository. */
export type RepositoryEncryption = { readonly type: "AES256" } | { readonly type: "KMS"; readonly kmsKeyArn?: string };

/**
 * Tag mutability:
 * - `immutable-except-moving` (IMMUTABLE_WITH_EXCLUSION): every tag is immutable except
 *   those of the moving kinds (`latest`, `MR-*`, `branch-*` by default), so a pushed
 *   `sha-…`, `pipeline-…` or release tag can never be overwritten;
 * - `immutable`: every tag is immutable (moving tags cannot be pushed twice);
 * - `mutable`: every tag may be overwritten.
 */
export type TagMutabilityMode = "immutable-except-moving" | "immutable" | "mutable";

/** Every {@link TagMutabilityMode} (for run-time checks of plain-JavaScript input). */
export const TAG_MUTABILITY_MODES: readonly TagMutabilityMode[] = ["immutable-except-moving", "immutable", "mutable"];

/** AWS tag limits (ECR `TagResource`: keys 1-128 characters, values 0-256). */
export const TAG_KEY_MAX_LENGTH = 128;
/** See {@link TAG_KEY_MAX_LENGTH}. */
export const TAG_VALUE_MAX_LENGTH = 256;

/** Checks resource tags against AWS's limits (tokens pass); a long value is refused, never cut. */
export function validateResourceTags(path: string, tags: Readonly<Record<string, string>> | undefined): void {
  for (const [key, value] of Object.entries(tags ?? {})) {
    check(isUnresolved(key) || (key.length >= 1 && key.length <= TAG_KEY_MAX_LENGTH && !key.toLowerCase().startsWith("aws:")), {
      path,
      subject: "tag key",
      value: key,
      rule: `a tag key is 1-${TAG_KEY_MAX_LENGTH} characters and does not start with aws: (reserved)`,
      fix: "use a shorter key without the aws: prefix",
    });
    check(isUnresolved(value) || (typeof value === "string" && value.length <= TAG_VALUE_MAX_LENGTH), {
      path,
      subject: `tag ${key}`,
      value: typeof value === "string" ? `${value.length} characters` : value,
      rule: `a tag value is a string of at most ${TAG_VALUE_MAX_LENGTH} characters; it is never cut short`,
      fix: `shorten the value to ${TAG_VALUE_MAX_LENGTH} characters or fewer`,
    });
  }
}

/** Props of a {@link ContainerRepository}. */
export interface ContainerRepositoryProps {
  /** ECR repository name, e.g. `acme/app` (lower case; `/` separates namespaces). */
  readonly repositoryName: string;
  /**
   * The tag conventions; the lifecycle policy and the mutability exclusions derive from it.
   * @default a {@link TagScheme} with the built-in kinds
   */
  readonly tagScheme?: TagScheme;
  /**
   * Tag mutability.
   * @default "immutable-except-moving"
   */
  readonly tagMutability?: TagMutabilityMode;
  /**
   * Kinds whose tags stay mutable with `immutable-except-moving` (ECR allows at most 5 exclusion filters).
   * @default the tag scheme's mutable kinds (`latest` by default); every tag immutable when there are none
   */
  readonly movingTagKinds?: readonly string[];
  /**
   * Encryption at rest.
   * @default { type: "AES256" }
   */
  readonly encryption?: RepositoryEncryption;
  /**
   * Scan images for vulnerabilities on push (basic scanning).
   * @default true
   */
  readonly scanOnPush?: boolean;
  /**
   * Let `terraform destroy` delete the repository while it still holds images. Data loss: opt-in only.
   * @default false
   */
  readonly forceDelete?: boolean;
  /**
   * Add Terraform's `prevent_destroy` so no plan can delete the repository.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * An optional catch-all rule, evaluated last, for images that no tag kind selects.
   * @default none: images of unknown tags are kept
   */
  readonly catchAllRetention?: Retention;
  /**
   * The repository takes unprotected pushes (merge-request pipelines): its derived lifecycle policy
   * keeps no protected kind (nothing there is released or deployed, and any merge-request job could
   * push `latest` or `v9.9.9`), keeps the retained kinds' retention, and expires every other image
   * (other tags, the protected kinds' tags, count-and-age combinations) `maxAgeDays` days after push,
   * or by `catchAllRetention` when given (see `lifecyclePolicyFromTagScheme`, option `unprotected`).
   * @default undefined: a repository of protected pushes, whose protected kinds are kept
   */
  readonly unprotected?: { readonly maxAgeDays?: number };
  /**
   * A hand-written lifecycle policy replacing the one derived from the tag scheme.
   * It is still checked against every ECR rule and must keep the scheme's protected tags.
   * @default derived from the tag scheme
   */
  readonly lifecyclePolicy?: LifecyclePolicyDocument;
  /**
   * AWS account ids whose principals may pull (repository policy, `arn:<partition>:iam::<id>:root`, the partition from `aws_partition`).
   * The other account must still grant its own principals pull in their identity policies.
   * @default none
   */
  readonly crossAccountPullAccountIds?: readonly string[];
  /**
   * Roles of other accounts that may pull, each exactly (e.g. the protected CI role of the
   * environment images are promoted to): the repository policy names the role's account
   * (`arn:<partition>:iam::<account>:root`) and admits only these roles with a `StringEquals`
   * condition on `aws:PrincipalArn` (the role's ARN for a role session; IAM User Guide, "AWS
   * global condition context keys", which documents string operators for the key). Naming the
   * account rather than the role keeps this stack from depending on the other account's stack:
   * a role principal is resolved when a resource policy is written, so the role would have to
   * exist first (IAM User Guide, "AWS JSON policy elements: Principal"; not tried against ECR here).
   * The role must still be granted pull in its own identity policy.
   * @default none
   */
  readonly pullPrincipals?: readonly RepositoryPullPrincipal[];
  /**
   * Resource tags.
   * @default none (the provider's default tags still apply)
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A role of another account allowed to pull (see {@link ContainerRepositoryProps.pullPrincipals}). */
export interface RepositoryPullPrincipal {
  /** The role's 12-digit account id. */
  readonly accountId: string;
  /** The role's ARN, `arn:<partition>:iam::<account>:role/<name>`. */
  readonly roleArn: string;
}

const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** ECR repository names: path components of `[a-z0-9]` separated by `.`, `_`, `-`, joined by `/`. */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * An ECR repository with safe defaults: scan on push, encryption, immutable
 * tags except the moving ones, a lifecycle policy derived from the tag scheme
 * that can never expire a protected tag, and no `force_delete`.
 *
 * @example
 * const repo = new ContainerRepository(this, "app", { repositoryName: "acme/app", tagScheme });
 * repo.grantPush(buildRole);
 */
export class ContainerRepository extends Construct {
  /** The underlying `aws_ecr_repository`. */
  public readonly resource: EcrRepository;
  /** The lifecycle policy document applied to the repository. */
  public readonly lifecyclePolicy: LifecyclePolicyDocument;
  /** The tag scheme the repository follows. */
  public readonly tagScheme: TagScheme;
  /** The repository name. */
  public readonly repositoryName: string;

  public constructor(scope: Construct, id: string, props: ContainerRepositoryProps) {
    super(scope, id);
    const path = this.node.path;
    validateRepositoryName(path, props.repositoryName);
    checkOneOf(path, "tagMutability", props.tagMutability ?? "immutable-except-moving", TAG_MUTABILITY_MODES);
    if (props.encryption !== undefined) checkOneOf(path, "encryption.type", props.encryption.type, ["AES256", "KMS"]);
    validateResourceTags(path, props.tags);
    this.repositoryName = props.repositoryName;
    this.tagScheme = props.tagScheme ?? new TagScheme(this, "tagScheme");
    const encryption = props.encryption ?? { type: "AES256" };

    this.resource = new EcrRepository(this, "repository", {
      name: props.repositoryName,
      forceDelete: props.forceDelete ?? false,
      imageScanningConfiguration: { scanOnPush: props.scanOnPush ?? true },
      encryptionConfiguration: [
        encryption.type === "KMS"
          ? { encryptionType: "KMS", ...(encryption.kmsKeyArn ? { kmsKey: encryption.kmsKeyArn } : {}) }
          : { encryptionType: "AES256" },
      ],
      ...mutabilityConfig(path, this.tagScheme, props.tagMutability ?? "immutable-except-moving", props.movingTagKinds),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
    });

    const policy = props.lifecyclePolicy
      ? checkedPolicy(`${path}/lifecyclePolicy`, this.tagScheme, props.lifecyclePolicy)
      : derivedPolicy(`${path}/lifecyclePolicy`, this.tagScheme, props.catchAllRetention, props.unprotected ? (props.unprotected.maxAgeDays ?? DEFAULT_UNPROTECTED_MAX_AGE_DAYS) : undefined);
    this.lifecyclePolicy = policy.document;
    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.resource.name,
      policy: policy.text,
    });

    const accounts = props.crossAccountPullAccountIds ?? [];
    accounts.forEach((account, i) => validateAccountId(path, `crossAccountPullAccountIds[${i}]`, account));
    const principals = props.pullPrincipals ?? [];
    principals.forEach((p, i) => {
      validateAccountId(path, `pullPrincipals[${i}].accountId`, p.accountId);
      const match = ROLE_ARN.exec(p.roleArn);
      check(match !== null && match[1] === p.accountId, {
        path: `${path}/pullPrincipals[${i}]`,
        subject: "roleArn",
        value: p.roleArn,
        rule: "a pull principal is a role ARN (arn:<partition>:iam::<account>:role/<name>) in the given account",
        fix: `give the role's ARN in account ${p.accountId}`,
      });
    });
    if (accounts.length > 0 || principals.length > 0) {
      // The repository knows no region: the provider's aws_partition data source names the partition
      // (a plain reference, so the policy stays readable JSON for the rule pack; right in aws-cn and aws-us-gov).
      const partition = new DataAwsPartition(this, "partition").partition;
      new EcrRepositoryPolicy(this, "policy", {
        repository: this.resource.name,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            ...(accounts.length > 0
              ? [{ Sid: "CrossAccountPull", Effect: "Allow", Principal: { AWS: accounts.map((a) => `arn:${partition}:iam::${a}:root`) }, Action: [...ECR_PULL_ACTIONS] }]
              : []),
            ...(principals.length > 0
              ? [
                  {
                    Sid: "RolePull",
                    Effect: "Allow",
                    Principal: { AWS: [...new Set(principals.map((p) => `arn:${partition}:iam::${p.accountId}:root`))] },
                    Action: [...ECR_PULL_ACTIONS],
                    Condition: { StringEquals: { "aws:PrincipalArn": principals.map((p) => p.roleArn) } },
                  },
                ]
              : []),
          ],
        }),
      });
    }
  }

  // Each read of a resource attribute creates a new cdktf token, and cdktf
  // captures a full stack trace for every token: the attributes are read once
  // and the same token is handed out again (it resolves the same everywhere).
  // Equal tokens also let grants merge identical ARNs.
  private arnToken?: string;
  private urlToken?: string;
  private hostToken?: string;

  /** The repository ARN. */
  public get repositoryArn(): string {
    return (this.arnToken ??= this.resource.arn);
  }

  /** The repository URL, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
  public get repositoryUrl(): string {
    return (this.urlToken ??= this.resource.repositoryUrl);
  }

  /** The registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  public get registryHost(): string {
    return (this.hostToken ??= Fn.element(Fn.split("/", this.repositoryUrl), 0));
  }

  /** Statements that let a principal pull from this repository. */
  public pullStatements(): PolicyStatement[] {
    return [
      { actions: [ECR_AUTH_ACTION], resources: ["*"] },
      { actions: [...ECR_PULL_ACTIONS], resources: [this.repositoryArn] },
    ];
  }

  /** Statements that let a principal push to (and pull from) this repository. */
  public pushStatements(): PolicyStatement[] {
    return [
      { actions: [ECR_AUTH_ACTION], resources: ["*"] },
      { actions: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS].sort(), resources: [this.repositoryArn] },
    ];
  }

  /** Grants pull: `ecr:GetAuthorizationToken` on `*`, the pull actions on this repository only. */
  public grantPull(grantee: IGrantable): PolicyStatement[] {
    const statements = this.pullStatements();
    statements.forEach((s) => grantee.addToPrincipalPolicy(s));
    return statements;
  }

  /** Grants push and pull: `ecr:GetAuthorizationToken` on `*`, everything else on this repository only. */
  public grantPush(grantee: IGrantable): PolicyStatement[] {
    const statements = this.pushStatements();
    statements.forEach((s) => grantee.addToPrincipalPolicy(s));
    return statements;
  }
}

/** A lifecycle policy that passed {@link validateLifecyclePolicy}, and its rendered text. */
interface CheckedPolicy {
  readonly document: LifecyclePolicyDocument;
  readonly text: string;
}

/** Validates a policy against ECR's rules and the scheme's protected kinds, and renders it. */
function checkedPolicy(path: string, scheme: TagScheme, document: LifecyclePolicyDocument, unprotected = false): CheckedPolicy {
  validateLifecyclePolicy(path, document, { protectedSelectors: unprotected ? [] : scheme.protectedKinds.map((k) => k.selector) });
  return { document, text: renderLifecyclePolicy(document) };
}

/**
 * Policies derived from a tag scheme, by scheme and catch-all retention. A
 * {@link TagScheme} is immutable, so repositories sharing one (the usual case:
 * one scheme per environment, hundreds of repositories) derive, check and
 * render the policy once. Only policies that passed validation are kept, so a
 * bad one fails at every repository with that repository's path.
 */
const derivedPolicies = new WeakMap<TagScheme, Map<string, CheckedPolicy>>();

function derivedPolicy(path: string, scheme: TagScheme, catchAll: Retention | undefined, unprotectedAge: number | undefined): CheckedPolicy {
  const key = JSON.stringify([catchAll ?? null, unprotectedAge ?? null]);
  const byCatchAll = derivedPolicies.get(scheme) ?? new Map<string, CheckedPolicy>();
  derivedPolicies.set(scheme, byCatchAll);
  const known = byCatchAll.get(key);
  if (known) return known;
  const unprotected = unprotectedAge !== undefined;
  const policy = checkedPolicy(path, scheme, lifecyclePolicyFromTagScheme(scheme, { catchAll, ...(unprotected ? { unprotected: { maxAgeDays: unprotectedAge } } : {}) }), unprotected);
  byCatchAll.set(key, policy);
  return policy;
}

/** Checks an ECR repository name: 2-256 characters of the documented grammar. */
export function validateRepositoryName(path: string, name: string): void {
  if (isUnresolved(name)) return;
  check(name.length >= 2 && name.length <= 256, {
    path,
    subject: "repository name",
    value: name,
    rule: "an ECR repository name is 2 to 256 characters long",
    fix: "shorten or lengthen the name",
  });
  check(REPOSITORY_NAME.test(name), {
    path,
    subject: "repository name",
    value: name,
    rule: "an ECR repository name is lower-case letters and digits, separated by '.', '_' or '-', with '/' between namespaces (no leading, trailing or doubled separators, no upper case)",
    fix: `use a name such as ${JSON.stringify(name.toLowerCase().replace(/[^a-z0-9/._-]+/g, "-").replace(/^[-._/]+|[-._/]+$/g, "") || "acme/app")}`,
  });
}

function mutabilityConfig(
  path: string,
  scheme: TagScheme,
  mode: TagMutabilityMode,
  movingKinds: readonly string[] | undefined,
): Pick<EcrRepositoryConfig, "imageTagMutability" | "imageTagMutabilityExclusionFilter"> {
  if (mode === "mutable") return { imageTagMutability: "MUTABLE" };
  if (mode === "immutable") return { imageTagMutability: "IMMUTABLE" };
  if (movingKinds === undefined && scheme.mutableKinds.length === 0) return { imageTagMutability: "IMMUTABLE" };
  const kinds = movingKinds ?? scheme.mutableKinds.map((k) => k.name);
  const filters = kinds.map((k) => selectorPattern(scheme.kind(k, `${path}/movingTagKinds`).selector));
  check(filters.length >= 1 && filters.length <= 5, {
    path,
    subject: "movingTagKinds",
    value: kinds,
    rule: "IMMUTABLE_WITH_EXCLUSION takes 1 to 5 exclusion filters",
    fix: 'name 1 to 5 moving tag kinds, or use tagMutability "immutable" or "mutable"',
  });
  const tooLong = filters.find((f) => f.length > 128);
  if (tooLong) {
    throw new ValidationError({ path, subject: "mutability exclusion filter", value: tooLong, rule: "a filter is at most 128 characters", fix: "shorten the tag kind's selector" });
  }
  return {
    imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
    imageTagMutabilityExclusionFilter: filters.map((filter) => ({ filter, filterType: "WILDCARD" })),
  };
}
