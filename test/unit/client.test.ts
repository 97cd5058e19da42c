import * as assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { CloudflareClient, closeConnectionPools, parseRetryAfter, type ClientOptions } from "../../provider/client";
import {
    CloudflareAuthError,
    CloudflareError,
    CloudflareNetworkError,
    CloudflareNotFoundError,
    CloudflareRateLimitError,
    CloudflareRequestError,
    CloudflareResponseError,
    CloudflareServerError,
    isCloudflareError,
} from "../../provider/errors";
import {
    errorEnvelope,
    FakeCloudflare,
    okEnvelope,
    type FakeResponse,
    type RecordedRequest,
} from "../support/fakeServer";

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const CERT_A = "5a7805061c76ada191ed06f989cc3dac";
const CERT_UUID = "7b163417-1d2b-4c84-a38a-2fb7a0cd7752";
const LIST = `/zones/${ZONE}/custom_certificates`;
const PRIORITIZE = `${LIST}/prioritize`;

// "/", "+" and "=" change under URL-encoding, so the encoded token is a second string to hide.
const TOKEN = "cfT0ken/Secret+Value=9f8e7d6c5b4a39281706";
const ENCODED_TOKEN = encodeURIComponent(TOKEN);

// The documented switch for the client's debug log.
const DEBUG_ENV = "CLOUDFLARE_PRIORITY_DEBUG";

type ErrorClass<E> = new (details: never) => E;

function certificate(id: string, priority: number): Record<string, unknown> {
    return {
        id,
        zone_id: ZONE,
        priority,
        status: "active",
        hosts: ["example.com"],
        issuer: "GlobalSign",
        signature: "SHA256WithRSA",
        bundle_method: "ubiquitous",
        expires_on: "2030-01-01T00:00:00Z",
    };
}

// Certificates numbered from `first`, with 32-hex-digit ids like Cloudflare's.
function certificates(first: number, count: number): Array<Record<string, unknown>> {
    return Array.from({ length: count }, (_, i) => certificate((first + i).toString(16).padStart(32, "0"), first + i));
}

function page(result: unknown[], info: Record<string, number>): FakeResponse {
    return { body: okEnvelope(result, { per_page: 50, count: result.length, ...info }) };
}

/** A client aimed at the fake server whose waits are recorded instead of slept. */
function clientFor(server: FakeCloudflare, options: Partial<ClientOptions> = {}) {
    const delays: number[] = [];
    const client = new CloudflareClient({
        credentials: { apiToken: TOKEN },
        baseUrl: server.baseUrl,
        sleep: async (ms) => {
            delays.push(ms);
        },
        random: () => 0.5,
        ...options,
    });
    return { client, delays };
}

function sent(server: FakeCloudflare, index = 0): RecordedRequest {
    const request = server.requests[index];
    assert.ok(request, `expected request #${index + 1}; the server saw ${server.requests.length}`);
    return request;
}

async function failureOf<E extends CloudflareError>(call: Promise<unknown>, kind: ErrorClass<E>): Promise<E> {
    const outcome = await call.then(
        () => "the call succeeded",
        (err: unknown) => err,
    );
    assert.ok(outcome instanceof kind, `expected a ${kind.name}, got: ${String(outcome)}`);
    assert.equal(outcome.name, outcome.constructor.name);
    assert.ok(isCloudflareError(outcome));
    return outcome;
}

// The Pulumi engine reads an `id` on a thrown error as "the resource was partially created".
function assertNoId(err: Error): void {
    assert.equal("id" in err, false, `${err.name} has a property named id`);
    assert.equal(Object.hasOwn(JSON.parse(JSON.stringify(err)) as object, "id"), false);
}

// Every 8-character piece of the token and of its URL-encoded form: a cut-off excerpt leaks too.
function tokenPieces(): string[] {
    return [TOKEN, ENCODED_TOKEN].flatMap((secret) =>
        Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8)),
    );
}

function assertHidesToken(text: string | undefined, where: string): void {
    const leaked = tokenPieces().find((piece) => text?.includes(piece));
    assert.equal(leaked, undefined, `${where} reveals part of the token: ${String(text)}`);
}

function assertErrorHidesToken(err: Error): void {
    assertHidesToken(err.message, "message");
    assertHidesToken(String(err), "String(err)");
    assertHidesToken(JSON.stringify(err), "JSON.stringify(err)");
    assertHidesToken(err.stack, "stack");
}

async function closedPort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

// Runs `call` with debug logging switched on (or off) and returns the client's stderr lines.
async function debugLines(on: boolean, call: () => Promise<unknown>): Promise<string[]> {
    const written: string[] = [];
    const originalWrite = process.stderr.write;
    const previous = process.env[DEBUG_ENV];
    process.env[DEBUG_ENV] = on ? "1" : "";
    process.stderr.write = ((chunk: string | Uint8Array) => {
        written.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
    }) as typeof process.stderr.write;

    try {
        await call();
    } finally {
        process.stderr.write = originalWrite;
        if (previous === undefined) {
            delete process.env[DEBUG_ENV];
        } else {
            process.env[DEBUG_ENV] = previous;
        }
    }
    return written
        .join("")
        .split("\n")
        .filter((line) => line.startsWith("[cloudflare-certificate-priority]"));
}

describe("CloudflareClient", () => {
    let server: FakeCloudflare;

    beforeEach(async () => {
        server = await FakeCloudflare.start();
    });

    afterEach(async () => {
        await server.close();
    });

    after(closeConnectionPools);

    describe("successful calls", () => {
        it("gets one certificate with a GET below the base URL's path and a Bearer token", async () => {
            server.reply("GET", `${LIST}/${CERT_A}`, { body: okEnvelope(certificate(CERT_A, 1)) });
            const { client } = clientFor(server);

            const got = await client.getCustomCertificate(ZONE, CERT_A);

            assert.deepEqual(got, certificate(CERT_A, 1));
            const request = sent(server);
            assert.equal(request.method, "GET");
            assert.equal(request.url, `/client/v4/zones/${ZONE}/custom_certificates/${CERT_A}`);
            assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
            assert.equal(request.headers["x-auth-key"], undefined);
            assert.equal(request.headers.accept, "application/json");
            assert.match(
                request.headers["user-agent"] ?? "",
                /^pulumi-cloudflare-certificate-priority\/\d+\.\d+\.\d+\S* node\/\d+\.\d+\.\d+$/,
            );
            assert.equal(request.body, "");
        });

        it("lists a zone's certificates asking for page 1 with per_page=50", async () => {
            const both = [certificate(CERT_A, 1), certificate(CERT_UUID, 2)];
            server.reply("GET", LIST, page(both, { page: 1, total_pages: 1 }));
            const { client } = clientFor(server);

            const listed = await client.listCustomCertificates(ZONE);

            assert.deepEqual(
                listed.map((c) => [c.id, c.priority]),
                [
                    [CERT_A, 1],
                    [CERT_UUID, 2],
                ],
            );
            const request = sent(server);
            assert.equal(request.method, "GET");
            assert.equal(request.url, `/client/v4/zones/${ZONE}/custom_certificates?page=1&per_page=50`);
            assert.equal(server.requests.length, 1);
        });

        it("prioritizes with one PUT whose JSON body carries every id and priority", async () => {
            server.reply("PUT", PRIORITIZE, { body: okEnvelope([certificate(CERT_UUID, 1), certificate(CERT_A, 2)]) });
            const { client } = clientFor(server);

            const result = await client.prioritizeCustomCertificates(ZONE, [
                { id: CERT_UUID, priority: 1 },
                { id: CERT_A, priority: 2 },
            ]);

            assert.deepEqual(
                result.map((c) => [c.id, c.priority]),
                [
                    [CERT_UUID, 1],
                    [CERT_A, 2],
                ],
            );
            const request = sent(server);
            assert.equal(request.method, "PUT");
            assert.equal(request.url, `/client/v4/zones/${ZONE}/custom_certificates/prioritize`);
            assert.equal(request.headers["content-type"], "application/json");
            assert.deepEqual(JSON.parse(request.body), {
                certificates: [
                    { id: CERT_UUID, priority: 1 },
                    { id: CERT_A, priority: 2 },
                ],
            });
        });

        it("returns an empty list when the prioritize answer has no result, as the schema allows", async () => {
            server.reply("PUT", PRIORITIZE, { body: okEnvelope(null) });
            const { client } = clientFor(server);

            assert.deepEqual(await client.prioritizeCustomCertificates(ZONE, [{ id: CERT_A, priority: 1 }]), []);
        });

        it("sends a legacy API key as X-Auth-Email and X-Auth-Key instead of a Bearer header", async () => {
            server.reply("GET", `${LIST}/${CERT_A}`, { body: okEnvelope(certificate(CERT_A, 1)) });
            const { client } = clientFor(server, { credentials: { apiKey: TOKEN, email: "ops@example.com" } });

            await client.getCustomCertificate(ZONE, CERT_A);

            const request = sent(server);
            assert.equal(request.headers["x-auth-email"], "ops@example.com");
            assert.equal(request.headers["x-auth-key"], TOKEN);
            assert.equal(request.headers.authorization, undefined);
        });

        it("treats a base URL with a trailing slash like one without", async () => {
            server.reply("GET", `${LIST}/${CERT_A}`, { body: okEnvelope(certificate(CERT_A, 1)) });
            const { client } = clientFor(server, { baseUrl: `${server.baseUrl}/` });

            await client.getCustomCertificate(ZONE, CERT_A);

            assert.equal(sent(server).url, `/client/v4/zones/${ZONE}/custom_certificates/${CERT_A}`);
        });
    });

    describe("paging", () => {
        it("reads three pages in turn when total_pages says 3", async () => {
            server.reply(
                "GET",
                LIST,
                page(certificates(1, 50), { page: 1, total_pages: 3 }),
                page(certificates(51, 50), { page: 2, total_pages: 3 }),
                page(certificates(101, 3), { page: 3, total_pages: 3 }),
            );
            const { client } = clientFor(server);

            const listed = await client.listCustomCertificates(ZONE);

            assert.deepEqual(
                listed.map((c) => c.priority),
                Array.from({ length: 103 }, (_, i) => i + 1),
            );
            assert.deepEqual(
                server.requests.map((r) => [r.query.get("page"), r.query.get("per_page")]),
                [
                    ["1", "50"],
                    ["2", "50"],
                    ["3", "50"],
                ],
            );
        });

        it("stops after a page shorter than per_page when total_pages is absent", async () => {
            server.reply(
                "GET",
                LIST,
                page(certificates(1, 50), { page: 1 }),
                page(certificates(51, 7), { page: 2 }),
                page(certificates(58, 1), { page: 3 }),
            );
            const { client } = clientFor(server);

            const listed = await client.listCustomCertificates(ZONE);

            assert.equal(listed.length, 57);
            assert.equal(server.requests.length, 2);
            assert.deepEqual(server.unused(), { [`GET ${LIST}`]: 1 });
        });

        it("keeps the first copy of a certificate that appears on two pages", async () => {
            const [shifted] = certificates(50, 1);
            server.reply(
                "GET",
                LIST,
                page(certificates(1, 50), { page: 1, total_pages: 2 }),
                page([{ ...shifted, priority: 999 }, ...certificates(51, 2)], { page: 2, total_pages: 2 }),
            );
            const { client } = clientFor(server);

            const listed = await client.listCustomCertificates(ZONE);

            assert.equal(listed.length, 52);
            assert.equal(new Set(listed.map((c) => c.id)).size, 52);
            assert.equal(listed.find((c) => c.id === shifted?.["id"])?.priority, 50);
        });

        it("fails with CloudflareResponseError when the server answers another page than asked", async () => {
            server.reply(
                "GET",
                LIST,
                page(certificates(1, 50), { page: 1, total_pages: 2 }),
                page(certificates(1, 50), { page: 1, total_pages: 2 }),
            );
            const { client } = clientFor(server);

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareResponseError);

            assert.match(err.message, /asked for page 2 but the answer is page 1/);
            assert.equal(err.attempts, 2);
            assert.equal(err.operation, `list custom certificates of zone ${ZONE}`);
        });
    });

    describe("errors by kind", () => {
        const authFailures: Array<[string, number, FakeResponse["body"]]> = [
            ["401", 401, errorEnvelope({ code: 10000, message: "Authentication error" })],
            ["403", 403, errorEnvelope({ code: 9109, message: "Unauthorized to access requested resource" })],
            ["403 from a proxy, without codes", 403, "<html><body>Forbidden</body></html>"],
            ["code 10000 under a 400", 400, errorEnvelope({ code: 10000, message: "Authentication error" })],
            ["code 9109 under a 400", 400, errorEnvelope({ code: 9109, message: "Invalid access token" })],
        ];
        for (const [label, status, body] of authFailures) {
            it(`turns ${label} into CloudflareAuthError without retrying`, async () => {
                server.reply("GET", LIST, { status, body });
                const { client } = clientFor(server);

                const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareAuthError);

                assert.equal(err.status, status);
                assert.equal(err.attempts, 1);
                assert.equal(server.requests.length, 1);
                assert.match(err.message, /SSL and Certificates: Edit/);
            });
        }

        it("turns a 404 on one certificate into CloudflareNotFoundError naming zone and certificate", async () => {
            const notFound = errorEnvelope({ code: 1002, message: "Certificate not found" });
            server.reply("GET", `${LIST}/${CERT_A}`, { status: 404, body: notFound });
            const { client } = clientFor(server);

            const err = await failureOf(client.getCustomCertificate(ZONE, CERT_A), CloudflareNotFoundError);

            assert.equal(err.status, 404);
            assert.equal(err.zoneId, ZONE);
            assert.equal(err.certificateId, CERT_A);
            assert.equal(err.attempts, 1);
            assert.match(err.message, new RegExp(`Certificate ${CERT_A} does not exist in zone ${ZONE}`));
        });

        it("turns code 7003 under a 400 into CloudflareNotFoundError for the zone", async () => {
            const routeError = {
                code: 7003,
                message: "Could not route to /zones/x, perhaps your object identifier is invalid?",
            };
            server.reply("GET", LIST, { status: 400, body: errorEnvelope(routeError) });
            const { client } = clientFor(server);

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareNotFoundError);

            assert.equal(err.zoneId, ZONE);
            assert.equal(err.certificateId, undefined);
            assert.deepEqual(err.errors, [routeError]);
        });

        // A wrong base URL must never read as "the zone is gone": refresh would drop the resource.
        const wrongPaths: Array<[string, number, Record<string, unknown> | string]> = [
            ["code 7000 (no route for that URI)", 400, errorEnvelope({ code: 7000, message: "No route for that URI" })],
            ["a bare 404 without Cloudflare's codes", 404, "<html><body>Not Found</body></html>"],
        ];
        for (const [name, status, body] of wrongPaths) {
            it(`turns ${name} into CloudflareRequestError pointing at the base URL`, async () => {
                server.reply("GET", LIST, { status, body });
                const { client } = clientFor(server);

                const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareRequestError);

                assert.ok(!(err instanceof CloudflareNotFoundError));
                assert.equal(err.status, status);
                assert.match(err.message, /check the base URL \(cloudflare:baseUrl or CLOUDFLARE_BASE_URL\)/);
                assert.match(err.message, /\/client\/v4/);
            });
        }

        it("turns 400 with code 1002 into CloudflareRequestError and does not retry it", async () => {
            const invalid = errorEnvelope({ code: 1002, message: "Invalid certificate" });
            server.reply("PUT", PRIORITIZE, { status: 400, body: invalid });
            const { client, delays } = clientFor(server);

            const err = await failureOf(
                client.prioritizeCustomCertificates(ZONE, [{ id: CERT_A, priority: 1 }]),
                CloudflareRequestError,
            );

            assert.equal(err.status, 400);
            assert.deepEqual(err.errors, [{ code: 1002, message: "Invalid certificate" }]);
            assert.match(err.message, /400 Bad Request .*\[1002\] Invalid certificate/);
            assert.equal(err.attempts, 1);
            assert.deepEqual(delays, []);
        });

        it("turns a 200 with success: false into CloudflareResponseError carrying the codes", async () => {
            server.reply("GET", LIST, { body: errorEnvelope({ code: 1000, message: "Zone is locked" }) });
            const { client } = clientFor(server);

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareResponseError);

            assert.equal(err.status, 200);
            assert.deepEqual(err.errors, [{ code: 1000, message: "Zone is locked" }]);
            assert.match(err.message, /success: false.*\[1000\] Zone is locked/);
            assert.equal(err.attempts, 1);
        });

        const badBodies: Array<[string, FakeResponse["body"], RegExp]> = [
            ["a body that is not JSON", "<html>502 Bad Gateway</html>", /not JSON.*502 Bad Gateway/],
            ["a truncated JSON body", JSON.stringify(okEnvelope([certificate(CERT_A, 1)])).slice(0, 60), /not JSON/],
            [
                "a result whose priority is not a number",
                okEnvelope([{ ...certificate(CERT_A, 1), priority: "first" }]),
                /documented schema: result\[0\]\.priority/,
            ],
            [
                "a result without ids",
                okEnvelope([{ zone_id: ZONE, priority: 1 }]),
                /documented schema: result\[0\]\.id/,
            ],
            ["an envelope without result", { success: true, errors: [], messages: [] }, /documented schema: result/],
        ];
        for (const [label, body, reason] of badBodies) {
            it(`turns a 200 with ${label} into CloudflareResponseError`, async () => {
                server.reply("GET", LIST, { body });
                const { client } = clientFor(server);

                const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareResponseError);

                assert.match(err.message, reason);
                assert.equal(err.status, 200);
                assert.equal(err.attempts, 1);
            });
        }
    });

    describe("retries", () => {
        const rateLimited = (retryAfter: string): FakeResponse => ({
            status: 429,
            headers: { "retry-after": retryAfter },
            body: errorEnvelope({ code: 971, message: "Please wait and consider throttling your request speed" }),
        });

        it("waits exactly retry-after seconds between 429s, then fails with CloudflareRateLimitError", async () => {
            server.reply("GET", LIST, rateLimited("3"), rateLimited("3"), rateLimited("3"), rateLimited("3"));
            const { client, delays } = clientFor(server, { retry: { maxAttempts: 4 } });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareRateLimitError);

            assert.deepEqual(delays, [3000, 3000, 3000]);
            assert.equal(err.retryAfterMs, 3000);
            assert.equal(err.status, 429);
            assert.equal(err.attempts, 4);
            assert.equal(server.requests.length, 4);
            assert.deepEqual(
                err.errors.map((e) => e.code),
                [971],
            );
        });

        it("returns the answer that follows a 429", async () => {
            server.reply("GET", `${LIST}/${CERT_A}`, rateLimited("1"), { body: okEnvelope(certificate(CERT_A, 1)) });
            const { client, delays } = clientFor(server);

            assert.equal((await client.getCustomCertificate(ZONE, CERT_A)).id, CERT_A);
            assert.deepEqual(delays, [1000]);
        });

        it("stops at once when retry-after asks for more than maxRetryAfterMs", async () => {
            server.reply("GET", LIST, rateLimited("120"), rateLimited("120"));
            const { client, delays } = clientFor(server, { retry: { maxRetryAfterMs: 60_000 } });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareRateLimitError);

            assert.match(err.message, /asked to wait 120\.0 s before retrying .*longer than the 60\.0 s this client/);
            assert.equal(err.retryAfterMs, 120_000);
            assert.equal(err.attempts, 1);
            assert.deepEqual(delays, []);
        });

        it("retries 500, 502, 503 and 504 with capped exponential backoff, then gives up", async () => {
            const statuses = [500, 502, 503, 504, 503];
            server.reply("GET", LIST, ...statuses.map((status) => ({ status, body: errorEnvelope() })));
            const { client, delays } = clientFor(server, {
                retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 1500 },
                random: () => 0.5,
            });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareServerError);

            // Half (random 0.5) of min(1500, 500 * 2^(attempt - 1)).
            assert.deepEqual(delays, [250, 500, 750, 750]);
            assert.equal(err.status, 503);
            assert.equal(err.attempts, 5);
            assert.equal(server.requests.length, 5);
        });

        it("reads retry-after as seconds or as an HTTP date, and ignores what it cannot read", () => {
            const now = Date.parse("2030-01-01T00:00:00Z");

            assert.equal(parseRetryAfter("7", now), 7000);
            assert.equal(parseRetryAfter(" 1.5 ", now), 1500);
            assert.equal(parseRetryAfter("Tue, 01 Jan 2030 00:00:05 GMT", now), 5000);
            assert.equal(parseRetryAfter("Mon, 31 Dec 2029 23:59:00 GMT", now), 0);
            assert.equal(parseRetryAfter("soon", now), undefined);
            assert.equal(parseRetryAfter("Tuesday, 01-Jan-30 00:00:02 GMT", now), 2000);
            assert.equal(parseRetryAfter("-3", now), undefined);
            assert.equal(parseRetryAfter("10 20", now), undefined);
            assert.equal(parseRetryAfter(undefined, now), undefined);
        });

        it("returns the answer that follows a 502", async () => {
            const good = { body: okEnvelope(certificate(CERT_A, 1)) };
            server.reply("GET", `${LIST}/${CERT_A}`, { status: 502, body: "bad gateway" }, good);
            const { client, delays } = clientFor(server);

            assert.equal((await client.getCustomCertificate(ZONE, CERT_A)).id, CERT_A);
            assert.deepEqual(delays, [250]);
        });
    });

    describe("retry rules, one test each", () => {
        for (const status of [408, 409]) {
            it(`retries ${status} and returns the answer that follows`, async () => {
                const good = { body: okEnvelope(certificate(CERT_A, 1)) };
                server.reply(
                    "GET",
                    `${LIST}/${CERT_A}`,
                    { status, body: errorEnvelope({ code: 1000, message: "again" }) },
                    good,
                );
                const { client, delays } = clientFor(server);

                assert.equal((await client.getCustomCertificate(ZONE, CERT_A)).id, CERT_A);
                assert.equal(server.requests.length, 2);
                assert.deepEqual(delays, [250]);
            });
        }

        for (const status of [400, 401, 403, 404, 405, 410, 413, 422]) {
            it(`never retries a ${status}`, async () => {
                server.reply("GET", LIST, { status, body: errorEnvelope({ code: 1004, message: "no" }) });
                const { client, delays } = clientFor(server, { retry: { maxAttempts: 5 } });

                const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareError);

                assert.equal(err.status, status);
                assert.equal(err.attempts, 1);
                assert.equal(server.requests.length, 1);
                assert.deepEqual(delays, []);
            });
        }

        it("stops at maxAttempts, counting the first attempt", async () => {
            server.reply("GET", LIST, ...Array.from({ length: 6 }, () => ({ status: 503, body: errorEnvelope() })));
            const { client, delays } = clientFor(server, { retry: { maxAttempts: 3 } });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareServerError);

            assert.equal(err.attempts, 3);
            assert.equal(server.requests.length, 3);
            assert.equal(delays.length, 2);
        });

        it("makes exactly one attempt when maxAttempts is 1", async () => {
            server.reply("GET", LIST, { status: 503, body: errorEnvelope() }, { status: 503, body: errorEnvelope() });
            const { client, delays } = clientFor(server, { retry: { maxAttempts: 1 } });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareServerError);

            assert.equal(err.attempts, 1);
            assert.deepEqual(delays, []);
        });

        it("spreads backoff with full jitter between 0 and the capped ceiling", async () => {
            const statuses = Array.from({ length: 5 }, () => ({ status: 500, body: errorEnvelope() }));
            server.reply("GET", LIST, ...statuses);
            const low = clientFor(server, {
                retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
                random: () => 0,
            });
            await failureOf(low.client.listCustomCertificates(ZONE), CloudflareServerError);

            server.reply("GET", LIST, ...statuses);
            const high = clientFor(server, {
                retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
                random: () => 0.999,
            });
            await failureOf(high.client.listCustomCertificates(ZONE), CloudflareServerError);

            assert.deepEqual(low.delays, [0, 0, 0, 0]);
            // Ceilings 100, 200, 400 capped to 300, 800 capped to 300.
            assert.deepEqual(high.delays, [99, 199, 299, 299]);
        });

        it("stops before a wait that would cross the deadline, and says so", async () => {
            server.reply("GET", LIST, ...Array.from({ length: 5 }, () => ({ status: 503, body: errorEnvelope() })));
            const { client, delays } = clientFor(server, {
                retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 1200 },
                random: () => 0.999,
            });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareServerError);

            assert.deepEqual(delays, [999]);
            assert.equal(err.attempts, 2);
            assert.match(err.message, /the next attempt would start after the 1\.2 s deadline/);
        });

        it("prefers retry-after to its own backoff, and waits one exactly at the cap", async () => {
            const limited = (seconds: string): FakeResponse => ({
                status: 429,
                headers: { "retry-after": seconds },
                body: errorEnvelope(),
            });
            server.reply("GET", `${LIST}/${CERT_A}`, limited("2"), { body: okEnvelope(certificate(CERT_A, 1)) });
            const { client, delays } = clientFor(server, { retry: { maxRetryAfterMs: 2000, baseDelayMs: 10 } });

            assert.equal((await client.getCustomCertificate(ZONE, CERT_A)).id, CERT_A);
            assert.deepEqual(delays, [2000]);
        });

        it("retries a 429 without retry-after with its own backoff", async () => {
            server.reply(
                "GET",
                `${LIST}/${CERT_A}`,
                { status: 429, body: errorEnvelope() },
                { body: okEnvelope(certificate(CERT_A, 1)) },
            );
            const { client, delays } = clientFor(server);

            assert.equal((await client.getCustomCertificate(ZONE, CERT_A)).id, CERT_A);
            assert.deepEqual(delays, [250]);
        });

        it("does not retry an answer that is not JSON or off the schema", async () => {
            server.reply("GET", LIST, { body: "<html>oops</html>" }, { body: okEnvelope([]) });
            const { client } = clientFor(server);

            await failureOf(client.listCustomCertificates(ZONE), CloudflareResponseError);
            assert.equal(server.requests.length, 1);
        });

        it("says what was tried in the final error: attempts, time, last status, zone, codes and cf-ray", async () => {
            const failing = (ray: string): FakeResponse => ({
                status: 503,
                headers: { "cf-ray": ray },
                body: errorEnvelope({ code: 1000, message: "upstream unavailable" }),
            });
            server.reply(
                "PUT",
                PRIORITIZE,
                failing("8f0000000000000a-FRA"),
                failing("8f0000000000000b-FRA"),
                failing("8f0000000000000c-FRA"),
            );
            const { client } = clientFor(server, { retry: { maxAttempts: 3 } });

            const err = await failureOf(
                client.prioritizeCustomCertificates(ZONE, [{ id: CERT_A, priority: 1 }]),
                CloudflareServerError,
            );

            // Waits of 250 and 500 ms (random 0.5) plus the time on the wire.
            assert.match(
                err.message,
                new RegExp(
                    `^Cloudflare API: prioritize custom certificates of zone ${ZONE}: 3 attempts over 0\\.\\d s, ` +
                        "last: 503 Service Unavailable \\(cf-ray 8f0000000000000c-FRA\\): \\[1000\\] upstream unavailable\\. ",
                ),
            );
            assert.equal(err.elapsedMs >= 750, true, `elapsedMs ${err.elapsedMs}`);
            assertErrorHidesToken(err);
        });

        it("says what was tried when no answer came: attempts and the last failure", async () => {
            const slow: FakeResponse = { delayMs: 2000, body: okEnvelope([]) };
            server.reply("GET", LIST, slow, slow);
            const { client } = clientFor(server, { timeoutMs: 100, retry: { maxAttempts: 2 } });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareNetworkError);

            assert.match(
                err.message,
                new RegExp(
                    `zone ${ZONE}: 2 attempts over 0\\.\\d s, last: no complete answer within 0\\.1 s \\(timed out\\)\\.`,
                ),
            );
        });
    });

    describe("network failures", () => {
        it("gives up on an answer slower than timeoutMs with CloudflareNetworkError 'timeout'", async () => {
            const slow: FakeResponse = { delayMs: 3000, body: okEnvelope(certificate(CERT_A, 1)) };
            server.reply("GET", `${LIST}/${CERT_A}`, slow, slow);
            const { client } = clientFor(server, { timeoutMs: 200, retry: { maxAttempts: 2 } });
            const started = Date.now();

            const err = await failureOf(client.getCustomCertificate(ZONE, CERT_A), CloudflareNetworkError);

            assert.equal(err.failure, "timeout");
            assert.equal(err.attempts, 2);
            assert.equal(err.status, undefined);
            assert.equal(server.requests.length, 2);
            assert.ok(Date.now() - started < 2000, "the client waited for the slow answer");
            assertNoId(err);
        });

        it("reports a refused connection as CloudflareNetworkError 'connection' after retrying", async () => {
            const port = await closedPort();
            const { client, delays } = clientFor(server, {
                baseUrl: `http://127.0.0.1:${port}/client/v4`,
                retry: { maxAttempts: 2 },
            });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareNetworkError);

            assert.equal(err.failure, "connection");
            assert.equal(err.causeCode, "ECONNREFUSED");
            assert.equal(err.attempts, 2);
            assert.deepEqual(delays, [250]);
            assert.match(err.message, new RegExp(`could not connect.*127\\.0\\.0\\.1:${port}`));
            assertNoId(err);
        });

        for (const destroy of ["before-headers", "mid-body"] as const) {
            it(`retries an answer whose socket is destroyed ${destroy.replace("-", " ")}`, async () => {
                const good = { body: okEnvelope(certificate(CERT_A, 1)) };
                server.reply("GET", `${LIST}/${CERT_A}`, { ...good, destroy }, good);
                const { client, delays } = clientFor(server);

                assert.equal((await client.getCustomCertificate(ZONE, CERT_A)).id, CERT_A);
                assert.equal(server.requests.length, 2);
                assert.deepEqual(delays, [250]);
            });
        }

        it("fails with CloudflareNetworkError 'connection' when every answer is cut off", async () => {
            const cut: FakeResponse = { body: okEnvelope(certificate(CERT_A, 1)), destroy: "mid-body" };
            server.reply("GET", `${LIST}/${CERT_A}`, cut, cut);
            const { client } = clientFor(server, { retry: { maxAttempts: 2 } });

            const err = await failureOf(client.getCustomCertificate(ZONE, CERT_A), CloudflareNetworkError);

            assert.equal(err.failure, "connection");
            assert.equal(err.attempts, 2);
            assert.match(err.message, /the connection dropped/);
        });
    });

    describe("what every error carries", () => {
        // Each row: the error class, the status answered, the Cloudflare code in the body, and the
        // attempts made (two where the status is retried).
        const scenarios: Array<[ErrorClass<CloudflareError>, number, number, number]> = [
            [CloudflareAuthError, 403, 9109, 1],
            [CloudflareNotFoundError, 404, 7003, 1],
            [CloudflareRateLimitError, 429, 971, 2],
            [CloudflareServerError, 503, 10013, 2],
            [CloudflareRequestError, 400, 1002, 1],
            [CloudflareResponseError, 200, 1000, 1],
        ];
        const rays = ["8f00000000000001-SJC", "8f00000000000002-AMS"];

        for (const [kind, status, code, attempts] of scenarios) {
            it(`${kind.name} carries status, codes, cf-ray, attempts and operation, and no id`, async () => {
                // Each answer has its own ray; a retried call must report the last one.
                const answer = (cfRay: string): FakeResponse => ({
                    status,
                    headers: { "cf-ray": cfRay, "retry-after": "1" },
                    body: errorEnvelope({ code, message: `failure ${code}` }),
                });
                server.reply("GET", LIST, ...rays.map(answer));
                const { client } = clientFor(server, { retry: { maxAttempts: 2 } });

                const err = await failureOf(client.listCustomCertificates(ZONE), kind);

                assert.equal(err.status, status);
                assert.deepEqual(err.errors, [{ code, message: `failure ${code}` }]);
                assert.equal(err.attempts, attempts);
                assert.equal(err.cfRay, rays[attempts - 1]);
                assert.ok(err.message.includes(`(cf-ray ${err.cfRay})`), err.message);
                assert.equal(err.operation, `list custom certificates of zone ${ZONE}`);
                const effort =
                    attempts === 1 ? "1 attempt over \\d+\\.\\d s: " : `${attempts} attempts over \\d+\\.\\d s, last: `;
                assert.match(
                    err.message,
                    new RegExp(`^Cloudflare API: ${err.operation}: ${effort}${status} `),
                    err.message,
                );
                assertNoId(err);
            });
        }
    });

    describe("redaction", () => {
        const echo = `Authorization: Bearer ${TOKEN} was refused (token=${TOKEN}, encoded=${ENCODED_TOKEN})`;
        const echoes: Array<[string, FakeResponse]> = [
            ["a non-JSON 401", { status: 401, body: `<html>${echo}</html>` }],
            ["a non-JSON 200", { status: 200, body: `<html>${echo}</html>` }],
            ["a JSON error message", { status: 400, body: errorEnvelope({ code: 10000, message: echo }) }],
            ["a 200 that says success: false", { status: 200, body: errorEnvelope({ code: 10000, message: echo }) }],
            // The token straddles the point where the client cuts the body short for its message.
            ["a long non-JSON 200", { status: 200, body: `${"-".repeat(190)}${TOKEN} ${"-".repeat(100)}` }],
            ["a long non-JSON 503", { status: 503, body: `${"-".repeat(190)}${ENCODED_TOKEN} ${"-".repeat(100)}` }],
            ["a body that JSON.parse quotes", { status: 200, body: `{"success": true, "result": ${TOKEN}}` }],
        ];
        for (const [label, answer] of echoes) {
            it(`keeps the token out of an error built from ${label} that echoes it`, async () => {
                server.reply("GET", LIST, answer);
                const { client } = clientFor(server, { retry: { maxAttempts: 1 } });

                const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareError);

                assertErrorHidesToken(err);
                assertHidesToken(JSON.stringify(err.errors), "errors[]");
            });
        }

        it("keeps a legacy API key out of an error that echoes it", async () => {
            server.reply("GET", LIST, { status: 403, body: `X-Auth-Key: ${TOKEN} and ${ENCODED_TOKEN} refused` });
            const { client } = clientFor(server, { credentials: { apiKey: TOKEN, email: "ops@example.com" } });

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareAuthError);

            assertErrorHidesToken(err);
            assert.match(err.message, /X-Auth-Key: \[REDACTED\] and \[REDACTED\] refused/);
        });

        it("says [REDACTED] where an echoed token was", async () => {
            server.reply("GET", LIST, { status: 401, body: `<html>${echo}</html>` });
            const { client } = clientFor(server);

            const err = await failureOf(client.listCustomCertificates(ZONE), CloudflareAuthError);

            assert.match(err.message, /Bearer \[REDACTED\] was refused \(token=\[REDACTED\], encoded=\[REDACTED\]\)/);
        });

        it("logs one line per attempt to stderr when debugging, with credentials redacted", async () => {
            server.reply(
                "GET",
                LIST,
                { status: 503, body: `upstream refused ${echo}` },
                page([certificate(CERT_A, 1)], { page: 1, total_pages: 1 }),
            );
            const { client } = clientFor(server);

            const lines = await debugLines(true, () => client.listCustomCertificates(ZONE));

            assert.equal(lines.length, 2, lines.join("\n"));
            const target = `GET /client/v4/zones/${ZONE}/custom_certificates?page=1&per_page=50`;
            assert.ok(lines[0]?.includes(`${target} -> 503`), lines[0]);
            assert.ok(lines[0]?.includes("(attempt 1/4)"), lines[0]);
            assert.ok(lines[0]?.includes(`cf-ray=${sent(server, 0).cfRay}`), lines[0]);
            assert.ok(lines[1]?.includes(`${target} -> 200`), lines[1]);
            assert.ok(lines[1]?.includes("(attempt 2/4)"), lines[1]);
            for (const line of lines) {
                assert.ok(line.includes(`"authorization":"[REDACTED]"`), line);
                assertHidesToken(line, "debug log");
            }
        });

        it("logs nothing when the debug switch is off", async () => {
            server.reply("GET", LIST, page([certificate(CERT_A, 1)], { page: 1, total_pages: 1 }));
            const { client } = clientFor(server);

            assert.deepEqual(await debugLines(false, () => client.listCustomCertificates(ZONE)), []);
        });
    });

    describe("constructor options", () => {
        const loopback = "http://127.0.0.1:9/client/v4";
        const options = (overrides: Partial<ClientOptions>): ClientOptions => ({
            credentials: { apiToken: TOKEN },
            baseUrl: loopback,
            ...overrides,
        });
        const badOptions: Array<[string, ClientOptions, RegExp]> = [
            ["a base URL that is not a URL", options({ baseUrl: "not a url" }), /baseUrl "not a url" is not a URL/],
            ["an ftp: base URL", options({ baseUrl: "ftp://127.0.0.1/client/v4" }), /must use http or https/],
            [
                "a base URL with the token in its query",
                options({ baseUrl: `${loopback}?token=${ENCODED_TOKEN}` }),
                /must not carry a query/,
            ],
            [
                "a base URL with the token as password",
                options({ baseUrl: `http://me:${ENCODED_TOKEN}@127.0.0.1:9/client/v4` }),
                /must not carry .*credentials/,
            ],
            ["an empty token", options({ credentials: { apiToken: "" } }), /credential apiToken is empty/],
            ["a blank token", options({ credentials: { apiToken: "   " } }), /credential apiToken is empty/],
            [
                "a token with a line break",
                options({ credentials: { apiToken: `${TOKEN.slice(0, 20)}\n${TOKEN.slice(20)}` } }),
                /apiToken contains a line break/,
            ],
            [
                "an API key without email",
                options({ credentials: { apiKey: TOKEN, email: "" } }),
                /credential email is empty/,
            ],
            ["a timeout of 0", options({ timeoutMs: 0 }), /timeoutMs must be a positive/],
            ["maxAttempts of 0", options({ retry: { maxAttempts: 0 } }), /maxAttempts must be a whole number/],
        ];
        for (const [label, bad, reason] of badOptions) {
            it(`rejects ${label} with a clear error that does not quote the token`, () => {
                assert.throws(
                    () => new CloudflareClient(bad),
                    (err: unknown) => {
                        assert.ok(err instanceof Error);
                        assert.match(err.message, reason);
                        assertErrorHidesToken(err);
                        return true;
                    },
                );
            });
        }
    });
});
