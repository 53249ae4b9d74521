import { readFileSync } from "node:fs";
import path from "node:path";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/** Reads a file shipped next to this module in `assets/` (copied to dist/ by `npm run build`). */
function asset(name: string): string {
  return readFileSync(path.join(__dirname, "assets", name), "utf8");
}

/**
 * A shell script without its whole-line comments and blank lines (the shebang
 * and `# shellcheck` directives stay), to keep user data small. Only lines
 * that start with `#` are removed: no quoting context spans lines in the
 * scripts this is used on (shellcheck checks the result).
 */
export function stripShellComments(script: string): string {
  return script
    .split("\n")
    .filter((line, i) => i === 0 || !(line.trim() === "" || (/^\s*#/.test(line) && !/^\s*#\s*shellcheck /.test(line))))
    .join("\n")
    .concat(script.endsWith("\n") ? "\n" : "");
}

/**
 * The files in `assets/` the on-host script is joined from, in order: settings and the
 * helpers every part uses, then one file per concern, the dispatcher (`main "$@"`) last.
 */
export const RUNNER_FLEET_SCRIPT_PARTS: readonly string[] = [
  "runner-fleet.sh",
  "runner-fleet-drain.sh",
  "runner-fleet-metrics.sh",
  "runner-fleet-disk.sh",
  "runner-fleet-configure.sh",
  "runner-fleet-main.sh",
];

/** The directive a part after the first starts with, so an editor's shellcheck knows its shell. */
const PART_SHELL_DIRECTIVE = "# shellcheck shell=bash\n";

/**
 * Joins script parts into one script: the first whole (its shebang stays first), each
 * later one without its leading `# shellcheck shell=bash` line (a directive after the
 * first command would be out of place in the joined script).
 */
export function joinScriptParts(parts: readonly string[]): string {
  return parts
    .map((part, i) => (i > 0 && part.startsWith(PART_SHELL_DIRECTIVE) ? part.slice(PART_SHELL_DIRECTIVE.length) : part))
    .map((part) => (part.endsWith("\n") ? part : `${part}\n`))
    .join("\n");
}

/**
 * The on-host script (`runner-fleet configure|may-start|watch|publish-metric|clean-disk`):
 * {@link RUNNER_FLEET_SCRIPT_PARTS} joined, comments stripped (the sources in assets/ document it).
 * Hosts get it as one file (`HOST_PATHS.script`).
 */
export const RUNNER_FLEET_SCRIPT: string = stripShellComments(joinScriptParts(RUNNER_FLEET_SCRIPT_PARTS.map(asset)));

/**
 * The installer a host runs first when its script comes from SSM (`install-runner-fleet`:
 * reads the parameters, checks the SHA-256, writes the script), comments stripped.
 */
export const INSTALL_SCRIPT: string = stripShellComments(asset("install-runner-fleet.sh"));

/** logrotate rules for the fleet's log files. */
export const RUNNER_FLEET_LOGROTATE: string = asset("logrotate.conf");

const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
const ENV_VALUE = /^[A-Za-z0-9_./:@+,=%-]*$/;

/**
 * Renders `KEY=value` lines, readable both as a systemd EnvironmentFile and by
 * bash's `.`: values are restricted to characters that need no quoting in
 * either (tokens are skipped: they resolve to AWS names and ARNs).
 */
export function renderEnvironmentFile(where: string, variables: Readonly<Record<string, string | number>>): string {
  return Object.entries(variables)
    .map(([key, raw]) => {
      const value = String(raw);
      check(ENV_KEY.test(key), {
        path: where,
        subject: "environment variable name",
        value: key,
        rule: "upper-case letters, digits and '_'",
        fix: "rename the variable",
      });
      check(isUnresolved(value) || ENV_VALUE.test(value), {
        path: where,
        subject: `environment value of ${key}`,
        value,
        rule: "letters, digits and _ . / : @ + , = % - only (no spaces, quotes or $), so systemd and bash read it the same",
        fix: "use a simpler value (names, numbers, ARNs)",
      });
      return `${key}=${value}\n`;
    })
    .join("");
}

/** A systemd unit or drop-in: sections of `Key=value` settings; a list repeats the key. */
export type SystemdUnit = Readonly<Record<string, Readonly<Record<string, string | number | readonly string[]>>>>;

/** Renders a systemd unit file (`[Section]` then `Key=value` lines). Values may not contain newlines. */
export function renderSystemdUnit(unit: SystemdUnit): string {
  return Object.entries(unit)
    .map(([section, settings]) => {
      const lines = Object.entries(settings).flatMap(([key, value]) =>
        (Array.isArray(value) ? value : [value]).map((v: string | number) => {
          if (/[\r\n]/.test(String(v))) throw new Error(`systemd setting ${section}.${key} contains a newline`);
          return `${key}=${v}`;
        }),
      );
      return `[${section}]\n${lines.join("\n")}\n`;
    })
    .join("\n");
}
