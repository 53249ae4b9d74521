/*
 * Host takeover of deploy jobs, from the synthesized JSON of every example stack together: the
 * published deploy.yml (the gitlab-shared stack: each deploy job's tags and the projects it pins a
 * deployment role for), the runner registrations (tags, access level, projects) and the runner
 * hosts (launch templates: the config.toml `[[runners]]` entries each host runs).
 *
 * A deploy job holds its project's deployment role credentials. A job that binds the docker socket
 * or runs privileged is root on its host and reads every container there (`docker inspect`,
 * `docker exec`), a deploy's credentials included. So for every deploy job and every project it
 * deploys, every registration whose hosts the job can land on is asked: does it take unprotected
 * jobs, or is it root on the host for the jobs of another project? Either lets that job take the
 * deploy's credentials.
 */
import { Testing } from "cdktf";
import { parse as parseYaml } from "yaml";
import { buildPlatform } from "../../stacks/app";
import { type PlatformConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { type SynthJson } from "../support/synth";
import { servedProjectsOf } from "./host-pulls";
import { type StackModel, stackModelOf } from "./runner-model";
import { controlsHost, hostsOf, type Job, landsOn, registrationsFor } from "./runner-routing";

/** One job of deploy.yml with an environment: what it runs as and where. */
interface DeployJob {
  readonly name: string;
  readonly environment: string;
  readonly tags: readonly string[];
  /** Per project the job pins a row for: its deployment role ARN (none for a promote-only row). */
  readonly projects: ReadonlyMap<string, string | undefined>;
}

interface Built {
  readonly config: PlatformConfig;
  readonly models: readonly StackModel[];
  /** The published deploy.yml, as Terraform writes it (template escapes undone). */
  readonly deployYml: string;
}

function build(config: PlatformConfig): Built {
  const stacks = buildPlatform(Testing.app(), config);
  const models = [...stacks.environments].map(([name, stack]) => stackModelOf(name, JSON.parse(Testing.synth(stack)) as SynthJson));
  const shared = [...stacks.gitlabShared.values()].map((s) => JSON.parse(Testing.synth(s)) as SynthJson);
  const file = shared.flatMap((json) => Object.values(json.resource?.gitlab_repository_file ?? {})).find((f) => f.file_path === "deploy.yml")!;
  return { config, models, deployYml: String(file.content).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{") };
}

/** The jobs of deploy.yml that carry an environment, with the projects their scripts pin. */
function deployJobsOf(deployYml: string): DeployJob[] {
  const doc = parseYaml(deployYml) as Record<string, Record<string, unknown>>;
  return Object.entries(doc)
    .filter(([name, job]) => !name.startsWith(".") && typeof job === "object" && job !== null && "environment" in job)
    .map(([name, job]) => {
      const environment = job.environment as string | { name: string };
      const script = ((job.script as string[] | undefined) ?? []).join("\n");
      // The pinned rows: `'<project>')` followed by its literals up to `;;`.
      const projects = new Map<string, string | undefined>();
      for (const match of script.matchAll(/'([^'\n]+)'\)\n([\s\S]*?);;/g)) projects.set(match[1]!, /PLATFORM_DEPLOY_ROLE_ARN='([^']+)'/.exec(match[2]!)?.[1]);
      return { name, environment: typeof environment === "string" ? environment : environment.name, tags: (job.tags as string[] | undefined) ?? [], projects };
    });
}

/**
 * Every way a job could take a deploy over: for each deploy job and each project it deploys, the
 * registrations sharing a host the job can land on that take unprotected jobs, or whose jobs are
 * root on the host and may be of another project.
 */
function deployTakeovers(built: Built, jobs: readonly DeployJob[]): string[] {
  const problems: string[] = [];
  for (const job of jobs) {
    const model = built.models.find((m) => m.stack === job.environment)!;
    const env = built.config.environments.find((e) => e.name === job.environment)!;
    for (const [project, deploymentRole] of job.projects) {
      const asJob: Job = { projectPath: project, refProtected: true, tags: job.tags };
      const landing = registrationsFor(asJob, [model]);
      if (landing.length === 0) problems.push(`${job.name} of ${project}: no runner takes it`);
      const hosts = new Set(landing.flatMap((r) => hostsOf(r, built.models).map((h) => h.id)));
      const what = `${job.name} of ${project} (${deploymentRole ?? "its protected role"})`;
      for (const other of model.registrations.filter((r) => hostsOf(r, built.models).some((h) => hosts.has(h.id)))) {
        if (other.accessLevel === "not_protected") problems.push(`${what}: ${other.description} takes unprotected jobs on its hosts`);
        if (!controlsHost(other, built.models)) continue;
        const intruders = servedProjectsOf(other, env).filter((p) => p !== project && landsOn({ projectPath: p, refProtected: true, tags: other.tags }, other));
        for (const intruder of intruders) problems.push(`${what}: a protected job of ${intruder} on ${other.description} is root on its hosts`);
      }
    }
  }
  return problems;
}

const example = build(exampleConfig);
const exampleJobs = deployJobsOf(example.deployYml);

describe("deploy jobs' hosts (synthesized example stacks)", () => {
  test("the published deploy jobs are read: promote, deploy (with its smoke test) and rollback of staging and production, each pinning the deploying projects' deployment roles", () => {
    expect(exampleJobs.map((j) => j.name).sort()).toEqual(
      ["promote", "deploy", "rollback"].flatMap((kind) => ["staging", "production"].map((env) => `${kind}-${env}`)).sort(),
    );
    for (const job of exampleJobs) {
      expect({ job: job.name, projects: [...job.projects.keys()] }).toEqual({ job: job.name, projects: ["acme/app", "acme/web"] });
      expect([...job.projects.values()]).toEqual([`arn:aws:iam::${job.environment === "production" ? "222222222222" : "111111111111"}:role/acme-ci-${job.environment}-app-deployment`, `arn:aws:iam::${job.environment === "production" ? "222222222222" : "111111111111"}:role/acme-ci-${job.environment}-web-deployment`]);
    }
  });

  test("fault: staging's deploy jobs ran on the protected pool's hosts, where the socket-binding build runner of three projects is root: a protected build job of one project took over another project's deploy. Now no deploy job shares a host with a job of another project that is root there, or with unprotected jobs", () => {
    expect(deployTakeovers(example, exampleJobs)).toEqual([]);
    // Each environment's deploy jobs run on its deploy pool, whose hosts run the deploy runner alone.
    for (const job of exampleJobs) expect({ job: job.name, tags: job.tags }).toEqual({ job: job.name, tags: [`acme-ci-${job.environment}-deploy`] });
  });

  test("the check can fail: with the deploy jobs on the protected pool's test runner (what staging published before), a protected build job of acme/web (or acme/toolbox) is root on the hosts of acme/app's deploy, and the reverse", () => {
    const old = example.deployYml.replace(/- acme-ci-staging-deploy\n/g, "- acme-ci-staging-protected-test\n");
    expect(old).not.toBe(example.deployYml);
    const found = deployTakeovers(example, deployJobsOf(old));
    expect(found).toContain("deploy-staging of acme/app (arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment): a protected job of acme/web on acme-ci staging build is root on its hosts");
    expect(found).toContain("rollback-staging of acme/web (arn:aws:iam::111111111111:role/acme-ci-staging-web-deployment): a protected job of acme/app on acme-ci staging build is root on its hosts");
    expect(found).toContain("promote-staging of acme/app (arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment): a protected job of acme/toolbox on acme-ci staging build is root on its hosts");
    // Production is untouched by the plant: every finding is staging's.
    expect(found.every((p) => p.includes("-staging of "))).toBe(true);
    // The build runner does take those protected jobs, and shares the test runner's hosts.
    const staging = example.models.find((m) => m.stack === "staging")!;
    const buildRunner = staging.registrations.find((r) => r.tags.includes("acme-ci-staging-protected-build"))!;
    const testRunner = staging.registrations.find((r) => r.tags.includes("acme-ci-staging-protected-test"))!;
    expect(landsOn({ projectPath: "acme/web", refProtected: true, tags: ["acme-ci-staging-protected-build"] }, buildRunner)).toBe(true);
    expect(controlsHost(buildRunner, example.models)).toBe(true);
    expect(hostsOf(buildRunner, example.models).map((h) => h.id)).toEqual(hostsOf(testRunner, example.models).map((h) => h.id));
  });

  test("the check can fail: deploy jobs on dev's unprotected pool share its hosts with unprotected jobs", () => {
    const planted = example.deployYml.replace(/- acme-ci-staging-deploy\n/g, "- acme-ci-dev-unprotected-mr\n").replace(/^(\s+)name: staging$/gm, "$1name: dev");
    const found = deployTakeovers(example, deployJobsOf(planted));
    expect(found.some((p) => /^deploy-staging of acme\/app .*: acme-ci dev mr takes unprotected jobs on its hosts$/.test(p))).toBe(true);
  });
});
