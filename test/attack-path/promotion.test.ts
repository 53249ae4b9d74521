import { exampleConfig } from "../../stacks/example-config";
import { evaluatePolicy } from "../support/iam-evaluator";
import { type SynthJson } from "../support/synth";
import { buildIamModel, chainedFrom, deploys, type RepositoryNode, type RoleNode, roleAllows } from "./iam-model";
import { exampleSynthJson } from "../support/example-synth";

/*
 * Promotion by digest, from the synthesized JSON of every example stack together: which role of
 * one environment may pull which repository of another. IAM grants a same-account pull when the
 * identity policy allows it; a cross-account pull needs the identity policy AND the repository
 * policy (Amazon ECR User Guide, "Private repository policies"; IAM User Guide, "Cross-account
 * policy evaluation logic"). Repository policies are evaluated here with the principal's account
 * root matched and `aws:PrincipalArn` in the context (the role's ARN for a role session).
 */
const json = new Map<string, SynthJson>([...exampleSynthJson()].filter(([name]) => exampleConfig.environments.some((e) => e.name === name)));
const model = buildIamModel(json);

type Json = Record<string, unknown>;
/** Repository policies by repository ARN. */
function repositoryPolicies(withPolicies: ReadonlyMap<string, SynthJson>): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [stack, synth] of withPolicies) {
    const names = new Map(Object.entries(synth.resource?.aws_ecr_repository ?? {}).map(([id, r]) => [`\${aws_ecr_repository.${id}.name}`, String((r as Json).name)]));
    for (const policy of Object.values(synth.resource?.aws_ecr_repository_policy ?? {}) as Json[]) {
      const repo = model.repositories.find((r) => r.stack === stack && r.name === names.get(String(policy.repository)))!;
      out.set(repo.arn, JSON.parse(String(policy.policy).replace(/\$\{data\.aws_partition\.[^}]+\.partition\}/g, "aws")) as Json);
    }
  }
  return out;
}

const accountOf = (arn: string) => arn.split(":")[4]!;
/** Whether the repository policy lets `role` pull. */
function resourceAllows(policy: Json | undefined, role: RoleNode): boolean {
  if (!policy) return false;
  const statements = (policy.Statement as Json[]).filter((s) => ((s.Principal as { AWS: string[] }).AWS ?? []).includes(`arn:aws:iam::${role.account}:root`));
  return evaluatePolicy({ Statement: statements.map(({ Principal: _p, ...s }) => s) }, { action: "ecr:BatchGetImage", context: { "aws:PrincipalArn": role.arn } }) === "allow";
}
function pulls(role: RoleNode, repo: RepositoryNode, policies: Map<string, Json>): boolean {
  const identity = roleAllows(role, "ecr:BatchGetImage", repo.arn);
  return accountOf(repo.arn) === role.account ? identity : identity && resourceAllows(policies.get(repo.arn), role);
}
const crossEnvironmentPulls = (policies: Map<string, Json>) =>
  model.roles.flatMap((role) => model.repositories.filter((repo) => repo.stack !== role.stack && pulls(role, repo, policies)).map((repo) => `${role.name} -> ${repo.name}`)).sort();

describe("promotion by digest: who pulls across environments (synthesized example stacks)", () => {
  const policies = repositoryPolicies(json);

  test("exactly each target environment's protected role of a tenant pulls the protected repositories of the environment before it that its promote jobs copy (the deployed app image; the toolbox project's toolbox image), nothing else of the tenant", () => {
    const expected = [
      ["staging", "dev"],
      ["production", "staging"],
    ].flatMap(([target, source]) =>
      [
        ["app", ["app"]],
        ["web", ["app"]],
        ["toolbox", ["toolbox"]],
      ].flatMap(([tenant, ids]) => (ids as string[]).map((id) => `acme-ci-${target}-${tenant as string}-protected -> acme/${source}/${tenant as string}/${id}`)),
    );
    expect(crossEnvironmentPulls(policies)).toEqual(expected.sort());
  });

  test("cross-account (staging -> production): the staging repository's policy names the production role exactly, no '*' principal", () => {
    const staging = [...policies].filter(([arn]) => arn.includes(":111111111111:repository/acme/staging/"));
    expect(staging.length).toBe(3);
    for (const [arn, policy] of staging) {
      const tenant = arn.split("/")[3]!;
      expect(policy.Statement).toEqual([
        {
          Sid: "RolePull",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::222222222222:root"] },
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Condition: { StringEquals: { "aws:PrincipalArn": [`arn:aws:iam::222222222222:role/acme-ci-production-${tenant}-protected`] } },
        },
      ]);
    }
    // Same account (dev -> staging): the identity policy alone grants it; dev's repositories have no policy.
    expect([...policies.keys()].filter((arn) => arn.includes("/acme/dev/"))).toEqual([]);
  });

  test("the check can fail: without the staging repositories' policies production's role pulls nothing across accounts", () => {
    const without = new Map([...policies].filter(([arn]) => !arn.includes("/acme/staging/")));
    expect(crossEnvironmentPulls(without).filter((p) => p.startsWith("acme-ci-production-"))).toEqual([]);
    // And another production role (another tenant's protected role, the runner hosts' role) is refused by the policy's condition.
    const appRepository = policies.get(model.repositories.find((r) => r.name === "acme/staging/app/app")!.arn);
    for (const name of ["acme-ci-production-web-protected", "acme-ci-production-runner-host"]) {
      const role = model.roles.find((r) => r.name === name)!;
      expect({ name, allowed: resourceAllows(appRepository, role) }).toEqual({ name, allowed: false });
    }
    expect(resourceAllows(appRepository, model.roles.find((r) => r.name === "acme-ci-production-app-protected")!)).toBe(true);
  });
});

/** The roles a tenant's protected deploy job reaches: its protected role and every role it chains into. */
function reachedFrom(start: RoleNode): RoleNode[] {
  const reached = [start];
  for (let i = 0; i < reached.length; i++) for (const next of chainedFrom(model, reached[i]!)) if (!reached.includes(next)) reached.push(next);
  return reached;
}

describe("deploy records and images per tenant: a project's deploy job reaches only its own (synthesized example stacks)", () => {
  // The toolbox project deploys nothing: it has no deployment role (checked below).
  const TENANTS = ["app", "web"];
  const ALL_TENANTS = ["app", "web", "toolbox"];
  const cases = (["staging", "production"] as const).flatMap((env) => ALL_TENANTS.flatMap((a) => TENANTS.filter((b) => b !== a).map((b) => [env, a, b] as const)));
  const roleNamed = (name: string) => model.roles.find((r) => r.name === name)!;
  const parameterArn = (env: string, tenant: string) => `arn:aws:ssm:eu-central-1:${env === "production" ? "222222222222" : "111111111111"}:parameter/acme-ci/${env}/deploy/${tenant}/last-good-digest`;

  test.each(cases)("fault: in %s, %s's protected deploy job could set %s's last good digest (rollback target) or tag its images", (env, a, b) => {
    const reached = reachedFrom(roleNamed(`acme-ci-${env}-${a}-protected`));
    // A deploying tenant does chain into a deployment role, so the checks below cover the role a deploy runs as.
    expect(reached.some(deploys)).toBe(a !== "toolbox");
    const writers = reached.filter((r) => roleAllows(r, "ssm:PutParameter", parameterArn(env, b))).map((r) => r.name);
    expect({ env, from: a, parameterOf: b, writers }).toEqual({ env, from: a, parameterOf: b, writers: [] });
    const theirs = model.repositories.filter((r) => r.stack === env && r.tenant === b);
    expect(theirs.length).toBeGreaterThan(0);
    const taggers = reached.flatMap((r) => theirs.filter((repo) => roleAllows(r, "ecr:PutImage", repo.arn)).map((repo) => `${r.name} -> ${repo.name}`));
    expect({ env, from: a, imagesOf: b, taggers }).toEqual({ env, from: a, imagesOf: b, taggers: [] });
  });

  test.each((["staging", "production"] as const).flatMap((env) => TENANTS.map((t) => [env, t] as const)))("the check can fail: in %s, %s's own deploy job reads and writes its own parameter and pushes its own images", (env, t) => {
    const reached = reachedFrom(roleNamed(`acme-ci-${env}-${t}-protected`));
    expect(reached.filter((r) => roleAllows(r, "ssm:PutParameter", parameterArn(env, t)) && roleAllows(r, "ssm:GetParameter", parameterArn(env, t))).map((r) => r.name)).toEqual([`acme-ci-${env}-${t}-deployment`]);
    const own = model.repositories.filter((r) => r.stack === env && r.tenant === t);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((repo) => roleAllows(roleNamed(`acme-ci-${env}-${t}-protected`), "ecr:PutImage", repo.arn))).toBe(true);
  });

  const stateBucket = (env: string) => `arn:aws:s3:::acme-ci-terraform-state-${env === "production" ? "222222222222" : "111111111111"}`;
  const envCases = (["dev", "staging", "production"] as const).flatMap((env) => ALL_TENANTS.flatMap((a) => TENANTS.filter((b) => b !== a).map((b) => [env, a, b] as const)));

  test.each(envCases)("fault: in %s, %s's protected deploy job could overwrite or delete %s's Terraform state", (env, a, b) => {
    const reached = reachedFrom(roleNamed(`acme-ci-${env}-${a}-protected`));
    const state = `${stateBucket(env)}/${env}/${b}/terraform.tfstate`;
    const writers = reached.filter((r) => roleAllows(r, "s3:PutObject", state) || roleAllows(r, "s3:DeleteObject", state)).map((r) => r.name);
    expect({ env, from: a, stateOf: b, writers }).toEqual({ env, from: a, stateOf: b, writers: [] });
  });

  test.each((["dev", "staging", "production"] as const).flatMap((env) => TENANTS.map((t) => [env, t] as const)))("the check can fail: in %s, %s's own deploy job writes its own Terraform state", (env, t) => {
    const reached = reachedFrom(roleNamed(`acme-ci-${env}-${t}-protected`));
    const state = `${stateBucket(env)}/${env}/${t}/terraform.tfstate`;
    expect(reached.filter((r) => roleAllows(r, "s3:PutObject", state) && roleAllows(r, "s3:DeleteObject", state)).map((r) => r.name)).toEqual([`acme-ci-${env}-${t}-deployment`]);
  });

  test.each(["dev", "staging", "production"])("fault: in %s, the toolbox project (which deploys nothing) has a deployment role or a last-good-digest parameter", (env) => {
    expect(model.roles.filter((r) => r.stack === env && (r.name.startsWith(`acme-ci-${env}-toolbox-`) || r.name.endsWith("-deployment"))).map((r) => r.name).sort()).toEqual(
      [`acme-ci-${env}-toolbox-protected`, `acme-ci-${env}-app-deployment`, `acme-ci-${env}-web-deployment`, ...(env === "dev" ? [`acme-ci-${env}-toolbox-unprotected`] : [])].sort(),
    );
    const synth = json.get(env)!;
    const parameters = Object.values(synth.resource?.aws_ssm_parameter ?? {}).map((p) => String((p as Json).name));
    expect(parameters.filter((n) => n.includes("/deploy/toolbox/"))).toEqual([]);
    const deployRoleVariables = Object.values(synth.resource?.gitlab_project_variable ?? {}).filter((v) => (v as Json).project === "acme/toolbox" && String((v as Json).key).startsWith("PLATFORM_DEPLOY_"));
    expect(deployRoleVariables).toEqual([]);
  });

  test("each deployment role is assumed from its own tenant's protected role only", () => {
    for (const env of ["dev", "staging", "production"]) {
      for (const t of TENANTS) {
        const callers = model.roles.filter((r) => chainedFrom(model, r).some((target) => target.name === `acme-ci-${env}-${t}-deployment`)).map((r) => r.name);
        expect({ env, t, callers }).toEqual({ env, t, callers: [`acme-ci-${env}-${t}-protected`] });
      }
    }
  });
});

describe("the image deploy jobs start from (synthesized example stacks)", () => {
  type Variable = { project: string; key: string; value: string; environment_scope: string };
  const variable = (env: string, project: string, key: string) =>
    (Object.values(json.get(env)!.resource?.gitlab_project_variable ?? {}) as Variable[]).find((v) => v.project === project && v.key === key);

  test.each(["staging", "production"])("%s: every tenant's deploy jobs run the repository the toolbox project promotes into there, which only its protected role can push", (env) => {
    // What promote-toolbox-<env> writes: the toolbox project's PLATFORM_TOOLBOX_IMAGE, scoped to the environment.
    const target = variable(env, "acme/toolbox", "PLATFORM_TOOLBOX_IMAGE")!;
    expect(target.environment_scope).toBe(env);
    for (const project of ["acme/app", "acme/web", "acme/toolbox"]) {
      // What `$PLATFORM_TOOLBOX_URL:latest` resolves to in a job with `environment: <env>`.
      const url = variable(env, project, "PLATFORM_TOOLBOX_URL")!;
      expect({ project, scope: url.environment_scope, url: url.value }).toEqual({ project, scope: env, url: target.value });
    }
    const repository = model.repositories.find((r) => target.value.endsWith(`/${r.name}`) && r.stack === env)!;
    const pushers = model.roles.filter((r) => roleAllows(r, "ecr:PutImage", repository.arn)).map((r) => r.name);
    expect(pushers).toEqual([`acme-ci-${env}-toolbox-protected`]);
  });
});
