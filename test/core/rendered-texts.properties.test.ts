/**
 * The registry of rendered texts (lib/core/rendered-texts.ts) hands a check the document a text was
 * rendered from instead of the text's parse. That is only sound if parsing `renderCloudConfig`'s
 * output gives the document back: checked here over arbitrary documents (YAML's special
 * characters, line breaks, indentation, quotes, comments, unicode) against the same parser the rule
 * pack uses. The registry keeps a frozen copy (later changes to the caller's object do not leak) and
 * refuses what is not plain data.
 */
import fc from "fast-check";
import { parse } from "yaml";
import { type CloudConfigDocument, renderCloudConfig } from "../../lib/core/cloud-config";
import { MAX_RENDERED_TEXTS, registerRenderedCloudConfig, renderedCloudConfig, yamlRoundTrips, yamlUnsafeString } from "../../lib/core/rendered-texts";

/** Text from YAML's indicators, white space and line breaks, and arbitrary unicode. */
const yamlish = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."-?:,[]{}#&*!|>'\"%@` \t\n\r\\abc01.$~=<".split("")), maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "null", "~", "true", "no", "0755", "0x1F", "1e3", ".inf", "- a", "a: b", "# c", "[[runners]]\n  name = \"x\"\n", "  leading\n", "trailing \n\n", "\n", "a=\\u0024{X:-y}", "%%{http_code}", "${data.aws_region.r.region}", "\\u0024", "$${x}"),
);
const file = fc.record(
  { path: yamlish, content: yamlish, permissions: fc.constantFrom("0600", "0644", "0755"), owner: fc.constantFrom("root:root", "gitlab-runner:gitlab-runner") },
  { requiredKeys: ["path", "content", "permissions"] },
);
const documents: fc.Arbitrary<CloudConfigDocument> = fc.record(
  {
    package_update: fc.boolean(),
    packages: fc.array(fc.oneof(yamlish, fc.tuple(yamlish, yamlish)), { maxLength: 4 }),
    write_files: fc.array(file, { maxLength: 4 }),
    runcmd: fc.array(fc.array(yamlish, { maxLength: 4 }), { maxLength: 3 }),
  },
  { requiredKeys: ["packages", "write_files", "runcmd"] },
);

describe("rendered cloud-configs", () => {
  test("parse(renderCloudConfig(document)) is the document, and the registry returns it for that exact text", () => {
    let checked = 0;
    fc.assert(
      fc.property(documents, (document) => {
        const text = renderCloudConfig(document);
        const registered = renderedCloudConfig(text);
        // Documents holding a string yaml cannot render faithfully are not registered (named test below).
        if (!yamlRoundTrips(document)) return;
        checked++;
        expect(registered).toBeDefined();
        // JSON equality: the registry's copy and the parse, as plain data.
        expect(JSON.parse(JSON.stringify(parse(text)))).toEqual(JSON.parse(JSON.stringify(registered)));
        expect(JSON.parse(JSON.stringify(registered))).toEqual(JSON.parse(JSON.stringify(document)));
      }),
      { numRuns: 1000 },
    );
    // The property judged most documents (a yamlRoundTrips that refused everything would check nothing).
    expect(checked).toBeGreaterThan(500);
  });

  test("yaml 2.9.1 reads a rendered string of blanks and line breaks back without the blanks: such a document is not registered", () => {
    for (const blank of [" \n", "  \n\n", "\t\n", " \r\n"]) {
      const document: CloudConfigDocument = { packages: [], write_files: [], runcmd: [[blank]] };
      expect(yamlUnsafeString(blank)).toBe(true);
      const text = renderCloudConfig(document);
      expect(renderedCloudConfig(text)).toBeUndefined();
    }
    // The parser's bug this guards against, shown (if a yaml upgrade fixes it, the guard only costs a parse).
    expect(parse(renderCloudConfig({ packages: [], write_files: [], runcmd: [[" \n"]] }))).toEqual({ packages: [], write_files: [], runcmd: [["\n"]] });
    expect(yamlUnsafeString("x\n")).toBe(false);
    expect(yamlUnsafeString("   ")).toBe(false);
  });

  test("any other text, even one differing in a character, is not found", () => {
    const text = renderCloudConfig({ packages: ["docker"], write_files: [{ path: "/etc/x", content: "[[runners]]\n", permissions: "0600" }], runcmd: [] });
    expect(renderedCloudConfig(text)).toBeDefined();
    expect(renderedCloudConfig(`${text} `)).toBeUndefined();
    expect(renderedCloudConfig(text.replace("docker", "dockeR"))).toBeUndefined();
  });

  test("the registry keeps a frozen copy: changing the document after rendering changes nothing", () => {
    const files = [{ path: "/etc/gitlab-runner/config.toml", content: "[[runners]]\n  [runners.docker]\n    privileged = false\n", permissions: "0600" }];
    const document = { packages: [], write_files: files, runcmd: [] };
    const text = renderCloudConfig(document);
    files[0]!.content = "[[runners]]\n  [runners.docker]\n    privileged = true\n";
    const registered = renderedCloudConfig(text) as CloudConfigDocument;
    expect(registered.write_files[0]!.content).toContain("privileged = false");
    expect(Object.isFrozen(registered.write_files[0])).toBe(true);
  });

  test("a document holding something other than plain data is not registered (its text is parsed)", () => {
    const odd = { packages: [], write_files: [{ path: "/x", content: new Date(0) as unknown as string, permissions: "0600" }], runcmd: [] };
    const text = renderCloudConfig(odd);
    expect(renderedCloudConfig(text)).toBeUndefined();
  });

  test(`at most ${MAX_RENDERED_TEXTS} texts are kept, the oldest dropped first`, () => {
    const first = renderCloudConfig({ packages: ["first"], write_files: [], runcmd: [] });
    for (let i = 0; i < MAX_RENDERED_TEXTS; i++) registerRenderedCloudConfig(`#cloud-config\nfiller: ${i}\n`, { packages: [], write_files: [], runcmd: [] });
    expect(renderedCloudConfig(first)).toBeUndefined();
    expect(renderedCloudConfig(`#cloud-config\nfiller: ${MAX_RENDERED_TEXTS - 1}\n`)).toBeDefined();
  });
});
