import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import { type IConstruct } from "constructs";
import { check } from "./errors";
import { isUnresolved } from "./tokens";

/** What the stack's default AWS provider pins: its region and allowed accounts, where set as literals. */
export interface AwsProviderContext {
  /** The provider's `region`, when set and resolved. */
  readonly region?: string;
  /** The provider's `allowed_account_ids`, when set and resolved. */
  readonly allowedAccountIds?: readonly string[];
}

/**
 * The region and allowed accounts of the AWS provider that resources of
 * `scope` use by default: the stack's AWS provider without an alias, created
 * before `scope`. Undefined when the stack has none yet (or only aliased ones), or when `scope`
 * is in no stack.
 */
export function awsProviderContextOf(scope: IConstruct): AwsProviderContext | undefined {
  const stack = scope.node.scopes.find((c): c is TerraformStack => TerraformStack.isStack(c));
  if (!stack) return undefined;
  const provider = stack.node.children.find((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
  if (!provider) return undefined;
  const region = provider.region;
  const accounts = provider.allowedAccountIds;
  return {
    ...(region !== undefined && !isUnresolved(region) ? { region } : {}),
    ...(accounts !== undefined && !isUnresolved(accounts) ? { allowedAccountIds: accounts } : {}),
  };
}

/**
 * Checks a construct's `accountId` and `region` props against the stack's
 * default AWS provider: a construct that builds ARNs, endpoints or names from
 * them would otherwise describe another account or region than the one its
 * resources are created in (a cache bucket whose `[runners.cache]` endpoint
 * names eu-west-1 while the bucket is created in eu-central-1 fails every
 * upload). Passes when the stack has no default AWS provider yet, when the
 * provider leaves the region or the accounts open, or for unresolved tokens.
 *
 * @param path construct path for the error
 * @throws ValidationError naming `path`, the value, the provider's value and the fix
 */
export function checkAgainstAwsProvider(scope: IConstruct, path: string, props: { readonly accountId?: string; readonly region?: string }): void {
  const provider = awsProviderContextOf(scope);
  if (!provider) return;
  const { region, accountId } = props;
  if (region !== undefined && provider.region !== undefined && !isUnresolved(region)) {
    check(region === provider.region, {
      path,
      subject: "region",
      value: region,
      rule: `the construct's region is the region of the stack's AWS provider (${provider.region}), where its resources are created`,
      fix: `use region ${JSON.stringify(provider.region)}, or put the construct in a stack whose provider is in ${region}`,
    });
  }
  if (accountId !== undefined && provider.allowedAccountIds !== undefined && !isUnresolved(accountId)) {
    check(provider.allowedAccountIds.includes(accountId), {
      path,
      subject: "accountId",
      value: accountId,
      rule: `the construct's account is one the stack's AWS provider may deploy into (allowed_account_ids ${JSON.stringify(provider.allowedAccountIds)})`,
      fix: "use the account of the stack's provider, or put the construct in a stack for that account",
    });
  }
}
