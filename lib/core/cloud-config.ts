import { stringify } from "yaml";
import { registerRenderedCloudConfig } from "./rendered-texts";

/** A file cloud-init writes (`write_files` entry). */
export interface CloudConfigFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** File content (plain text). */
  readonly content: string;
  /** Octal mode as a string, e.g. `0600`. */
  readonly permissions: string;
  /**
   * owner:group.
   * @default "root:root"
   */
  readonly owner?: string;
}

/** A package to install: a name, or `[name, version]` to pin it. */
export type CloudConfigPackage = string | readonly [name: string, version: string];

/** The subset of cloud-config our hosts (runner hosts, mirror host) use, with cloud-init's own key names. */
export interface CloudConfigDocument {
  /**
   * Refresh the package index before installing (`package_update`).
   * @default cloud-init's default (no refresh)
   */
  readonly package_update?: boolean;
  /** Packages to install (`packages`). */
  readonly packages: readonly CloudConfigPackage[];
  /** Files to write (`write_files`), before packages are installed. */
  readonly write_files: readonly CloudConfigFile[];
  /** Commands run once at first boot, as argument vectors (no shell), in order (`runcmd`). */
  readonly runcmd: ReadonlyArray<readonly string[]>;
}

/**
 * Renders cloud-config user data: the `#cloud-config` header and the document written by a YAML
 * serializer. The text is recorded with its document (lib/core/rendered-texts.ts), so the rule
 * pack can read a synthesized text that is exactly this one from the document instead of parsing it.
 */
export function renderCloudConfig(document: CloudConfigDocument): string {
  const text = cloudConfigText(document);
  registerRenderedCloudConfig(text, document);
  return text;
}

/** The text {@link renderCloudConfig} renders for `document`, without recording it (to compare a text with a document). */
export function cloudConfigText(document: CloudConfigDocument): string {
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}
