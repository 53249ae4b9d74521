import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { check } from "../core/errors";
import { type IGrantable } from "../core/iam";
import { type EnvironmentConfig, type PlatformInfo } from "./config";
import { ProtectedDeployEnvironments } from "../gitlab/deploy-environments";
import { lastGoodDigestParameterArn, lastGoodDigestParameterName, protectsDeployEnvironment, recordsLastGoodDigest } from "./deploy-config";
import { tenantsOf } from "./tenancy";

/** What the deploy jobs write before the first smoke test passes: no digest to roll back to yet. */
export const NO_DIGEST_YET = "none";

/** SSM `PutParameter` and `GetParameter`: what the deploy jobs do with a last-good-digest parameter (AWS CLI `ssm put-parameter --overwrite`, `ssm get-parameter`). */
export const LAST_GOOD_DIGEST_ACTIONS = ["ssm:GetParameter", "ssm:PutParameter"] as const;

/** Props of {@link LastGoodDigestRecords}. */
export interface LastGoodDigestRecordsProps {
  /** The project (its name prefixes the default parameter names). */
  readonly platform: PlatformInfo;
  /** The environment; its `deploy.lastGoodDigest` names the parameters. */
  readonly environment: EnvironmentConfig;
  /**
   * The role each deploying tenant's deploy jobs record and read its digest with, by tenant name
   * (the tenant's deployment role): each may read and write its own tenant's parameter only.
   * Exactly these tenants get a parameter (the toolbox project, which deploys nothing, has no
   * deployment role and so no parameter).
   */
  readonly deployers: ReadonlyMap<string, IGrantable>;
}

/**
 * Where an environment records each tenant's last good digest: one SSM String parameter per
 * tenant (`lastGoodDigestParameterName`), created with the value {@link NO_DIGEST_YET} and then
 * owned by the deploy jobs (Terraform ignores later changes of the value, so a plan never
 * resets what a deploy recorded). Each tenant's deployer may read and write exactly its own
 * tenant's parameter: a deploy job of one project cannot set another project's rollback target.
 * The value is a digest (`sha256:…`), not a secret, so a String parameter carries it.
 *
 * Construct ids: `last-good-digest-<tenant>`.
 */
export class LastGoodDigestRecords extends Construct {
  /** The parameters by tenant name. */
  public readonly parameters: ReadonlyMap<string, SsmParameter>;

  public constructor(scope: Construct, id: string, props: LastGoodDigestRecordsProps) {
    super(scope, id);
    const { platform, environment: env } = props;
    const tenants = tenantsOf(env, this.node.path).filter((t) => props.deployers.has(t.name));
    this.parameters = new Map(
      tenants.map((tenant) => [
        tenant.name,
        new SsmParameter(this, `last-good-digest-${tenant.name}`, {
          name: lastGoodDigestParameterName(platform, env, tenant),
          type: "String",
          value: NO_DIGEST_YET,
          description: `Last good digest of ${tenant.path} in ${env.name} (written by the deploy jobs after a passed smoke test)`,
          lifecycle: { ignoreChanges: ["value"] },
        }),
      ]),
    );
    for (const tenant of tenants) {
      const deployer = props.deployers.get(tenant.name);
      check(deployer !== undefined, {
        path: `${this.node.path}/deployers`,
        subject: "deployer",
        value: [...props.deployers.keys()],
        rule: `every tenant's last good digest is written by that tenant's own deployment role, and ${tenant.path} (${tenant.name}) has none`,
        fix: `pass the deployment role of ${tenant.name} (EnvironmentIdentity tenantRoles.get("${tenant.name}").deployment)`,
      });
      deployer!.addToPrincipalPolicy({ actions: [...LAST_GOOD_DIGEST_ACTIONS], resources: [lastGoodDigestParameterArn(platform, env, tenant)] });
    }
  }
}

/**
 * The deploy records of an environment, in `scope`: with `deploy` (and the last good digest
 * recorded) and deployment roles, {@link LastGoodDigestRecords} of the tenants with a deployment
 * role (construct id `deploy-records`); with `deploy` on GitLab Premium or Ultimate,
 * {@link ProtectedDeployEnvironments} of the environment in every project that deploys (has a
 * deployment role) and whose protected refs the platform manages (`protectedRefs: "manage"`;
 * construct id `deploy-environments`, deploy access `deploy.deployAccess`, Maintainer by
 * default). A `protectedRefs: "check"` project's protection is its operator's: the platform
 * creates none there (see docs/deploy-flow.md).
 * @param deployers each tenant's deployment role, by tenant name
 */
export function buildDeployRecords(
  scope: Construct,
  platform: PlatformInfo,
  env: EnvironmentConfig,
  deployers: ReadonlyMap<string, IGrantable>,
): { records?: LastGoodDigestRecords; environments?: ProtectedDeployEnvironments } {
  const records = recordsLastGoodDigest(env) && deployers.size > 0 ? new LastGoodDigestRecords(scope, "deploy-records", { platform, environment: env, deployers }) : undefined;
  const protectedTenants = tenantsOf(env).filter((t) => t.protectedRefs === "manage" && deployers.has(t.name));
  const environments =
    protectsDeployEnvironment(env) && protectedTenants.length > 0
    ? new ProtectedDeployEnvironments(scope, "deploy-environments", {
        environment: env.name,
        projects: protectedTenants.map((t) => ({ path: t.path, name: t.name })),
        ...(env.deploy?.deployAccess ? { deployAccess: env.deploy.deployAccess } : {}),
      })
    : undefined;
  return { ...(records ? { records } : {}), ...(environments ? { environments } : {}) };
}
