// Lint: the project's import rules. Type errors are tsc's job (`npm run typecheck`).
import tseslint from "typescript-eslint";

const providerRoots = ["@cdktf/provider-aws", "@cdktf/provider-gitlab"];

export default tseslint.config(
  { ignores: ["dist/**", "cdktf.out/**", "node_modules/**", "coverage/**"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      // The provider package roots load every resource class: 3-4 s and ~570 MB per
      // process (DESIGN.md). Import by deep path: "@cdktf/provider-aws/lib/ecr-repository".
      "no-restricted-imports": [
        "error",
        {
          paths: providerRoots.map((name) => ({
            name,
            message: `Import by deep path, e.g. "${name}/lib/<resource>"; the package root loads every resource class.`,
          })),
        },
      ],
      "no-restricted-syntax": [
        "error",
        ...providerRoots.map((name) => ({
          selector: `CallExpression[callee.name='require'][arguments.0.value='${name}']`,
          message: `require("${name}") loads every resource class; require a deep path instead.`,
        })),
        ...providerRoots.map((name) => ({
          selector: `ImportExpression[source.value='${name}']`,
          message: `import("${name}") loads every resource class; import a deep path instead.`,
        })),
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
);
