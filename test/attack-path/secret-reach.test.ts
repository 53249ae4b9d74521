/*
 * Attack paths to the secrets and the protected cache through roles reached with a GitLab ID
 * token (directly or by role chaining): no role an unprotected actor reaches reads a runner
 * token or any other SecureString (ssm:GetParameter AND the key policy's decrypt), or reads or
 * writes a protected cache prefix. Each planted grant, in a copy of the example's JSON, is caught.
 */
import { type SynthJson } from "../support/synth";
import { boundaryViolations, reachedBy } from "./boundaries";
import { copiedStack, copiedStacks, grantRoleIn, type Json, plantedIn, plantableResources, roleIdIn } from "./planted";
import { exampleScenario, tenantActors } from "./scenario";
import { stackModelOf } from "./runner-model";
import { canReadParameter } from "./runner-routing";
import { bucketsOf, protectedCacheAccess, protectedCachePrefixes, readsSecret, secretsOf } from "./secret-reach";

const base = exampleScenario();
const UNPROTECTED = "acme-ci-dev-app-unprotected";
const UNPROTECTED_ARN = `arn:aws:iam::111111111111:role/${UNPROTECTED}`;
const BUILD_TOKEN = "arn:aws:ssm:eu-central-1:111111111111:parameter/acme-ci/dev/runner/build/token";

/** Appends a statement to the dev stack's secrets key policy. */
function keyStatement(json: SynthJson, statement: Json): void {
  const [, key] = Object.entries(plantableResources(json, "aws_kms_key"))[0]!;
  const policy = JSON.parse(String(key.policy)) as { Statement: Json[] };
  policy.Statement.push(statement);
  key.policy = JSON.stringify(policy);
}
const readToken = { Effect: "Allow", Action: "ssm:GetParameter", Resource: BUILD_TOKEN };
const keyReads = (principal: string) => ({
  Sid: "Planted",
  Effect: "Allow",
  Principal: { AWS: principal },
  Action: "kms:Decrypt",
  Resource: "*",
  Condition: { StringEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com" } },
});
const violationsMatching = (scenario: ReturnType<typeof plantedIn>, pattern: RegExp) => boundaryViolations(scenario).filter((v) => pattern.test(v));

describe("attack paths: secrets and the protected cache through roles reached with an ID token", () => {
  test("the example app: roles unprotected actors reach read no SecureString and no protected cache prefix", () => {
    const secrets = secretsOf(base.json);
    const buckets = bucketsOf(base.json);
    expect(secrets.filter((s) => s.name.endsWith("/token")).length).toBeGreaterThanOrEqual(8);
    expect(buckets.length).toBeGreaterThan(0);
    // Not vacuous: the protected fleet's host role reads its token and writes its own protected cache prefix.
    const host = base.model.roles.find((r) => r.name === "acme-ci-dev-runner-host")!;
    expect(readsSecret(base.model, host, secrets.find((s) => s.arn === BUILD_TOKEN)!)).toBe(true);
    expect(protectedCacheAccess(host, buckets, protectedCachePrefixes(base.environments)).write).toEqual([expect.stringMatching(/^acme-ci-dev-cache-111111111111\/runner-cache\/protected$/)]);
    const unprotected = base.environments.flatMap((env) => env.tenants.flatMap((t) => tenantActors(t).filter((a) => a.trust === "unprotected")));
    const roles = [...new Set(unprotected.flatMap((actor) => reachedBy(base, actor)))];
    expect(roles.map((r) => r.name)).toContain(UNPROTECTED);
    const reach = roles.flatMap((role) => [
      ...secrets.filter((s) => readsSecret(base.model, role, s)).map((s) => `${role.name} reads ${s.name}`),
      ...Object.values(protectedCacheAccess(role, buckets, protectedCachePrefixes(base.environments))).flat().map((o) => `${role.name} uses ${o}`),
    ]);
    expect(reach).toEqual([]);
    expect(boundaryViolations(base)).toEqual([]);
  });

  test("GetParameter on a protected runner token plus a key policy statement naming the unprotected role is caught (the old boundaries never looked)", () => {
    const scenario = plantedIn(base, (json) => {
      grantRoleIn(json.get("dev")!, UNPROTECTED, readToken);
      keyStatement(json.get("dev")!, keyReads(UNPROTECTED_ARN));
    });
    expect(violationsMatching(scenario, /which reads the secret/)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`: reaches ${UNPROTECTED}, which reads the secret dev:/acme-ci/dev/runner/build/token$`))]),
    );
  });

  test("either half alone reads nothing: GetParameter and kms:Decrypt on * in IAM without the key policy, or the key policy without GetParameter", () => {
    const iamOnly = plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, readToken, { Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }));
    const keyOnly = plantedIn(base, (json) => keyStatement(json.get("dev")!, keyReads(UNPROTECTED_ARN)));
    for (const scenario of [iamOnly, keyOnly]) expect(violationsMatching(scenario, /which reads the secret/)).toEqual([]);
  });

  test("the other SSM reads are caught too: GetParameters, GetParameterHistory, GetParametersByPath on an ancestor path (the old check knew GetParameter only)", () => {
    const PREFIX = "arn:aws:ssm:eu-central-1:111111111111:parameter/";
    const reads = [
      { Action: "ssm:GetParameters", Resource: BUILD_TOKEN },
      { Action: "ssm:GetParameterHistory", Resource: BUILD_TOKEN },
      { Action: "ssm:GetParametersByPath", Resource: `${PREFIX}acme-ci/dev/runner/build` },
      { Action: "ssm:GetParametersByPath", Resource: `${PREFIX}acme-ci` },
      { Action: "ssm:GetParametersByPath", Resource: `${PREFIX}acme-ci/dev/*` },
    ];
    for (const read of reads) {
      const scenario = plantedIn(base, (json) => {
        grantRoleIn(json.get("dev")!, UNPROTECTED, { Effect: "Allow", ...read });
        keyStatement(json.get("dev")!, keyReads(UNPROTECTED_ARN));
      });
      const caught = violationsMatching(scenario, /which reads the secret dev:\/acme-ci\/dev\/runner\/build\/token$/).length > 0;
      // The runner-side model (runner-routing.ts) agrees on the unprotected pool's host role.
      const dev = scenario.json.get("dev")!;
      const onHost = copiedStack(dev);
      const hostRole = stackModelOf("dev", dev).hosts.find((h) => h.runners.some((r) => r.name === "mr"))!.role;
      const hostName = String(plantableResources(onHost, "aws_iam_role")[hostRole]!.name);
      grantRoleIn(onHost, hostName, { Effect: "Allow", ...read });
      keyStatement(onHost, keyReads(`arn:aws:iam::111111111111:role/${hostName}`));
      const runner = stackModelOf("dev", onHost);
      const token = runner.parameters.find((p) => p.arn === BUILD_TOKEN)!;
      expect({ read, caught, hostReads: canReadParameter(runner, hostRole, token) }).toEqual({ read, caught: true, hostReads: true });
    }
    // A path that is not an ancestor of the token reads nothing.
    const elsewhere = plantedIn(base, (json) => {
      grantRoleIn(json.get("dev")!, UNPROTECTED, { Effect: "Allow", Action: "ssm:GetParametersByPath", Resource: `${PREFIX}acme-ci/dev/runner/mr` });
      keyStatement(json.get("dev")!, keyReads(UNPROTECTED_ARN));
    });
    expect(violationsMatching(elsewhere, /which reads the secret dev:\/acme-ci\/dev\/runner\/build\/token$/)).toEqual([]);
  });

  test("role chaining: the unprotected role may assume the protected runner host role (trust and IAM), which reads the build token: caught", () => {
    const token = secretsOf(base.json).find((s) => s.arn === BUILD_TOKEN)!;
    const reader = base.model.roles.find((r) => r.stack === "dev" && readsSecret(base.model, r, token))!;
    expect(reader.name).toMatch(/-runner-host$/);
    const scenario = plantedIn(base, (json) => {
      const dev = json.get("dev")!;
      const host = plantableResources(dev, "aws_iam_role")[roleIdIn(dev, reader.name)]!;
      const trust = JSON.parse(String(host.assume_role_policy)) as { Statement: Json[] };
      trust.Statement.push({ Sid: "Planted", Effect: "Allow", Principal: { AWS: UNPROTECTED_ARN }, Action: "sts:AssumeRole" });
      host.assume_role_policy = JSON.stringify(trust);
      grantRoleIn(dev, UNPROTECTED, { Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" });
    });
    expect(violationsMatching(scenario, /which reads the secret dev:\/acme-ci\/dev\/runner\/build\/token$/).length).toBeGreaterThan(0);
  });

  test("s3:GetObject and s3:PutObject on the cache bucket for the unprotected role are caught as protected cache reads and writes", () => {
    const bucket = bucketsOf(base.json).find((b) => b.stack === "dev" && !b.name.endsWith("-logs"))!.name;
    const scenario = plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::${bucket}/*` }));
    const found = violationsMatching(scenario, /protected cache/);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`which reads the protected cache ${bucket}/runner-cache/protected$`)), expect.stringMatching(new RegExp(`which writes the protected cache ${bucket}/runner-cache/protected$`))]));
    // Its own unprotected prefix is not a violation.
    const own = plantedIn(base, (json) => grantRoleIn(json.get("dev")!, UNPROTECTED, { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::${bucket}/runner-cache/unprotected/*` }));
    expect(violationsMatching(own, /protected cache/)).toEqual([]);
  });

  test("a bucket policy allowing an AWS principal fails closed", () => {
    const json = copiedStacks(base.json);
    const [, policy] = Object.entries(plantableResources(json.get("dev")!, "aws_s3_bucket_policy"))[0]!;
    const doc = JSON.parse(String(policy.policy)) as { Statement: Json[] };
    doc.Statement.push({ Effect: "Allow", Principal: { AWS: UNPROTECTED_ARN }, Action: "s3:GetObject", Resource: "*" });
    policy.policy = JSON.stringify(doc);
    expect(() => bucketsOf(json)).toThrow(/allows an AWS principal/);
  });
});
