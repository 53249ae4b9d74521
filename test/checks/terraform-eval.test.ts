import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { evaluateString, nextTemplateStart, unescapeHcl } from "../../lib/checks/terraform-eval";
import { StackModel } from "../../lib/checks/stack-model";

const model = (locals: Record<string, unknown>) => new StackModel({ locals });
const value = (m: StackModel, text: string, mode: "value" | "text" = "value") => {
  const r = evaluateString(m, text, 0, mode);
  return r.known ? r.value : `unknown: ${r.reason}`;
};

describe("evaluating Terraform expressions known at synth", () => {
  test("locals (nested), join, format, lower/upper/trimspace and string templates", () => {
    const m = model({ user: "ci", host: "gitlab.${local.domain}", domain: "example.com", list: ["a", "b"] });
    expect(value(m, "${local.host}")).toBe("gitlab.example.com");
    expect(value(m, 'x-${join(":", [local.user, "secret"])}-y')).toBe("x-ci:secret-y");
    expect(value(m, '${join(",", local.list, ["c"])}')).toBe("a,b,c");
    expect(value(m, '${format("%s@%s:%d %q %%", local.user, local.host, 22, "q")}')).toBe('ci@gitlab.example.com:22 "q" %');
    expect(value(m, '${upper(trimspace(" ab "))}${lower("CD")}')).toBe("ABcd");
  });

  test("base64encode and base64gzip compute Terraform's values; text mode keeps the plain text", () => {
    const m = model({ script: "#!/bin/sh\necho hi\n" });
    expect(value(m, "${base64encode(local.script)}")).toBe(Buffer.from("#!/bin/sh\necho hi\n").toString("base64"));
    const gz = value(m, "${base64gzip(local.script)}") as string;
    expect(gunzipSync(Buffer.from(gz, "base64")).toString("utf8")).toBe("#!/bin/sh\necho hi\n");
    expect(value(m, "${base64gzip(local.script)}", "text")).toBe("#!/bin/sh\necho hi\n");
    expect(value(m, '${base64decode("aGk=")}')).toBe("hi");
  });

  test("escapes: $${ and \\u0024{ are literal, never interpolations", () => {
    const m = model({ sh: 'echo $${HOME} $${1:-x}' });
    expect(value(m, "${local.sh}")).toBe("echo ${HOME} ${1:-x}");
    expect(value(m, '${base64encode("a \\u0024{NOT_AN_INTERPOLATION} \\"q\\"\\n")}', "text")).toBe('a ${NOT_AN_INTERPOLATION} "q"\n');
  });

  test("references: unknown in value mode, placeholders in text mode; unknown functions and directives stay unknown", () => {
    const m = model({ config: "bucket = ${aws_s3_bucket.cache.bucket}" });
    expect(value(m, "${local.config}")).toBe("unknown: aws_s3_bucket.cache.bucket is known only at apply time");
    expect(value(m, "${base64gzip(local.config)}", "text")).toBe("bucket = ${aws_s3_bucket.cache.bucket}");
    expect(value(m, "${var.token}")).toBe("unknown: var.token is known only at apply time");
    expect(value(m, '${templatefile("x.sh", {})}', "text")).toMatch(/^unknown: /);
    expect(value(m, "%{ if true }x%{ endif }")).toMatch(/^unknown: a template directive/);
    expect(value(m, "${local.missing}")).toBe("unknown: local.missing is not defined in the stack");
  });

  test("a local that refers to itself does not loop", () => {
    const m = model({ a: "${local.b}", b: "${local.a}" });
    expect(value(m, "${local.a}")).toBe("unknown: locals nest too deeply");
  });
});

describe("template scanning and HCL escapes (the loops that replaced regular-expression callbacks)", () => {
  /** The former implementations, as references. */
  const unescapeByRegExp = (text: string): string =>
    text.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|["\\ntr])/g, (_, c: string) =>
      /^[uU]/.test(c) ? String.fromCodePoint(parseInt(c.slice(1), 16)) : (({ n: "\n", t: "\t", r: "\r" }) as Record<string, string>)[c] ?? c,
    );
  const nextStartByLoop = (text: string, from: number): number => {
    for (let i = from; i < text.length - 1; i++) {
      const c = text[i];
      if ((c === "$" || c === "%") && (text[i + 1] === "{" || (text[i + 1] === c && text[i + 2] === "{"))) return i;
    }
    return -1;
  };
  const fragments = fc.constantFrom("\\", "\\\\", "n", "t", "r", '"', "u", "U", "0024", "1F600", "0001F600", "00110000", "g", "{", "$", "%", "${", "$${", "%%{", "%{", "}", "x", " ", "\n");
  const texts = fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 })), { maxLength: 14 }).map((parts) => parts.join(""));

  test("unescapeHcl gives what the regular expression gave, escapes and non-escapes alike", () => {
    let changed = 0;
    fc.assert(
      fc.property(texts, (text) => {
        let expected: string | Error;
        try {
          expected = unescapeByRegExp(text);
        } catch (error) {
          expected = error as Error; // \U beyond U+10FFFF: both throw
        }
        if (expected instanceof Error) expect(() => unescapeHcl(text)).toThrow(RangeError);
        else if (unescapeHcl(text) !== expected) expect(unescapeHcl(text)).toBe(expected);
        if (expected !== text) changed++;
      }),
      { numRuns: 1000 },
    );
    expect(changed).toBeGreaterThan(40);
    expect(unescapeHcl('a\\nb\\"c\\\\n\\u0024{x}\\q')).toBe('a\nb"c\\n${x}\\q');
  });

  test("nextTemplateStart finds what the character loop found, from every position", () => {
    fc.assert(
      fc.property(texts, (text) => {
        const froms = Array.from({ length: text.length + 1 }, (_, from) => from);
        const found = froms.map((from) => nextTemplateStart(text, from));
        if (found.join() !== froms.map((from) => nextStartByLoop(text, from)).join()) expect(found).toEqual(froms.map((from) => nextStartByLoop(text, from)));
      }),
      { numRuns: 500 },
    );
  });
});
