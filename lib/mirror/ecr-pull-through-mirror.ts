import { Construct } from "constructs";
import { dnsSuffixOf, partitionOf, validateAccountId, validateRegion } from "../core/aws";
import { check, checkOneOf } from "../core/errors";
import { TRUST_LEVELS, type TrustLevel } from "../core/trust";
import { type IGrantable, type PolicyStatement } from "../core/iam";
import { ECR_AUTH_ACTION, ECR_PULL_ACTIONS } from "../registry/repository";
import { type PullThroughCacheRuleInfo } from "../registry/registry-settings";
import { type HelperImageArchitecture, type MirrorEndpoint, RUNNER_HELPER_IMAGE_PATH, helperImageTag } from "./mirror-endpoint";
import { checkAgainstAwsProvider } from "../core/provider-context";

/**
 * Actions that let a pull through the cache create the repository and import the image on first pull
 * (Amazon ECR User Guide, "IAM permissions required to sync an upstream registry with an Amazon ECR
 * private registry": `ecr:BatchImportUpstreamImage` retrieves the external image and imports it;
 * `ecr:CreateRepository` "is required if the repository storing the cached images doesn't already exist").
 * Only trusted pullers get both: see {@link PullThroughGrantOptions}.
 */
export const ECR_PULL_THROUGH_ACTIONS = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"] as const;
/** The pull-through action every puller gets: importing an image into a cache repository that exists. */
export const ECR_PULL_THROUGH_IMPORT_ACTIONS = ["ecr:BatchImportUpstreamImage"] as const;

/** Options of {@link EcrPullThroughMirror.pullThroughStatements} and {@link EcrPullThroughMirror.grantPullThrough}. */
export interface PullThroughGrantOptions {
  /**
   * Which jobs the grantee serves. Only `protected` grantees (protected CI roles, the runner hosts of
   * protected pools) may create a cache repository on the first pull of an image (`ecr:CreateRepository`).
   * Anyone else imports into cache repositories that exist (`ecr:BatchImportUpstreamImage`) and fails
   * the first pull of an image nobody trusted has pulled yet. Why: a repository creation template
   * (`applied_for = ["PULL_THROUGH_CACHE"]`: encryption, tag mutability, lifecycle policy, repository
   * policy) applies only to repositories Amazon ECR creates on the first pull, not to one that exists
   * ("Creating a repository creation template": templates define the settings "for repositories created
   * by Amazon ECR on your behalf during pull through cache or replication actions ... This doesn't have
   * any effect on any previously created repositories"). With `ecr:CreateRepository` a merge-request job
   * could create `<prefix>/library/alpine` itself, with its own settings, before the first pull, and
   * every later pull, protected ones too, would cache into it.
   * @default "unprotected" (import only): a grantee whose trust level is unknown is not trusted
   */
  readonly trustLevel?: TrustLevel;
}

/** Where the pull-through cache rules come from: the account stack's `RegistrySettings` (or the same values written out). */
export interface PullThroughCacheRuleSource {
  /** The rules as plain values. */
  readonly pullThroughCacheRules: readonly PullThroughCacheRuleInfo[];
}

/** Props of an {@link EcrPullThroughMirror}. */
export interface EcrPullThroughMirrorProps {
  /** The registry settings of the account and region (`AccountStack.registry`): the rules are defined there, once. */
  readonly registry: PullThroughCacheRuleSource;
  /** The account of the registry. */
  readonly accountId: string;
  /** The region of the registry. */
  readonly region: string;
  /**
   * The rule prefixes this mirror offers.
   * @default every rule of the registry
   */
  readonly prefixes?: readonly string[];
  /**
   * Tag of the runner helper image, when a gitlab-container-registry rule exists.
   * @default helperImageTag(runnerArchitecture)
   */
  readonly helperImageTag?: string;
  /**
   * CPU architecture of the runner hosts whose helper image {@link MirrorEndpoint.helperImage}
   * names (fleets build their own tag from {@link MirrorEndpoint.helperImageRepository}).
   * @default "x86_64"
   */
  readonly runnerArchitecture?: HelperImageArchitecture;
}

/**
 * The registry mirror kind that needs no host: ECR pull-through cache. The
 * rules live in the account stack (`RegistrySettings`); this gives CI
 * templates the image prefixes (`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/`)
 * and the runner hosts' role the permissions to pull through them. Images are
 * renamed and need ECR authentication, so this is never a docker
 * `registry-mirrors` entry: jobs must name images with the prefix (Docker Hub
 * official images as `<prefix>/library/<name>`).
 */
export class EcrPullThroughMirror extends Construct {
  /** What the runner fleet and the GitLab side consume (no registry-mirrors, no security group). */
  public readonly endpoint: MirrorEndpoint;
  /** The registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  public readonly registryHost: string;
  /** The rules this mirror offers. */
  public readonly rules: readonly PullThroughCacheRuleInfo[];
  private readonly accountId: string;
  private readonly region: string;

  public constructor(scope: Construct, id: string, props: EcrPullThroughMirrorProps) {
    super(scope, id);
    const path = this.node.path;
    validateAccountId(path, "accountId", props.accountId);
    validateRegion(path, "region", props.region);
    checkAgainstAwsProvider(this, path, { accountId: props.accountId, region: props.region });
    const available = props.registry.pullThroughCacheRules;
    check(available.length > 0, {
      path,
      subject: "registry pull-through cache rules",
      value: [],
      rule: "an ECR pull-through mirror needs at least one pull-through cache rule in the account's registry settings",
      fix: "add pullThroughCache rules to the account's registry settings (e.g. { upstream: \"ecr-public\" })",
    });
    (props.prefixes ?? []).forEach((prefix, i) => {
      check(
        available.some((r) => r.prefix === prefix),
        {
          path: `${path}/prefixes[${i}]`,
          subject: "prefix",
          value: prefix,
          rule: `a mirror prefix must be one of the account's pull-through cache rules (${available.map((r) => r.prefix).join(", ")})`,
          fix: "add the rule to the account's registry settings, or remove the prefix",
        },
      );
    });
    this.rules = props.prefixes ? available.filter((r) => props.prefixes!.includes(r.prefix)) : available;
    this.accountId = props.accountId;
    this.region = props.region;
    this.registryHost = `${props.accountId}.dkr.ecr.${props.region}.${dnsSuffixOf(props.region)}`;
    const gitlab = this.rules.find((r) => r.upstream === "gitlab-container-registry");
    this.endpoint = {
      registryMirrors: [],
      insecureRegistries: [],
      imagePrefixes: Object.fromEntries(this.rules.map((r) => [r.upstreamRegistryUrl, `${this.registryHost}/${r.prefix}/`])),
      ...(gitlab
        ? {
            helperImage: `${this.registryHost}/${gitlab.prefix}/${RUNNER_HELPER_IMAGE_PATH}:${props.helperImageTag ?? helperImageTag(props.runnerArchitecture ?? "x86_64")}`,
            helperImageRepository: `${this.registryHost}/${gitlab.prefix}/${RUNNER_HELPER_IMAGE_PATH}`,
          }
        : {}),
      rawProxyUrls: {},
      ecrRegistryHosts: [this.registryHost],
      grantHostAccess: (grantee: IGrantable, trustLevel?: TrustLevel) => {
        this.grantPullThrough(grantee, trustLevel ? { trustLevel } : {});
      },
    };
  }

  /** `arn:<partition>:ecr:<region>:<account>:repository/<prefix>/*` for each rule. */
  public repositoryArnPatterns(): string[] {
    return this.rules.map((r) => `arn:${partitionOf(this.region)}:ecr:${this.region}:${this.accountId}:repository/${r.prefix}/*`);
  }

  /**
   * Pull through the cache: `ecr:GetAuthorizationToken` on `*`, the pull
   * actions plus `ecr:BatchImportUpstreamImage` on the rules' repositories
   * only, and `ecr:CreateRepository` there (the first pull of an image) for
   * protected grantees only (see {@link PullThroughGrantOptions.trustLevel}).
   * @throws ValidationError for a trust level other than protected or unprotected
   */
  public pullThroughStatements(options: PullThroughGrantOptions = {}): PolicyStatement[] {
    const trustLevel = options.trustLevel ?? "unprotected";
    checkOneOf(`${this.node.path}/trustLevel`, "trustLevel", trustLevel, TRUST_LEVELS);
    const pullThrough = trustLevel === "protected" ? ECR_PULL_THROUGH_ACTIONS : ECR_PULL_THROUGH_IMPORT_ACTIONS;
    return [
      { actions: [ECR_AUTH_ACTION], resources: ["*"] },
      { actions: [...ECR_PULL_ACTIONS, ...pullThrough].sort(), resources: this.repositoryArnPatterns() },
    ];
  }

  /**
   * Grants {@link pullThroughStatements} to `grantee` (a runner host role, a CI role) and returns them.
   * @throws ValidationError for a trust level other than protected or unprotected
   */
  public grantPullThrough(grantee: IGrantable, options: PullThroughGrantOptions = {}): PolicyStatement[] {
    const statements = this.pullThroughStatements(options);
    statements.forEach((s) => grantee.addToPrincipalPolicy(s));
    return statements;
  }
}
