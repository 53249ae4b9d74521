import { Testing } from "cdktf";
import { deployPinsOf } from "../../lib/platform/promotion-targets";
import { promotedRepositoriesOf } from "../../lib/platform/promotion-grants";
import { promotionSourceUrl } from "../../lib/platform/promotion";
import { buildPlatform } from "../../stacks/app";
import { type EnvironmentConfig, type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { resourcesOf, type SynthJson } from "../support/synth";

/*
 * Promotion pull grants, read from the synthesized policies: a target environment's protected role
 * of a tenant pulls exactly the source repositories its promote jobs copy (least privilege), and a
 * cross-account source repository's policy names the target role only on those repositories.
 */
const synthAll = (config: PlatformConfig) => {
  const stacks = buildPlatform(Testing.app(), config);
  return new Map([...stacks.environments].map(([name, stack]) => [name, JSON.parse(Testing.synth(stack)) as SynthJson]));
};
type Statement = { Effect: string; Action: string[]; Resource: string[] };

/** The literal ECR repository ARNs of other environments the role named `roleName` may pull (`ecr:BatchGetImage`), read from its inline policies. */
function crossEnvironmentPulls(json: SynthJson, env: string, roleName: string): string[] {
  const roleId = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === roleName)![0];
  const statements = Object.values(resourcesOf(json, "aws_iam_role_policy"))
    .filter((p) => p.role === `\${aws_iam_role.${roleId}.name}`)
    .flatMap((p) => (JSON.parse(String(p.policy)) as { Statement: Statement[] }).Statement);
  return statements
    .filter((s) => s.Effect === "Allow" && s.Action.includes("ecr:BatchGetImage"))
    .flatMap((s) => s.Resource)
    // Platform repositories (`acme/<environment>/...`) of another environment; pull-through prefixes are not promotion.
    .filter((arn) => arn.startsWith("arn:aws:ecr:") && arn.includes(":repository/acme/") && !arn.includes(`:repository/acme/${env}/`))
    .sort();
}

/** The repositories of a stack that carry a repository policy, by name. */
function repositoriesWithPolicy(json: SynthJson): string[] {
  const names = new Map(Object.entries(resourcesOf(json, "aws_ecr_repository")).map(([id, r]) => [`\${aws_ecr_repository.${id}.name}`, String(r.name)]));
  return Object.values(resourcesOf(json, "aws_ecr_repository_policy"))
    .map((p) => names.get(String(p.repository))!)
    .sort();
}

const repo = (account: string, name: string) => `arn:aws:ecr:eu-central-1:${account}:repository/${name}`;
const json = synthAll(exampleConfig);

describe("promotion pull grants cover exactly the promoted repositories (synthesized example policies)", () => {
  test.each([
    ["staging", "111111111111", "dev"],
    ["production", "111111111111", "staging"],
  ])("fault: %s's protected roles pulled every repository of their tenant in the source (app, app-ci, toolbox); now the deployed app image of a deploying tenant, the toolbox image of the toolbox project", (env, sourceAccount, source) => {
    const stack = json.get(env)!;
    expect(crossEnvironmentPulls(stack, env, `acme-ci-${env}-app-protected`)).toEqual([repo(sourceAccount, `acme/${source}/app/app`)]);
    expect(crossEnvironmentPulls(stack, env, `acme-ci-${env}-web-protected`)).toEqual([repo(sourceAccount, `acme/${source}/web/app`)]);
    expect(crossEnvironmentPulls(stack, env, `acme-ci-${env}-toolbox-protected`)).toEqual([repo(sourceAccount, `acme/${source}/toolbox/toolbox`)]);
  });

  test("dev (the build environment, promoted from nothing) pulls no other environment's repository", () => {
    for (const tenant of ["app", "web", "toolbox"]) expect(crossEnvironmentPulls(json.get("dev")!, "dev", `acme-ci-dev-${tenant}-protected`)).toEqual([]);
  });

  test("fault: every staging repository of a promoted tenant named production's role in its policy; now only the three promoted ones (cross-account half of the grant)", () => {
    expect(repositoriesWithPolicy(json.get("staging")!)).toEqual(["acme/staging/app/app", "acme/staging/toolbox/toolbox", "acme/staging/web/app"]);
    // Same account (dev -> staging): the identity policy alone grants it; no repository policy.
    expect(repositoriesWithPolicy(json.get("dev")!)).toEqual([]);
  });

  test("the check can fail: deploying the ci image role instead promotes (and grants) app-ci, not app", () => {
    const ci: PlatformConfig = { ...exampleConfig, environments: exampleConfig.environments.map((e) => (e.deploy ? ({ ...e, deploy: { ...e.deploy, image: "ci" } } as EnvironmentConfig) : e)) };
    const synth = synthAll(ci);
    expect(crossEnvironmentPulls(synth.get("production")!, "production", "acme-ci-production-web-protected")).toEqual([repo("111111111111", "acme/staging/web/app-ci")]);
    expect(repositoriesWithPolicy(synth.get("staging")!)).toEqual(["acme/staging/app/app-ci", "acme/staging/toolbox/toolbox", "acme/staging/web/app-ci"]);
  });

  test("an environment promoted into without deploy jobs has no promote jobs, so no promotion grant", () => {
    const noProductionDeploy: PlatformConfig = {
      ...exampleConfig,
      environments: exampleConfig.environments.map((e) => (e.name === "production" ? ({ ...e, deploy: undefined } as EnvironmentConfig) : e)),
    };
    const synth = synthAll(noProductionDeploy);
    for (const tenant of ["app", "web", "toolbox"]) expect(crossEnvironmentPulls(synth.get("production")!, "production", `acme-ci-production-${tenant}-protected`)).toEqual([]);
    expect(repositoriesWithPolicy(synth.get("staging")!)).toEqual([]);
  });
});

type Variable = { project: string; key: string; value: string };

/** The `PLATFORM_<ROLE>_PROMOTE_FROM` variables of a stack, as `<project> <repository ARN>` (the URL's host is `<account>.dkr.ecr.<region>.amazonaws.com`). */
function promoteFromVariables(json: SynthJson): string[] {
  return (Object.values(resourcesOf(json, "gitlab_project_variable")) as Variable[])
    .filter((v) => /^PLATFORM_[A-Z0-9_]+_PROMOTE_FROM$/.test(v.key))
    .map((v) => {
      const [, account, region, name] = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/(.+)$/.exec(v.value)!;
      return `${v.project} arn:aws:ecr:${region}:${account}:repository/${name}`;
    })
    .sort();
}

/** The source repositories each tenant's protected role of `env` may pull, as `<project> <repository ARN>`. */
function promotionPulls(json: SynthJson, env: string): string[] {
  return ["app", "web", "toolbox"].flatMap((tenant) => crossEnvironmentPulls(json, env, `acme-ci-${env}-${tenant}-protected`).map((arn) => `acme/${tenant} ${arn}`)).sort();
}

describe("the promotion variables name exactly the repositories the protected roles may pull (synthesized example)", () => {
  const variants: [string, PlatformConfig][] = [
    ["the example", exampleConfig],
    ["deploying the ci image role", { ...exampleConfig, environments: exampleConfig.environments.map((e) => (e.deploy ? ({ ...e, deploy: { ...e.deploy, image: "ci" } } as EnvironmentConfig) : e)) }],
    ["production promoted into without deploy", { ...exampleConfig, environments: exampleConfig.environments.map((e) => (e.name === "production" ? ({ ...e, deploy: undefined } as EnvironmentConfig) : e)) }],
  ];
  const synths = new Map(variants.map(([name, config]) => [name, name === "the example" ? json : synthAll(config)]));

  test.each(variants.flatMap(([name]) => ["dev", "staging", "production"].map((env) => [name, env] as const)))(
    "fault: PLATFORM_<ROLE>_PROMOTE_FROM was published for every image role of a tenant (app-ci, and everything where the environment does not deploy) while the role pulls only the promoted repository; now the variables and the pull grant are the same set (%s, %s)",
    (variant, env) => {
      const stack = synths.get(variant)!.get(env)!;
      expect(promoteFromVariables(stack)).toEqual(promotionPulls(stack, env));
    },
  );

  test("the check can fail: the example's staging and production publish three promotion variables each, production without deploy none", () => {
    for (const env of ["staging", "production"]) expect(promoteFromVariables(json.get(env)!)).toHaveLength(3);
    expect(promoteFromVariables(synths.get("production promoted into without deploy")!.get("production")!)).toEqual([]);
    expect(promoteFromVariables(json.get("staging")!)).not.toContainEqual(expect.stringContaining("app-ci"));
  });
});

describe("the granted repositories are the ones the promote jobs pin", () => {
  test.each(["staging", "production"])("%s: promotedRepositoriesOf names exactly the promoteFrom rows of deploy.yml and the toolbox promotion", (name) => {
    const env = exampleConfig.environments.find((e) => e.name === name)!;
    const source = exampleConfig.environments[exampleConfig.environments.indexOf(env) - 1]!;
    const pins = deployPinsOf(exampleConfig, env, source, "acme/toolbox");
    const pinned = [...pins.targets, ...(pins.toolbox ? [pins.toolbox] : [])].map((t) => t.promoteFrom).sort();
    const granted = promotedRepositoriesOf(env, source, "acme/toolbox")
      .map((p) => promotionSourceUrl(source, p.tenant, p.repositoryId))
      .sort();
    expect(granted).toEqual(pinned);
    expect(granted).toHaveLength(3);
  });

  test("without a toolbox project every tenant deploys: acme/toolbox has no app repository, so nothing of it is promoted", () => {
    const [dev, staging] = exampleConfig.environments as [EnvironmentConfig, EnvironmentConfig];
    expect(promotedRepositoriesOf(staging, dev, undefined).map((p) => `${p.tenant.path} ${p.repositoryId}`)).toEqual(["acme/app app", "acme/web app"]);
  });
});
