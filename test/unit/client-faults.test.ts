import * as assert from "node:assert/strict";

import { EMULATOR_DEMO_TOKEN, startEmulator, type Emulator, type FaultSpec } from "../../emulator";
import { CloudflareClient, closeConnectionPools } from "../../provider/client";
import { resetRateGates } from "../../provider/rate-gate";
import {
    CloudflareError,
    CloudflareNetworkError,
    CloudflareRateLimitError,
    CloudflareResponseError,
    CloudflareServerError,
} from "../../provider/errors";

// The bundled seed's example.com and its RSA certificate.
const ZONE = "dcb06fc888897c7e557d8606ef2115dc";
const RSA = "0743e860-d7e4-4de2-ad05-031f1d113e8f";

type ErrorClass = new (details: never) => CloudflareError;

interface Row {
    fault: FaultSpec;
    /** The error when the fault hits every attempt. */
    kind: ErrorClass;
    attempts: number;
    message: RegExp;
    /** Whether one hit followed by a normal answer ends in success. */
    recovers: boolean;
}

const ops = `zone ${ZONE}: `;

// Every fault the emulator injects, what the client makes of it on every attempt (two allowed), and
// whether it recovers when only the first attempt is hit.
const rows: Row[] = [
    {
        fault: { kind: "rate-limit", retryAfterSeconds: 0 },
        kind: CloudflareRateLimitError,
        attempts: 2,
        message: /2 attempts over \d+\.\d s, last: 429 Too Many Requests \(cf-ray [0-9a-f]{16}-EMU\): \[971\]/,
        recovers: true,
    },
    ...[500, 502, 503, 504].map((status) => ({
        fault: { kind: "server-error", status } as FaultSpec,
        kind: CloudflareServerError,
        attempts: 2,
        message: new RegExp(`2 attempts over \\d+\\.\\d s, last: ${status} .*\\[1000\\] Internal server error`),
        recovers: true,
    })),
    {
        fault: { kind: "slow", delayMs: 800 },
        kind: CloudflareNetworkError,
        attempts: 2,
        message: /2 attempts over \d+\.\d s, last: no complete answer within 0\.2 s \(timed out\)/,
        recovers: true,
    },
    {
        fault: { kind: "drop", when: "before-answer" },
        kind: CloudflareNetworkError,
        attempts: 2,
        message: /2 attempts over \d+\.\d s, last: the connection dropped/,
        recovers: true,
    },
    {
        fault: { kind: "drop", when: "mid-answer" },
        kind: CloudflareNetworkError,
        attempts: 2,
        message: /2 attempts over \d+\.\d s, last: the connection dropped/,
        recovers: true,
    },
    {
        fault: { kind: "malformed" },
        kind: CloudflareResponseError,
        attempts: 1,
        message: /1 attempt over \d+\.\d s: 200 OK .*: the answer is not JSON .*502 Bad Gateway/,
        recovers: false,
    },
    {
        fault: { kind: "truncated" },
        kind: CloudflareResponseError,
        attempts: 1,
        message: /1 attempt over \d+\.\d s: 200 OK .*: the answer is not JSON/,
        recovers: false,
    },
    {
        fault: { kind: "unsuccessful" },
        kind: CloudflareResponseError,
        attempts: 1,
        message: /1 attempt over \d+\.\d s: 200 OK .*: the answer says success: false; \[1000\]/,
        recovers: false,
    },
    {
        fault: { kind: "off-schema" },
        kind: CloudflareResponseError,
        attempts: 1,
        message: /the answer does not match Cloudflare's documented schema: result\[0\]\.id: .*result\[0\]\.priority/,
        recovers: false,
    },
];

// The request log without the slow answers of earlier tests, which arrive late.
function logged(emulator: Emulator) {
    return emulator.requests().filter((r) => r.fault !== "slow");
}

function label(fault: FaultSpec): string {
    const detail = "status" in fault ? ` ${fault.status}` : "when" in fault ? ` ${fault.when}` : "";
    return `${fault.kind}${detail}`;
}

// The client against the emulator: every fault, on every call it makes.
describe("CloudflareClient against every emulator fault", () => {
    let emulator: Emulator;
    let client: CloudflareClient;

    before(async () => {
        emulator = await startEmulator();
        client = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            timeoutMs: 200,
            retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
        });
    });

    after(async () => {
        await closeConnectionPools();
        await emulator.close();
    });

    beforeEach(() => {
        emulator.reset();
        emulator.setRateLimit(undefined);
        emulator.clearRequests();
        resetRateGates();
    });

    for (const row of rows) {
        it(`${label(row.fault)}: ${row.kind.name} after ${row.attempts} attempt(s), naming what went wrong`, async () => {
            emulator.injectFault({ ...row.fault, times: "always" });

            const err = await client.listCustomCertificates(ZONE).then(
                () => assert.fail("the call succeeded"),
                (e: unknown) => e,
            );

            assert.ok(err instanceof row.kind, `got ${String(err)}`);
            assert.equal(err.attempts, row.attempts);
            assert.ok(err.message.startsWith(`Cloudflare API: list custom certificates of ${ops}`), err.message);
            assert.match(err.message, row.message);
            assert.ok(!err.message.includes(EMULATOR_DEMO_TOKEN));
            // The log records a request once answered; a slow answer is still on its way.
            if (row.fault.kind !== "slow") {
                assert.equal(logged(emulator).length, row.attempts);
            }
        });

        it(`${label(row.fault)} once: ${row.recovers ? "the retry succeeds" : "fails without a retry"}`, async () => {
            emulator.injectFault({ ...row.fault, times: 1 });

            const outcome = await client.listCustomCertificates(ZONE).then(
                (certificates) => certificates.length,
                (e: unknown) => e,
            );

            if (row.recovers) {
                assert.equal(outcome, 5);
                assert.equal(emulator.requests().filter((r) => r.status === 200 && r.fault === undefined).length, 1);
            } else {
                assert.ok(outcome instanceof row.kind, `got ${String(outcome)}`);
                assert.equal(logged(emulator).length, 1);
            }
        });
    }

    it("a PUT hit by a drop before the answer is retried and applied once", async () => {
        emulator.injectFault({ kind: "drop", when: "before-answer", match: { method: "PUT" } });

        await client.prioritizeCustomCertificates(ZONE, [{ id: RSA, priority: 6 }]);

        assert.deepEqual(
            logged(emulator).map((r) => [r.method, r.status]),
            [
                ["PUT", 0],
                ["PUT", 200],
            ],
        );
        assert.equal(emulator.certificates(ZONE).find((c) => c.id === RSA)?.priority, 6);
    });

    it("a PUT whose answer is cut off mid-way was applied; the idempotent retry changes nothing more", async () => {
        emulator.injectFault({ kind: "drop", when: "mid-answer", match: { method: "PUT" } });

        await client.prioritizeCustomCertificates(ZONE, [{ id: RSA, priority: 6 }]);

        assert.deepEqual(
            logged(emulator).map((r) => [r.method, r.status, r.fault]),
            [
                ["PUT", 200, "drop"],
                ["PUT", 200, undefined],
            ],
        );
        assert.equal(emulator.certificates(ZONE).find((c) => c.id === RSA)?.priority, 6);
    });

    it("under the emulator's rate limiter, waits for the window Cloudflare reports instead of drawing a 429", async function () {
        this.timeout(10_000);
        emulator.setRateLimit({ requests: 2, windowSeconds: 1 });
        const patient = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            retry: { maxAttempts: 3 },
        });

        const started = Date.now();
        for (let i = 0; i < 3; i += 1) {
            await patient.getCustomCertificate(ZONE, RSA);
        }

        assert.deepEqual(
            logged(emulator).map((r) => r.status),
            [200, 200, 200],
        );
        assert.ok(Date.now() - started >= 500, "the third request waited for the next window");
    });

    it("fails a call at once, never hangs, when another call's 429 asks for longer than the client waits", async () => {
        emulator.injectFault({ kind: "rate-limit", retryAfterSeconds: 3600, times: 1 });
        const bounded = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            retry: { maxAttempts: 3, maxRetryAfterMs: 2000, deadlineMs: 5000 },
        });

        await assert.rejects(bounded.listCustomCertificates(ZONE), CloudflareRateLimitError);
        const started = Date.now();
        await assert.rejects(bounded.listCustomCertificates(ZONE), (err: Error) => {
            assert.ok(err instanceof CloudflareRateLimitError);
            assert.match(err.message, /not sent: Cloudflare asked this account to wait 3600\.0 s/);
            return true;
        });

        assert.ok(Date.now() - started < 1000, "the second call failed at once");
        assert.equal(logged(emulator).length, 1, "the second call sent nothing");
    });

    it("shares one view of the limit across concurrent calls: every one answered, none refused", async function () {
        this.timeout(15_000);
        emulator.setRateLimit({ requests: 4, windowSeconds: 1 });
        const patient = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            retry: { maxAttempts: 4 },
        });

        await patient.getCustomCertificate(ZONE, RSA);
        await Promise.all(Array.from({ length: 10 }, () => patient.getCustomCertificate(ZONE, RSA)));

        const statuses = logged(emulator).map((r) => r.status);
        assert.deepEqual(
            statuses,
            Array.from({ length: 11 }, () => 200),
        );
    });

    it("lets the others go, within their bounds, when the first request, which learns the limit, hangs", async function () {
        this.timeout(10_000);
        emulator.injectFault({ kind: "slow", delayMs: 3000, times: 1 });
        const bounded = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            timeoutMs: 2000,
            retry: { maxAttempts: 1, maxRetryAfterMs: 500 },
        });

        const started = Date.now();
        const first = bounded.listCustomCertificates(ZONE);
        const others = await Promise.all(
            Array.from({ length: 4 }, () => bounded.listCustomCertificates(ZONE).then(() => Date.now() - started)),
        );

        for (const ms of others) {
            assert.ok(ms >= 450 && ms < 1500, `answered after ${ms} ms: waited maxRetryAfterMs, not the slow answer`);
        }
        await assert.rejects(first, (err: Error) => {
            assert.ok(err instanceof CloudflareNetworkError, err.message);
            assert.match(err.message, /timed out/);
            return true;
        });
    });

    it("fails a call at once, unsent, when the window it must wait for ends too near the deadline", async function () {
        this.timeout(10_000);
        emulator.setRateLimit({ requests: 1, windowSeconds: 2 });
        const hurried = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            retry: { maxAttempts: 1, deadlineMs: 2100 },
            random: () => 0.999,
        });
        await hurried.listCustomCertificates(ZONE); // takes the window's only place

        const started = Date.now();
        await assert.rejects(hurried.listCustomCertificates(ZONE), (err: Error) => {
            assert.ok(err instanceof CloudflareRateLimitError, err.message);
            assert.match(
                err.message,
                /not sent: Cloudflare asked this account to wait 2\.0 s .* longer than the 1\.\d s/,
            );
            return true;
        });

        assert.ok(Date.now() - started < 500, "it failed at once");
        assert.equal(logged(emulator).length, 1, "the second call sent nothing");
    });

    it("from a cold start, sends one request to learn the limit, then fills each window without a 429", async function () {
        this.timeout(15_000);
        emulator.setRateLimit({ requests: 4, windowSeconds: 1 });
        const patient = new CloudflareClient({
            credentials: { apiToken: EMULATOR_DEMO_TOKEN },
            baseUrl: emulator.apiBaseUrl,
            retry: { maxAttempts: 1 },
        });

        const started = Date.now();
        await Promise.all(Array.from({ length: 16 }, () => patient.listCustomCertificates(ZONE)));
        const elapsed = Date.now() - started;

        assert.deepEqual(
            logged(emulator).map((r) => r.status),
            Array.from({ length: 16 }, () => 200),
        );
        // 16 requests at 4 a window: the fourth window opens after 3 s, and the gate uses it.
        assert.ok(elapsed >= 3000 && elapsed < 6000, `took ${elapsed} ms`);
    });
});

// A zone of three pages: the deadline bounds the whole listing, not each page.
describe("CloudflareClient deadline across the pages of one listing", () => {
    const token = "paging-test-token-not-a-real-secret";
    const zoneId = "5a5b5c5d5e5f50515253545556575859";
    let emulator: Emulator;

    before(async () => {
        const certificates = Array.from({ length: 140 }, (_, i) => ({
            id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
            hosts: ["paging.example"],
            issuer: "DigiCert",
            signature: "ECDSAWithSHA256",
            status: "active" as const,
            priority: i + 1,
            uploaded_on: "2026-01-05T10:00:00Z",
            expires_on: "2027-06-01T00:00:00Z",
        }));
        emulator = await startEmulator({
            seed: { tokens: [token], zones: [{ id: zoneId, name: "paging.example", certificates }] },
        });
    });

    after(async () => {
        await closeConnectionPools();
        await emulator.close();
    });

    it("gives up once the pages together have used the call's deadline", async function () {
        this.timeout(10_000);
        emulator.injectFault({ kind: "slow", delayMs: 700, times: "always" });
        const client = new CloudflareClient({
            credentials: { apiToken: token },
            baseUrl: emulator.apiBaseUrl,
            retry: { maxAttempts: 1, deadlineMs: 1000 },
        });

        const started = Date.now();
        await assert.rejects(client.listCustomCertificates(zoneId), (err: Error) => {
            assert.ok(err instanceof CloudflareNetworkError, err.message);
            return true;
        });

        const elapsed = Date.now() - started;
        assert.ok(elapsed < 1400, `gave up after ${elapsed} ms, past the 1000 ms deadline`);
    });

    it("lists all three pages when the deadline allows", async () => {
        emulator.clearFaults();
        const client = new CloudflareClient({ credentials: { apiToken: token }, baseUrl: emulator.apiBaseUrl });

        assert.equal((await client.listCustomCertificates(zoneId)).length, 140);
    });
});
