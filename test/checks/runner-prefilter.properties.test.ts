import fc from "fast-check";
import { stringify, type Scalar } from "yaml";
import { mayHoldRunnerConfig, parseRunnerFiles } from "../../lib/checks/rules/runner";

/**
 * RUN001 parses a cloud-config only when `mayHoldRunnerConfig` lets it through: it must never
 * skip a text from which the parse reads a runner configuration, whatever scalar style, line
 * width, escape or alias the YAML uses.
 */

const STYLES: Scalar.Type[] = ["PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL", "BLOCK_FOLDED"];

/** A runner configuration file's content: `[[runners]]` somewhere among other lines. */
const content = fc
  .tuple(fc.array(fc.stringMatching(/^[a-z_ ="[\]\\.0-9-]{0,30}$/), { maxLength: 4 }), fc.array(fc.stringMatching(/^[a-z_ ="[\]\\.0-9-]{0,30}$/), { maxLength: 4 }))
  .map(([before, after]) => [...before, "[[runners]]", '  name = "x"', ...after].join("\n"));

/** A double-quoted YAML scalar for `text` with random escapes (\x, \u, \U) and escaped line breaks. */
function escapedDoubleQuoted(text: string, choices: readonly number[]): string {
  let out = '"';
  [...text].forEach((ch, i) => {
    const code = ch.codePointAt(0)!;
    const choice = choices[i % choices.length] ?? 0;
    if (ch === "\n") out += "\\n";
    else if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (choice === 1) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (choice === 2) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (choice === 3) out += `\\U${code.toString(16).padStart(8, "0")}`;
    else if (choice === 4) out += `${ch}\\\n      `; // an escaped line break: joined without a space
    else out += ch;
  });
  return `${out}"`;
}

describe("RUN001's pre-filter before the YAML parse", () => {
  test("property: it lets through every text the parser reads a runner configuration from (yaml's own styles and widths)", () => {
    let read = 0;
    fc.assert(
      fc.property(content, fc.constantFrom(...STYLES), fc.integer({ min: 5, max: 80 }), fc.boolean(), fc.boolean(), (text, style, lineWidth, asJson, alias) => {
        const file = { path: "/etc/gitlab-runner/config.toml", content: text };
        const doc = { write_files: alias ? [file, file] : [file] };
        const yaml = `#cloud-config\n${stringify(doc, { defaultStringType: style, lineWidth, minContentWidth: 0, doubleQuotedAsJSON: asJson, doubleQuotedMinMultiLineLength: 1 })}`;
        if (parseRunnerFiles(yaml).length === 0) return;
        read += 1;
        expect(mayHoldRunnerConfig(yaml)).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(read).toBeGreaterThan(300); // the generator does build runner files the parser reads
  });

  test("property: hand-escaped double-quoted contents (\\x, \\u, \\U escapes, escaped line breaks) are let through", () => {
    fc.assert(
      fc.property(content, fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 20 }), (text, choices) => {
        const yaml = `#cloud-config\nwrite_files:\n  - path: /etc/gitlab-runner/config.toml\n    content: ${escapedDoubleQuoted(text, choices)}\n`;
        const parsed = parseRunnerFiles(yaml);
        expect(parsed).toHaveLength(1); // the hand-made escapes are valid YAML for the content
        expect(mayHoldRunnerConfig(yaml)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test("named cases: an escaped bracket and a table split by an escaped line break are parsed; a text without the table is skipped", () => {
    const escaped = '#cloud-config\nwrite_files:\n  - path: /c.toml\n    content: "\\x5b[runners]]\\n  name = \\"a\\"\\n"\n';
    const split = '#cloud-config\nwrite_files:\n  - path: /c.toml\n    content: "[[run\\\n      ners]]\\n  name = \\"a\\"\\n"\n';
    for (const yaml of [escaped, split]) {
      expect(parseRunnerFiles(yaml)).toHaveLength(1);
      expect(mayHoldRunnerConfig(yaml)).toBe(true);
    }
    const mirror = "#cloud-config\nwrite_files:\n  - path: /etc/nexus.properties\n    content: |\n      application-port=8081 \\\n      x\n";
    expect(mayHoldRunnerConfig(mirror)).toBe(false);
    expect(parseRunnerFiles(mirror)).toEqual([]);
  });
});
