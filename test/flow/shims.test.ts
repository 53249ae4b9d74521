import path from "node:path";
import { describeWithTool } from "../support/conformance";
import { CiRepo, GITLAB_CI_LOCAL, SHIMMED_COMMANDS } from "../support/gitlab-ci-local";

/*
 * The flow suite must never reach a real `aws` (or docker, terraform, npm, apk): a job that resolves
 * them under gitlab-ci-local's shell executor finds the harness's shims. The run drops SHLVL from
 * the environment, the condition under which Debian's bash sources ~/.bashrc for a job whose stdin
 * is a socket (a ~/.bashrc that prepends pyenv's shims once put the real AWS CLI first).
 */
describeWithTool(GITLAB_CI_LOCAL, "flow harness: shimmed commands", () => {
  test("a job resolves every shimmed command to the harness's shim, also when SHLVL is unset", async () => {
    const ci = `resolve:\n  script:\n${SHIMMED_COMMANDS.map((c) => `    - printf 'resolved ${c} %s\\n' "$(command -v ${c})" >> "$SHIM_LOG"\n`).join("")}`;
    const repo = new CiRepo({ ".gitlab-ci.yml": ci });
    const saved = process.env.SHLVL;
    delete process.env.SHLVL;
    try {
      const { run, passed, commands } = await repo.runPipeline({});
      expect({ status: run.status, passed }).toEqual({ status: 0, passed: ["resolve"] });
      const resolved = commands.filter((c) => c.startsWith("resolved "));
      expect(resolved).toEqual(SHIMMED_COMMANDS.map((c) => `resolved ${c} ${path.join(repo.dir, ".shims", c)}`));
    } finally {
      if (saved !== undefined) process.env.SHLVL = saved;
      repo.remove();
    }
  }, 60_000);
});
