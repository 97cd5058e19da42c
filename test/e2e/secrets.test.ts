import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

import { startEmulator, type Emulator } from "../../emulator";
import type { CommandResult, LocalStack } from "../../scripts/stack";
import { requirePulumiCli } from "../support/pulumiCli";
import { e2eSeed, TOKEN, ZONES } from "./fixtures";
import { backendFiles, filesUnder, leaks, prioritiesIn, programStack, type DeclaredPriority } from "./helpers";

// A well-formed token the emulator does not accept: refused tokens must stay hidden too.
const REFUSED_TOKEN = "refused-token-3c9a5d1e7b2f4a6c8e0d2b4f6a8c0e1d";

// Engine and provider logging at its loudest.
const VERBOSE = ["--debug", "--logtostderr", "-v=9"];

const declared: DeclaredPriority[] = [
    {
        name: "primary",
        zoneId: ZONES.primary.id,
        certificates: ZONES.primary.order.map((id, index) => ({ id, priority: index + 1 })),
    },
    {
        name: "second",
        zoneId: ZONES.second.id,
        certificates: ZONES.second.order.map((id, index) => ({ id, priority: index + 1 })),
    },
];

interface Mode {
    title: string;
    stack: string;
    env: Record<string, string>;
    secretConfig: boolean;
}

const modes: Mode[] = [
    {
        title: "cloudflare:apiToken as a secret in stack config",
        stack: "secrets-config-e2e",
        env: {},
        secretConfig: true,
    },
    {
        title: "CLOUDFLARE_API_TOKEN in the environment",
        stack: "secrets-env-e2e",
        env: { CLOUDFLARE_API_TOKEN: TOKEN },
        secretConfig: false,
    },
];

describe("the leak detector the secrets tests rely on", () => {
    it("finds the token plain, URL-encoded and base64-encoded at any alignment inside a longer text", () => {
        const token = "t0k/en+with=odd-chars_0123456789abcdef";
        for (const prefix of ["", "a", "ab", "abc"]) {
            const inner = Buffer.from(`${prefix}${token}"}`).toString("base64");
            assert.notDeepEqual(leaks(token, { text: `{"blob":"${inner}"}` }), [], `prefix ${JSON.stringify(prefix)}`);
            assert.notDeepEqual(leaks(token, { text: Buffer.from(`${prefix}${token}`).toString("base64url") }), []);
        }
        assert.notDeepEqual(leaks(token, { text: `x=${encodeURIComponent(token)}` }), []);
        assert.deepEqual(leaks(token, { text: "nothing here" }), []);
    });
});

// The token never shows, plain or encoded, in the exported state, the files Pulumi writes, the
// loudest debug output of up, refresh and destroy, or an error message.
for (const mode of modes) {
    describe(`secrets with ${mode.title} (end to end)`, function () {
        this.timeout(240_000);

        let emulator: Emulator;
        let stack: LocalStack;
        let seeded: Record<string, number | undefined>;
        const outputs: Record<string, string> = {};

        before(async function () {
            requirePulumiCli(this);
            emulator = await startEmulator({ seed: { ...e2eSeed(), tokens: [TOKEN] } });
            seeded = prioritiesIn(emulator, ZONES.primary.id);
            stack = programStack(mode.stack, emulator, { ...mode.env, CLOUDFLARE_PRIORITY_DEBUG: "1" });
            await stack.init();
            if (mode.secretConfig) {
                await stack.setConfig("cloudflare:apiToken", TOKEN, true);
            }
            await stack.setConfigJson("priorities", declared);
        });

        after(async () => {
            stack?.dispose();
            await emulator?.close();
        });

        // Everything the stack left on disk, and everything each command printed so far.
        async function everything(): Promise<Record<string, string>> {
            const exported = JSON.stringify(await stack.exportState());
            return {
                "exported state": exported,
                ...backendFiles(stack),
                "stack config file": existsSync(stack.configFile) ? readFileSync(stack.configFile, "utf8") : "",
                ...pulumiHomeFiles(stack),
                ...outputs,
            };
        }

        function remember(label: string, result: CommandResult): void {
            outputs[label] = `${result.stdout}\n${result.stderr}`;
        }

        it("up --debug --logtostderr -v=9: applies, logs each request with the token redacted, and leaks nothing", async () => {
            const result = await stack.run(["up", "--yes", "--skip-preview", ...VERBOSE]);
            remember("up", result);

            assert.deepEqual(
                ZONES.primary.order.map((id) => prioritiesIn(emulator, ZONES.primary.id)[id]),
                [1, 2, 3],
            );
            const printed = `${result.stdout}\n${result.stderr}`;
            assert.match(
                printed,
                /\[cloudflare-certificate-priority\] PUT \/client\/v4\/zones\/[0-9a-f]{32}\/custom_certificates\/prioritize -> 200/,
            );
            assert.match(printed, /"authorization":"\[REDACTED\]"/);
            assert.ok(printed.length > 10_000, "the verbose output is there to search");
            assert.deepEqual(leaks(TOKEN, await everything()), []);
        });

        it("an up that fails on a 503: the error names the call and leaks nothing", async () => {
            await stack.setConfigJson(
                "priorities",
                declared.map((d) => ({
                    ...d,
                    certificates: (d.certificates as Array<{ id: string }>).map((c, i) => ({
                        id: c.id,
                        priority: 10 + i,
                    })),
                })),
            );
            emulator.injectFault({ kind: "server-error", status: 503, times: "always", match: { method: "PUT" } });

            const result = await stack.run(["up", "--yes", "--skip-preview", ...VERBOSE], true);
            remember("failed up", result);
            emulator.clearFaults();

            assert.notEqual(result.code, 0);
            assert.match(result.stdout + result.stderr, /last: 503 Service Unavailable/);
            assert.deepEqual(leaks(TOKEN, await everything()), []);
            await stack.setConfigJson("priorities", declared);
        });

        it("refresh --debug --logtostderr -v=9 after a change in the dashboard: reads it and leaks nothing", async () => {
            emulator.setCertificate(ZONES.primary.id, ZONES.primary.order[0]!, { priority: 9 });

            const result = await stack.run(["refresh", "--yes", "--skip-preview", ...VERBOSE]);
            remember("refresh", result);

            assert.match(result.stdout, /1 updated|~ .*CertificatePriority/);
            assert.deepEqual(leaks(TOKEN, await everything()), []);
        });

        if (mode.secretConfig) {
            it("an up with a refused token: the auth error names the permission and leaks neither token", async () => {
                await stack.setConfig("cloudflare:apiToken", REFUSED_TOKEN, true);

                const result = await stack.run(["up", "--yes", "--skip-preview", ...VERBOSE], true);
                remember("refused up", result);
                // Destroy runs the provider with the settings the last `up` recorded: record the good token again.
                await stack.setConfig("cloudflare:apiToken", TOKEN, true);
                remember("up after the token is fixed", await stack.run(["up", "--yes", "--skip-preview", ...VERBOSE]));

                assert.notEqual(result.code, 0);
                assert.match(result.stdout + result.stderr, /403 Forbidden .*\[9109\] Invalid access token/);
                assert.match(result.stdout + result.stderr, /SSL and Certificates: Edit/);
                const texts = await everything();
                assert.deepEqual(leaks(REFUSED_TOKEN, texts), []);
                assert.deepEqual(leaks(TOKEN, texts), []);
            });
        }

        it("destroy --debug --logtostderr -v=9: restores the zones and leaks nothing, across every command", async () => {
            const result = await stack.run(["destroy", "--yes", "--skip-preview", ...VERBOSE]);
            remember("destroy", result);

            assert.match(result.stdout, /deleted/);
            assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
            const texts = await everything();
            assert.deepEqual(leaks(TOKEN, texts), []);
            assert.ok(Object.keys(texts).length > 5, `searched ${Object.keys(texts).join(", ")}`);
        });
    });
}

// Pulumi's own folder for the stack (workspace settings, logs): small text files only.
function pulumiHomeFiles(stack: LocalStack): Record<string, string> {
    const home = path.join(stack.workDir, "home");
    if (!existsSync(home)) {
        return {};
    }
    const files = filesUnder(home).filter((file) => !file.includes(`${path.sep}plugins${path.sep}`));
    return Object.fromEntries(files.map((file) => [file, readFileSync(file, "latin1")]));
}
