import { readFileSync } from "node:fs";
import path from "node:path";
import { runTool } from "../support/conformance";

/**
 * The package ships README.md, CHANGELOG.md and docs/: a relative link in any of them must lead
 * to a file the tarball holds (README.md and docs/rule-pack.md linked bench/README.md, which it
 * did not), and a link to a heading must name a heading of that file. The file list is npm's own
 * (`npm pack --dry-run --json`, scripts off: the build adds only JavaScript to it).
 */
const root = path.resolve(__dirname, "../..");

function packedFiles(): string[] {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = runTool(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, timeoutMs: 120_000 });
  if (result.status !== 0) throw new Error(`npm pack --dry-run failed (${result.status}):\n${result.stderr}`);
  const [pack] = JSON.parse(result.stdout) as Array<{ files: Array<{ path: string }> }>;
  return pack!.files.map((f) => f.path);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, blanks to hyphens; repeats get -1, -2, .... */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
      const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const id of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id[1]!);
  }
  return anchors;
}

/** The link targets of a markdown text outside code: inline `[text](target)` and reference definitions `[x]: target`. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
    const definition = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/.exec(prose);
    if (definition) targets.push(definition[1]!);
  }
  return targets;
}

describe("links in the shipped markdown", () => {
  const files = packedFiles();
  const shipped = new Set(files);
  const markdown = files.filter((f) => f.endsWith(".md"));

  test("the helpers read links and anchors as GitHub does", () => {
    const text = "# Scale benchmark (`npm run bench:scale`)\n## Who may deploy?\n## Who may deploy?\n```\n# not a heading\n[x](not-a-link.md)\n```\nSee [a](docs/a.md#who-may-deploy) and `[b](code.md)`.\n[ref]: ../b.md\n";
    expect([...headingAnchors(text)]).toEqual(["scale-benchmark-npm-run-benchscale", "who-may-deploy", "who-may-deploy-1"]);
    expect(linkTargets(text)).toEqual(["docs/a.md#who-may-deploy", "../b.md"]);
  });

  test("the package ships README.md, CHANGELOG.md and the docs", () => {
    expect(markdown).toEqual(expect.arrayContaining(["README.md", "CHANGELOG.md", "docs/deploy.md", "docs/constructs/registry.md"]));
  });

  test("every relative link leads to a shipped file, and every link to a heading to a heading of it", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      const text = readFileSync(path.join(root, file), "utf8");
      for (const target of linkTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
        checked++;
        const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
        const resolved = pathPart === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(pathPart)));
        const isDirectory = files.some((f) => f.startsWith(`${resolved.replace(/\/$/, "")}/`));
        if (!shipped.has(resolved) && !isDirectory) {
          broken.push(`${file}: ${target} -> ${resolved} is not in the package (package.json "files")`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith(".md") && !headingAnchors(readFileSync(path.join(root, resolved), "utf8")).has(anchor)) {
          broken.push(`${file}: ${target} -> ${resolved} has no heading #${anchor}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });
});
