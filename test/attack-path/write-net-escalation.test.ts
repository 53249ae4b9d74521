/*
 * The write net under the named checks: escalation through other services (PassRole with
 * Lambda, Action *, administrator policies), what is not reported, and the allowlist against
 * the IAM reference and docs/security-model.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expandAction } from "../../lib/core/iam-data";
import { type Json, plantedIn } from "./planted";
import { changesSomething, UNPROTECTED_WRITES } from "./write-net";
import { ACCOUNT, base, named, net, plant, REGION, UNPROTECTED } from "./write-net-plants";

describe("attack paths: the write net under the named checks (escalation, allowlist)", () => {
  test("iam:PassRole of a deployment role with lambda:CreateFunction and InvokeFunction is caught (a function runs as the deployment role)", () => {
    const deployment = base.model.roles.find((r) => r.stack === "staging" && r.name.endsWith("-deployment"))!;
    const planted = plant({ Effect: "Allow", Action: "iam:PassRole", Resource: deployment.arn }, { Effect: "Allow", Action: ["lambda:CreateFunction", "lambda:InvokeFunction"], Resource: "*" });
    expect(named(planted)).toEqual([]);
    const found = net(planted);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`may iam:PassRole on ${deployment.arn}: the role ${deployment.name} is protected`)),
        expect.stringMatching(/may lambda:CreateFunction on \*/),
        expect.stringMatching(/may lambda:InvokeFunction on \*/),
      ]),
    );
  });

  test("Action * and an administrator-level managed policy are caught; reads and the role's own unprotected writes are not", () => {
    expect(net(plant({ Effect: "Allow", Action: "*", Resource: "*" })).length).toBeGreaterThan(100);
    const admin = plantedIn(base, (json) => {
      const roles = json.get("dev")!.resource!.aws_iam_role as Record<string, Json>;
      const [id] = Object.entries(roles).find(([, r]) => r.name === UNPROTECTED)!;
      roles[id]!.managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"];
    });
    expect(net(admin)).toEqual(expect.arrayContaining([expect.stringMatching(/may iam:CreateRole on \*/)]));
    expect(net(plant({ Effect: "Allow", Action: ["ssm:GetParameter", "ecr:Describe*", "s3:List*"], Resource: "*" }))).toEqual([]);
    const own = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/acme/dev/app/unprotected/app`;
    expect(net(plant({ Effect: "Allow", Action: ["ecr:PutImage", "ecr:BatchDeleteImage"], Resource: own }))).toEqual([]);
    // Another tenant's unprotected repository is not the role's own.
    expect(net(plant({ Effect: "Allow", Action: "ecr:PutImage", Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/acme/dev/web/unprotected/app` }))).toEqual([
      expect.stringMatching(/may ecr:PutImage on .*web\/unprotected\/app: the repository acme\/dev\/web\/unprotected\/app is protected/),
    ]);
  });

  test("a write outside every protected scope (the role's own log group) is not reported; the allowlist's actions exist in the reference at a write level", () => {
    expect(net(plant({ Effect: "Allow", Action: "logs:PutLogEvents", Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/acme-ci/dev/app-unprotected:*` }))).toEqual([]);
    for (const entry of UNPROTECTED_WRITES) {
      const actions = expandAction(entry.action);
      expect({ entry: entry.action, levels: actions.every(changesSomething), found: actions.length > 0 }).toEqual({ entry: entry.action, levels: true, found: true });
      expect(entry.reason.length).toBeGreaterThan(20);
    }
  });

  test("docs/security-model.md's allowlist table names every allowlisted action, and no other", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "security-model.md"), "utf8");
    const table = doc.slice(doc.indexOf("What these roles may write on a protected scope"), doc.indexOf("## Protected refs as code"));
    const rows = table.split("\n").filter((l) => l.startsWith("| `"));
    const documented = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    const services = new Map(rows.map((row) => [row, /`([a-z0-9-]+):/.exec(row)?.[1]]));
    const qualified = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => (m[1]!.includes(":") ? m[1]! : `${services.get(row)!}:${m[1]!}`)));
    expect(documented.length).toBe(qualified.length);
    expect(new Set(qualified)).toEqual(new Set(UNPROTECTED_WRITES.map((w) => w.action)));
  });
});
