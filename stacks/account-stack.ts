import { TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { RegistrySettings } from "../lib/registry/registry-settings";
import { partitionOf } from "../lib/core/aws";
import { gitLabHostOf } from "../lib/core/gitlab-url";
import { GitLabOidcProvider } from "../lib/identity/gitlab-oidc-provider";
import { addAwsProvider } from "./aws-provider";
import { type AccountConfig, type PlatformConfig } from "./config";
import { oidcAudiencesOf, oidcProvidersToCreate } from "./identity-config";

/**
 * Account- and region-wide singletons shared by every environment deployed
 * there: registry scanning, pull-through cache rules and their creation
 * template, and (account-wide) the GitLab OIDC providers. Deploy it before
 * the environments.
 */
export class AccountStack extends TerraformStack {
  /** Registry-wide ECR settings. */
  public readonly registry: RegistrySettings;
  /**
   * GitLab OIDC providers this stack creates, by GitLab URL (IAM is account-wide: only the
   * account's first stack creates them); each lists the audience of every environment of
   * the account that uses the URL.
   */
  public readonly oidcProviders: ReadonlyMap<string, GitLabOidcProvider>;

  public constructor(scope: Construct, id: string, platform: PlatformConfig, account: AccountConfig) {
    super(scope, id);
    addAwsProvider(this, {
      accountId: account.accountId,
      region: account.region,
      ...(account.deployRole ? { deployRole: account.deployRole } : {}),
      defaultSessionName: `${platform.project}-${id}`,
      tags: { platform: platform.project, stack: id, "managed-by": "cdktf" },
    });
    this.registry = new RegistrySettings(this, "registry", {
      accountId: account.accountId,
      region: account.region,
      ...account.registry,
    });

    // The account-wide GitLab OIDC providers.
    this.oidcProviders = new Map(
      oidcProvidersToCreate(platform, account).map((url) => [
        url,
        new GitLabOidcProvider(this, `gitlab-oidc-${gitLabHostOf(url)}`, {
          url,
          accountId: account.accountId,
          partition: partitionOf(account.region),
          audiences: oidcAudiencesOf(platform, account.accountId, url),
        }),
      ]),
    );
  }
}
