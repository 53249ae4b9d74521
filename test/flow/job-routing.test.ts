import { type CiConfig, type CiJob } from "../../lib/gitlab/ci-yaml";
import { DOCKER_JOB, type CiTemplate } from "../../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { PLATFORM_VARIABLES } from "../../lib/gitlab/platform-variables";
import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { runnersOf } from "../../lib/platform/config";
import { runnerPoolsOf } from "../../lib/platform/runner-pools";
import { tenantsOf } from "../../lib/platform/tenancy";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { exampleConfig } from "../../stacks/example-config";
import { buildIamModel, roleAllows } from "../attack-path/iam-model";
import { registrationsFor } from "../attack-path/runner-routing";
import { stackModelOf } from "../attack-path/runner-model";
import { resourcesOf } from "../support/synth";
import { exampleStackJson } from "./support/example-json";
import { evaluateIf, expand } from "./support/flow-harness";

/*
 * Jobs reach a runner, and the right one; every tenant's build jobs run a toolbox they may pull.
 * From the synthesized JSON of every example stack: GitLab's variables of each tenant project
 * (group variables, overridden by project variables; protected ones only in protected
 * pipelines), each template's workflow rules, and the runner registrations with GitLab's routing
 * rules (test/attack-path/runner-routing.ts).
 */
const json = exampleStackJson();
const dev = json.get("dev")!;
const stacks = [...json].map(([name, stack]) => stackModelOf(name, stack));
const devConfig = exampleConfig.environments[0]!;
// The dev runners as the platform registers them: pool, image builder and tags.
const pools = runnerPoolsOf(devConfig, runnersOf(exampleConfig, devConfig)).map((r) => ({ name: r.name, pool: r.pool, builder: r.builder, tags: [...(r.registration?.tags ?? [])] }));
const scheme = new TagScheme("dev/platform/tagScheme", devConfig.registry.tagScheme);
const templates: CiTemplate[] = [...platformCiTemplates("dev/ci-templates", scheme), toolboxCiFile("dev/toolbox-project", scheme)];
const tenants = tenantsOf(devConfig);

type Variable = { key: string; value: string; protected: boolean; project?: string };
const groupVariables = Object.values(resourcesOf(dev, "gitlab_group_variable")) as Variable[];
const projectVariables = Object.values(resourcesOf(dev, "gitlab_project_variable")) as Variable[];

/** What a job of `project` sees (GitLab precedence: project over group over the pipeline's YAML variables). */
function visibleVariables(project: string, refProtected: boolean, yaml: Readonly<Record<string, string>>): Record<string, string> {
  const reach = (v: Variable) => refProtected || !v.protected;
  return {
    ...yaml,
    ...Object.fromEntries(groupVariables.filter(reach).map((v) => [v.key, v.value])),
    ...Object.fromEntries(projectVariables.filter((v) => v.project === project && reach(v)).map((v) => [v.key, v.value])),
  };
}

/** A job's own or inherited key (`extends`, depth first, own keys win). */
function inherited<K extends keyof CiJob>(config: CiConfig, job: CiJob, key: K): CiJob[K] | undefined {
  if (job[key] !== undefined) return job[key];
  const parents = job.extends === undefined ? [] : typeof job.extends === "string" ? [job.extends] : [...job.extends];
  for (const parent of parents.reverse()) {
    const value = inherited(config, config.jobs[parent]!, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Every pipeline kind of a template (its workflow rules) with the predefined variables that select it. */
function pipelineKinds(template: CiTemplate) {
  const predefined: Readonly<Record<string, string>>[] = [
    { CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "7", CI_DEFAULT_BRANCH: "main" },
    { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main" },
    { CI_PIPELINE_SOURCE: "push", CI_COMMIT_TAG: "v1.2.3", CI_DEFAULT_BRANCH: "main" },
  ];
  return (template.config.workflow?.rules ?? []).map((rule) => {
    const vars = predefined.find((p) => evaluateIf(rule.if!, p))!;
    const trust = rule.variables![PLATFORM_VARIABLES.trust]!;
    return { name: rule.if!, predefined: vars, trust, workflow: rule.variables! };
  });
}

/** The jobs a pipeline creates (rules evaluated), with the hidden `.in-<image>-image` jobs project jobs extend. */
function jobsOf(template: CiTemplate, predefined: Readonly<Record<string, string>>): [string, CiJob][] {
  return Object.entries(template.config.jobs).filter(
    ([name, job]) => (!name.startsWith(".") || name.startsWith(".in-")) && (job.rules === undefined || job.rules.some((r) => r.if === undefined || evaluateIf(r.if, predefined))),
  );
}

describe("jobs reach the runner pool of their trust level and environment", () => {
  const cases = templates.flatMap((template) => pipelineKinds(template).flatMap((kind) => tenants.map((tenant) => [template.fileName, kind.name, tenant.path, template, kind] as const)));

  test.each(cases)("%s, pipeline %s, project %s: every job lands on its trust level's pool in dev, build jobs on a runner with an image builder", (_file, _kind, project, template, kind) => {
    const refProtected = kind.trust === "protected";
    const vars = visibleVariables(project, refProtected, { ...kind.predefined, ...kind.workflow });
    const jobs = jobsOf(template, kind.predefined);
    expect(jobs.length).toBeGreaterThan(0);
    for (const [name, job] of jobs) {
      // GitLab expands tags one level (ExpandVariables.expand_existing over the job's variables): a
      // reference that is not a variable stays as it is, and no runner carries such a tag.
      const tags = (inherited(template.config, job, "tags") ?? []).map((t) => expand(t, vars));
      const landed = registrationsFor({ projectPath: project, refProtected, tags }, stacks).map((r) => pools.find((p) => p.tags[0] === r.tags[0]));
      expect({ job: name, tags, landed: landed.length > 0, stacks: [...new Set(landed.map((p) => p !== undefined))] }).toEqual({ job: name, tags, landed: true, stacks: [true] });
      expect({ job: name, pools: [...new Set(landed.map((p) => p!.pool))] }).toEqual({ job: name, pools: [kind.trust] });
      if (inherited(template.config, job, "script")?.some((line) => line.includes("platform_image"))) {
        expect({ job: name, builders: landed.map((p) => p!.builder).filter((b) => b === "none") }).toEqual({ job: name, builders: [] });
      }
    }
  });

  test("a protected job can never be routed to the unprotected pool: every tag variable the templates use is a protected project variable of every tenant", () => {
    const used = new Set(templates.flatMap((t) => Object.values(t.config.jobs).flatMap((j) => j.tags ?? [])).flatMap((tag) => [...tag.matchAll(/\$(\w+)/g)].map((m) => m[1]!)));
    expect([...used].sort()).toEqual([PLATFORM_VARIABLES.buildRunnerTag, PLATFORM_VARIABLES.runnerTag].sort());
    const unprotectedTags = new Set(pools.filter((p) => p.pool === "unprotected").flatMap((p) => p.tags));
    expect(unprotectedTags.size).toBeGreaterThan(0);
    for (const tenant of tenants) {
      for (const key of used) {
        const own = projectVariables.find((v) => v.project === tenant.path && v.key === key);
        expect({ tenant: tenant.path, key, protected: own?.protected, unprotectedPool: own !== undefined && unprotectedTags.has(own.value) }).toEqual({ tenant: tenant.path, key, protected: true, unprotectedPool: false });
      }
    }
  });

  test("staging and production: no unprotected pool, so no group tag variables; each tenant's protected tags name its own environment's pool", () => {
    for (const env of ["staging", "production"]) {
      const stack = json.get(env)!;
      const groupKeys = (Object.values(resourcesOf(stack, "gitlab_group_variable")) as Variable[]).map((v) => v.key);
      expect(groupKeys.filter((k) => /RUNNER_TAG/.test(k))).toEqual([]);
      const tags = (Object.values(resourcesOf(stack, "gitlab_project_variable")) as Variable[]).filter((v) => /RUNNER_TAG$/.test(v.key));
      expect(tags.length).toBe(2 * tenants.length);
      expect(tags.filter((v) => !v.protected || !v.value.startsWith(`acme-ci-${env}-protected-`))).toEqual([]);
    }
  });

  test("the old templates' jobs (no tags) reach no runner: every runner takes tagged jobs only", () => {
    const untagged = registrationsFor({ projectPath: "acme/app", refProtected: true, tags: [] }, stacks);
    expect(untagged).toEqual([]);
  });
});

describe("the toolbox image for every tenant", () => {
  const model = buildIamModel(json);
  const toolboxRepository = "acme/dev/toolbox/toolbox";
  const builderImage = (template: CiTemplate) => template.config.jobs[DOCKER_JOB]!.image!;
  const ecrTemplate = templates.find((t) => t.fileName === "image-reuse.yml")!;

  test.each(tenants.map((t) => [t.path, t.name] as const))("%s: the build jobs' image is the toolbox project's protected repository, and both of its roles may pull it (never push, but the toolbox's own protected role)", (project, name) => {
    for (const refProtected of [true, false]) {
      const image = expand(builderImage(ecrTemplate), visibleVariables(project, refProtected, {}));
      expect(image).toBe(`111111111111.dkr.ecr.eu-central-1.amazonaws.com/${toolboxRepository}:latest`);
    }
    const arn = `arn:aws:ecr:eu-central-1:111111111111:repository/${toolboxRepository}`;
    for (const trust of ["protected", "unprotected"]) {
      const role = model.roles.find((r) => r.stack === "dev" && r.name === `acme-ci-dev-${name}-${trust}`)!;
      expect({ role: role.name, pull: roleAllows(role, "ecr:BatchGetImage", arn), layers: roleAllows(role, "ecr:GetDownloadUrlForLayer", arn) }).toEqual({ role: role.name, pull: true, layers: true });
      expect({ role: role.name, push: roleAllows(role, "ecr:PutImage", arn) }).toEqual({ role: role.name, push: name === "toolbox" && trust === "protected" });
    }
  });
});
