/**
 * RUN001: GitLab Runner configurations that hand the host to jobs (docker
 * socket binding, privileged containers, host mounts, host networking) on
 * runners that take jobs from unprotected refs.
 *
 * The rule reads `config.toml` files written by cloud-init (`write_files`) in
 * the user data of launch templates and instances (Terraform locals and
 * base64/gzip encodings are followed), and links each `[[runners]]` entry to
 * its `gitlab_user_runner` registration through its token: a direct
 * `${gitlab_user_runner.x.token}` reference, or an SSM parameter holding that
 * token whose name the user data maps to the entry's token placeholder
 * (`*_PARAMETER_<n>=<name>` and `*_PLACEHOLDER_<n>=<placeholder>` lines).
 * A registration is protected only with `access_level = "ref_protected"`
 * (the GitLab provider's default is `not_protected`).
 *
 * Sources: GitLab Runner docs, "Advanced configuration" ([runners.docker]
 * `privileged`, `volumes`, `network_mode`, `cap_add`; [runners.autoscaler]
 * `max_use_count`) and "Use Docker socket binding" (the job gets root on the
 * host); GitLab provider docs for gitlab_user_runner (`access_level`).
 */
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { type RuleViolation, type SecurityRule } from "../rule";
import { renderedCloudConfigOf } from "../rendered-cloud-config";
import { readUserData, userDataElements } from "../secrets";
import { noteRuleShortcut, ruleShortcutOn } from "../shortcuts";
import { isRecord, referencesIn, strings, type StackElement, type StackModel } from "../stack-model";

/** Host paths whose mount gives a job the docker socket or control over the host. */
const SENSITIVE_HOST_PATHS = ["/", "/etc", "/root", "/home", "/var", "/var/run", "/run", "/var/run/docker.sock", "/run/docker.sock", "/var/lib/docker", "/proc", "/sys", "/dev", "/boot", "/usr", "/bin", "/sbin", "/lib"];
/** Capabilities that amount to root on the host. */
const HOST_CAPABILITIES = ["ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_ADMIN", "DAC_READ_SEARCH"];

/** One `[[runners]]` entry found in a host's user data. */
interface RunnerEntry {
  readonly host: StackElement;
  readonly file: string;
  readonly config: Record<string, unknown>;
}

/** The marker a runner configuration file holds; only files whose text has it are read. */
const RUNNERS_TABLE = "[[runners]]";

/**
 * False only when no string value of the YAML text can contain `[[runners]]`, so parsing it
 * cannot find a runner configuration (a cheap test before the YAML parse, which is most of
 * RUN001's time).
 *
 * Why it never skips one: YAML builds a string value from the characters of the text, except
 * (YAML 1.2.2, 7.3 flow scalar styles, 8.1 block scalars) that line folding turns a single line
 * break into a space or keeps it as a line break (never joining two characters), and that a
 * double-quoted scalar's escapes stand for other characters: of those, only `\x`, `\u` and `\U`
 * can stand for a character of `[[runners]]`, and an escaped line break (`\` before a line break)
 * joins the text around it, dropping the next line's leading white space. Aliases repeat
 * values written elsewhere in the text. So a value holding `[[runners]]` means the text holds it
 * once escaped line breaks are joined (joining more than YAML would only lets more texts
 * through), or the text holds a `\x`/`\u`/`\U` escape; `test/checks/runner-prefilter.properties.test.ts`
 * checks this against the parser. Sources: YAML 1.2.2, 7.3.1 "Double-Quoted Style" (escaped line
 * breaks exclude the next line's leading white space); `yaml` 2.9.1, `compose/resolve-flow-scalar.js`
 * (its escape table: only `x`, `u`, `U` take code points; an unknown escape is an error, so the
 * parse fails and finds nothing).
 */
export function mayHoldRunnerConfig(text: string): boolean {
  if (/\\[xuU]/.test(text)) return true;
  return text.includes(RUNNERS_TABLE) || text.replace(/\\(?:\r\n|\r|\n)[ \t\r\n]*/g, "").includes(RUNNERS_TABLE);
}

/**
 * The `config.toml`-like files of a cloud-config text (write_files entries with `[[runners]]`).
 * Texts the pre-filter lets through are parsed, except a text `renderCloudConfig` rendered in this
 * process, which is read from its document (the `rendered-cloud-config` shortcut: the files its YAML
 * parse gives, see rendered-cloud-config.ts).
 */
function runnerFiles(text: string): Array<{ path: string; content: string }> {
  if (!mayHoldRunnerConfig(text)) return [];
  const rendered = ruleShortcutOn("rendered-cloud-config") ? renderedCloudConfigOf(text) : undefined;
  if (rendered) {
    noteRuleShortcut("rendered-cloud-config");
    return runnerFilesIn(rendered);
  }
  return parseRunnerFiles(text);
}

/** {@link runnerFiles} without the pre-filter and the shortcut: parses every cloud-config text. */
export function parseRunnerFiles(text: string): Array<{ path: string; content: string }> {
  if (!/^#cloud-config/.test(text.trimStart())) return [];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return [];
  }
  return runnerFilesIn(doc);
}

/** The write_files entries of a parsed (or rendered) cloud-config document that hold `[[runners]]` as plain text. */
function runnerFilesIn(doc: unknown): Array<{ path: string; content: string }> {
  const files = isRecord(doc) && Array.isArray(doc.write_files) ? doc.write_files.filter(isRecord) : [];
  return files
    .filter((f) => typeof f.content === "string" && f.content.includes(RUNNERS_TABLE) && (f.encoding === undefined || f.encoding === "text/plain"))
    .map((f) => ({ path: String(f.path ?? "(no path)"), content: f.content as string }));
}

/** The `[[runners]]` entries of every host, and the hosts whose runner config could not be parsed. */
function runnerEntries(model: StackModel): { entries: RunnerEntry[]; unreadable: RuleViolation[] } {
  const entries: RunnerEntry[] = [];
  const unreadable: RuleViolation[] = [];
  for (const host of userDataElements(model)) {
    const read = readUserData(model, host);
    const seen = new Set<string>();
    for (const file of read.texts.flatMap(runnerFiles)) {
      if (seen.has(file.content)) continue;
      seen.add(file.content);
      try {
        const toml = parseToml(file.content);
        const list: unknown[] = Array.isArray(toml.runners) ? toml.runners : [];
        const runners = list.filter(isRecord);
        entries.push(...runners.map((config) => ({ host, file: file.path, config })));
      } catch (error) {
        unreadable.push({ element: host, unchecked: true, detail: `${file.path} in its user data is not valid TOML (${(error as Error).message.split("\n")[0]})` });
      }
    }
    if (seen.size === 0 && read.unresolved.length > 0 && read.texts.some((t) => t.includes("gitlab-runner"))) {
      unreadable.push({ element: host, unchecked: true, detail: `its user data installs gitlab-runner but is known only at apply time (${read.unresolved.join("; ")})` });
    }
  }
  return { entries, unreadable };
}

/** The registrations (gitlab_user_runner elements) whose token a runner entry uses. */
function registrationsOf(model: StackModel, entry: RunnerEntry): StackElement[] {
  const token = typeof entry.config.token === "string" ? entry.config.token : "";
  const direct = referencesIn(token).filter((r) => r.type === "gitlab_user_runner");
  if (direct.length > 0) return direct.flatMap((r) => model.get(r.address) ?? []);
  if (token === "") return [];
  // Placeholder mapping lines in the user data: <PREFIX>_PLACEHOLDER_<n>=<token> and <PREFIX>_PARAMETER_<n>=<name>.
  const texts = readUserData(model, entry.host).texts;
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const names = texts.flatMap((text) =>
    [...text.matchAll(new RegExp(`\\b([A-Z0-9_]+)_PLACEHOLDER_(\\d+)=["']?${escaped}["']?\\s*$`, "gm"))].flatMap((m) =>
      [...text.matchAll(new RegExp(`\\b${m[1]}_PARAMETER_${m[2]}=["']?([^\\s"']+)`, "g"))].map((p) => p[1]!),
    ),
  );
  return model
    .resources("aws_ssm_parameter")
    .filter((p) => names.includes(String(p.config.name)))
    .flatMap((p) => referencesIn(p.config.value).filter((r) => r.type === "gitlab_user_runner"))
    .flatMap((r) => model.get(r.address) ?? []);
}

/** What in a runner entry hands the host to its jobs. */
export function hostExposures(config: Record<string, unknown>): string[] {
  const docker = isRecord(config.docker) ? config.docker : {};
  const found: string[] = [];
  if (docker.privileged === true) found.push("privileged = true");
  for (const volume of strings(docker.volumes)) {
    const parts = volume.split(":");
    if (parts.length < 2) continue; // an anonymous volume such as "/cache"
    const host = path.posix.normalize(parts[0]!).replace(/(.)\/+$/, "$1");
    if (SENSITIVE_HOST_PATHS.includes(host)) found.push(`volume "${volume}" (${/docker\.sock$|^\/(var\/)?run$|^\/$|^\/var$/.test(host) ? "the docker socket" : "a host path"})`);
  }
  if (docker.network_mode === "host") found.push('network_mode = "host" (the instance metadata service is one hop away)');
  const caps = strings(docker.cap_add).filter((c) => HOST_CAPABILITIES.includes(c.toUpperCase().replace(/^CAP_/, "")));
  if (caps.length > 0) found.push(`cap_add ${JSON.stringify(caps)}`);
  return found;
}

/** True for a docker-autoscaler runner whose VMs each run one job (single-use VMs). */
function singleUseVms(config: Record<string, unknown>): boolean {
  const autoscaler = isRecord(config.autoscaler) ? config.autoscaler : {};
  return config.executor === "docker-autoscaler" && autoscaler.max_use_count === 1;
}

/** RUN001: socket binding, privileged mode or host mounts on runners that take unprotected jobs. */
export const runnerHostExposure: SecurityRule = {
  id: "RUN001",
  title: "Runner hands its host to jobs from unprotected refs",
  rationale:
    "Docker socket binding, privileged mode, host mounts and host networking give a job root on the runner host: it reads other jobs, the host role's credentials (the metadata hop limit does not help against a host-network container) and every token on the host. Any developer's branch or merge request can do this on a runner that takes unprotected jobs.",
  severity: "error",
  resourceTypes: ["aws_launch_template", "aws_instance", "aws_spot_instance_request", "aws_launch_configuration", "data.cloudinit_config", "gitlab_user_runner", "aws_ssm_parameter"],
  fix: 'give such runners only protected jobs (gitlab_user_runner access_level = "ref_protected"), or drop the socket/privileged/host mounts (build images with BuildKit rootless or kaniko), or run them on single-use VMs (docker-autoscaler with max_use_count = 1)',
  check: (model) => {
    const { entries, unreadable } = runnerEntries(model);
    const byHost = new Map<StackElement, string[]>();
    for (const entry of entries) {
      const exposures = hostExposures(entry.config);
      if (exposures.length === 0 || singleUseVms(entry.config)) continue;
      const registrations = registrationsOf(model, entry);
      const open = registrations.filter((r) => r.config.access_level !== "ref_protected");
      if (registrations.length > 0 && open.length === 0) continue;
      const name = typeof entry.config.name === "string" ? `runner "${entry.config.name}"` : "a runner";
      const why =
        registrations.length === 0
          ? "its registration is not known at synth, so it is taken to accept unprotected jobs"
          : `its registration ${open.map((r) => r.address).join(", ")} has access_level ${JSON.stringify(open[0]!.config.access_level ?? "not_protected (default)")}`;
      byHost.set(entry.host, [...(byHost.get(entry.host) ?? []), `${name} in ${entry.file} has ${exposures.join(", ")} and ${why}`]);
    }
    return [...[...byHost].map(([element, details]) => ({ element, detail: details.join("; ") })), ...unreadable];
  },
};
