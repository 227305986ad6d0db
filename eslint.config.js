// Lint: typescript-eslint strictTypeChecked, plus the dependency direction of STYLE.md
// enforced per folder with no-restricted-imports (a folder imports only from rows above it).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Rows of the architecture; a folder may import from earlier rows, or from folders left of it in its row. */
const rows = [
  ["util", "errors", "protocol", "config"],
  ["packaging", "runtimes", "sandbox", "snapshot"],
  ["pool", "scheduler", "control-plane"],
  ["runtime-api", "invoke-api"],
  ["app"],
  ["bench", "report", "cli"],
];

function forbiddenFor(folder) {
  const flat = rows.flat();
  const row = rows.findIndex((r) => r.includes(folder));
  const col = rows[row].indexOf(folder);
  const allowed = new Set([
    ...rows.slice(0, row).flat(),
    ...rows[row].slice(0, col),
    folder,
  ]);
  const forbidden = flat.filter((f) => !allowed.has(f));
  if (folder === "invoke-api") forbidden.push("runtime-api");
  return forbidden;
}

const layerRules = rows.flat().map((folder) => {
  const patterns = forbiddenFor(folder).map((f) => ({
    group: [`**/${f}/*`, `../${f}/*`, `./${f}/*`],
    message: `src/${folder} must not import src/${f} (dependency direction, STYLE.md).`,
  }));
  if (["pool", "scheduler"].includes(folder)) {
    patterns.push({
      group: ["**/sandbox/backends/**"],
      message: "pool and scheduler see sandbox/sandbox.ts only.",
    });
  }
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: { "no-restricted-imports": ["error", { patterns }] },
  };
});

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "build/**",
      "node_modules/**",
      ".thaw/**",
      "runtimes/**",
      "tests/fixtures/**",
      "contestants/**",
      "eslint.config.js",
      "bin/**",
      "scripts/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["test", "describe", "it", "suite", "before", "after"],
            },
          ],
        },
      ],
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportDefaultDeclaration",
          message: "No default exports.",
        },
        {
          selector: "TSEnumDeclaration",
          message: "Use string literal unions instead of enum.",
        },
      ],
    },
  },
  ...layerRules,
  {
    // Tests assert at run time what the types already claim (an error's literal name, a blame).
    files: ["**/*.test.ts", "tests/**/*.ts"],
    rules: { "@typescript-eslint/no-unnecessary-condition": "off" },
  },
);
