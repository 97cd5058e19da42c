// One lint for the whole repository: ESLint's and typescript-eslint's recommended rules, plus what the
// project asks of library code. Formatting is Prettier's job (.prettierrc.json), not the linter's.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    globalIgnores(["dist/", "node_modules/", "coverage/", "tools/"]),
    js.configs.recommended,
    tseslint.configs.recommended,
    {
        rules: {
            // A leading underscore marks a value left unused on purpose (a destructured-away field).
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
            ],
        },
    },
    {
        // Library code runs inside the Pulumi engine's processes: it reports through errors, the engine's
        // log or the debug switch, never by printing. Only the emulator's command line prints.
        files: ["index.ts", "provider/**/*.ts", "components/**/*.ts", "emulator/**/*.ts"],
        ignores: ["emulator/cli.ts"],
        rules: { "no-console": "error" },
    },
    {
        // Mocks and recorded resources hold whatever the engine sends.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
