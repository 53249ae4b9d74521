import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { RegistrySettings } from "../lib/registry/registry-settings";
import { type AccountConfig, type PlatformConfig } from "./config";

/**
 * Account- and region-wide singletons shared by every environment deployed
 * there: registry scanning, pull-through cache rules and their creation
 * template. Deploy it before the environments.
 */
export class AccountStack extends TerraformStack {
  /** Registry-wide ECR settings. */
  public readonly registry: RegistrySettings;

  public constructor(scope: Construct, id: string, platform: PlatformConfig, account: AccountConfig) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: account.region,
      allowedAccountIds: [account.accountId],
      defaultTags: [{ tags: { platform: platform.project, stack: id, "managed-by": "cdktf" } }],
    });
    this.registry = new RegistrySettings(this, "registry", {
      accountId: account.accountId,
      region: account.region,
      ...account.registry,
    });
  }
}
