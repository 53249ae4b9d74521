import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL, schemaKey } from "../support/gitlab-ci-local";

/*
 * gitlab-ci-local's JSON-schema check runs once per configuration (test/support/gitlab-ci-local.ts,
 * schemaKey): a configuration it validated is not validated again, one it refused is checked on
 * every run, and the key follows every YAML file the check reads.
 */
const job = (marker: string) => `# ${marker}\nunit:\n  script:\n    - echo ok\n`;

describe("schemaKey", () => {
  test("the same files give the same key; a changed included file, another; an include with rules or a variable, none", () => {
    const repo = new CiRepo({ ".gitlab-ci.yml": "include:\n  - local: ci/jobs.yml\n", "ci/jobs.yml": job("a") });
    try {
      const first = schemaKey(repo.dir);
      expect(first).toMatch(/^[0-9a-f]{32}$/);
      expect(schemaKey(repo.dir)).toBe(first);
      writeFileSync(path.join(repo.dir, "ci/jobs.yml"), job("b"));
      expect(schemaKey(repo.dir)).not.toBe(first);
      writeFileSync(path.join(repo.dir, ".gitlab-ci.yml"), "include:\n  - local: ci/jobs.yml\n    rules:\n      - if: $CI_COMMIT_TAG\n");
      expect(schemaKey(repo.dir)).toBeUndefined();
      writeFileSync(path.join(repo.dir, ".gitlab-ci.yml"), "include:\n  - local: ci/$JOBS.yml\n");
      expect(schemaKey(repo.dir)).toBeUndefined();
    } finally {
      repo.remove();
    }
  });
});

describeWithTool(GITLAB_CI_LOCAL, "gitlab-ci-local's schema check, once per configuration", () => {
  const vars = { CI_DEFAULT_BRANCH: "main", CI_COMMIT_BRANCH: "main", CI_PIPELINE_SOURCE: "push" };

  test("a configuration that passed is not checked again; its jobs are listed the same", async () => {
    const repo = new CiRepo({ ".gitlab-ci.yml": job(randomUUID()) });
    try {
      const first = await repo.gitlabCiLocal(["--list-json"], vars, [], path.join(repo.dir, ".shim-1.log"));
      const second = await repo.gitlabCiLocal(["--list-json"], vars, [], path.join(repo.dir, ".shim-2.log"));
      expect({ first: first.status, second: second.status }).toEqual({ first: 0, second: 0 });
      expect(first.stderr).toMatch(/json schema validated in /);
      expect(second.stderr).not.toMatch(/json schema validated in /);
      expect(second.stdout).toBe(first.stdout);
    } finally {
      repo.remove();
    }
  }, 60_000);

  test("a configuration the schema refuses is refused on every run", async () => {
    const repo = new CiRepo({ ".gitlab-ci.yml": `# ${randomUUID()}\nunit:\n  script:\n    - echo ok\n  when: sometimes\n` });
    try {
      for (const run of [1, 2]) {
        const r = await repo.gitlabCiLocal(["--list-json"], vars, [], path.join(repo.dir, `.shim-${run}.log`));
        expect({ run, status: r.status, refused: /sometimes|schema/i.test(`${r.stdout}${r.stderr}`) }).toEqual({ run, status: 1, refused: true });
        expect(r.stderr).not.toMatch(/json schema validated in /);
      }
    } finally {
      repo.remove();
    }
  }, 60_000);
});
