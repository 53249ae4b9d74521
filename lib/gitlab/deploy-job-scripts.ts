import { check } from "../core/errors";
import { DEPLOY_VARIABLES } from "./deploy-variables";

/*
 * The script lines of the deploy template's jobs that act (deploy-template.ts assembles the jobs):
 * the promote job's copy with its gate, and the deploy job's deploy, smoke test and record.
 */

/**
 * The script line of a promote job. With `requiredTag` (a promote job whose source environment
 * deploys in other pipelines, environment branches): the source's deployed tag (e.g.
 * `deployed-staging`), which must name the digest promoted; the source's deploy job moves that
 * tag after its smoke test passed, so a digest whose deploy or smoke test failed, or never ran,
 * there is refused. The tag is a literal argument of `platform_promote` in the job's script, not a
 * CI/CD variable: a variable of the job would be overridden by project, group or pipeline variables
 * of the same name (GitLab docs, "CI/CD variable precedence": pipeline, project and group variables
 * rank above job variables in `.gitlab-ci.yml`), so an empty value would switch the gate off.
 * @param requiredTag the source's deployed tag, single-quoted in the script
 * @param path where the tag comes from, for the error message
 * @throws ValidationError for a tag holding `$`, `'` or a newline (a variable left in it would
 *   make the gate overridable again; a quote or newline could not stay literal)
 */
export function promoteScript(requiredTag?: string, path = "promoteScript"): string {
  const copy = 'platform_promote "$PLATFORM_PROMOTE_FROM:$PLATFORM_DEPLOY_TAG" "$PLATFORM_DEPLOY_REPOSITORY:$PLATFORM_DEPLOY_TAG"';
  if (requiredTag === undefined) return copy;
  check(!/[$'\n]/.test(requiredTag), {
    path,
    subject: "deployed tag",
    value: requiredTag,
    rule: "the promote gate's tag is a literal argument of the job's script: no variable (a pipeline variable of that name would change it), quote or newline",
    fix: "use a deployed tag kind whose CI tag has no variable but ${CI_ENVIRONMENT_NAME} (e.g. deployed-${CI_ENVIRONMENT_NAME})",
  });
  return `${copy} '${requiredTag}'`;
}

/** The deployed kind's tag of a named environment: `deployed-${CI_ENVIRONMENT_NAME}` -> `deployed-staging`. */
export function deployedTagOf(ciTag: string, environment: string): string {
  return ciTag.replace(/\$\{CI_ENVIRONMENT_NAME\}|\$CI_ENVIRONMENT_NAME\b/g, environment);
}

/**
 * The script lines of a `deploy-<environment>` job after its pinned values: resolve this pipeline's
 * image by digest, run the deploy hook with it, run the smoke-test hook against it, and when both
 * passed record the digest as the last good one (`recorded`) and move the deployed tag onto it
 * (else only move the tag). The three steps are one job on purpose: GitLab's `resource_group`
 * lets one job of the group run at a time, across pipelines, and releases it when that job ends
 * (GitLab docs, "Resource group": it ensures "a deploy job runs once at a time"; holding a sequence of
 * jobs takes the pipeline-level form, a child pipeline started by a job with the resource group,
 * "Pipeline-level concurrency control with cross-project/parent-child pipelines"). With the smoke
 * test and the record in a job of their own, another pipeline's deploy job could run between this
 * pipeline's deploy and its smoke test (or before a retried smoke test), and the smoke test would then
 * probe the other pipeline's deployment and record this pipeline's digest, which never passed. In
 * one job, the digest the smoke test probes is the one this job deployed, and a retry deploys it again
 * first; no record of what runs is needed, and no child pipeline. A rollback job that runs after
 * another pipeline's deploy redeploys the recorded digest, which is always one whose own smoke test
 * passed.
 * @param hooks the literal deploy and smoke-test commands
 * @param recorded whether the last good digest is recorded
 * @param path where the hooks are configured, for the error message
 * @throws ValidationError for a hook that is empty or holds a quote or newline (it is written between single quotes)
 */
export function deployScript(hooks: { readonly deploy: string; readonly smokeTest: string }, recorded: boolean, path = "deployScript"): string[] {
  for (const [name, command] of Object.entries(hooks)) {
    check(typeof command === "string" && command.trim() !== "" && !/['\n]/.test(command), {
      path: `${path}/hooks/${name}`,
      subject: "hook command",
      value: command,
      rule: "a hook is a literal command of the job's script, between single quotes: not empty, no quote or newline",
      fix: "put the command into a script file of the project (e.g. ./deploy/deploy.sh) and name that file",
    });
  }
  return [
    "PLATFORM_IMAGE_REF=$(platform_deployed_image)",
    `platform_hook ${DEPLOY_VARIABLES.deployHook} '${hooks.deploy}' "$PLATFORM_IMAGE_REF"`,
    `platform_hook ${DEPLOY_VARIABLES.smokeTestHook} '${hooks.smokeTest}' "$PLATFORM_IMAGE_REF"`,
    // The deployed tag moves on every passed smoke test (what the environment runs, kept by retention,
    // and what the environments promoted from it check); the last good digest only where it is recorded.
    recorded ? 'platform_record "$PLATFORM_IMAGE_REF"' : 'platform_mark_deployed "$PLATFORM_IMAGE_REF"',
  ];
}
