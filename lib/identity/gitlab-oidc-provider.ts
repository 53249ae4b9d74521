import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { Construct } from "constructs";
import { type AwsPartition, validateAccountId } from "../core/aws";
import { check } from "../core/errors";
import { gitLabHostOf, validateGitLabUrl } from "../core/gitlab-url";
import { isUnresolved } from "../core/tokens";
import { checkAgainstAwsProvider } from "../core/provider-context";

/**
 * A GitLab OIDC identity provider in IAM, created here or already present in
 * the account. CI roles trust it.
 */
export interface IGitLabOidcProvider {
  /** The provider's ARN, `arn:<partition>:iam::<account>:oidc-provider/<host>`. */
  readonly providerArn: string;
  /** The GitLab instance URL (the token issuer), e.g. `https://gitlab.com`. */
  readonly url: string;
  /** The issuer host, the prefix of the IAM condition keys (`<host>:aud`, `<host>:sub`). */
  readonly host: string;
  /** The audiences (client ids) the provider accepts; the first is the default audience of CI roles. */
  readonly audiences: readonly string[];
  /** The account the provider lives in. */
  readonly accountId: string;
  /** The account's partition. */
  readonly partition: AwsPartition;
}

/** Props shared by {@link GitLabOidcProvider} and its importer. */
export interface GitLabOidcProviderReference {
  /**
   * The GitLab instance URL: `https://gitlab.com` or a self-managed instance,
   * https, no port, path or trailing slash (it must equal the token's `iss`).
   */
  readonly url: string;
  /** The account the provider lives in (12 digits). */
  readonly accountId: string;
  /**
   * The account's partition.
   * @default "aws"
   */
  readonly partition?: AwsPartition;
  /**
   * Audiences (IAM client ids) accepted: the `aud` that CI jobs request in `id_tokens`.
   * @default [url]: the instance URL, GitLab's documented convention
   */
  readonly audiences?: readonly string[];
}

/** Props of {@link GitLabOidcProvider}. */
export interface GitLabOidcProviderProps extends GitLabOidcProviderReference {
  /**
   * SHA-1 thumbprints (40 hex digits) of the issuer's certificate chain. IAM
   * verifies issuers whose certificate chains to a CA it trusts without them;
   * only an instance behind a private CA needs one.
   * @default none
   */
  readonly thumbprints?: readonly string[];
  /**
   * Resource tags.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The deterministic ARN of an IAM OIDC provider. */
export function oidcProviderArn(partition: string, accountId: string, host: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${host}`;
}

/** Checks a provider reference; returns the resolved audiences. */
function validateReference(path: string, props: GitLabOidcProviderReference): readonly string[] {
  validateGitLabUrl(path, props.url);
  if (!isUnresolved(props.url)) {
    check(!/^https:\/\/[^/]+:\d+$/.test(props.url), {
      path,
      subject: "OIDC provider URL",
      value: props.url,
      rule: "IAM OIDC provider URLs carry no port number: the issuer must be served on 443",
      fix: "serve GitLab's /.well-known/openid-configuration on https://<host> (port 443) and use that URL",
    });
  }
  validateAccountId(path, "accountId", props.accountId);
  const audiences = props.audiences ?? [props.url];
  check(audiences.length >= 1 && audiences.length <= 100, {
    path,
    subject: "audiences",
    value: audiences,
    rule: "an IAM OIDC provider has 1 to 100 audiences (client ids)",
    fix: "list the audiences CI jobs request in id_tokens, or leave the default (the instance URL)",
  });
  audiences.forEach((audience, i) => {
    if (isUnresolved(audience)) return;
    check(audience.length >= 1 && audience.length <= 255 && !/\s/.test(audience), {
      path,
      subject: `audiences[${i}]`,
      value: audience,
      rule: "an audience (client id) is 1-255 characters without white space",
      fix: "use the instance URL (e.g. https://gitlab.example.com) or another short identifier",
    });
    check(audiences.indexOf(audience) === i, {
      path,
      subject: `audiences[${i}]`,
      value: audience,
      rule: "audiences are unique",
      fix: "remove the duplicate",
    });
  });
  return audiences;
}

/** The checked, resolved fields every provider (created or referenced) exposes. */
abstract class GitLabOidcProviderBase extends Construct implements IGitLabOidcProvider {
  /** The GitLab instance URL (the token issuer). */
  public readonly url: string;
  /** The issuer host, prefix of the IAM condition keys. */
  public readonly host: string;
  /** The accepted audiences; the first is the default audience of CI roles. */
  public readonly audiences: readonly string[];
  /** The account the provider lives in. */
  public readonly accountId: string;
  /** The account's partition. */
  public readonly partition: AwsPartition;
  /** The provider's ARN. */
  public abstract readonly providerArn: string;

  protected constructor(scope: Construct, id: string, props: GitLabOidcProviderReference) {
    super(scope, id);
    this.audiences = validateReference(this.node.path, props);
    checkAgainstAwsProvider(this, this.node.path, { accountId: props.accountId });
    this.url = props.url;
    this.host = gitLabHostOf(props.url);
    this.accountId = props.accountId;
    this.partition = props.partition ?? "aws";
  }
}

/**
 * The IAM OIDC identity provider for a GitLab instance: CI jobs exchange their
 * ID token (`id_tokens`) for role credentials with
 * `sts:AssumeRoleWithWebIdentity`. IAM allows one provider per URL per account,
 * so it belongs in the account stack; other stacks use
 * {@link GitLabOidcProvider.fromExisting}. No thumbprint is needed when the
 * instance's TLS certificate chains to a CA that IAM trusts (gitlab.com and
 * public CAs); pass `thumbprints` for a private CA.
 */
export class GitLabOidcProvider extends GitLabOidcProviderBase {
  /**
   * References a provider that already exists in the account (created by the
   * account stack, another app or by hand), by its deterministic ARN: no
   * resource, no lookup, no cross-stack reference.
   */
  public static fromExisting(scope: Construct, id: string, props: GitLabOidcProviderReference): IGitLabOidcProvider {
    return new ExistingGitLabOidcProvider(scope, id, props);
  }

  /** The `aws_iam_openid_connect_provider`. */
  public readonly resource: IamOpenidConnectProvider;

  public constructor(scope: Construct, id: string, props: GitLabOidcProviderProps) {
    super(scope, id, props);
    const thumbprints = props.thumbprints ?? [];
    thumbprints.forEach((thumbprint, i) =>
      check(isUnresolved(thumbprint) || /^[0-9a-fA-F]{40}$/.test(thumbprint), {
        path: this.node.path,
        subject: `thumbprints[${i}]`,
        value: thumbprint,
        rule: "a certificate thumbprint is the SHA-1 fingerprint: 40 hex digits, no colons",
        fix: "take it from `openssl x509 -fingerprint -sha1 -noout` and remove the colons",
      }),
    );
    this.resource = new IamOpenidConnectProvider(this, "provider", {
      url: props.url,
      clientIdList: [...this.audiences],
      ...(thumbprints.length > 0 ? { thumbprintList: [...thumbprints] } : {}),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    });
  }

  /** The provider ARN (a reference to the resource, so roles in the same stack are created after it). */
  public get providerArn(): string {
    return this.resource.arn;
  }
}

/** A provider that exists already, referenced by its deterministic ARN. */
class ExistingGitLabOidcProvider extends GitLabOidcProviderBase {
  /** The deterministic ARN. */
  public readonly providerArn: string;

  public constructor(scope: Construct, id: string, props: GitLabOidcProviderReference) {
    super(scope, id, props);
    this.providerArn = oidcProviderArn(this.partition, this.accountId, this.host);
  }
}
