import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { machine } from "node:os";
import path from "node:path";
import { type CiRule } from "../../../lib/gitlab/ci-yaml";
import { type CiTemplate } from "../../../lib/gitlab/image-reuse-template";
import { CiRepo, type PipelineRun } from "../../support/gitlab-ci-local";
import { shimScript, startRegistryServer } from "./registry-server";

/** The fake registry module (plain JavaScript: it also runs as the `docker`/`aws`/`buildctl` shims). */
export interface RegistryImage {
  tags: string[];
  pushedAt: string;
  kind: "content" | "commit" | "cache" | "upstream";
  /** The upstream reference an image imported through a pull-through cache rule came from. */
  upstream?: string;
  inputs?: string;
  commit?: string;
  base?: string;
  cacheFrom?: string[];
  /** `--cache-to` / `--export-cache` options of the build. */
  cacheTo?: string[];
  /** `--secret` options of the build. */
  secrets?: string[];
  pull?: boolean;
  from?: string;
  /** The manifest bytes the registry holds (the image's digest is their sha256). */
  manifest?: string;
  /** The manifest's media type, when put with one. */
  mediaType?: string;
}
export interface RegistryEvent {
  at: string;
  op: string;
  ref?: string;
  repo?: string;
  tag?: string;
  digest?: string;
  inputs?: string;
  pipeline?: string;
  run?: string;
  job?: string;
  role?: string;
  base?: string;
  cacheFrom?: string[];
  cacheTo?: string[];
  secrets?: string[];
  /** Options of a registry cache export (op `cache-export`). */
  options?: string;
  /** Built with `docker buildx build`. */
  buildx?: boolean;
  builder?: string;
  pull?: boolean;
  from?: string;
}
export interface RegistryState {
  /** Repositories by name; a pull-through cache repository records who created it (fake-pull-through.cjs). */
  repos: Record<string, { images: Record<string, RegistryImage>; pullThrough?: { upstreamRegistryUrl: string; createdBy: string; createdAt: string } }>;
  events: RegistryEvent[];
}
interface FakeRegistryModule {
  emptyState(): RegistryState & { local: Record<string, unknown> };
  docker(state: RegistryState, env: Readonly<Record<string, string>>, args: readonly string[], stdin: string): string;
  load(file: string): RegistryState;
  save(file: string, state: RegistryState): void;
  putTag(state: RegistryState, env: Record<string, string>, repo: string, tag: string, digest: string, image: Partial<RegistryImage>): string;
  expire(state: RegistryState, expired: Record<string, string[]>): void;
  findTag(state: RegistryState, repo: string, tag: string): { digest: string; image: RegistryImage } | undefined;
  MAX_TAGS_PER_IMAGE: number;
}
const SCRIPT = path.join(__dirname, "fake-registry.cjs");
export const fakeRegistry = require(SCRIPT) as FakeRegistryModule;

let serverPort: Promise<number> | undefined;
/** The port of this process's fake registry server, started on first use. */
function registryPort(): Promise<number> {
  serverPort ??= startRegistryServer(fakeRegistry as unknown as Parameters<typeof startRegistryServer>[0]).then((s) => s.port);
  return serverPort;
}

export const HOST = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const DAY = 86_400_000;
export const START = new Date("2026-01-05T09:00:00Z");

/** What triggers a pipeline. */
export type Trigger =
  | { readonly kind: "push" | "schedule" | "web" | "api"; readonly branch: string }
  | { readonly kind: "merge_request"; readonly iid: number; readonly branch: string }
  | { readonly kind: "tag"; readonly tag: string };

/** One pipeline (or retried jobs) of the sequence. */
export interface FlowPipeline {
  readonly id: number;
  /** Sequence number of the run (a retried job has its pipeline's id but a sequence number of its own). */
  readonly seq: number;
  readonly name: string;
  readonly trigger: Trigger;
  readonly sha: string;
  readonly day: number;
  readonly variables: Readonly<Record<string, string>>;
  readonly run: PipelineRun;
}

/**
 * An ID token as GitLab issues one to a job (`id_tokens`), which gitlab-ci-local does not: a JWT whose
 * payload carries `claims` (GitLab signs it; the fake registry checks no signature, so this one is unsigned).
 */
export function fakeIdToken(claims: Readonly<Record<string, string>>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ iss: "https://gitlab.example.com", ...claims })}.c2lnbmF0dXJl`;
}

/** Evaluates the `if:` forms the templates emit (GitLab CI expression syntax, a subset). */
export function evaluateIf(expression: string, vars: Readonly<Record<string, string>>): boolean {
  // A conjunction of the forms below (the templates' Git tag rule: pattern && image tag bound); no regex they emit holds " && ".
  if (expression.includes(" && ")) return expression.split(" && ").every((part) => evaluateIf(part, vars));
  const value = (token: string) => (token.startsWith("$") ? (vars[token.slice(1)] ?? "") : JSON.parse(token));
  let m = /^(\$\w+) == ("[^"]*"|\$\w+)$/.exec(expression);
  if (m) return vars[m[1]!.slice(1)] !== undefined && value(m[1]!) === value(m[2]!);
  m = /^(\$\w+) =~ \/(.*)\/$/.exec(expression);
  if (m) return vars[m[1]!.slice(1)] !== undefined && new RegExp(m[2]!).test(value(m[1]!));
  m = /^(\$\w+)$/.exec(expression);
  if (m) return (vars[m[1]!.slice(1)] ?? "") !== "";
  throw new Error(`the flow harness does not evaluate ${expression}`);
}

/** Expands `$VAR` and `${VAR}` as GitLab expands variables in variable values (unknown ones stay). */
export function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? whole);
}

/** What a Dockerfile reads, as the build job sees it: context sources, and what the hash cannot read. */
export interface DockerfileReads {
  /** Build-context sources (COPY/ADD sources and RUN --mount=type=bind sources), relative to the context. */
  readonly sources: string[];
  /** References the hash cannot read (an image by tag in --from= or a bind mount's from=, ADD of a URL without --checksum). */
  readonly unpinned: string[];
}

/** What {@link dockerfileInstructions} found besides instructions: what the build job's reader cannot follow. */
export interface DockerfileParse {
  readonly instructions: string[];
  readonly unpinned: string[];
}

/**
 * The instructions of a Dockerfile as BuildKit's parser reads them (moby/buildkit frontend/dockerfile/parser/parser.go,
 * `Parse`, `processLine`, `trimContinuationCharacter`, and directives.go): each line without its trailing CR/LF (and the
 * first without a UTF-8 byte-order mark); parser directives (`# escape=`, `# syntax=`, `# check=`) only before the
 * first other line; comment lines dropped; a line ending in the escape character (not itself escaped), then blanks,
 * continues on the next, joined without a separator, with comment and empty lines inside it dropped; the body of
 * each here-document word of a RUN/COPY/ADD (also under ONBUILD; not in the JSON form) skipped up to its terminator
 * line (leading tabs stripped for `<<-`). A `# syntax=` naming another frontend than docker/dockerfile is reported.
 */
export function parseDockerfile(dockerfile: string): DockerfileParse {
  const instructions: string[] = [];
  const unpinned: string[] = [];
  const pending: { name: string; chomp: boolean }[] = [];
  let escape = "\\";
  let directives = true;
  let buffer: string | undefined;
  const lines = dockerfile.split("\n").map((line) => line.replace(/[\r\n]+$/, ""));
  if (lines[0]?.startsWith("\uFEFF")) lines[0] = lines[0].slice(1);
  /** The line without its continuation token, or undefined when it does not continue. */
  const continues = (line: string): string | undefined => {
    const e = escape === "`" ? "`" : "\\\\";
    const m = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`).exec(line);
    return m ? line.slice(0, m.index) + (m[1] ?? "") : undefined;
  };
  for (const raw of lines) {
    if (pending.length > 0) {
      if ((pending[0]!.chomp ? raw.replace(/^\t+/, "") : raw) === pending[0]!.name) pending.shift();
      continue;
    }
    if (directives) {
      const d = /^[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$/.exec(raw);
      const key = d?.[1]!.toLowerCase();
      if (key === "escape" || key === "syntax" || key === "check") {
        if (key === "escape") {
          if (d![2] === "`" || d![2] === "\\") escape = d![2];
          else unpinned.push(`the escape directive ${d![2]} is not one BuildKit accepts`);
        }
        if (key === "syntax" && !/^(docker\.io\/)?docker\/dockerfile(-upstream)?(:[^@]*)?(@sha256:[0-9a-f]+)?$/.test(d![2]!)) unpinned.push(`the syntax directive names another frontend (${d![2]}), whose parser this reader does not follow`);
        continue;
      }
      directives = false;
    }
    if (/^[ \t]*#/.test(raw)) continue;
    if (buffer !== undefined && /^[ \t]*$/.test(raw)) continue;
    const head = continues(raw);
    if (head !== undefined) {
      buffer = (buffer ?? "") + head;
      continue;
    }
    const line = (buffer ?? "") + raw;
    buffer = undefined;
    instructions.push(line);
    const words = line.trim().split(/[ \t]+/);
    const at = words[0]?.toUpperCase() === "ONBUILD" ? 1 : 0;
    if (!["RUN", "COPY", "ADD"].includes(words[at]?.toUpperCase() ?? "")) continue;
    const args = words.slice(at + 1);
    const first = args.findIndex((w) => !w.startsWith("--"));
    if (first >= 0 && args[first]!.startsWith("[")) continue;
    for (const word of args.slice(first < 0 ? args.length : first)) {
      const m = /^[0-9]*<<(-?)(.*)$/.exec(word);
      const name = m?.[2]!.replace(/["']/g, "") ?? "";
      if (m && name !== "" && !name.includes("<")) pending.push({ name, chomp: m[1] === "-" });
    }
  }
  if (buffer !== undefined) instructions.push(buffer);
  return { instructions, unpinned };
}

/** The instructions of a Dockerfile (see {@link parseDockerfile}). */
export function dockerfileInstructions(dockerfile: string): string[] {
  return parseDockerfile(dockerfile).instructions;
}

/**
 * What a Dockerfile reads from the build context, as the build job parses it (image-flow-script.ts),
 * written independently: comment lines dropped, continued lines joined, the JSON form parsed; COPY/ADD
 * sources (the last argument is the destination) and RUN `--mount` bind sources (bind is the default
 * type, the source defaults to the context's root; Dockerfile reference, "RUN --mount=type=bind");
 * stage copies and here-documents are no sources; images by tag in `--from=`/`from=`, URLs without
 * `--checksum` and sources named by a build argument are unpinned.
 */
export function dockerfileReads(dockerfile: string): DockerfileReads {
  const parsed = parseDockerfile(dockerfile);
  const instructions = parsed.instructions;
  const stages = new Set<string>();
  const sources: string[] = [];
  const unpinned: string[] = [...parsed.unpinned];
  const source = (src: string, what: string) => (src.includes("$") ? unpinned.push(`${what} ${src} names a build argument`) : sources.push(src.replace(/^\/+/, "").replace(/\/+$/, "") || "."));
  const external = (ref: string, what: string) => {
    if (!stages.has(ref.toLowerCase()) && !/^[0-9]+$/.test(ref) && !/@sha256:[0-9a-f]+$/.test(ref)) unpinned.push(`${what} names an image by tag, not by digest`);
  };
  for (const line of instructions) {
    const words = line.trim().split(/[ \t]+/);
    const command = (words[0] ?? "").toUpperCase();
    let i = 1;
    const flags: string[] = [];
    for (; i < words.length && words[i]!.startsWith("--"); i++) flags.push(words[i]!);
    if (command === "FROM") {
      words.forEach((w, j) => j > 0 && j < words.length - 1 && w.toUpperCase() === "AS" && stages.add(words[j + 1]!.toLowerCase()));
    } else if (command === "RUN") {
      for (const flag of flags.filter((f) => f.startsWith("--mount="))) {
        const spec = flag.slice("--mount=".length).replace(/"/g, "");
        const fields = Object.fromEntries(spec.split(",").map((f) => (f.includes("=") ? [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)] : [f, ""])));
        if ((fields.type ?? "bind") !== "bind") continue;
        if (fields.from) external(fields.from, `RUN --mount=${spec}`);
        else source(fields.source ?? fields.src ?? ".", `RUN --mount=${spec}`);
      }
    } else if (command === "COPY" || command === "ADD") {
      const from = flags.find((f) => f.startsWith("--from="));
      if (from) {
        external(from.slice("--from=".length), `${command} ${from}`);
        continue;
      }
      // The arguments as written: a JSON-form name keeps its inner blanks.
      const rest = line.trim().replace(new RegExp(`^(?:[^ \\t]+[ \\t]+){${i}}`), "");
      if (rest.startsWith("[") && rest.includes("\\")) unpinned.push(`${command} ${rest} has an escape in its JSON form`);
      const args = rest.startsWith("[") ? [...rest.matchAll(/"([^"]*)"/g)].map((m) => m[1]!) : words.slice(i);
      for (const a of args.slice(0, -1)) {
        if (a.startsWith("<<")) continue;
        if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(a) || a.startsWith("git@")) {
          if (!flags.some((f) => f.startsWith("--checksum="))) unpinned.push(`${command} ${a} has no --checksum`);
        } else source(a, command);
      }
    }
  }
  return { sources, unpinned };
}

/** The build-context sources of a Dockerfile (see {@link dockerfileReads}). */
export function dockerfileSources(dockerfile: string): string[] {
  return dockerfileReads(dockerfile).sources;
}

/**
 * The inputs hash of an image as the build job defines it (image-flow-script.ts), computed here
 * independently from the files of a commit: the Dockerfile, the .dockerignore files, the files it
 * reads from the context (each a regular, non-executable file; the directories on the way listed too),
 * extra paths, the base image's hash, the build platform; and the commit when the Dockerfile names
 * something the hash cannot read.
 */
export function inputsHash(files: Readonly<Record<string, string>>, dockerfile: string, context: string, base: string, extra: readonly string[] = [], commit = ""): string {
  const reads = dockerfileReads(files[dockerfile] ?? "");
  const sources = reads.sources.map((src) => `${context}/${src}`);
  const ignores = [`${context}/.dockerignore`, `${dockerfile}.dockerignore`].filter((p) => files[p.replace(/^\.\//, "")] !== undefined);
  const roots = [dockerfile, ...ignores, ...sources, ...extra].map((p) => p.replace(/\/+$/, ""));
  // Every path find lists: the files under each root and the directories on the way (the root included).
  const dirs = new Set<string>();
  const matched = Object.keys(files).flatMap((file) =>
    roots.flatMap((root) => {
      const bare = root.replace(/^\.\//, "");
      if (file === bare) return [root];
      if (!file.startsWith(`${bare}/`) && bare !== ".") return [];
      const parts = (bare === "." ? file : file.slice(bare.length + 1)).split("/");
      parts.slice(0, -1).forEach((_, i) => dirs.add(`${root}/${parts.slice(0, i + 1).join("/")}`));
      dirs.add(root);
      return [`${root}/${parts.join("/")}`];
    }),
  );
  const lines = [...new Set([...matched, ...dirs])]
    .sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0))
    .map((p) => (dirs.has(p) ? `dir ${p}\n` : `file - ${createHash("sha256").update(files[p.replace(/^(\.\/)+/, "")]!).digest("hex")}  ${p}\n`))
    .join("");
  const perCommit = reads.unpinned.length > 0 ? `commit ${commit}\n` : "";
  return createHash("sha256").update(`dockerfile ${dockerfile}\nbase ${base}\nplatform ${machine()}\n${perCommit}${lines}`).digest("hex").slice(0, 40);
}

/**
 * A project whose `.gitlab-ci.yml` includes a generated template, run by gitlab-ci-local with the
 * fake registry as `docker`, `aws` and `buildctl-daemonless.sh`. GitLab's workflow:rules:variables
 * are applied here (gitlab-ci-local 4.70 does not evaluate workflow rules): the first matching
 * rule's variables, expanded, are passed as pipeline variables, as GitLab does.
 */
export class FlowProject {
  public readonly repo: CiRepo;
  public readonly state: string;
  public readonly pipelines: FlowPipeline[] = [];
  private nextId = 1000;
  private runCount = 0;

  public constructor(
    public readonly template: CiTemplate,
    files: Readonly<Record<string, string>>,
    /** Project and group variables; `protectedOnly` ones reach protected pipelines only. */
    private readonly variables: { readonly all: Readonly<Record<string, string>>; readonly protectedOnly: Readonly<Record<string, string>> },
    private readonly mutable: readonly string[],
    /** The fake registry's IAM table (`FAKE_IAM`, see flow-iam.ts); without it the registry checks no permissions. */
    private readonly iam?: string,
  ) {
    // The shims reach the fake registry through a socket of this process (registry-server.ts), or start it with node.
    this.repo = new CiRepo(files, { docker: shimScript("docker", SCRIPT), aws: shimScript("aws", SCRIPT), "buildctl-daemonless.sh": shimScript("buildctl", SCRIPT) });
    this.state = path.join(this.repo.dir, ".shims", "registry.json");
  }

  /** The registry state now. */
  public registry(): RegistryState {
    return fakeRegistry.load(this.state);
  }

  /** The files of the checked-out commit (tracked files only). */
  public files(): Record<string, string> {
    const list = this.repo.git("ls-files").stdout.split("\n").filter(Boolean);
    return Object.fromEntries(list.map((f) => [f, readFileSync(path.join(this.repo.dir, f), "utf8")]));
  }

  /** Runs a pipeline (or, with `jobs`, retries those jobs of pipeline `retryOf`) at `day` of the sequence. */
  public async pipeline(
    name: string,
    trigger: Trigger,
    day: number,
    options: {
      jobs?: readonly string[];
      retryOf?: FlowPipeline;
      env?: Readonly<Record<string, string>>;
      override?: Readonly<Record<string, string>>;
      /** Pipeline variables (a manual run's, API, schedule): they override every other variable, predefined ones included, as in GitLab. */
      pipelineVariables?: Readonly<Record<string, string>>;
    } = {},
  ): Promise<FlowPipeline> {
    const ref = trigger.kind === "tag" ? trigger.tag : trigger.branch;
    this.repo.git("checkout", "-q", ref);
    // GitLab hands a branch pipeline's jobs the refspec +refs/heads/<branch>:refs/remotes/origin/<branch>
    // (build_runner_presenter.rb, refspec_for_branch): the checkout's origin/<branch> is the branch head at job start.
    if (trigger.kind !== "tag" && trigger.kind !== "merge_request") this.repo.git("update-ref", `refs/remotes/origin/${trigger.branch}`, this.repo.sha);
    // A retried job runs its own pipeline's commit, wherever the branch is now.
    if (options.retryOf) this.repo.git("checkout", "-q", "--detach", options.retryOf.sha);
    const sha = this.repo.sha;
    const id = options.retryOf?.id ?? ++this.nextId;
    const protectedRef = trigger.kind !== "merge_request" && (trigger.kind === "tag" || trigger.branch === "main");
    const predefined: Record<string, string> = {
      CI_DEFAULT_BRANCH: "main",
      CI_COMMIT_SHA: sha,
      CI_PIPELINE_ID: String(id),
      CI_PIPELINE_SOURCE: trigger.kind === "merge_request" ? "merge_request_event" : trigger.kind === "tag" ? "push" : trigger.kind,
      ...(trigger.kind === "merge_request" ? { CI_MERGE_REQUEST_IID: String(trigger.iid) } : {}),
      ...(trigger.kind === "tag" ? { CI_COMMIT_TAG: trigger.tag } : { CI_COMMIT_BRANCH: trigger.branch }),
    };
    if (trigger.kind === "merge_request") delete predefined.CI_COMMIT_BRANCH;
    const visible = { ...this.variables.all, ...(protectedRef ? this.variables.protectedOnly : {}), ...predefined };
    const rule = (this.template.config.workflow?.rules ?? []).find((r: CiRule) => r.if !== undefined && evaluateIf(r.if, visible));
    if (!rule) throw new Error(`no workflow rule admits pipeline ${name}`);
    const workflow = Object.fromEntries(Object.entries(rule.variables ?? {}).map(([k, v]) => [k, expand(v, visible)]));
    const variables = {
      ...this.variables.all,
      ...(protectedRef ? this.variables.protectedOnly : {}),
      ...workflow,
      // What a project's own .gitlab-ci.yml may set on top of the template (an attacker's merge request).
      ...(options.override ?? {}),
      PLATFORM_IMAGE_BUILDER: protectedRef ? "docker" : "buildkit-rootless",
      AWS_WEB_IDENTITY_TOKEN_FILE: path.join(this.repo.dir, ".oidc-token"),
      CI_PIPELINE_ID: String(id),
      CI_PIPELINE_SOURCE: predefined.CI_PIPELINE_SOURCE!,
      ...(trigger.kind === "merge_request" ? { CI_MERGE_REQUEST_IID: String(trigger.iid) } : {}),
      ...(trigger.kind === "tag" ? { CI_COMMIT_TAG: trigger.tag } : {}),
      // GitLab's value, also for a retried job whose checkout is detached at its pipeline's commit.
      ...(trigger.kind !== "tag" && trigger.kind !== "merge_request" ? { CI_COMMIT_BRANCH: trigger.branch } : {}),
      ...(options.pipelineVariables ?? {}),
    };
    const unset = trigger.kind === "merge_request" || trigger.kind === "tag" ? ["CI_COMMIT_BRANCH"] : [];
    // Counted when the run starts: runs may overlap (concurrent pipelines against one registry).
    const runNumber = ++this.runCount;
    const env = {
      FAKE_REGISTRY_PORT: String(await registryPort()),
      FAKE_RUN: String(runNumber),
      FAKE_REGISTRY_STATE: this.state,
      FAKE_NOW: new Date(START.getTime() + day * DAY).toISOString(),
      FAKE_MUTABLE: this.mutable.join(","),
      ...(this.iam ? { FAKE_IAM: this.iam } : {}),
      ...options.env,
    };
    // GitLab's CI schema is checked on the first run; the template does not change afterwards.
    const flags = this.pipelines.length > 0 ? ["--no-json-schema-validation"] : [];
    const run = await this.repo.runPipeline(variables, unset, env, [...(options.jobs ?? []), ...flags]);
    const pipeline = { id, seq: runNumber, name, trigger, sha, day, variables, run };
    this.pipelines.push(pipeline);
    return pipeline;
  }

  /** The image a job extending `.in-<image>-image` runs in a pipeline: the template's `image:` expanded as the runner does. */
  public imageOf(pipeline: FlowPipeline, image: string): string {
    const job = this.template.config.jobs[`.in-${image}-image`];
    return expand(job!.image!, pipeline.variables);
  }

  /** The registry log of shim calls (for failure messages). */
  public log(): string {
    const file = `${this.state}.log`;
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }
}
