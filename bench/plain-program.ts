/**
 * The same resource graph as plain cdktf in plain JavaScript: reads an app's synthesized
 * output (`cdktf.out`) and writes a CommonJS program that builds every stack again with the
 * prebuilt provider classes (deep imports), one `new <Class>(stack, id, config)` per resource,
 * data source and provider with its logical id and its attributes as the constructor config
 * (camelCase; meta-arguments as overrides), and the rest of each stack (backend, variables,
 * outputs, locals) as stack overrides. No configuration model, no
 * validation, no library: what any cdktf program producing this JSON must at least do. The
 * benchmark runs both and checks that they synthesize the same JSON before timing them.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

type Json = Record<string, unknown>;

/** The module and class of a resource or data source type, e.g. `aws_ecr_repository`. */
function classOf(type: string, kind: "resource" | "data"): { module: string; name: string } {
  if (type === "terraform_data") return { module: "cdktf", name: "DataResource" };
  const provider = type.slice(0, type.indexOf("_"));
  const base = type.slice(provider.length + 1).replace(/_/g, "-");
  const module = `@cdktf/provider-${provider}/lib/${kind === "data" ? `data-${provider}-${base}` : base}`;
  const exports = require(module) as Record<string, { tfResourceType?: string }>;
  const name = Object.keys(exports).find((key) => exports[key]?.tfResourceType === type);
  if (!name) throw new Error(`no class for ${kind} ${type} in ${module}`);
  return { module, name };
}

const PROVIDERS: Record<string, { module: string; name: string }> = {
  aws: { module: "@cdktf/provider-aws/lib/provider", name: "AwsProvider" },
  gitlab: { module: "@cdktf/provider-gitlab/lib/provider", name: "GitlabProvider" },
};

/** Terraform meta-arguments: cdktf takes them as objects (providers, resources), so the program sets them as written. */
const META = new Set(["//", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioner", "connection"]);

/** `snake_case` to `camelCase`: how the prebuilt classes name an attribute or block. */
const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The constructor config of a resource: attribute and block names in camelCase, values as written.
 * Object keys that do not look like Terraform names (map keys such as tag names) are kept; map keys
 * that do (a tag named `cost_center`) would be renamed, which the benchmark's comparison catches.
 */
function configOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(configOf);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [/^[a-z][a-z0-9_]*$/.test(k) ? camel(k) : k, configOf(v)]));
}

/** Options of {@link generatePlainProgram}. */
export interface PlainProgramOptions {
  /**
   * Logical ids (`<stack>/<type>.<id>`, providers `<stack>/provider.<name>.<i>`) to build with
   * an empty config plus overrides instead of a constructor config: where the camelCase config
   * does not synthesize to the same JSON.
   */
  readonly asOverrides?: ReadonlySet<string>;
}

/**
 * The JavaScript program that rebuilds the stacks of `outdir` (a synthesized app) into its own
 * outdir: each resource, data source and provider constructed with its attributes as the
 * constructor config (camelCase), as a cdktf program would write them, and its meta-arguments
 * as overrides.
 */
export function generatePlainProgram(outdir: string, options: PlainProgramOptions = {}): string {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const imports = new Map<string, { module: string; name: string }>();
  /** The program's local name of a class: `$<n>`, one require per class. */
  const use = (c: { module: string; name: string }): string => {
    const key = `${c.module}#${c.name}`;
    if (!imports.has(key)) imports.set(key, c);
    return `$${[...imports.keys()].indexOf(key)}`;
  };
  const body: string[] = [];
  for (const [stackName, { synthesizedStackPath }] of Object.entries(manifest.stacks)) {
    const json = JSON.parse(readFileSync(path.join(outdir, synthesizedStackPath), "utf8")) as Json;
    body.push(`{ const s = new TerraformStack(app, ${JSON.stringify(stackName)});`);
    /** One element: constructor config (camelCase attributes) and meta-arguments as overrides, or everything as overrides. */
    const element = (cls: string, constructId: string, logicalId: string | null, key: string, config: Json): string => {
      const attributes = Object.fromEntries(Object.entries(config).filter(([k]) => !META.has(k)));
      const meta = Object.fromEntries(Object.entries(config).filter(([k]) => META.has(k) && k !== "//"));
      return options.asOverrides?.has(`${stackName}/${key}`)
        ? `  R(new ${cls}(s, ${JSON.stringify(constructId)}, {}), ${JSON.stringify(logicalId)}, ${JSON.stringify(config)});`
        : `  R(new ${cls}(s, ${JSON.stringify(constructId)}, ${JSON.stringify(configOf(attributes))}), ${JSON.stringify(logicalId)}, ${JSON.stringify(meta)});`;
    };
    for (const [name, configs] of Object.entries((json.provider ?? {}) as Record<string, Json[]>)) {
      configs.forEach((config, i) => body.push(element(use(PROVIDERS[name]!), `${name}${i}`, null, `provider.${name}.${i}`, config)));
    }
    for (const kind of ["resource", "data"] as const) {
      for (const [type, byId] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Json>>)) {
        const cls = use(classOf(type, kind));
        for (const [id, config] of Object.entries(byId)) body.push(element(cls, id, id, `${kind === "data" ? "data." : ""}${type}.${id}`, config));
      }
    }
    for (const [key, value] of Object.entries(json)) {
      if (key === "//" || key === "provider" || key === "resource" || key === "data") continue;
      if (key === "terraform") {
        const { required_providers: _, ...rest } = value as Json;
        for (const [k, v] of Object.entries(rest)) body.push(`  s.addOverride(${JSON.stringify(`terraform.${k}`)}, ${JSON.stringify(v)});`);
      } else body.push(`  s.addOverride(${JSON.stringify(key)}, ${JSON.stringify(value)});`);
    }
    body.push("}");
  }
  const header = [...imports.values()].map((c, i) => `const $${i} = require(${JSON.stringify(c.module)}).${c.name};`);
  return [
    "// Generated by bench/plain-program.ts from a synthesized app: the same resource graph as plain cdktf resources.",
    '"use strict";',
    'const { App, TerraformStack } = require("cdktf");',
    ...header,
    "/** Sets the logical id (null for providers) and every attribute as synthesized. */",
    "function R(element, id, config) {",
    "  if (id !== null) element.overrideLogicalId(id);",
    "  for (const [key, value] of Object.entries(config)) if (key !== \"//\") element.addOverride(key, value);",
    "}",
    "const app = new App({ outdir: process.argv[2] || \"cdktf.out\" });",
    ...body,
    "app.synth();",
    "",
  ].join("\n");
}
