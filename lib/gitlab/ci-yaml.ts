import { Document } from "yaml";

/**
 * A typed subset of `.gitlab-ci.yml`, enough for the generated templates,
 * rendered with the `yaml` library (never by string concatenation).
 */

/** `when` values of jobs and rules. */
export type CiWhen = "on_success" | "manual" | "never" | "always" | "on_failure" | "delayed";

/** One `rules:` entry. */
export interface CiRule {
  /**
   * Condition (GitLab CI expression).
   * @default omitted (GitLab's default applies)
   */
  readonly if?: string;
  /**
   * Files whose change makes the rule match.
   * @default omitted (GitLab's default applies)
   */
  readonly changes?: readonly string[];
  /**
   * When the job runs if the rule matches.
   * @default omitted (GitLab's default applies)
   */
  readonly when?: CiWhen;
  /**
   * Let a manual job be skipped without blocking the pipeline.
   * @default omitted (GitLab's default applies)
   */
  readonly allow_failure?: boolean;
  /**
   * Variables set when the rule matches.
   * @default omitted (GitLab's default applies)
   */
  readonly variables?: Readonly<Record<string, string>>;
}

/** `environment:` of a job. */
export interface CiEnvironment {
  /** Environment name (CI variables allowed). */
  readonly name: string;
  /**
   * `start` (default), `stop`, or `prepare` / `verify` / `access` for jobs that use the
   * environment without deploying to it (GitLab CI/CD YAML reference, `environment:action`).
   * @default omitted (GitLab's default applies)
   */
  readonly action?: "start" | "stop" | "prepare" | "verify" | "access";
  /**
   * The job that stops this environment.
   * @default omitted (GitLab's default applies)
   */
  readonly on_stop?: string;
  /**
   * Stop the environment automatically after this period.
   * @default omitted (GitLab's default applies)
   */
  readonly auto_stop_in?: string;
}

/** A `needs:` entry. */
export interface CiNeed {
  /** Job name. */
  readonly job: string;
  /**
   * Do not fail when the job is not in the pipeline.
   * @default omitted (GitLab's default applies)
   */
  readonly optional?: boolean;
}

/**
 * One `cache:` entry of a job (GitLab CI/CD YAML syntax reference, `cache`): the runner
 * restores it before the job and saves it after, in the runner's cache (S3 on the platform's
 * runners, under the runner's own `[runners.cache] Path`).
 */
export interface CiCache {
  /** Cache key: a string (CI variables allowed, expanded by the runner), or a key computed from up to two files' contents plus a prefix. */
  readonly key: string | { readonly files: readonly string[]; readonly prefix?: string };
  /** Paths to cache, relative to the project directory. */
  readonly paths: readonly string[];
  /**
   * When the cache is saved: `on_success`, `on_failure` or `always`.
   * @default omitted (GitLab's default, on_success)
   */
  readonly when?: "on_success" | "on_failure" | "always";
  /**
   * `pull`, `push` or `pull-push`.
   * @default omitted (GitLab's default, pull-push)
   */
  readonly policy?: "pull" | "push" | "pull-push";
  /**
   * Keys tried in order when `key` has no cache yet.
   * @default omitted (none)
   */
  readonly fallback_keys?: readonly string[];
}

/** One job (or hidden job, name starting with `.`). */
export interface CiJob {
  /**
   * Stage.
   * @default omitted (GitLab's default applies)
   */
  readonly stage?: string;
  /**
   * Hidden jobs this job extends.
   * @default omitted (GitLab's default applies)
   */
  readonly extends?: string | readonly string[];
  /**
   * Job image.
   * @default omitted (GitLab's default applies)
   */
  readonly image?: string;
  /**
   * Runner tags.
   * @default omitted (GitLab's default applies)
   */
  readonly tags?: readonly string[];
  /**
   * Cancel the job when a newer pipeline starts on the same ref.
   * @default omitted (GitLab's default applies)
   */
  readonly interruptible?: boolean;
  /**
   * OIDC ID tokens.
   * @default omitted (GitLab's default applies)
   */
  readonly id_tokens?: Readonly<Record<string, { readonly aud: string | readonly string[] }>>;
  /**
   * Job variables.
   * @default omitted (GitLab's default applies)
   */
  readonly variables?: Readonly<Record<string, string>>;
  /**
   * Jobs this job needs.
   * @default omitted (GitLab's default applies)
   */
  readonly needs?: readonly (string | CiNeed)[];
  /**
   * Jobs whose artifacts this job downloads; `[]` downloads none (GitLab CI/CD YAML syntax
   * reference, `dependencies`: "Set to an empty array ([]) to configure the job to not download
   * any artifacts"). Without it, a job without `needs` downloads the artifacts of every job of
   * earlier stages.
   * @default omitted (GitLab's default applies)
   */
  readonly dependencies?: readonly string[];
  /**
   * Rules.
   * @default omitted (GitLab's default applies)
   */
  readonly rules?: readonly CiRule[];
  /**
   * Commands before `script`.
   * @default omitted (GitLab's default applies)
   */
  readonly before_script?: readonly string[];
  /**
   * Commands.
   * @default omitted (GitLab's default applies)
   */
  readonly script?: readonly string[];
  /**
   * Environment.
   * @default omitted (GitLab's default applies)
   */
  readonly environment?: CiEnvironment;
  /**
   * Caches restored before and saved after the job.
   * @default omitted (no cache)
   */
  readonly cache?: readonly CiCache[];
  /**
   * Jobs of one resource group run one at a time, across pipelines (GitLab `resource_group`).
   * @default omitted (GitLab's default applies)
   */
  readonly resource_group?: string;
  /**
   * When the job runs (without `rules`).
   * @default omitted (GitLab's default applies)
   */
  readonly when?: CiWhen;
}

/** A `.gitlab-ci.yml` document: global keywords plus jobs. */
export interface CiConfig {
  /**
   * `include:` entries.
   * @default omitted (GitLab's default applies)
   */
  readonly include?: ReadonlyArray<{ readonly project: string; readonly file: string | readonly string[]; readonly ref?: string } | { readonly local: string }>;
  /**
   * Stages in order.
   * @default omitted (GitLab's default applies)
   */
  readonly stages?: readonly string[];
  /**
   * Global variables (every job).
   * @default omitted (GitLab's default applies)
   */
  readonly variables?: Readonly<Record<string, string>>;
  /**
   * Pipeline-level rules; a matching rule's `variables` become pipeline variables of every
   * job (GitLab "workflow:rules:variables", CI/CD YAML syntax reference).
   * @default omitted (GitLab's default applies)
   */
  readonly workflow?: { readonly rules: readonly CiRule[] };
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
