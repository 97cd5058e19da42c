// The emulator's HTTP server: reads each request, applies any injected fault, hands it to the API
// or the admin endpoints, writes the answer with a cf-ray id, and records API requests in the log.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";

import { ADMIN_PREFIX, answerAdmin } from "./admin";
import { answerApi, type ApiRequest } from "./api";
import { bodyTooLarge, rateLimited, serverError, unsuccessful, ErrorCode } from "./api-errors";
import { failureAnswer, jsonAnswer, type Answer } from "./answer";
import { presentedSecrets, type AuthResult } from "./auth";
import type { Fault } from "./faults";
import { CLOUDFLARE_RATE_LIMIT, rateLimitHeaders } from "./rate-limit";
import type { EmulatorState } from "./state";

/** The largest request body the emulator reads; larger ones are answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

// Bodies that are not JSON are logged as text, cut to this length.
const LOGGED_TEXT_LIMIT = 2048;

// What a "malformed" fault answers: a proxy's error page where JSON was promised.
const MALFORMED_BODY = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";

// What an "off-schema" fault puts in `result`: ids that are numbers, a priority that is a word.
const OFF_SCHEMA_RESULT = [{ id: 42, zone_id: null, priority: "first", status: "unheard-of" }];

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** One request being answered. */
interface Exchange {
    req: IncomingMessage;
    res: ServerResponse;
    request: ApiRequest;
    cfRay: string;
    receivedAt: string;
    startedMs: number;
}

/** An HTTP server answering from the given state; the caller starts it with listen(). */
export function createEmulatorServer(state: EmulatorState): Server {
    return createServer((req, res) => {
        handle(state, req, res).catch((err: unknown) => answerBug(res, err));
    });
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange = begin(req, res);
    const body = await readBody(req);

    if (isAdminPath(exchange.request.path)) {
        send(res, answerAdminRequest(state, req, exchange.request.path, body ?? ""));
        return;
    }
    if (body === undefined) {
        const answer = failureAnswer(bodyTooLarge(MAX_BODY_BYTES));
        send(res, answer);
        record(state, exchange, state.credentials.authenticate(req.headers), answer.status);
        return;
    }
    await serveApi(state, { ...exchange, request: { ...exchange.request, body } });
}

// Stamps the request with its cf-ray id and time, and splits the target without normalizing it,
// so the log shows the path exactly as sent and "/../" cannot climb out of a route.
function begin(req: IncomingMessage, res: ServerResponse): Exchange {
    const cfRay = `${randomBytes(8).toString("hex")}-EMU`;
    res.setHeader("cf-ray", cfRay);

    const target = req.url ?? "/";
    const queryAt = target.indexOf("?");
    const request: ApiRequest = {
        method: req.method ?? "GET",
        path: queryAt === -1 ? target : target.slice(0, queryAt),
        query: new URLSearchParams(queryAt === -1 ? "" : target.slice(queryAt + 1)),
        body: "",
    };
    return { req, res, request, cfRay, receivedAt: new Date().toISOString(), startedMs: performance.now() };
}

async function serveApi(state: EmulatorState, exchange: Exchange): Promise<void> {
    const { req, res, request } = exchange;
    const auth = state.credentials.authenticate(req.headers);
    const fault = state.faults.take(request.method, request.path);

    if (fault?.kind === "slow" && !(await waitFor(fault.delayMs, state.closing))) {
        return;
    }
    if (fault?.kind === "drop" && fault.when !== "mid-answer") {
        req.socket.destroy();
        record(state, exchange, auth, 0, fault);
        return;
    }

    const answer = (fault === undefined ? undefined : faultAnswer(fault)) ?? answerApi(state, request, auth);
    if (fault?.kind === "drop") {
        sendHalfThenDrop(res, answer);
    } else {
        send(res, fault?.kind === "truncated" ? truncated(answer) : answer);
    }
    record(state, exchange, auth, answer.status, fault);
}

// The answer a fault puts in place of the real one; undefined for faults that damage the real one.
function faultAnswer(fault: Fault): Answer | undefined {
    switch (fault.kind) {
        case "rate-limit":
            return failureAnswer(rateLimited(fault.retryAfterSeconds, faultRateLimitHeaders(fault.retryAfterSeconds)));
        case "server-error":
            return failureAnswer(serverError(fault.status));
        case "malformed":
            return { status: 200, headers: { "content-type": "application/json" }, body: MALFORMED_BODY };
        case "unsuccessful":
            return failureAnswer(unsuccessful(fault.code ?? ErrorCode.INTERNAL_ERROR));
        case "off-schema":
            return jsonAnswer(200, { success: true, errors: [], messages: [], result: OFF_SCHEMA_RESULT });
        case "slow":
        case "drop":
        case "truncated":
            return undefined;
    }
}

// An injected 429 carries the headers of Cloudflare's documented budget, spent.
function faultRateLimitHeaders(retryAfterSeconds: number): Record<string, string> {
    return rateLimitHeaders(CLOUDFLARE_RATE_LIMIT, 0, Math.max(1, retryAfterSeconds));
}

// Half of the body, with a content-length that matches: the HTTP exchange completes, the JSON
// does not.
function truncated(answer: Answer): Answer {
    const cut = answer.body.slice(0, Math.floor(answer.body.length / 2));
    return { ...answer, headers: { ...answer.headers, "content-length": String(Buffer.byteLength(cut)) }, body: cut };
}

// Promises the whole body, sends half, then closes the connection: the client sees the headers
// and then loses the connection in the middle of the body.
function sendHalfThenDrop(res: ServerResponse, answer: Answer): void {
    if (res.headersSent || res.destroyed) {
        return;
    }
    const bytes = Buffer.from(answer.body, "utf8");
    res.writeHead(answer.status, { ...answer.headers, "content-length": String(bytes.length) });
    res.flushHeaders();
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
}

function answerAdminRequest(state: EmulatorState, req: IncomingMessage, path: string, body: string): Answer {
    // The admin endpoints need no credentials; off loopback they would let anyone rewrite the state.
    if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) {
        return jsonAnswer(403, { error: "the emulator's admin endpoints answer only on loopback" });
    }
    return answerAdmin(state, { method: req.method ?? "GET", path: path.slice(ADMIN_PREFIX.length), body });
}

function record(state: EmulatorState, exchange: Exchange, auth: AuthResult, status: number, fault?: Fault): void {
    const { request } = exchange;
    const body = loggedBody(request.body);
    state.log.record(
        {
            time: exchange.receivedAt,
            method: request.method,
            path: request.path,
            query: firstValues(request.query),
            status,
            cfRay: exchange.cfRay,
            auth: auth.ok ? auth.principal.scheme : auth.scheme,
            ...(body === undefined ? {} : { body }),
            durationMs: Math.round((performance.now() - exchange.startedMs) * 10) / 10,
            ...(fault === undefined ? {} : { fault: fault.kind }),
        },
        [...presentedSecrets(exchange.req.headers), ...state.credentials.secrets()],
    );
}

function send(res: ServerResponse, answer: Answer): void {
    if (res.headersSent || res.destroyed) {
        return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
}

// A bug in the emulator answers 500 with the reason, so the test that hit it can tell.
function answerBug(res: ServerResponse, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    const errors = [{ code: ErrorCode.INTERNAL_ERROR, message: `emulator error: ${reason}` }];
    send(res, jsonAnswer(500, { success: false, errors, messages: [], result: null }));
}

// Reads the whole body; undefined when it is over MAX_BODY_BYTES. The rest is still drained, so
// the answer can be written on the same connection.
async function readBody(req: IncomingMessage): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size <= MAX_BODY_BYTES) {
            chunks.push(buffer);
        }
    }
    return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}

async function waitFor(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
        await delay(ms, undefined, { signal });
        return true;
    } catch {
        return false;
    }
}

function loggedBody(text: string): unknown {
    if (text === "") {
        return undefined;
    }
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text.length > LOGGED_TEXT_LIMIT ? `${text.slice(0, LOGGED_TEXT_LIMIT)}…` : text;
    }
}

function firstValues(query: URLSearchParams): Record<string, string> {
    const values = new Map<string, string>();
    for (const [key, value] of query) {
        if (!values.has(key)) {
            values.set(key, value);
        }
    }
    // fromEntries makes own properties, so keys such as "__proto__" are kept as plain data.
    return Object.fromEntries(values);
}

function isAdminPath(path: string): boolean {
    return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}
