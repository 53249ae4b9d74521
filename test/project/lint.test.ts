import { ESLint } from "eslint";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const eslint = new ESLint({ cwd: root });
const lint = async (code: string) => {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, "lib/example.ts") });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
};

describe("import lint (part of npm test)", () => {
  test.each([
    'import { EcrRepository } from "@cdktf/provider-aws";',
    'import * as gitlab from "@cdktf/provider-gitlab";',
    'export { AwsProvider } from "@cdktf/provider-aws";',
  ])("rejects the provider package root: %s", async (code) => {
    const messages = await lint(`${code}\n`);
    expect(messages.join("\n")).toMatch(/no-restricted-(imports|syntax).*deep path/);
  });

  test.each([
    'const aws = require("@cdktf/provider-aws");',
    'async function f() { return import("@cdktf/provider-gitlab"); }',
  ])("rejects require/import() of a package root: %s", async (code) => {
    expect((await lint(`${code}\nexport {};\n`)).join("\n")).toMatch(/no-restricted-syntax/);
  });

  test("accepts deep imports", async () => {
    expect(await lint('import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";\nexport { EcrRepository };\n')).toEqual([]);
  });
});
