import { Document } from "yaml";

/**
 * A typed subset of `.gitlab-ci.yml`, enough for the generated templates,
 * rendered with the `yaml` library (never by string concatenation).
 */

/** `when` values of jobs and rules. */
export type CiWhen = "on_success" | "manual" | "never" | "always" | "on_failure" | "delayed";

/** One `rules:` entry. */
export interface CiRule {
  /** Condition (GitLab CI expression). */
  readonly if?: string;
  /** Files whose change makes the rule match. */
  readonly changes?: readonly string[];
  /** When the job runs if the rule matches. */
  readonly when?: CiWhen;
  /** Let a manual job be skipped without blocking the pipeline. */
  readonly allow_failure?: boolean;
  /** Variables set when the rule matches. */
  readonly variables?: Readonly<Record<string, string>>;
}

/** `environment:` of a job. */
export interface CiEnvironment {
  /** Environment name (CI variables allowed). */
  readonly name: string;
  /** `start` (default) or `stop`. */
  readonly action?: "start" | "stop" | "prepare" | "verify" | "access";
  /** The job that stops this environment. */
  readonly on_stop?: string;
  /** Stop the environment automatically after this period. */
  readonly auto_stop_in?: string;
  /** URL of the environment. */
  readonly url?: string;
}

/** A `needs:` entry. */
export interface CiNeed {
  /** Job name. */
  readonly job: string;
  /** Do not fail when the job is not in the pipeline. */
  readonly optional?: boolean;
  /** Download the job's artifacts. */
  readonly artifacts?: boolean;
}

/** One job (or hidden job, name starting with `.`). */
export interface CiJob {
  /** Stage. */
  readonly stage?: string;
  /** Hidden jobs this job extends. */
  readonly extends?: string | readonly string[];
  /** Job image. */
  readonly image?: string | { readonly name: string; readonly entrypoint?: readonly string[] };
  /** Runner tags. */
  readonly tags?: readonly string[];
  /** Cancel the job when a newer pipeline starts on the same ref. */
  readonly interruptible?: boolean;
  /** OIDC ID tokens. */
  readonly id_tokens?: Readonly<Record<string, { readonly aud: string | readonly string[] }>>;
  /** Job variables. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Jobs this job needs. */
  readonly needs?: readonly (string | CiNeed)[];
  /** Rules. */
  readonly rules?: readonly CiRule[];
  /** Commands before `script`. */
  readonly before_script?: readonly string[];
  /** Commands. */
  readonly script?: readonly string[];
  /** Environment. */
  readonly environment?: CiEnvironment;
  /** Allow the job to fail. */
  readonly allow_failure?: boolean;
  /** When the job runs. */
  readonly when?: CiWhen;
  /** Resource group (one job at a time). */
  readonly resource_group?: string;
}

/** A `.gitlab-ci.yml` document: global keywords plus jobs. */
export interface CiConfig {
  /** `include:` entries. */
  readonly include?: ReadonlyArray<{ readonly project: string; readonly file: string | readonly string[]; readonly ref?: string } | { readonly local: string }>;
  /** Stages in order. */
  readonly stages?: readonly string[];
  /** Pipeline-level rules. */
  readonly workflow?: { readonly rules: readonly CiRule[] };
  /** Global variables. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Jobs by name. */
  readonly jobs: Readonly<Record<string, CiJob>>;
}

/** Renders a CI config as YAML, with a comment header. Jobs follow the global keywords. */
export function renderCiYaml(config: CiConfig, header: readonly string[] = []): string {
  const { jobs, ...globals } = config;
  const doc = new Document({ ...globals, ...jobs }, { aliasDuplicateObjects: false });
  if (header.length > 0) doc.commentBefore = header.map((line) => ` ${line}`).join("\n");
  return doc.toString({ lineWidth: 0 });
}
