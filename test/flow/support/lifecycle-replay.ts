import { createHash } from "node:crypto";
import { type LifecyclePolicyDocument } from "../../../lib/registry/lifecycle";
import { type TagScheme } from "../../../lib/registry/tag-scheme";
import { exampleStackJson } from "./example-json";
import { fakeRegistry, type FlowPipeline, type RegistryEvent, type RegistryState } from "./flow-harness";
import { applyLifecycleDay } from "./lifecycle-days";

const DAY = 86_400_000;
const hex = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The lifecycle policy of every repository of the synthesized example's dev stack, by repository
 * name: the `policy` of its `aws_ecr_lifecycle_policy` (what Terraform applies), parsed.
 */
export function synthesizedLifecyclePolicies(): ReadonlyMap<string, LifecyclePolicyDocument> {
  const dev = exampleStackJson().get("dev") as unknown as { resource: Record<string, Record<string, Record<string, string>>> };
  const names = new Map(Object.entries(dev.resource.aws_ecr_repository ?? {}).map(([id, r]) => [`\${aws_ecr_repository.${id}.name}`, r.name!]));
  return new Map(Object.values(dev.resource.aws_ecr_lifecycle_policy ?? {}).map((p) => [names.get(p.repository!) ?? p.repository!, JSON.parse(p.policy!) as LifecyclePolicyDocument]));
}

/** One tag put a recorded pipeline made, with its commit, merge request, Git tag and inputs hashes as placeholders. */
interface RecordedPut {
  readonly repo: string;
  readonly tag: string;
  readonly role: string;
  readonly offsetMs: number;
  /** `new:<n>`: the n-th digest this pipeline created; `old:<repo>:<tag>`: the digest an earlier pipeline's tag names. */
  readonly digest: string;
  readonly kind: "content" | "commit" | "cache";
}

/** A recorded pipeline, ready to be replayed with other values. */
export interface PipelineShape {
  readonly name: string;
  readonly protectedRef: boolean;
  readonly puts: readonly RecordedPut[];
}

/**
 * The tag puts of each recorded pipeline, as the fake registry logged them (op `tag`, in order, with
 * push times and roles): the pipeline's commit SHA, merge request IID, Git tag and content hashes
 * become placeholders, each digest becomes "the n-th this pipeline created" or "the one an earlier
 * tag names". Retried jobs and re-runs that put nothing give empty shapes.
 */
export function recordedShapes(state: RegistryState, pipelines: readonly FlowPipeline[]): PipelineShape[] {
  const firstTag = new Map<string, { repo: string; tag: string; seq: number }>();
  for (const e of state.events.filter((x) => x.op === "tag")) if (!firstTag.has(`${e.repo} ${e.digest}`)) firstTag.set(`${e.repo} ${e.digest}`, { repo: e.repo!, tag: e.tag!, seq: Number(e.run) });
  return pipelines.map((pipeline) => {
    const events: RegistryEvent[] = state.events.filter((e) => e.op === "tag" && e.run === String(pipeline.seq));
    const start = Date.parse(events[0]?.at ?? new Date(0).toISOString());
    const created = new Map<string, number>();
    const templateOf = (tag: string) => {
      let t = tag.split(pipeline.sha).join("{sha}").replace(/^inputs-([0-9a-f]{40})$/, "inputs-{inputs:$1}");
      if (pipeline.trigger.kind === "merge_request") t = t.replace(new RegExp(`^MR-${pipeline.trigger.iid}-`), "MR-{iid}-");
      if (pipeline.trigger.kind === "tag" && t === pipeline.trigger.tag) t = "{gitTag}";
      return t;
    };
    const puts = events.map((e): RecordedPut => {
      const origin = firstTag.get(`${e.repo} ${e.digest}`)!;
      // An earlier pipeline's tag is named with this pipeline's values (a release tags its own commit's image).
      let digest: string;
      if (origin.seq === pipeline.seq) {
        if (!created.has(e.digest!)) created.set(e.digest!, created.size);
        digest = `new:${created.get(e.digest!)}`;
      } else {
        digest = `old:${origin.repo}:${templateOf(origin.tag)}`;
      }
      const image = state.repos[e.repo!]?.images[e.digest!];
      // Images imported through the pull-through cache are never tagged by a pipeline (no role may push there).
      if (image?.kind === "upstream") throw new Error(`${pipeline.name} tagged ${e.repo}:${e.tag}, an image imported through the pull-through cache`);
      const kind = e.tag === "buildcache" ? "cache" : e.tag!.startsWith("inputs-") ? "content" : (image?.kind ?? "commit");
      return { repo: e.repo!, tag: templateOf(e.tag!), role: e.role!, offsetMs: Date.parse(e.at) - start, digest, kind };
    });
    const protectedRef = pipeline.trigger.kind !== "merge_request";
    return { name: pipeline.name, protectedRef, puts };
  });
}

/** The values a replayed pipeline takes for the placeholders. */
export interface ReplayValues {
  readonly sha: string;
  /** The commit an `old:` digest's `{sha}` names (a release tags the commit image of an earlier pipeline). */
  readonly originSha?: string;
  readonly iid?: number;
  readonly gitTag?: string;
  /** Inputs generation: a new content hash per recorded hash and generation. */
  readonly generation: number;
}

/**
 * Replays one recorded pipeline shape into the registry at `at` (each put at its recorded offset),
 * through the fake registry's putTag (ECR's tag rules: immutability with the exclusions, 1,000 tags
 * per image, the caller's role, push times from the advanced clock). Returns the number of puts.
 */
export function replayShape(state: RegistryState, shape: PipelineShape, values: ReplayValues, at: Date, mutable: readonly string[]): number {
  const fill = (tag: string, sha: string) =>
    tag
      .split("{sha}")
      .join(sha)
      .replace(/\{inputs:([0-9a-f]{40})\}/, (_m, h: string) => hex(`${h} ${values.generation}`).slice(0, 40))
      .replace("{iid}", String(values.iid ?? 0))
      .replace("{gitTag}", values.gitTag ?? "");
  const created = new Map<string, string>();
  for (const put of shape.puts) {
    const now = new Date(at.getTime() + put.offsetMs);
    let digest: string;
    if (put.digest.startsWith("new:")) {
      if (!created.has(put.digest)) created.set(put.digest, `sha256:${hex(`${shape.name} ${values.sha} ${values.generation} ${put.digest} ${put.repo}`)}`);
      digest = created.get(put.digest)!;
    } else {
      const [, repo, tag] = /^old:([^:]+):(.*)$/.exec(put.digest)!;
      const found = fakeRegistry.findTag(state, repo!, fill(tag!, values.originSha ?? values.sha));
      if (!found) throw new Error(`replay of ${shape.name}: ${repo}:${fill(tag!, values.originSha ?? values.sha)} does not exist (expired?)`);
      digest = found.digest;
    }
    const env = { FAKE_NOW: now.toISOString(), FAKE_MUTABLE: mutable.join(","), AWS_ROLE_ARN: put.role };
    fakeRegistry.putTag(state, env, put.repo, fill(put.tag, values.sha), digest, { kind: put.kind });
  }
  return shape.puts.length;
}

/** What {@link replayLifecycleDays} found. */
export interface ReplayReport {
  readonly violations: string[];
  readonly summary: { days: number; pipelines: number; pushed: number; expired: number; maxTagsPerImage: number; imagesAtEnd: number };
}

/** Which recorded shapes make up the simulated days. */
export interface DailyPlan {
  /** A default-branch pipeline that built (new inputs). */
  readonly mainBuild: PipelineShape;
  /** A default-branch pipeline that reused the content images (source-only change). */
  readonly mainReuse: PipelineShape;
  /** A merge-request pipeline that built. */
  readonly mergeRequestBuild: PipelineShape;
  /** A merge-request pipeline that reused its content images. */
  readonly mergeRequestReuse: PipelineShape;
  /** A release-tag pipeline (tags the commit image of the default branch). */
  readonly release: PipelineShape;
  /** Pipelines that put nothing (re-runs, schedules): replayed for the count and to prove they put nothing. */
  readonly reruns: readonly PipelineShape[];
}

/**
 * Continues the registry for `days` simulated days after its last recorded push, replaying the
 * recorded pipelines day by day with the fake registry's clock advanced: per day two default-branch
 * pipelines (the first builds new inputs every 10th day, the others reuse), a re-run of each, three
 * merge-request pipelines (a new merge request every 2nd day, whose first pipeline builds), a release
 * every 30th day; then the synthesized lifecycle policy of each repository (`policyOf`) runs at the end
 * of each day ({@link applyLifecycleDay}: no protected image expires, no kind's retention is cut, no
 * kind keeps more than its retention), and no image may pass 1,000 tags (putTag refuses).
 */
export function replayLifecycleDays(state: RegistryState, scheme: TagScheme, plan: DailyPlan, policyOf: (repository: string) => LifecyclePolicyDocument, days: number): ReplayReport {
  const mutable = scheme.mutableKinds.map((k) => ("prefix" in k.selector ? `${k.selector.prefix}*` : k.selector.pattern));
  const violations: string[] = [];
  let pushed = 0;
  let pipelines = 0;
  let expired = 0;
  let maxTags = 0;
  let generation = 1;
  let mrGeneration = 1;
  let iid = 100;
  let release = 1;
  const start = Math.max(...state.events.map((e) => Date.parse(e.at))) + DAY;
  for (let d = 0; d < days; d++) {
    const day = start + d * DAY;
    let lastMain = "";
    for (const n of [0, 1]) {
      const sha = hex(`main ${d} ${n}`).slice(0, 40);
      const build = n === 0 && d % 10 === 0;
      if (build) generation++;
      pushed += replayShape(state, build ? plan.mainBuild : plan.mainReuse, { sha, generation }, new Date(day + (1 + n) * 3_600_000), mutable);
      for (const rerun of plan.reruns) pushed += replayShape(state, rerun, { sha, generation }, new Date(day + (1 + n) * 3_600_000 + 1_800_000), mutable);
      pipelines += 1 + plan.reruns.length;
      lastMain = sha;
    }
    if (d % 2 === 0) {
      iid++;
      mrGeneration++;
    }
    for (const n of [0, 1, 2]) {
      const shape = n === 0 && d % 2 === 0 ? plan.mergeRequestBuild : plan.mergeRequestReuse;
      pushed += replayShape(state, shape, { sha: hex(`mr ${d} ${n}`).slice(0, 40), iid, generation: -mrGeneration }, new Date(day + (4 + n) * 3_600_000), mutable);
      pipelines++;
    }
    if (d % 30 === 29) {
      pushed += replayShape(state, plan.release, { sha: lastMain, originSha: lastMain, gitTag: `v1.${release++}.0`, generation }, new Date(day + 8 * 3_600_000), mutable);
      pipelines++;
    }
    const result = applyLifecycleDay(state, scheme, policyOf, new Date(day + 23 * 3_600_000), `day ${d}`);
    violations.push(...result.violations);
    expired += result.expired;
    maxTags = Math.max(maxTags, result.maxTagsPerImage);
  }
  const imagesAtEnd = Object.values(state.repos).reduce((n, r) => n + Object.keys(r.images).length, 0);
  return { violations, summary: { days, pipelines, pushed, expired, maxTagsPerImage: maxTags, imagesAtEnd } };
}
