import * as assert from "node:assert/strict";

import { startEmulator, type Emulator } from "../../emulator";
import { closeConnectionPools } from "../../provider/client";
import { CloudflareServerError } from "../../provider/errors";
import { CertificatePriorityProvider } from "../../provider/provider";
import { InvalidSettingError, resolveTuning, TUNING_SETTINGS } from "../../provider/settings";
import { e2eSeed, TOKEN, ZONES } from "../e2e/fixtures";

type Values = Record<string, unknown>;

function config(values: Values): { get(key: string): string | undefined } {
    return { get: (key) => values[key] as string | undefined };
}

describe("retry and timeout settings", () => {
    describe("resolveTuning", () => {
        it("leaves every field unset when nothing is configured", () => {
            assert.deepEqual(resolveTuning(undefined, {}), { retry: {} });
        });

        it("reads every setting from the environment", () => {
            const env = {
                CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "2",
                CLOUDFLARE_PRIORITY_TIMEOUT_MS: "1500",
                CLOUDFLARE_PRIORITY_DEADLINE_MS: "9000",
                CLOUDFLARE_PRIORITY_MAX_RETRY_AFTER_MS: "0",
                CLOUDFLARE_PRIORITY_BASE_DELAY_MS: "50",
                CLOUDFLARE_PRIORITY_MAX_DELAY_MS: " 400 ",
            };

            assert.deepEqual(resolveTuning(undefined, env), {
                timeoutMs: 1500,
                retry: { maxAttempts: 2, deadlineMs: 9000, maxRetryAfterMs: 0, baseDelayMs: 50, maxDelayMs: 400 },
            });
        });

        it("prefers stack config to the environment, key by key", () => {
            const tuning = resolveTuning(config({ "cloudflare-certificate-priority:maxAttempts": "7" }), {
                CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "2",
                CLOUDFLARE_PRIORITY_TIMEOUT_MS: "800",
            });

            assert.deepEqual(tuning, { timeoutMs: 800, retry: { maxAttempts: 7 } });
        });

        it("accepts a number from structured config and ignores empty values", () => {
            const tuning = resolveTuning(
                config({
                    "cloudflare-certificate-priority:deadlineMs": 5000,
                    "cloudflare-certificate-priority:timeoutMs": "",
                }),
                { CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "  " },
            );

            assert.deepEqual(tuning, { retry: { deadlineMs: 5000 } });
        });

        it("documents each setting with a config key and an environment variable", () => {
            assert.deepEqual(
                TUNING_SETTINGS.map((s) => s.key),
                ["maxAttempts", "timeoutMs", "deadlineMs", "maxRetryAfterMs", "baseDelayMs", "maxDelayMs"],
            );
            for (const setting of TUNING_SETTINGS) {
                assert.match(setting.env, /^CLOUDFLARE_PRIORITY_[A-Z_]+$/);
            }
        });

        const badEnv: Array<[string, string, RegExp]> = [
            [
                "CLOUDFLARE_PRIORITY_MAX_ATTEMPTS",
                "0",
                /MAX_ATTEMPTS must be a whole number of attempts from 1 to 20, not "0"/,
            ],
            ["CLOUDFLARE_PRIORITY_MAX_ATTEMPTS", "21", /from 1 to 20, not "21"/],
            ["CLOUDFLARE_PRIORITY_MAX_ATTEMPTS", "three", /not "three"/],
            ["CLOUDFLARE_PRIORITY_MAX_ATTEMPTS", "2.5", /not "2\.5"/],
            [
                "CLOUDFLARE_PRIORITY_TIMEOUT_MS",
                "-5",
                /TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000, not "-5"/,
            ],
            ["CLOUDFLARE_PRIORITY_TIMEOUT_MS", "30s", /not "30s"/],
            ["CLOUDFLARE_PRIORITY_DEADLINE_MS", "1e6", /not "1e6"/],
            ["CLOUDFLARE_PRIORITY_DEADLINE_MS", "Infinity", /not "Infinity"/],
            ["CLOUDFLARE_PRIORITY_BASE_DELAY_MS", "0x10", /not "0x10"/],
            ["CLOUDFLARE_PRIORITY_MAX_DELAY_MS", "999999999", /from 0 to 600000, not "999999999"/],
        ];
        for (const [name, value, reason] of badEnv) {
            it(`rejects ${name}=${JSON.stringify(value)}, naming the variable and the fix`, () => {
                assert.throws(
                    () => resolveTuning(undefined, { [name]: value }),
                    (err: unknown) => {
                        assert.ok(err instanceof InvalidSettingError);
                        assert.match(err.message, new RegExp(`^the environment variable ${name} `));
                        assert.match(err.message, reason);
                        assert.match(err.message, /or unset it\.$/);
                        return true;
                    },
                );
            });
        }

        it("rejects a bad stack config value, naming the key and the command that fixes it", () => {
            assert.throws(
                () => resolveTuning(config({ "cloudflare-certificate-priority:timeoutMs": "soon" }), {}),
                (err: unknown) => {
                    assert.ok(err instanceof InvalidSettingError);
                    assert.equal(
                        err.message,
                        "the stack config cloudflare-certificate-priority:timeoutMs must be a whole number of milliseconds " +
                            'from 1 to 600000, not "soon"; set it with `pulumi config set cloudflare-certificate-priority:timeoutMs ' +
                            "30000` or remove it with `pulumi config rm cloudflare-certificate-priority:timeoutMs`.",
                    );
                    return true;
                },
            );
        });

        it("never quotes a long value, which may be a credential in the wrong place", () => {
            assert.throws(
                () => resolveTuning(undefined, { CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: TOKEN }),
                (err: unknown) => {
                    assert.ok(err instanceof Error);
                    assert.ok(!err.message.includes(TOKEN.slice(0, 10)), err.message);
                    assert.match(err.message, new RegExp(`not a value of ${TOKEN.length} characters`));
                    return true;
                },
            );
        });
    });

    describe("in the provider", () => {
        let emulator: Emulator;

        before(async () => {
            emulator = await startEmulator({ seed: e2eSeed() });
        });

        after(async () => {
            await closeConnectionPools();
            await emulator.close();
        });

        beforeEach(() => {
            emulator.reset();
            emulator.clearRequests();
        });

        const inputs = {
            zoneId: ZONES.primary.id,
            certificates: [{ id: ZONES.primary.order[0]!, priority: 1 }],
            onDelete: "restore",
        };

        it("fails configure and every later check on a bad setting, before any request", async () => {
            const provider = new CertificatePriorityProvider({
                CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
                CLOUDFLARE_API_TOKEN: TOKEN,
                CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "lots",
            });

            await assert.rejects(provider.configure({ config: config({}) } as never), InvalidSettingError);
            await assert.rejects(provider.check({}, inputs), /CLOUDFLARE_PRIORITY_MAX_ATTEMPTS must be a whole number/);
            await assert.rejects(provider.create(inputs), InvalidSettingError);
            assert.deepEqual(emulator.requests(), []);
        });

        it("gives up after the configured number of attempts", async () => {
            emulator.injectFault({ kind: "server-error", status: 503, times: "always" });
            const provider = new CertificatePriorityProvider({
                CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
                CLOUDFLARE_API_TOKEN: TOKEN,
                CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "5",
                CLOUDFLARE_PRIORITY_BASE_DELAY_MS: "1",
            });
            await provider.configure({
                config: config({ "cloudflare-certificate-priority:maxAttempts": "2" }),
            } as never);

            await assert.rejects(provider.create(inputs), (err: unknown) => {
                assert.ok(err instanceof CloudflareServerError);
                assert.equal(err.attempts, 2);
                assert.match(err.message, /2 attempts over \d+\.\d s, last: 503 Service Unavailable/);
                return true;
            });
            assert.equal(emulator.requests().length, 2);
        });

        it("times out at the configured timeout", async () => {
            emulator.injectFault({ kind: "slow", delayMs: 2000, times: "always" });
            const provider = new CertificatePriorityProvider({
                CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
                CLOUDFLARE_API_TOKEN: TOKEN,
                CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "1",
                CLOUDFLARE_PRIORITY_TIMEOUT_MS: "150",
            });
            const started = Date.now();

            await assert.rejects(
                provider.create(inputs),
                /1 attempt over 0\.\d s: no complete answer within 0\.1 s \(timed out\)/,
            );
            assert.ok(Date.now() - started < 1500, "the provider waited past its timeout");
        });
    });
});
