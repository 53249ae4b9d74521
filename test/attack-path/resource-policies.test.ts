/*
 * Attack paths through resource-based policies: ECR repository and registry policies, and
 * account-root principals in repository and trust policies. Each test plants one grant in a
 * copy of the example app's synthesized JSON and checks that the boundaries catch it.
 */
import { type SynthJson } from "../support/synth";
import { boundaryViolations } from "./boundaries";
import { principalMay, pullThroughPushableBy, type RoleNode } from "./iam-model";
import { grantRoleIn, type Json, plantedIn, policyText, plantableResources, roleIdIn } from "./planted";
import { exampleScenario, type Scenario } from "./scenario";

const base = exampleScenario();

const repositoryId = (json: SynthJson, name: string) => Object.entries(plantableResources(json, "aws_ecr_repository")).find(([, r]) => r.name === name)![0];
/** Adds a repository policy. */
const repositoryPolicy = (json: SynthJson, repository: string, ...statements: Json[]) => {
  plantableResources(json, "aws_ecr_repository_policy")[`planted_${repositoryId(json, repository).slice(0, 20)}`] = { repository: `\${aws_ecr_repository.${repositoryId(json, repository)}.name}`, policy: policyText(...statements) };
};
const PUSH = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability"];

describe("attack paths through repository, registry and trust policies", () => {
  test("the example app holds: no violation before anything is planted", () => {
    expect(boundaryViolations(base)).toEqual([]);
  });

  test("a repository policy granting the unprotected role push to a protected repository is caught (same account: the resource policy alone grants it)", () => {
    const scenario = plantedIn(base, (json) => {
      repositoryPolicy(json.get("dev")!, "acme/dev/app/app", { Sid: "Planted", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/acme-ci-dev-app-unprotected" }, Action: PUSH });
    });
    expect(boundaryViolations(scenario)).toEqual(expect.arrayContaining([expect.stringMatching(/: reaches acme-ci-dev-app-unprotected, which pushes acme\/dev\/app\/app, run by protected pipelines$/)]));
  });

  test("a repository policy granting another account's root push is caught when a role of that account reached by unprotected refs may push by IAM", () => {
    const scenario = plantedIn(base, (json) => {
      // Production's protected repository admits every principal of the dev/staging account that IAM allows to push ...
      repositoryPolicy(json.get("production")!, "acme/production/app/app", { Sid: "Planted", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: PUSH });
      // ... and dev's unprotected role carries a broad push grant (a hand-written extra statement).
      grantRoleIn(json.get("dev")!, "acme-ci-dev-app-unprotected", { Effect: "Allow", Action: PUSH, Resource: "arn:aws:ecr:*:*:repository/acme/*" });
    });
    expect(boundaryViolations(scenario)).toEqual(expect.arrayContaining([expect.stringMatching(/: reaches acme-ci-dev-app-unprotected, which pushes acme\/production\/app\/app, run by protected pipelines$/)]));
  });

  test("across accounts both sides are needed: the broad IAM grant alone, or the account-root policy alone, pushes nothing of production", () => {
    const iamOnly = plantedIn(base, (json) => grantRoleIn(json.get("dev")!, "acme-ci-dev-app-unprotected", { Effect: "Allow", Action: PUSH, Resource: "arn:aws:ecr:*:*:repository/acme/*" }));
    const policyOnly = plantedIn(base, (json) =>
      repositoryPolicy(json.get("production")!, "acme/production/app/app", { Sid: "Planted", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: PUSH }),
    );
    for (const scenario of [iamOnly, policyOnly]) expect(boundaryViolations(scenario).filter((v) => v.includes("acme/production/"))).toEqual([]);
  });

  test("a trust policy naming an account root admits that account's roles whose IAM allows sts:AssumeRole: the unprotected role reaches the deployment role", () => {
    const scenario = plantedIn(base, (json) => {
      const production = json.get("production")!;
      const deployment = plantableResources(production, "aws_iam_role")[roleIdIn(production, "acme-ci-production-app-deployment")]!;
      const trust = JSON.parse(String(deployment.assume_role_policy)) as { Statement: Json[] };
      trust.Statement.push({ Sid: "Planted", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "sts:AssumeRole" });
      deployment.assume_role_policy = JSON.stringify(trust);
      grantRoleIn(json.get("dev")!, "acme-ci-dev-app-unprotected", { Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" });
    });
    expect(boundaryViolations(scenario)).toEqual(expect.arrayContaining([expect.stringMatching(/: reaches the deployment role acme-ci-production-app-deployment$/)]));
  });

  test("a registry policy is every repository's policy: granting the unprotected role push there is caught", () => {
    const scenario = plantedIn(base, (json) => {
      plantableResources(json.get("dev")!, "aws_ecr_registry_policy").planted = {
        policy: policyText({ Sid: "Planted", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/acme-ci-dev-app-unprotected" }, Action: PUSH, Resource: "arn:aws:ecr:eu-central-1:111111111111:repository/*" }),
      };
    });
    expect(boundaryViolations(scenario)).toEqual(expect.arrayContaining([expect.stringMatching(/which pushes acme\/dev\/app\/app, run by protected pipelines$/)]));
  });

  test("pull-through repositories: nothing an unprotected ref reaches may push them; a creation template granting push is caught", () => {
    const unprotectedRoles = (scenario: Scenario) => scenario.model.roles.filter((r) => r.name.endsWith("-unprotected"));
    const pushers = (scenario: Scenario) => unprotectedRoles(scenario).flatMap((r) => pullThroughPushableBy(scenario.model, r).map((repo) => `${r.name} -> ${repo.name}`));
    expect(base.model.pullThrough.length).toBeGreaterThan(0);
    expect(pushers(base)).toEqual([]);
    const scenario = plantedIn(base, (json) => {
      const templates = plantableResources(json.get("account-nonprod")!, "aws_ecr_repository_creation_template");
      const [id, template] = Object.entries(templates)[0]!;
      templates[id] = { ...template, repository_policy: policyText({ Sid: "Planted", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/acme-ci-dev-app-unprotected" }, Action: PUSH }) };
    });
    expect(pushers(scenario).filter((p) => p.startsWith("acme-ci-dev-app-unprotected -> "))).not.toEqual([]);
    expect(boundaryViolations(scenario)).toEqual(expect.arrayContaining([expect.stringMatching(/: reaches acme-ci-dev-app-unprotected, which pushes the pull-through repository .*\/library\/pull-through-probe/)]));
  });

  test("IAMFullAccess on a role unprotected refs reach is caught like AdministratorAccess (it can grant itself anything)", () => {
    const scenario = plantedIn(base, (json) => {
      plantableResources(json.get("dev")!, "aws_iam_role_policy_attachment").planted = { role: `\${aws_iam_role.${roleIdIn(json.get("dev")!, "acme-ci-dev-app-unprotected")}.name}`, policy_arn: "arn:aws:iam::aws:policy/IAMFullAccess" };
    });
    expect(boundaryViolations(scenario)).toEqual(expect.arrayContaining([expect.stringMatching(/: reaches acme-ci-dev-app-unprotected, which pushes acme\/dev\/app\/app, run by protected pipelines$/)]));
  });

  test("an AWS-managed policy the model does not know, on a role unprotected refs reach, fails the suite instead of being ignored", () => {
    const scenario = plantedIn(base, (json) => {
      plantableResources(json.get("dev")!, "aws_iam_role_policy_attachment").planted = {
        role: `\${aws_iam_role.${roleIdIn(json.get("dev")!, "acme-ci-dev-app-unprotected")}.name}`,
        policy_arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser",
      };
    });
    expect(() => boundaryViolations(scenario)).toThrow(/unknown managed policy arn:aws:iam::aws:policy\/AmazonEC2ContainerRegistryPowerUser, add it to the model/);
  });

  test("principalMay: same account, a policy naming the role grants without IAM; naming the account root delegates to IAM; a Deny naming the account applies to all", () => {
    const role = (policies: RoleNode["policies"] = []): RoleNode => ({ stack: "s", account: "111111111111", name: "r", arn: "arn:aws:iam::111111111111:role/r", trust: { Statement: [] }, policies, managedPolicyArns: [] });
    const repo = (statement: Json, account = "111111111111") => ({ arn: `arn:aws:ecr:eu-central-1:${account}:repository/x`, account, policies: [{ Statement: [statement] }] });
    const allowAll = [{ Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }] }];
    const named = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/r" }, Action: "ecr:PutImage" };
    const root = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "ecr:PutImage" };
    expect(principalMay(role(), "ecr:PutImage", repo(named))).toBe(true);
    expect(principalMay(role(), "ecr:PutImage", repo(root))).toBe(false);
    expect(principalMay(role(allowAll), "ecr:PutImage", repo(root))).toBe(true);
    expect(principalMay(role(allowAll), "ecr:PutImage", repo({ ...root, Principal: { AWS: "111111111111" } }, "222222222222"))).toBe(true);
    expect(principalMay(role(), "ecr:PutImage", repo(named, "222222222222"))).toBe(false);
    expect(principalMay(role(allowAll), "ecr:PutImage", repo({ ...root, Effect: "Deny" }))).toBe(false);
    expect(principalMay(role(allowAll), "ecr:PutImage", repo({ ...root, Principal: { AWS: "arn:aws:iam::333333333333:root" } }, "222222222222"))).toBe(false);
    // Trust and key policies are required even in the same account.
    expect(principalMay(role(allowAll), "ecr:PutImage", { ...repo(root), policies: [] }, { resourcePolicyRequired: true })).toBe(false);
  });
});
