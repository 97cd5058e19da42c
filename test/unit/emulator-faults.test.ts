import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";

import {
    EMULATOR_DEMO_API_KEY,
    EMULATOR_DEMO_EMAIL,
    EMULATOR_DEMO_TOKEN,
    FAULT_KINDS,
    startEmulator,
    type Emulator,
    type FaultSpec,
} from "../../emulator";
import { repoRoot } from "../../scripts/package-layout";

// The bundled seed's example.com and two of its certificates.
const ZONE = "dcb06fc888897c7e557d8606ef2115dc";
const RSA = "0743e860-d7e4-4de2-ad05-031f1d113e8f";
const LIST = `/client/v4/zones/${ZONE}/custom_certificates`;
const PRIORITIZE = `${LIST}/prioritize`;
const AUTH = { authorization: `Bearer ${EMULATOR_DEMO_TOKEN}` };
const OTHER_AUTH = { "x-auth-email": EMULATOR_DEMO_EMAIL, "x-auth-key": EMULATOR_DEMO_API_KEY };

interface Reply {
    status: number;
    headers: Headers;
    text: string;
}

async function send(
    emulator: Emulator,
    method: string,
    target: string,
    body?: unknown,
    headers: Record<string, string> = AUTH,
): Promise<Reply> {
    const response = await fetch(`${emulator.url}${target}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
}

function list(emulator: Emulator, headers: Record<string, string> = AUTH): Promise<Reply> {
    return send(emulator, "GET", LIST, undefined, headers);
}

function prioritizeRsa(emulator: Emulator, priority: number): Promise<Reply> {
    return send(emulator, "PUT", PRIORITIZE, { certificates: [{ id: RSA, priority }] });
}

function rsaPriority(emulator: Emulator): number | undefined {
    return emulator.certificates(ZONE).find((c) => c.id === RSA)?.priority;
}

function json(reply: Reply): Record<string, unknown> {
    return JSON.parse(reply.text) as Record<string, unknown>;
}

// Which of `count` list calls a fault hits, as a string of "x" (hit) and "." (served).
async function hitPattern(emulator: Emulator, count: number): Promise<string> {
    let pattern = "";
    for (let i = 0; i < count; i += 1) {
        pattern += (await list(emulator)).status === 503 ? "x" : ".";
    }
    return pattern;
}

describe("emulator faults", () => {
    let emulator: Emulator;

    before(async () => {
        emulator = await startEmulator();
    });

    after(async () => {
        await emulator.close();
    });

    beforeEach(() => {
        emulator.reset();
        emulator.clearRequests();
    });

    describe("each kind", () => {
        it("knows eight kinds", () => {
            assert.deepEqual(FAULT_KINDS, [
                "rate-limit",
                "server-error",
                "slow",
                "drop",
                "malformed",
                "truncated",
                "unsuccessful",
                "off-schema",
            ]);
        });

        it("rate-limit: 429 with retry-after and Cloudflare's rate-limit headers, nothing applied", async () => {
            emulator.injectFault({ kind: "rate-limit", retryAfterSeconds: 4 });

            const reply = await prioritizeRsa(emulator, 9);

            assert.equal(reply.status, 429);
            assert.equal(reply.headers.get("retry-after"), "4");
            assert.equal(reply.headers.get("ratelimit"), '"default";r=0;t=4');
            assert.equal(reply.headers.get("ratelimit-policy"), '"default";q=1200;w=300');
            assert.deepEqual(
                (json(reply)["errors"] as Array<{ code: number }>).map((e) => e.code),
                [971],
            );
            assert.equal(rsaPriority(emulator), 1);
        });

        for (const status of [500, 502, 503, 504]) {
            it(`server-error ${status}: that status in Cloudflare's envelope, nothing applied`, async () => {
                emulator.injectFault({ kind: "server-error", status });

                const reply = await prioritizeRsa(emulator, 9);

                assert.equal(reply.status, status);
                assert.equal(json(reply)["success"], false);
                assert.equal(rsaPriority(emulator), 1);
            });
        }

        it("drop before the answer: no answer at all, nothing applied", async () => {
            emulator.injectFault({ kind: "drop", when: "before-answer" });

            await assert.rejects(prioritizeRsa(emulator, 9));

            assert.equal(rsaPriority(emulator), 1);
            assert.deepEqual(
                emulator.requests().map((r) => [r.status, r.fault]),
                [[0, "drop"]],
            );
        });

        it("drop in the middle of the answer: headers, half a body, a closed connection; the PUT applied", async () => {
            emulator.injectFault({ kind: "drop", when: "mid-answer" });

            const response = await fetch(`${emulator.url}${PRIORITIZE}`, {
                method: "PUT",
                headers: { ...AUTH, "content-type": "application/json" },
                body: JSON.stringify({ certificates: [{ id: RSA, priority: 9 }] }),
            });
            assert.equal(response.status, 200);
            await assert.rejects(response.text());

            assert.equal(rsaPriority(emulator), 9, "the server acted before the connection dropped");
            assert.deepEqual(
                emulator.requests().map((r) => [r.status, r.fault]),
                [[200, "drop"]],
            );
        });

        it("malformed: 200 with a JSON content type and an HTML page, nothing applied", async () => {
            emulator.injectFault({ kind: "malformed" });

            const reply = await prioritizeRsa(emulator, 9);

            assert.equal(reply.status, 200);
            assert.equal(reply.headers.get("content-type"), "application/json");
            assert.match(reply.text, /^<html>.*502 Bad Gateway/);
            assert.equal(rsaPriority(emulator), 1);
        });

        it("truncated: the real answer cut in half with a matching content-length; the PUT applied", async () => {
            const whole = (await list(emulator)).text;
            emulator.injectFault({ kind: "truncated" });

            const listed = await list(emulator);
            const put = await send(emulator, "PUT", PRIORITIZE, { certificates: [{ id: RSA, priority: 9 }] });
            emulator.injectFault({ kind: "truncated" });
            const cutPut = await prioritizeRsa(emulator, 8);

            assert.equal(listed.status, 200);
            assert.equal(listed.text, whole.slice(0, Math.floor(whole.length / 2)));
            assert.equal(listed.headers.get("content-length"), String(Buffer.byteLength(listed.text)));
            assert.throws(() => JSON.parse(listed.text));
            assert.equal(put.status, 200);
            assert.throws(() => JSON.parse(cutPut.text));
            assert.equal(rsaPriority(emulator), 8, "the server acted before the answer was cut");
        });

        it("unsuccessful: 200 with success false and code 1000, or the code asked for; nothing applied", async () => {
            emulator.injectFault({ kind: "unsuccessful" });
            emulator.injectFault({ kind: "unsuccessful", code: 1100 });

            const first = json(await prioritizeRsa(emulator, 9));
            const second = await prioritizeRsa(emulator, 9);

            assert.equal(first["success"], false);
            assert.deepEqual(
                (first["errors"] as Array<{ code: number }>).map((e) => e.code),
                [1000],
            );
            assert.equal(second.status, 200);
            assert.deepEqual(
                (json(second)["errors"] as Array<{ code: number }>).map((e) => e.code),
                [1100],
            );
            assert.equal(rsaPriority(emulator), 1);
        });

        it("off-schema: 200 with success true and a result Cloudflare would never send, nothing applied", async () => {
            emulator.injectFault({ kind: "off-schema" });

            const body = json(await prioritizeRsa(emulator, 9));

            assert.equal(body["success"], true);
            assert.deepEqual(body["result"], [{ id: 42, zone_id: null, priority: "first", status: "unheard-of" }]);
            assert.equal(rsaPriority(emulator), 1);
        });

        it("slow: the real answer after the wait", async () => {
            emulator.injectFault({ kind: "slow", delayMs: 250 });
            const started = Date.now();

            assert.equal((await list(emulator)).status, 200);
            assert.ok(Date.now() - started >= 240, `took ${Date.now() - started} ms`);
        });
    });

    describe("scope", () => {
        it("hits by method and path, for the count asked, then lets requests through", async () => {
            emulator.injectFault({
                kind: "server-error",
                status: 503,
                times: 2,
                match: { method: "put", path: "/prioritize" },
            });

            assert.equal((await list(emulator)).status, 200);
            assert.deepEqual(
                [(await prioritizeRsa(emulator, 4)).status, (await prioritizeRsa(emulator, 4)).status],
                [503, 503],
            );
            assert.equal((await prioritizeRsa(emulator, 4)).status, 200);
            assert.deepEqual(emulator.faults(), []);
        });

        it("hits with a seeded probability: the same seed hits the same requests, another seed others", async () => {
            const fault: FaultSpec = { kind: "server-error", status: 503, times: "always", probability: 0.5, seed: 42 };
            emulator.injectFault(fault);
            const first = await hitPattern(emulator, 40);
            emulator.clearFaults();
            emulator.injectFault(fault);
            const again = await hitPattern(emulator, 40);
            emulator.clearFaults();
            emulator.injectFault({ ...fault, seed: 7 });
            const other = await hitPattern(emulator, 40);

            assert.equal(again, first);
            assert.notEqual(other, first);
            const hits = first.split("").filter((c) => c === "x").length;
            assert.ok(hits > 10 && hits < 30, `hit ${hits} of 40: ${first}`);
        });

        it("counts only hits against a probabilistic fault's times", async () => {
            emulator.injectFault({ kind: "server-error", status: 503, times: 3, probability: 0.3, seed: 5 });

            const pattern = await hitPattern(emulator, 60);

            assert.equal(pattern.split("").filter((c) => c === "x").length, 3, pattern);
            assert.deepEqual(emulator.faults(), []);
        });

        it("refuses a probability outside (0, 1] and an unknown field, naming them", () => {
            assert.throws(() => emulator.injectFault({ kind: "drop", probability: 0 }), /invalid fault: probability/);
            assert.throws(() => emulator.injectFault({ kind: "drop", probability: 1.5 }), /invalid fault: probability/);
            assert.throws(() => emulator.injectFault({ kind: "drop", when: "later" } as never), /invalid fault: when/);
            assert.throws(() => emulator.injectFault({ kind: "truncated", bytes: 3 } as never), /invalid fault/);
        });

        it("is set while running over HTTP, and listed with the hits left", async () => {
            const fault = { kind: "unsuccessful", times: 2, match: { path: "/prioritize" }, probability: 1, seed: 3 };
            const added = await send(emulator, "POST", "/__emulator/faults", fault, {});

            assert.equal(added.status, 201);
            assert.equal((await prioritizeRsa(emulator, 2)).status, 200);
            assert.deepEqual(JSON.parse((await send(emulator, "GET", "/__emulator/faults")).text), [
                { ...fault, times: 1 },
            ]);
        });
    });

    describe("set at start", () => {
        it("queues the faults given to startEmulator before the first request", async () => {
            const started = await startEmulator({
                faults: [
                    { kind: "rate-limit", retryAfterSeconds: 2, match: { method: "GET" } },
                    { kind: "server-error", status: 502, match: { method: "GET" } },
                ],
            });
            try {
                assert.deepEqual(
                    [(await list(started)).status, (await list(started)).status, (await list(started)).status],
                    [429, 502, 200],
                );
            } finally {
                await started.close();
            }
        });

        it("refuses a bad fault before it listens, naming it", async () => {
            await assert.rejects(
                startEmulator({ faults: [{ kind: "drop" }, { kind: "server-error", status: 404 } as FaultSpec] }),
                /invalid faults\[1\]: status/,
            );
        });

        it("takes --fault on the command line", async function () {
            this.timeout(60_000);
            const child = spawn(
                process.execPath,
                [
                    "-r",
                    "ts-node/register/transpile-only",
                    "emulator/cli.ts",
                    "--port",
                    "0",
                    "--fault",
                    '{"kind":"server-error","status":504}',
                ],
                { cwd: repoRoot },
            );
            let stdout = "";
            child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
            const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
            try {
                const url = await until(
                    () => /API base URL: (http:\/\/127\.0\.0\.1:\d+)\/client\/v4/.exec(stdout)?.[1],
                    30_000,
                );
                assert.match(stdout, /fault: {2,}\{"kind":"server-error","status":504\}/);
                const statuses = [];
                for (let i = 0; i < 2; i += 1) {
                    const response = await fetch(`${url}${LIST}`, { headers: AUTH });
                    await response.arrayBuffer();
                    statuses.push(response.status);
                }
                assert.deepEqual(statuses, [504, 200]);
            } finally {
                child.kill("SIGTERM");
            }
            assert.equal(await exited, 0);
        });
    });

    describe("rate limiter", () => {
        it("sends Cloudflare's rate-limit headers on every answer, and 429 past the budget", async () => {
            const limited = await startEmulator({ rateLimit: { requests: 3, windowSeconds: 60 } });
            try {
                const replies = [];
                for (let i = 0; i < 4; i += 1) {
                    replies.push(await list(limited));
                }

                assert.deepEqual(
                    replies.map((r) => r.status),
                    [200, 200, 200, 429],
                );
                assert.deepEqual(
                    replies.map((r) => r.headers.get("ratelimit")?.replace(/t=\d+/, "t=T")),
                    ['"default";r=2;t=T', '"default";r=1;t=T', '"default";r=0;t=T', '"default";r=0;t=T'],
                );
                assert.ok(replies.every((r) => r.headers.get("ratelimit-policy") === '"default";q=3;w=60'));
                const wait = Number(replies[3]?.headers.get("retry-after"));
                assert.ok(wait >= 59 && wait <= 60, `retry-after ${wait}`);
                assert.equal(replies[0]?.headers.get("retry-after"), null, "retry-after only on a 429");
            } finally {
                await limited.close();
            }
        });

        it("counts each credential apart, and opens a new window when the last one ends", async () => {
            const limited = await startEmulator({ rateLimit: { requests: 2, windowSeconds: 0.3 } });
            try {
                const statuses = async (headers: Record<string, string>) => [
                    (await list(limited, headers)).status,
                    (await list(limited, headers)).status,
                    (await list(limited, headers)).status,
                ];
                assert.deepEqual(await statuses(AUTH), [200, 200, 429]);
                assert.deepEqual(await statuses(OTHER_AUTH), [200, 200, 429]);
                await new Promise((resolve) => setTimeout(resolve, 350));
                assert.deepEqual(await statuses(AUTH), [200, 200, 429]);
            } finally {
                await limited.close();
            }
        });

        it("is set and lifted while running, in process and over HTTP", async () => {
            emulator.setRateLimit({ requests: 1, windowSeconds: 60 });
            assert.deepEqual([(await list(emulator)).status, (await list(emulator)).status], [200, 429]);

            const noAuth = {};
            const put = await send(
                emulator,
                "PUT",
                "/__emulator/rate-limit",
                { requests: 5, windowSeconds: 10 },
                noAuth,
            );
            assert.equal(put.status, 200);
            assert.deepEqual(
                JSON.parse((await send(emulator, "GET", "/__emulator/rate-limit", undefined, noAuth)).text),
                {
                    requests: 5,
                    windowSeconds: 10,
                },
            );
            assert.equal((await list(emulator)).headers.get("ratelimit-policy"), '"default";q=5;w=10');

            const bad = await send(emulator, "PUT", "/__emulator/rate-limit", { requests: 0 }, noAuth);
            assert.equal(bad.status, 400);
            assert.match(bad.text, /requests/);

            assert.equal((await send(emulator, "DELETE", "/__emulator/rate-limit", undefined, noAuth)).status, 204);
            const free = await list(emulator);
            assert.equal(free.status, 200);
            assert.equal(free.headers.get("ratelimit"), null);
        });
    });
});

async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = probe();
        if (value !== undefined) {
            return value;
        }
        if (Date.now() > deadline) {
            throw new Error(`gave up after ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}
