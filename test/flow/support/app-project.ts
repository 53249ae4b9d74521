import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../../lib/gitlab/ci-templates-project";
import { type CiTemplate } from "../../../lib/gitlab/image-reuse-template";
import { IMAGE_REUSE_TEMPLATE, platformCiTemplates } from "../../../lib/gitlab/platform-templates";
import { PLATFORM_VARIABLES } from "../../../lib/gitlab/platform-variables";
import { tenantsOf } from "../../../lib/platform/tenancy";
import { tenantVariables } from "../../../lib/platform/tenant-variables";
import { selectorPattern } from "../../../lib/registry/glob";
import { TagScheme } from "../../../lib/registry/tag-scheme";
import { exampleConfig } from "../../../stacks/example-config";
import { FlowProject, type FlowPipeline, HOST, inputsHash, type RegistryEvent, type RegistryState } from "./flow-harness";
import { devPermissionTable } from "./flow-iam";

/*
 * The project every flow sequence drives: acme/app of the example's dev environment, with the
 * platform's own project variables (tenantVariables), the generated ECR template, and the fake
 * registry deciding every pull and push with the IAM policies of the synthesized dev stack.
 */
export const scheme = new TagScheme("flow/tagScheme");
// The ECR template exactly as the platform publishes it.
export const template = platformCiTemplates("flow/templates", scheme).find((t) => t.fileName === IMAGE_REUSE_TEMPLATE)!;
const dev = exampleConfig.environments[0]!;
const tenant = tenantsOf(dev).find((t) => t.path === "acme/app")!;
const projectVariables = tenantVariables(exampleConfig, dev, tenant);
const variables = {
  all: {
    [PLATFORM_VARIABLES.registryHost]: HOST,
    [PLATFORM_VARIABLES.region]: dev.region,
    ...Object.fromEntries(projectVariables.filter((v) => !v.protected).map((v) => [v.key, v.value])),
  },
  protectedOnly: Object.fromEntries(projectVariables.filter((v) => v.protected).map((v) => [v.key, v.value])),
};
export const files = {
  "ci-templates/image-reuse.yml": template.content,
  ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse.yml" }, jobs: EXAMPLE_PROJECT_JOBS }),
  Dockerfile: "FROM alpine:3.20\nCOPY package.json /app/\nRUN --mount=type=bind,source=scripts,target=/scripts sh /scripts/install.sh\n",
  "scripts/install.sh": "echo install dependencies\n",
  "Dockerfile.ci": "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo test tools\n",
  "package.json": '{ "name": "app", "version": "1.0.0" }\n',
  "src/index.js": "console.log(1);\n",
};
export const TEST_JOBS = ["lint", "unit-tests"];
/** Every job of a full pipeline (without the merge-request review job). */
export const FULL_PIPELINE = ["build-app-image", "build-ci-image", ...TEST_JOBS].sort();

/** The per-image inputs of the checked-out commit, computed independently of the job. */
export type Inputs = { app: string; ci: string };

/**
 * A project of its own (repository, registry) for one sequence, with helpers to commit and record inputs.
 * @param custom another generated ECR template to run instead of the published one (the project includes it)
 */
export function appProject(custom: CiTemplate = template): { project: FlowProject; inputs: Record<string, Inputs>; commit: (branch: string, changes: Record<string, string>, message: string) => void } {
  const project = new FlowProject(custom, { ...files, "ci-templates/image-reuse.yml": custom.content }, variables, scheme.mutableKinds.map((k) => selectorPattern(k.selector)), devPermissionTable());
  const inputs: Record<string, Inputs> = {};
  const record = () => {
    const tree = project.files();
    const sha = project.repo.sha;
    const app = inputsHash(tree, "Dockerfile", ".", "", [], sha);
    inputs[sha] = { app, ci: inputsHash(tree, "Dockerfile.ci", ".", app, [], sha) };
  };
  record();
  const commit = (branch: string, changes: Record<string, string>, message: string) => {
    project.repo.git("checkout", "-q", branch);
    project.repo.commit(changes, message);
    record();
  };
  return { project, inputs, commit };
}

export const buildsIn = (state: RegistryState, pipeline: FlowPipeline): RegistryEvent[] => state.events.filter((e) => e.op === "build" && e.run === String(pipeline.seq));
export const tagEventsIn = (state: RegistryState, pipeline: FlowPipeline): RegistryEvent[] => state.events.filter((e) => (e.op === "tag" || e.op === "commit-image") && e.run === String(pipeline.seq));

/** A pipeline's failure output (empty when it passed). */
export function failureOf(project: FlowProject, pipeline: FlowPipeline): string {
  return pipeline.run.run.status !== 0 ? `${pipeline.run.run.stdout.slice(-3000)}\n${pipeline.run.run.stderr.slice(-2000)}\n${project.log().slice(-2000)}` : "";
}

/** The image a job extending `.in-ci-image` runs, and what the registry holds under that tag. */
export function ciImageOf(project: FlowProject, state: RegistryState, pipeline: FlowPipeline): { ref: string; inputs?: string; commit?: string } {
  const ref = project.imageOf(pipeline, "ci");
  const repo = ref.slice(HOST.length + 1, ref.lastIndexOf(":"));
  const image = Object.values(state.repos[repo]?.images ?? {}).find((i) => i.tags.includes(ref.slice(ref.lastIndexOf(":") + 1)));
  return { ref, ...(image?.inputs ? { inputs: image.inputs } : {}), ...(image?.commit ? { commit: image.commit } : {}) };
}

/** The expected `.in-ci-image` reference of a pipeline: its commit's image in its trust level's repository. */
export function expectedCiImage(pipeline: FlowPipeline): string {
  const unprotected = pipeline.trigger.kind === "merge_request";
  const tag = unprotected ? `MR-${(pipeline.trigger as { iid: number }).iid}-${pipeline.sha}` : `sha-${pipeline.sha}`;
  return `${HOST}/acme/dev/app/${unprotected ? "unprotected/" : ""}app-ci:${tag}`;
}

/** Flow efficiency of a sequence: builds per distinct inputs (per repository, and across trust levels), share of test jobs starting from a reused image. */
export function efficiencyOf(state: RegistryState, pipelines: readonly FlowPipeline[]) {
  const builds = state.events.filter((e) => e.op === "build");
  const perRepository = new Set(builds.map((b) => `${b.ref!.slice(0, b.ref!.lastIndexOf(":"))} ${b.inputs}`));
  const distinct = new Set(builds.map((b) => `${b.ref!.slice(b.ref!.lastIndexOf("/"), b.ref!.lastIndexOf(":"))} ${b.inputs}`));
  const jobs = pipelines.flatMap((pipeline) => TEST_JOBS.map(() => buildsIn(state, pipeline).length === 0));
  return {
    pipelines: pipelines.length,
    builds: builds.length,
    buildsPerDistinctInputsPerRepository: builds.length / perRepository.size,
    buildsPerDistinctInputs: builds.length / distinct.size,
    jobsFromReusedImage: jobs.filter(Boolean).length / jobs.length,
  };
}

/**
 * Build caches: each content build exports its BuildKit cache next to its image, in its own trust
 * level's repository, with the options ECR stores; protected builds import only protected caches,
 * merge-request builds may import the protected one. Returns what breaks that (empty when it holds).
 */
export function buildCacheProblems(state: RegistryState, pipelines: readonly FlowPipeline[]): string[] {
  const problems: string[] = [];
  const exports = state.events.filter((e) => e.op === "cache-export");
  for (const pipeline of pipelines) {
    const unprotected = pipeline.trigger.kind === "merge_request";
    const builds = buildsIn(state, pipeline);
    const exported = exports.filter((e) => e.run === String(pipeline.seq));
    const expected = builds.map((b) => `${b.ref!.slice(0, b.ref!.lastIndexOf(":"))}:buildcache`).sort();
    if (JSON.stringify(exported.map((e) => e.ref).sort()) !== JSON.stringify(expected)) problems.push(`${pipeline.name}: cache exports ${JSON.stringify(exported.map((e) => e.ref))}, expected ${JSON.stringify(expected)}`);
    for (const e of exported) {
      if (e.ref!.includes("/unprotected/") !== unprotected) problems.push(`${pipeline.name}: cache exported to ${e.ref}`);
      if (!/^type=registry,ref=\S+:buildcache,mode=max,image-manifest=true,oci-mediatypes=true$/.test(e.options ?? "")) problems.push(`${pipeline.name}: cache options ${e.options}`);
    }
    for (const b of builds) {
      if (!unprotected && b.cacheFrom!.some((r) => r.includes("/unprotected/"))) problems.push(`${pipeline.name}: a protected build imports ${b.cacheFrom}`);
      if (unprotected && !b.cacheFrom!.some((r) => !r.includes("/unprotected/") && r.endsWith(":buildcache"))) problems.push(`${pipeline.name}: a merge-request build does not import the protected cache`);
    }
  }
  return problems;
}
