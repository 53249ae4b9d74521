/**
 * RUN001's `rendered-cloud-config` shortcut (lib/checks/rendered-cloud-config.ts) reads a
 * synthesized cloud-config from the document the library rendered it from. Sound only if, whenever
 * it returns a document, that document is what parsing the text gives: checked here for every form
 * in which a rendered text reaches the rule (as rendered, with a token resolved to a Terraform
 * reference, and as the simple decoder of secrets.ts reads the `${base64gzip("…")}` argument that
 * `escapeForFunctionArgument` wrote), over arbitrary documents, and on edited texts.
 */
import { Lazy } from "cdktf";
import fc from "fast-check";
import { parse } from "yaml";
import { type CloudConfigDocument, renderCloudConfig } from "../../lib/core/cloud-config";
import { escapeForFunctionArgument } from "../../lib/core/tokens";
import { renderedCloudConfigOf } from "../../lib/checks/rendered-cloud-config";
import { decodedLayers } from "../../lib/checks/secrets";

const REFERENCE = "${data.aws_region.r.region}";
/** One cdktf string token, resolved (by the test) to REFERENCE. */
const marker = Lazy.stringValue({ produce: () => "eu-west-1" });

const text = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."-:#|>'\"%{}$\\ \tu0024abc\n".split("")), maxLength: 30 }),
  fc.constantFrom("RUNNER_FLEET_ENV=${RUNNER_FLEET_ENV:-/etc/x}", 'curl -w "%{http_code}"', "[[runners]]\n  privileged = false\n", "plain", "\\u0024{x}", "a\tb"),
);
/** Strings that may embed the token. */
const withToken = fc.tuple(text, fc.boolean(), text).map(([a, token, b]) => (token ? `${a}${marker}${b}` : `${a}${b}`));
const documents: fc.Arbitrary<CloudConfigDocument> = fc.record({
  packages: fc.array(withToken, { maxLength: 2 }),
  write_files: fc.array(fc.record({ path: withToken, content: withToken, permissions: fc.constantFrom("0600", "0755") }), { maxLength: 3 }),
  runcmd: fc.array(fc.array(withToken, { maxLength: 3 }), { maxLength: 2 }),
});

/** The forms of a rendered text the rule sees: resolved as rendered, and every decoded layer of the HCL argument. */
function formsOf(rendered: string): string[] {
  const resolved = rendered.split(marker).join(REFERENCE);
  const argument = escapeForFunctionArgument(rendered).split(marker).join(REFERENCE);
  return [...new Set([resolved, ...decodedLayers(`\${base64gzip("${argument}")}`)])];
}

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe("reading rendered cloud-configs without parsing them", () => {
  test("whenever a document is returned, it is what parsing the text gives", () => {
    let read = 0;
    let escapedRead = 0;
    fc.assert(
      fc.property(documents, (document) => {
        for (const form of formsOf(renderCloudConfig(document))) {
          const found = renderedCloudConfigOf(form);
          if (found === undefined) continue;
          read++;
          if (/\\u0024\{|%%\{/.test(form)) escapedRead++;
          expect(plain(found)).toEqual(plain(parse(form)));
        }
      }),
      { numRuns: 600 },
    );
    // Not vacuous: the shortcut answers often, also for the escaped reading.
    expect(read).toBeGreaterThan(600);
    expect(escapedRead).toBeGreaterThan(50);
  });

  test("an edited text is not read from the document (it is parsed)", () => {
    const document: CloudConfigDocument = {
      packages: ["docker"],
      write_files: [{ path: "/etc/gitlab-runner/config.toml", content: `[[runners]]\n  region = "${marker}"\n  [runners.docker]\n    privileged = false\n`, permissions: "0600" }],
      runcmd: [["sh", "-c", "echo ${HOME} %{x}"]],
    };
    const forms = formsOf(renderCloudConfig(document));
    expect(forms.map((f) => renderedCloudConfigOf(f) !== undefined)).toContain(true);
    for (const form of forms) expect(renderedCloudConfigOf(form.replace("privileged = false", "privileged = true"))).toBeUndefined();
  });

  test("a token resolved to two different values, or a text matching no template, is not read", () => {
    const document: CloudConfigDocument = { packages: [`a-${marker}`, `b-${marker}`], write_files: [], runcmd: [] };
    const rendered = renderCloudConfig(document);
    expect(renderedCloudConfigOf(rendered.replace(marker, "x").replace(marker, "x"))).toEqual({ packages: ["a-x", "b-x"], write_files: [], runcmd: [] });
    expect(renderedCloudConfigOf(rendered.replace(marker, "x").replace(marker, "y"))).toBeUndefined();
    expect(renderedCloudConfigOf("#cloud-config\npackages: []\n")).toBeUndefined();
  });
});
