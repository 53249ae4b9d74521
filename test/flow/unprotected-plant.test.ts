import { readFileSync } from "node:fs";
import { devPermissionTable, type PermissionTable } from "./support/flow-iam";

/*
 * One merge request can plant MR-<iid>-<sha> or inputs-<hash> for another in the tenant's shared
 * unprotected repository (docs/image-flow.md, "Merge requests share one unprotected repository"):
 * accepted within the unprotected trust level. What keeps it there is IAM: only the tenant's own
 * unprotected role may pull from or push to those repositories. No protected role (of any tenant)
 * and no role of another tenant may read them, so a planted image never reaches a protected job or
 * another project's job. Decided by the IAM evaluator over the synthesized dev stack (flow-iam.ts).
 */
const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const table = JSON.parse(readFileSync(devPermissionTable(), "utf8")) as PermissionTable;
const roleName = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
const OWN = "acme-ci-dev-app-unprotected";
const planted = [...new Set(Object.values(table).flatMap((repos) => Object.keys(repos)))].filter((repo) => repo.startsWith("acme/dev/app/unprotected/"));

describe("images one merge request plants for another stay in the unprotected trust level of their tenant", () => {
  test("the tenant's unprotected repositories exist, and its own unprotected role pulls and pushes them (the merge requests' shared repository)", () => {
    expect(planted.length).toBeGreaterThan(0);
    const own = Object.entries(table).find(([arn]) => roleName(arn) === OWN)?.[1] ?? {};
    for (const repo of planted) expect({ repo, actions: [...PULL, "ecr:PutImage"].filter((a) => !(own[repo] ?? []).includes(a)) }).toEqual({ repo, actions: [] });
  });

  test("no protected role and no role of another tenant may pull (or push) a planted MR-<iid>-<sha> or inputs-<hash>", () => {
    const others = Object.entries(table).filter(([arn]) => roleName(arn) !== OWN);
    expect(others.map(([arn]) => roleName(arn))).toEqual(expect.arrayContaining(["acme-ci-dev-app-protected", "acme-ci-dev-web-unprotected", "acme-ci-dev-web-protected"]));
    const reads = others.flatMap(([arn, repos]) => planted.flatMap((repo) => (repos[repo] ?? []).filter((a) => PULL.includes(a) || a === "ecr:PutImage").map((a) => `${roleName(arn)} ${a} ${repo}`)));
    expect(reads).toEqual([]);
  });
});
