import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { runTool, type ToolRun } from "./conformance";

/**
 * gitlab-ci-local (a devDependency, 4.70.1: later 4.7x releases need a newer
 * Node) validates a pipeline against GitLab's JSON schema, evaluates
 * `rules:` (including `rules:changes` against `origin/<default branch>`) and,
 * with `--force-shell-executor`, runs the job scripts on this host. The
 * helpers here run generated templates in a throw-away git repository where
 * `docker`, `aws`, `terraform`, `npm` and `apk` are shims that only log their
 * arguments, so a test sees exactly which images a pipeline pushes.
 *
 * gitlab-ci-local takes about a second per run (most of it JSON-schema
 * validation, done once per configuration: see schemaKey), so the calls are
 * asynchronous, each with its own state directory and shim log: a test file
 * starts all its runs at once.
 */
export const GITLAB_CI_LOCAL = path.resolve(__dirname, "../../node_modules/.bin/gitlab-ci-local");

/** Where {@link schemaKey}s of configurations gitlab-ci-local validated are marked (one empty file each). */
const SCHEMA_VALIDATED = path.join(tmpdir(), "gcl-schema-validated");
const GITLAB_CI_LOCAL_VERSION = (JSON.parse(readFileSync(path.resolve(__dirname, "../../node_modules/gitlab-ci-local/package.json"), "utf8")) as { version: string }).version;

/**
 * The key of what gitlab-ci-local's JSON-schema check reads in a repository, or undefined when it
 * cannot be told from the files. gitlab-ci-local 4.70 validates the configuration after includes
 * and `extends` (`Parser.create`: `jsonSchemaValidation({ gitLabCiConfig: gitlabData })`, before
 * any rule or job runs), so the result follows from the YAML files of the repository (the
 * `.gitlab-ci.yml` and the local files it includes) and gitlab-ci-local's version, not from the
 * variables (`.gitlab-ci-local-variables.yml`, `--variable`), except where an `include` has
 * `rules` or a variable in its path: such a repository gets no key (every run validates). About 0.8 s of
 * CPU of a 1.4 s `--list-json` run is the schema check; a configuration validated once (in this or
 * an earlier test file) is not validated again.
 */
export function schemaKey(dir: string): string | undefined {
  const hash = createHash("sha256").update(`gitlab-ci-local ${GITLAB_CI_LOCAL_VERSION}\0`);
  const walk = (at: string): boolean => {
    for (const name of readdirSync(at).sort()) {
      if (name === ".git" || name === ".home" || name === ".shims" || name === "node_modules" || name.startsWith(".gitlab-ci-local-")) continue;
      const full = path.join(at, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (stat?.isDirectory()) {
        if (!walk(full)) return false;
      } else if (stat?.isFile() && /\.ya?ml$/.test(name) && name !== ".gitlab-ci-local-variables.yml") {
        const text = readFileSync(full, "utf8");
        let includes: unknown;
        try {
          includes = (parse(text) as { include?: unknown } | null)?.include;
        } catch {
          return false;
        }
        const entries = includes === undefined ? [] : Array.isArray(includes) ? includes : [includes];
        if (entries.some((entry) => JSON.stringify(entry).includes("$") || (typeof entry === "object" && entry !== null && "rules" in entry))) return false;
        hash.update(`${path.relative(dir, full)}\0${text}\0`);
      }
    }
    return true;
  };
  return walk(dir) ? hash.digest("hex").slice(0, 32) : undefined;
}

/** Commands replaced by logging shims in pipeline runs. */
export const SHIMMED_COMMANDS = ["docker", "aws", "terraform", "npm", "apk"] as const;

/** A pipeline run: gitlab-ci-local's result, the jobs that passed (sorted) and the shimmed commands in the order they ran. */
export interface PipelineRun {
  readonly run: ToolRun;
  readonly passed: string[];
  readonly commands: string[];
}

/** A throw-away git repository for gitlab-ci-local. */
export class CiRepo {
  public readonly dir: string;
  private readonly shims: string;
  private runs = 0;

  /**
   * Creates the repository with `files`, commits them on `main` and makes that commit `origin/main`.
   * @param shims replacement shim scripts by command name (default: shims that only log)
   */
  public constructor(files: Readonly<Record<string, string>>, shims: Readonly<Record<string, string>> = {}) {
    this.dir = mkdtempSync(path.join(tmpdir(), "gcl-"));
    this.shims = path.join(this.dir, ".shims");
    mkdirSync(this.shims);
    for (const command of SHIMMED_COMMANDS) {
      const shim = path.join(this.shims, command);
      // The aws shim also records the role it would act as (`role <AWS_ROLE_ARN>`).
      const role = command === "aws" ? `printf 'role %s\\n' "\${AWS_ROLE_ARN:-}" >> "$SHIM_LOG"\n` : "";
      writeFileSync(shim, shims[command] ?? `#!/bin/sh\nprintf '%s\\n' "${command} $*" >> "$SHIM_LOG"\n${role}`);
      chmodSync(shim, 0o755);
    }
    for (const [command, script] of Object.entries(shims)) {
      if ((SHIMMED_COMMANDS as readonly string[]).includes(command)) continue;
      writeFileSync(path.join(this.shims, command), script);
      chmodSync(path.join(this.shims, command), 0o755);
    }
    this.git("init", "-q", "-b", "main");
    this.git("config", "user.email", "ci@example.com");
    this.git("config", "user.name", "ci");
    writeFileSync(path.join(this.dir, ".gitignore"), ".shims/\n.shim*.log\n.gitlab-ci-local*/\n.home/\n");
    this.commit(files, "initial");
    this.git("update-ref", "refs/remotes/origin/main", "HEAD");
    this.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
    this.git("remote", "add", "origin", "https://gitlab.example.com/acme/app.git");
  }

  /** Writes and commits files. */
  public commit(files: Readonly<Record<string, string>>, message: string): void {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.dir, name)), { recursive: true });
      writeFileSync(path.join(this.dir, name), content);
    }
    this.git("add", "-A");
    this.git("commit", "-q", "-m", message);
  }

  /** The HEAD commit SHA. */
  public get sha(): string {
    return this.git("rev-parse", "HEAD").stdout.trim();
  }

  /** Runs gitlab-ci-local with `args` plus the pipeline variables, in its own state directory; `log` receives the shims' lines. */
  public gitlabCiLocal(args: readonly string[], variables: Readonly<Record<string, string>>, unset: readonly string[], log: string, env: Readonly<Record<string, string>> = {}): Promise<ToolRun> {
    const run = ++this.runs;
    const predefined = Object.keys(variables).filter((k) => k.startsWith("CI_"));
    // A configuration gitlab-ci-local validated before is not validated again (see schemaKey).
    const key = args.includes("--no-json-schema-validation") ? undefined : schemaKey(this.dir);
    const validated = key !== undefined && existsSync(path.join(SCHEMA_VALIDATED, key));
    const argv = [
      ...args,
      ...(validated ? ["--no-json-schema-validation"] : []),
      "--state-dir",
      `.gitlab-ci-local-${run}`,
      "--home",
      path.join(this.dir, ".home"),
      "--no-color",
      ...Object.entries(variables).flatMap(([k, v]) => ["--variable", `${k}=${v}`]),
      ...unset.flatMap((k) => ["--unset-variable", k]),
      ...(predefined.length > 0 ? ["--ignore-predefined-vars", predefined.join(",")] : []),
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(GITLAB_CI_LOCAL, argv, { cwd: this.dir, env: this.environment(env, log) });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (status) => {
        // gitlab-ci-local prints this line only when the configuration passed the schema check.
        if (key !== undefined && !validated && /json schema validated in /.test(stderr)) {
          mkdirSync(SCHEMA_VALIDATED, { recursive: true });
          writeFileSync(path.join(SCHEMA_VALIDATED, key), "");
        }
        resolve({ status, stdout, stderr });
      });
    });
  }

  /**
   * The environment of a gitlab-ci-local run: the shims first on PATH, and no directory after them
   * that holds a real shimmed command (outside the system directories that also hold `sh`), so a real
   * `aws` (e.g. a pyenv shim) can never be reached. HOME is the repository's own `.home` (no
   * `.bashrc`): Debian's bash sources `~/.bashrc` in a non-interactive shell whose stdin is a socket
   * and whose SHLVL is below 2 (bash built with SSH_SOURCE_BASHRC; Node gives a child's stdin a
   * socketpair), and a `.bashrc` that prepends pyenv's shims put the real `aws` before the fake one
   * whenever the test ran without SHLVL in its environment. BASH_ENV and ENV are dropped for the same reason.
   */
  private environment(env: Readonly<Record<string, string>>, log: string): NodeJS.ProcessEnv {
    const home = path.join(this.dir, ".home");
    mkdirSync(home, { recursive: true });
    const real = (dir: string) => !existsSync(path.join(dir, "sh")) && SHIMMED_COMMANDS.some((c) => existsSync(path.join(dir, c)));
    const inherited = (process.env.PATH ?? "").split(path.delimiter).filter((dir) => dir !== "" && !real(dir));
    const merged: NodeJS.ProcessEnv = { ...process.env, ...env, HOME: home, PATH: [this.shims, ...inherited].join(path.delimiter), SHIM_LOG: log };
    delete merged.BASH_ENV;
    delete merged.ENV;
    return merged;
  }

  /** Jobs of the pipeline with `when` after rules (`never` = not in the pipeline); schema-validated. */
  public async listJobs(variables: Readonly<Record<string, string>>, unset: readonly string[] = []): Promise<Record<string, string>> {
    const run = await this.gitlabCiLocal(["--list-json"], variables, unset, path.join(this.dir, `.shim-list-${this.runs + 1}.log`));
    if (run.status !== 0) throw new Error(`gitlab-ci-local --list-json failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    const jobs = JSON.parse(run.stdout) as Array<{ name: string; when: string }>;
    return Object.fromEntries(jobs.map((j) => [j.name, j.when]));
  }

  /**
   * Runs the pipeline with the shell executor (or only `jobs`, e.g. a retried job); returns the
   * jobs that passed and the shimmed commands they ran. `env` is added to the process environment.
   */
  public async runPipeline(variables: Readonly<Record<string, string>>, unset: readonly string[] = [], env: Readonly<Record<string, string>> = {}, jobs: readonly string[] = []): Promise<PipelineRun> {
    const log = path.join(this.dir, `.shim-${this.runs + 1}.log`);
    const run = await this.gitlabCiLocal([...jobs, "--force-shell-executor"], variables, unset, log, env);
    const passed = [...run.stdout.matchAll(/^\s*PASS\s+(\S+)/gm)].map((m) => m[1]!).sort();
    const commands = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    return { run, passed, commands };
  }

  /** The images pushed by a pipeline run (`docker push` arguments), in order. */
  public static pushes(commands: readonly string[]): string[] {
    return commands.filter((c) => c.startsWith("docker push ")).map((c) => c.slice("docker push ".length));
  }

  /** Removes the repository. */
  public remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs git in the repository; throws on failure. */
  public git(...args: string[]): ToolRun {
    const run = runTool("git", args, { cwd: this.dir });
    if (run.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${run.stderr}`);
    return run;
  }
}
